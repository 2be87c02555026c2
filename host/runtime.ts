// The composition root (DESIGN §7): a runtime built from plain configuration — a plan, a store,
// specs for models, the program root for tools and contexts, trusted keys, observability, an event
// callback. No argument objects, no terminal, no printing: the CLI, the language server and a
// server build through here, and their presentation stays with them. Adapters are loaded lazily,
// so a command that never runs a plan loads none of them.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Plan } from "../compiler/plan/index.js";
import type { ContextAssembler, ContextProvider, Json, LoadedRun, ModelProvider, RunRecord, RunStore, Runtime, RuntimeOptions, ToolsOptions, VmEvent } from "../vm/index.js";
import { HostConfigError } from "./errors.js";
import { packageRoot } from "./source-host.js";
import { indexDirOf, storeLocation } from "./stores.js";

/** A plan as it reaches the runtime: decoded, with the file's bytes when it came from a `.awrp` file or a store. */
export interface PlanSource {
  plan: Plan;
  bytes?: Uint8Array;
  /** What to call it in a refusal (a file as the user should read it, "the stored plan of run …"). */
  source?: string;
}

export interface RuntimeConfig {
  plan: PlanSource;
  /** The program's directory: js tools' modules and context sources are relative to it. */
  root: string;
  /** Opened by the caller (`openStore`), and still the caller's to close. */
  store: RunStore;
  /** The spec `store` was opened from: vector indexes are kept beside a SQLite file. */
  storeSpec?: string;
  /** Relative specs and files are resolved against it. */
  cwd: string;
  /** OPENAI_* for the gateway, OTEL_* and AWR_OTEL_* for tracing. */
  env: Record<string, string | undefined>;
  /** `openai` (the default) or `recorded:<file.jsonl>`. */
  models?: string;
  /** Public keys (PEM, from `readTrustKeys`): given, only plans signed by one of them run. */
  trust?: readonly string[];
  /** Serve Prometheus metrics here while the runtime is open (port 0: any free port). */
  metrics?: { port: number; host?: string };
  /** Called with every event, after tracing and metrics saw it. */
  onEvent?: (e: VmEvent) => void;
  /** A run being continued, as loaded: recorded answers continue after those its journal holds. */
  continued?: LoadedRun;
  /** Further options of `createRuntime` (limits, breakers, snapshots, …). */
  options?: Omit<Partial<RuntimeOptions>, "plan" | "trust" | "store" | "models" | "tools" | "contexts" | "onEvent" | "captureContent">;
  /** Further options of the tool provider (sandbox limits, MCP servers, …). */
  tools?: ToolOptions;
}

export interface OpenRuntime {
  runtime: Runtime;
  /** Where metrics are served, when `metrics` was given. */
  metricsUrl?: string;
  /** Stops what `openRuntime` started: metrics and tracing, js sandboxes, MCP servers (not the store). */
  close(): Promise<void>;
}

/**
 * The runtime for `config`. A plan refused by `trust` throws `PlanTrustError` before any provider
 * starts; bad configuration throws `HostConfigError`; nothing stays open when it throws.
 */
export async function openRuntime(config: RuntimeConfig): Promise<OpenRuntime> {
  const { plan } = config.plan;
  if (config.trust) await checkTrust(config.plan, config.trust);
  const tools = await openTools(config.root, config.tools);
  let shutdown: (() => Promise<void>) | undefined;
  const close = async () => {
    await shutdown?.();
    await tools.close();
  };
  try {
    const { createRuntime } = await import("../vm/runtime.js");
    const { observe, ObserveError } = await import("../ops/observability/observe.js");
    const obs = await observe({ plan, env: config.env, onEvent: config.onEvent, ...(config.metrics ? { metrics: config.metrics } : {}) }).catch((e: unknown) => {
      throw e instanceof ObserveError ? new HostConfigError("METRICS_UNAVAILABLE", e.message) : e;
    });
    shutdown = obs.shutdown;
    const models = await openModels(config.models, config);
    // Recorded answers continue after those the journal already holds.
    const { RecordedModels } = await import("../vm/gateway/index.js");
    if (config.continued && models instanceof RecordedModels) {
      const { Effect } = await import("effect");
      models.continueAfter(config.continued.journal, await Effect.runPromise(config.store.queries.events(config.continued.snapshot.runId)));
    }
    const runtime = createRuntime({
      ...config.options,
      // The file's bytes when there are some: stored as they are, so a signature travels with the plan.
      plan: config.plan.bytes ?? plan,
      ...(config.trust ? { trust: config.trust } : {}),
      store: config.store,
      models,
      tools,
      contexts: await openContexts(plan, config.root, config.store, config.storeSpec, config.cwd),
      onEvent: obs.onEvent,
      captureContent: obs.captureContent,
    });
    return { runtime, ...(obs.metricsUrl ? { metricsUrl: obs.metricsUrl } : {}), close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The model provider a spec names: `openai` (or none) → the OpenAI-compatible gateway; `recorded:<file>` → recorded answers. */
export async function openModels(spec: string | undefined, where: { cwd: string; env: Record<string, string | undefined> }): Promise<ModelProvider> {
  const gateway = await import("../vm/gateway/index.js");
  if (spec === undefined || spec === "openai") {
    const { validate } = await import("../vm/schema.js");
    return new gateway.OpenAIGateway({ validate, env: where.env });
  }
  if (spec.startsWith("recorded:")) {
    const given = spec.slice("recorded:".length);
    const file = resolve(where.cwd, given);
    if (!existsSync(file)) throw new HostConfigError("RECORDINGS_UNREADABLE", `no recordings file ${given}`, undefined, given);
    try {
      return gateway.RecordedModels.fromFile(file);
    } catch (e) {
      throw new HostConfigError("RECORDINGS_UNREADABLE", (e as Error).message, undefined, given);
    }
  }
  throw new HostConfigError("MODELS_UNKNOWN", `unknown models spec "${spec}"`, "use openai or recorded:<file.jsonl>", spec);
}

/**
 * The models spec a run stores (its `meta.models`) so that a later resume continues it with the same
 * providers: `openai` (endpoints and keys come from the environment or the plan — never stored) or
 * `recorded:` with the file's absolute path.
 */
export function modelsToStore(spec: string | undefined, cwd: string): string {
  if (spec === undefined || spec === "openai") return "openai";
  if (spec.startsWith("recorded:")) return `recorded:${resolve(cwd, spec.slice("recorded:".length))}`;
  return spec;
}

/** A string field of a run's `meta` (`root`, `models`), if there is one. */
export function metaString(run: RunRecord, key: string): string | undefined {
  const m: Json | undefined = run.meta;
  const v = m !== null && typeof m === "object" && !Array.isArray(m) ? m[key] : undefined;
  return typeof v === "string" ? v : undefined;
}

/** The tool provider of a program: js tools relative to `root` (std/ ones in the package's stdlib), http, MCP, builtins. */
export async function openTools(root: string, options: ToolOptions = {}) {
  const { Tools } = await import("../vm/tools/index.js");
  return new Tools({ ...options, baseDir: root, stdlibDir: join(packageRoot(), "stdlib") });
}

/** What a caller may set on the tool provider; where modules are found is the host's to say. */
export type ToolOptions = Omit<ToolsOptions, "baseDir" | "stdlibDir">;

/**
 * The context assembler of a plan that declares contexts (none otherwise): sources relative to the
 * program root, vector indexes in `index/` beside a SQLite store (in memory with `memory:`),
 * `sessions()` sources searching `store`.
 */
export async function openContexts(plan: Plan, root: string, store: RunStore, storeSpec: string | undefined, cwd: string): Promise<ContextProvider | undefined> {
  if (Object.keys(plan.contexts).length === 0) return undefined;
  const { createContextAssembler } = await import("../vm/context/index.js");
  const indexDir = indexDirOf(storeLocation(storeSpec, cwd));
  return createContextAssembler({ plan, root, store, ...(indexDir === undefined ? {} : { indexDir }) });
}

/**
 * The context assembler of `awr context`: `embedder` is `local` (the default, deterministic) or
 * `openai:<model>`; `models` (a spec, see `openModels`) answers `summarize` prompts.
 */
export async function openContextAssembler(o: {
  plan: Plan;
  root: string;
  indexDir: string;
  embedder?: string;
  store?: RunStore;
  models?: string;
  cwd: string;
  env: Record<string, string | undefined>;
}): Promise<ContextAssembler> {
  const { createContextAssembler, LocalEmbedder, OpenAIEmbedder } = await import("../vm/context/index.js");
  const spec = o.embedder ?? "local";
  let embedder;
  if (spec === "local") embedder = new LocalEmbedder();
  else if (spec.startsWith("openai:") && spec.length > "openai:".length) embedder = new OpenAIEmbedder({ model: spec.slice("openai:".length), env: o.env });
  else throw new HostConfigError("EMBEDDER_UNKNOWN", `unknown embedder spec "${spec}"`, "use local or openai:<model>, e.g. openai:text-embedding-3-small", spec);
  const models = o.models === undefined ? undefined : await openModels(o.models, o);
  return createContextAssembler({ plan: o.plan, root: o.root, indexDir: o.indexDir, embedder, ...(o.store ? { store: o.store } : {}), ...(models ? { models } : {}) });
}

/** The PEM texts of trusted public key files (relative to `cwd`), each checked to be an Ed25519 public key. */
export async function readTrustKeys(files: readonly string[], cwd: string): Promise<string[]> {
  const { SigningKeyError, trustedKey } = await import("../compiler/plan/index.js");
  return files.map((f) => {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, f), "utf8");
    } catch (e) {
      throw new HostConfigError("TRUST_KEY_UNREADABLE", `cannot read the trusted key ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, "trusted keys are public key files (NAME.pub from awr keygen)", f);
    }
    try {
      trustedKey(text);
    } catch (e) {
      if (e instanceof SigningKeyError) throw new HostConfigError("TRUST_KEY_INVALID", `trusted key ${f}: ${e.message}`, undefined, f);
      throw e;
    }
    return text;
  });
}

/**
 * Checks that `source` is a plan signed by one of `keys` and unchanged since (`PlanTrustError`
 * otherwise, naming `source.source`). A plan compiled from sources has no bytes, so no signature.
 */
export async function checkTrust(source: PlanSource, keys: readonly string[]): Promise<void> {
  const { PlanTrustError, verifyPlanSignature } = await import("../compiler/plan/index.js");
  if (!source.bytes) {
    throw new PlanTrustError("PLAN_UNSIGNED", `${source.source ?? "the plan"} is compiled from .awr sources, which carry no signature: with trusted keys only signed plans run`);
  }
  try {
    verifyPlanSignature(source.bytes, keys);
  } catch (e) {
    if (e instanceof PlanTrustError && source.source) throw new PlanTrustError(e.code, `${source.source}: ${e.message}`);
    throw e;
  }
}
