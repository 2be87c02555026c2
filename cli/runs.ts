// What run, resume, runs and replay share: the store, the providers, progress and the outcome.
import { ask } from "./commands/store.js";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import type { Plan } from "../compiler/plan/index.js";
import type { ContextProvider, Json, LoadedRun, ModelProvider, RunRecord, RunStore, VmEvent } from "../vm/types.js";
import type { RunOutcome } from "../vm/runtime.js";
import { packageRoot } from "./host.js";
import { type CliIo, Exit, UsageError, displayPath } from "./io.js";

export const STORE_HELP = `  --store <path>       The run store: a SQLite file (default .awr/runs.db) or memory:`;
export const MODELS_HELP = `  --models <spec>      openai (default: OPENAI_BASE_URL / OPENAI_API_KEY or the model's
                       base_url / api_key) or recorded:<file.jsonl> (offline answers)`;

/** `--trust` (repeatable) on the commands that execute a plan: run, resume, resolve, replay. */
export const TRUST_OPTIONS = { trust: { type: "string", multiple: true } } as const;

export const TRUST_HELP = `  --trust <key.pub>    Run only plans signed by this public key (repeatable; AWR_TRUST adds key
                       files separated by "${delimiter}"): an unsigned plan, one signed by another key
                       or one changed after it was signed is refused before anything runs (exit 77)`;

/** A plan as the run commands hand it on: decoded, and the file's bytes when it came from a `.awrp` file or the store. */
export interface PlanSource {
  plan: Plan;
  bytes?: Uint8Array;
  /** What to call it in a refusal (the file, or "the stored plan of run …"). */
  source?: string;
}

/**
 * The public keys of `--trust` and AWR_TRUST (PEM texts), or undefined when none is given; with
 * keys, checks that `plan` was signed by one of them (a `PlanTrustError` otherwise, exit 77).
 * Plans compiled from `.awr` sources carry no signature, so they are refused too.
 */
export async function trustedPlan(plan: PlanSource, values: Record<string, unknown>, io: CliIo): Promise<string[] | undefined> {
  const flags = values["trust"];
  const files = [...(Array.isArray(flags) ? (flags as string[]) : typeof flags === "string" ? [flags] : []), ...(io.env["AWR_TRUST"] ?? "").split(delimiter).filter((f) => f.trim() !== "")];
  if (files.length === 0) return undefined;
  const { PlanTrustError, SigningKeyError, trustedKey, verifyPlanSignature } = await import("../compiler/plan/index.js");
  const keys = files.map((f) => {
    let text: string;
    try {
      text = readFileSync(resolve(io.cwd, f), "utf8");
    } catch (e) {
      throw new UsageError(`cannot read the trusted key ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, "--trust and AWR_TRUST take public key files (NAME.pub from awr keygen)");
    }
    try {
      trustedKey(text);
    } catch (e) {
      if (e instanceof SigningKeyError) throw new UsageError(`trusted key ${f}: ${e.message}`);
      throw e;
    }
    return text;
  });
  if (!plan.bytes) {
    throw new PlanTrustError("PLAN_UNSIGNED", `${plan.source ? displayPath(plan.source, io.cwd) : "the plan"} is compiled from .awr sources, which carry no signature: with trusted keys only signed plans run`);
  }
  try {
    verifyPlanSignature(plan.bytes, keys);
  } catch (e) {
    if (e instanceof PlanTrustError && plan.source) throw new PlanTrustError(e.code, `${isAbsolute(plan.source) ? displayPath(plan.source, io.cwd) : plan.source}: ${e.message}`);
    throw e;
  }
  return keys;
}

/** Where `--store` points: the SQLite file (default .awr/runs.db under the working directory) or `memory:`. */
export function storePath(spec: string | undefined, io: CliIo): string {
  return spec === undefined ? resolve(io.cwd, ".awr", "runs.db") : spec === "memory:" ? spec : resolve(io.cwd, spec);
}

export async function openRunStore(spec: string | undefined, io: CliIo): Promise<RunStore> {
  const { openStore, StoreError } = await import("../vm/store/index.js");
  const path = storePath(spec, io);
  try {
    return openStore(path);
  } catch (e) {
    if (e instanceof StoreError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * The `--models` spec a run stores (its `meta.models`) so that `awr resume` and `awr resolve`
 * continue it with the same providers: `openai` (the default; endpoints and keys still come from
 * the environment or the plan — never stored) or `recorded:` with the file's absolute path.
 */
export function modelsToStore(spec: string | undefined, io: CliIo): string {
  if (spec === undefined || spec === "openai") return "openai";
  if (spec.startsWith("recorded:")) return `recorded:${resolve(io.cwd, spec.slice("recorded:".length))}`;
  return spec;
}

/** A string field of a run's `meta` (`root`, `models`), if there is one. */
export function metaString(run: RunRecord, key: string): string | undefined {
  const m = run.meta;
  const v = m !== null && typeof m === "object" && !Array.isArray(m) ? m[key] : undefined;
  return typeof v === "string" ? v : undefined;
}

export async function modelProvider(spec: string | undefined, io: CliIo): Promise<ModelProvider> {
  const gateway = await import("../vm/gateway/index.js");
  if (spec === undefined || spec === "openai") {
    const { validate } = await import("../vm/schema.js");
    return new gateway.OpenAIGateway({ validate, env: io.env });
  }
  if (spec.startsWith("recorded:")) {
    const file = resolve(io.cwd, spec.slice("recorded:".length));
    if (!existsSync(file)) throw new UsageError(`no recordings file ${spec.slice("recorded:".length)}`);
    try {
      return gateway.RecordedModels.fromFile(file);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  throw new UsageError(`unknown --models "${spec}"`, "use openai or recorded:<file.jsonl>");
}

/**
 * The context assembler of a plan that declares contexts (none otherwise): sources relative to the
 * program root, vector indexes in `index/` beside the SQLite store (in memory with `memory:`),
 * `sessions()` sources searching the run's store.
 */
export async function contextProvider(plan: Plan, baseDir: string, storeSpec: string | undefined, io: CliIo, store: RunStore): Promise<ContextProvider | undefined> {
  if (Object.keys(plan.contexts).length === 0) return undefined;
  const { createContextAssembler } = await import("../vm/context/index.js");
  const path = storePath(storeSpec, io);
  return createContextAssembler({ plan, root: baseDir, store, ...(path === "memory:" ? {} : { indexDir: join(dirname(path), "index") }) });
}

export async function toolProvider(baseDir: string) {
  const { Tools } = await import("../vm/tools/index.js");
  return new Tools({ baseDir, stdlibDir: join(packageRoot(), "stdlib") });
}

/** `--input '{"a":1}'` or `--input @file.json`. */
export function jsonArg(value: string | boolean | undefined, what: string, io: CliIo): Json | undefined {
  if (typeof value !== "string") return undefined;
  let text = value;
  if (value.startsWith("@")) {
    const file = resolve(io.cwd, value.slice(1));
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new UsageError(`cannot read ${what} file ${value.slice(1)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new UsageError(`${what} is not valid JSON: ${(e as Error).message}`, `pass JSON, or @file.json`);
  }
}

/** Progress lines on stderr when it is a terminal (or AWR_PROGRESS=1): one per step and call. */
export function progress(io: CliIo): ((e: VmEvent) => void) | undefined {
  const tty = (process.stderr.isTTY && io.env["CI"] === undefined) || io.env["AWR_PROGRESS"] === "1";
  if (!tty) return undefined;
  const dim = (s: string) => (io.stderr.color ? `\x1b[2m${s}\x1b[0m` : s);
  return (e) => {
    switch (e.type) {
      case "step.finished":
        io.stderr.write(`${e.status === "ok" ? "✓" : e.status === "suspended" ? "⏸" : "✗"} ${e.node} ${dim(`${e.durationMs} ms`)}\n`);
        break;
      case "effect.completed":
        if (!e.replayed) io.stderr.write(dim(`  ${e.ok ? "·" : "!"} ${e.kind} ${e.name} ${e.durationMs} ms\n`));
        break;
      case "retry":
        io.stderr.write(dim(`  ↻ retry ${e.attempt} of ${e.key}: ${e.error.kind}: ${e.error.message}\n`));
        break;
      case "fallback":
        io.stderr.write(dim(`  ↪ fallback ${e.from} → ${e.to}\n`));
        break;
      case "compensation":
        io.stderr.write(dim(`  ↺ compensate with ${e.tool}\n`));
        break;
    }
  };
}

/** How messages name the store `--store` points at: as given, `.awr/runs.db` by default. */
export function storeLabel(spec: string | undefined): string {
  return spec ?? ".awr/runs.db";
}

/** A memory: store ends with the process: a run stopped in it cannot be continued by another command. */
const IN_MEMORY = "this run cannot be resumed: its store is in memory (--store memory:) and ends with this process; run it with --store <file.db> to continue it later";

/** Prints an outcome (DESIGN §6 JSON with --json) and returns the exit code. */
export function report(o: RunOutcome, io: CliIo, json: boolean, storeArg?: string): number {
  const store = storeArg ? ` --store ${storeArg}` : "";
  const inMemory = storeArg === "memory:" && o.status !== "completed" && o.status !== "failed";
  if (json) {
    io.stdout.write(`${JSON.stringify(o, null, 2)}\n`);
    if (inMemory) io.stderr.write(`note: ${IN_MEMORY}\n`);
  } else {
    io.stdout.write(`run ${o.runId}: ${o.status}\n`);
    if (o.output !== undefined) io.stdout.write(`${JSON.stringify(o.output, null, 2)}\n`);
    if (o.error) io.stdout.write(`error: ${o.error.kind}: ${o.error.message}${o.error.step ? ` (step ${o.error.step})` : ""}\n`);
    for (const p of o.pending ?? []) {
      io.stdout.write(`waiting for ${p.kind}: ${p.reason}\n`);
      if (!inMemory) io.stdout.write(`  resume with: awr resume ${o.runId} --interrupt '${p.id}' --value '<json>'${store}\n`);
    }
    if (inMemory) io.stdout.write(`${IN_MEMORY}\n`);
    else if (o.status === "needs_attention") {
      io.stdout.write(`  once you know what happened, resolve with one of:\n`);
      io.stdout.write(`    awr resolve ${o.runId} --succeeded '<its result as JSON>'${store}\n`);
      io.stdout.write(`    awr resolve ${o.runId} --retry${store}\n`);
      io.stdout.write(`    awr resolve ${o.runId} --fail '<reason>'${store}\n`);
    } else if (o.status === "cancelled") io.stdout.write(`  continue with: awr resume ${o.runId}${store}\n`);
  }
  return o.status === "completed" || o.status === "suspended" ? Exit.ok : Exit.errors;
}

/**
 * A refusal of the runtime (vm/operator.ts: an unknown run, a run not waiting or not needing
 * attention, a value or input that does not fit) as the usage error it is for the CLI (exit 2),
 * naming the store searched; anything else is rethrown.
 */
export async function asUsageError(e: unknown, storeArg: string | undefined): Promise<never> {
  const op = await import("../vm/operator.js");
  if (e instanceof op.RunNotFound) throw new UsageError(`no run ${e.runId} in ${storeLabel(storeArg)}`, 'list the runs of a store with "awr runs [--store PATH]"');
  if (e instanceof op.InvalidResumeValue) {
    throw new UsageError(`the value does not fit ${e.target}: expected ${e.expected}\n  ${e.errors.join("\n  ")}`, "nothing was stored; the run is unchanged");
  }
  if (e instanceof op.InvalidInput) throw new UsageError(`the input does not fit graph ${e.graph}: expected ${e.expected}\n  ${e.errors.join("\n  ")}`, "no run was started");
  if (e instanceof op.RunRejection) throw new UsageError(e.message);
  throw e;
}

/** The exit codes of a run interrupted by a signal (128 + the signal's number). */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * While a run executes (`awr run`, `awr resume`, `awr resolve`): the first SIGINT/SIGTERM interrupts it
 * through the runtime's cancel path (in-flight calls are aborted and journal no outcome; the run
 * ends `cancelled` and stays resumable); a second one exits at once. `finish` prints how to go on
 * and turns the outcome's exit code into 130/143 when a signal stopped the run.
 */
export function interruptible(cancel: (reason: string) => Promise<void>) {
  let got: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (got) process.exit(SIGNAL_EXIT[sig] ?? 1);
    got = sig;
    void cancel(`interrupted by ${sig}`);
  };
  process.on("SIGINT", handler).on("SIGTERM", handler);
  return {
    dispose() {
      process.off("SIGINT", handler).off("SIGTERM", handler);
    },
    /** The exit code: 130/143 when a signal cancelled the run, else the outcome's. */
    code(o: RunOutcome, code: number): number {
      return got && o.status === "cancelled" ? (SIGNAL_EXIT[got] ?? code) : code;
    },
  };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** `--timeout 30s`: a duration (250ms, 90s, 10m, 1h, 2d, 1w) in milliseconds. */
export function durationArg(value: string, flag: string): number {
  const d = DURATION.exec(value.trim());
  if (!d || Number(d[1]) <= 0) throw new UsageError(`${flag} "${value}" is not a duration`, "use a positive duration such as 500ms, 30s, 10m or 2h");
  return Math.round(Number(d[1]) * UNITS[d[2]!]!);
}

/**
 * `--since`/`--until`: a date (2026-11-01, 2026-11-01T09:30:00Z; a date alone is midnight UTC),
 * milliseconds since the epoch, or a duration back from now (90s, 30m, 24h, 7d, 2w).
 */
export function timeArg(value: string, flag: string, now: number): number {
  const v = value.trim();
  if (/^\d{10,}$/.test(v)) return Number(v);
  const d = DURATION.exec(v);
  if (d) return now - Number(d[1]) * UNITS[d[2]!]!;
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  throw new UsageError(
    `${flag} "${value}" is neither a date nor a duration`,
    "use a date (2026-11-01, 2026-11-01T09:30:00Z), ms since the epoch, or a duration back from now (30m, 24h, 7d)",
  );
}

/**
 * Commands that read runs (runs, trace, cost, audit, replay, resume, resolve) never create a store:
 * a missing file is a usage error naming the path searched. (`memory:` is empty; its runs are gone.)
 */
export function existingStore(spec: string | undefined, io: CliIo): void {
  if (spec === "memory:") return;
  const path = storePath(spec, io);
  if (!existsSync(path))
    throw new UsageError(`no run store at ${storeLabel(spec)}${path === storeLabel(spec) ? "" : ` (${path})`}`, spec === undefined ? "pass --store <path>, or run a graph first (awr run)" : "check the path given to --store");
}

/** The observability flags `awr run` and `awr resume` share (docs/observability.md). */
export const OBSERVE_OPTIONS = {
  "metrics-port": { type: "string" },
  "metrics-host": { type: "string" },
  "metrics-hold": { type: "boolean" },
} as const;

export const OBSERVE_HELP = `  --metrics-port <n>      Serve Prometheus metrics on http://127.0.0.1:<n>/metrics while the run
                          executes (0: any free port); the address is printed on stderr
  --metrics-host <addr>   Serve them on this address instead (e.g. 0.0.0.0 in a container)
  --metrics-hold          Keep serving them after the run stops, until interrupted (Ctrl-C)`;

export const TRACING_HELP = `Tracing: with OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, the run's
spans are exported over OTLP/HTTP; AWR_OTEL_CAPTURE_CONTENT=1 adds prompts and answers to them
(docs/observability.md).`;

export interface ObserveArgs {
  metrics?: { port: number; host?: string };
  hold: boolean;
}

/** Checks the observability flags before anything is opened. */
export function observeArgs(values: Record<string, string | boolean | undefined>): ObserveArgs {
  const port = values["metrics-port"];
  if (port !== undefined && (typeof port !== "string" || !/^\d{1,5}$/.test(port) || Number(port) > 65535)) {
    throw new UsageError(`--metrics-port must be a port number (0-65535), got "${String(port)}"`);
  }
  if (port === undefined && (values["metrics-hold"] || values["metrics-host"] !== undefined)) throw new UsageError("--metrics-hold and --metrics-host need --metrics-port");
  const host = values["metrics-host"];
  return {
    ...(port === undefined ? {} : { metrics: { port: Number(port), ...(typeof host === "string" ? { host } : {}) } }),
    hold: values["metrics-hold"] === true,
  };
}

/**
 * Tracing when OTEL_* configures an exporter, metrics with --metrics-port, progress on stderr:
 * the `onEvent` and `captureContent` to give `createRuntime`; `shutdown()` flushes and stops.
 */
export async function observeRun(plan: Plan, o: ObserveArgs, io: CliIo) {
  const { observe, ObserveError } = await import("../ops/observability/observe.js");
  const obs = await observe({ plan, env: io.env, onEvent: progress(io), ...(o.metrics ? { metrics: o.metrics } : {}) }).catch((e: unknown) => {
    throw e instanceof ObserveError ? new UsageError(e.message) : e;
  });
  if (obs.metricsUrl) io.stderr.write(`metrics: ${obs.metricsUrl}\n`);
  return {
    ...obs,
    /** With --metrics-hold: keeps serving until SIGINT/SIGTERM. */
    async hold(): Promise<void> {
      if (!obs.metricsUrl || !o.hold) return;
      io.stderr.write(`serving metrics on ${obs.metricsUrl} until interrupted (Ctrl-C)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop).off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop).on("SIGTERM", stop);
      });
    },
  };
}

/**
 * The runtime of one `awr run` / `awr resume` execution: providers from the flags (`--models`, the
 * js and MCP tools of `root`, contexts over `store`) and observability. `close()` stops what it
 * opened (metrics and tracing, js sandboxes, MCP servers); the store stays the caller's.
 */
export async function openRuntime(
  source: PlanSource,
  root: string,
  store: RunStore,
  values: Record<string, string | boolean | undefined>,
  observing: ObserveArgs,
  io: CliIo,
  /** A run being continued (resume, resolve), as loaded: its stored `--models` apply unless --models overrides them. */
  continued?: LoadedRun,
) {
  const { plan } = source;
  // Before any provider starts: a plan refused by --trust runs nothing.
  const trust = await trustedPlan(source, values, io);
  const tools = await toolProvider(root);
  let obs: Awaited<ReturnType<typeof observeRun>> | undefined;
  const close = async () => {
    await obs?.shutdown();
    await tools.close();
  };
  try {
    const { createRuntime } = await import("../vm/runtime.js");
    obs = await observeRun(plan, observing, io);
    const storeSpec = values["store"] as string | undefined;
    const stored = continued ? metaString(continued.snapshot, "models") : undefined;
    const given = values["models"] as string | undefined;
    const models = await modelProvider(given ?? stored, io).catch((e: unknown) => {
      if (given === undefined && stored !== undefined && e instanceof UsageError) throw new UsageError(`${e.message} (the run was started with --models ${stored})`, "pass --models to continue it with other providers");
      throw e;
    });
    // Recorded answers continue after those the journal already holds.
    const { RecordedModels } = await import("../vm/gateway/index.js");
    if (continued && models instanceof RecordedModels) {
      models.continueAfter(continued.journal, await ask(store.queries.events(continued.snapshot.runId)));
    }
    const rt = createRuntime({
      // The file's bytes when there are some: stored as they are, so a signature travels with the plan.
      plan: source.bytes ?? plan,
      ...(trust ? { trust } : {}),
      store,
      models,
      tools,
      contexts: await contextProvider(plan, root, storeSpec, io, store),
      onEvent: obs.onEvent,
      captureContent: obs.captureContent,
    });
    return { rt, hold: obs.hold, close };
  } catch (e) {
    await close();
    throw e;
  }
}
