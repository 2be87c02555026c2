// What run, resume, runs and replay share as a command line: flags and their help, the store and
// providers named by flags (built by host/), progress and the outcome printed, signals while a run
// executes. Everything that turns a spec into an adapter is in host/.
import { readFileSync } from "node:fs";
import { delimiter, isAbsolute, resolve } from "node:path";
import type { Json, LoadedRun, RunRecord, RunStore, RunOutcome, VmEvent } from "../vm/index.js";
import type { HostConfigError } from "../host/errors.js";
import { errorTag } from "../vm/ports/errors.js";
import * as host from "../host/runtime.js";
import { openStore, storeExists, storeLocation } from "../host/stores.js";
import { type CliIo, Exit, UsageError, displayPath } from "./io.js";

export const STORE_HELP = `  --store <spec>       The run store: a SQLite file (default AWR_STORE, else .awr/runs.db), memory:,
                       or postgres://user@host:5432/db[?schema=awr] (PostgreSQL, shared by processes)`;
export const MODELS_HELP = `  --models <spec>      openai (default: OPENAI_BASE_URL / OPENAI_API_KEY or the model's
                       base_url / api_key) or recorded:<file.jsonl> (offline answers)`;

/** `--trust` (repeatable) on the commands that execute a plan: run, resume, resolve, replay. */
export const TRUST_OPTIONS = { trust: { type: "string", multiple: true } } as const;

export const TRUST_HELP = `  --trust <key.pub>    Run only plans signed by this public key (repeatable; AWR_TRUST adds key
                       files separated by "${delimiter}"): an unsigned plan, one signed by another key
                       or one changed after it was signed is refused before anything runs (exit 77)`;

/** A plan as the run commands hand it on: decoded, and the file's bytes when it came from a `.awrp` file or the store. */
export type PlanSource = host.PlanSource;

/** The key files of `--trust` (repeatable) and AWR_TRUST (separated like PATH). */
export function trustFiles(values: Record<string, unknown>, io: CliIo): string[] {
  const flags = values["trust"];
  return [...(Array.isArray(flags) ? (flags as string[]) : typeof flags === "string" ? [flags] : []), ...(io.env["AWR_TRUST"] ?? "").split(delimiter).filter((f) => f.trim() !== "")];
}

/** How a refusal names the plan: a file relative to the working directory, else as given ("the stored plan of run …"). */
function labelled(plan: PlanSource, io: CliIo): PlanSource {
  return plan.source === undefined ? plan : { ...plan, source: isAbsolute(plan.source) ? displayPath(plan.source, io.cwd) : plan.source };
}

/**
 * The public keys of `--trust` and AWR_TRUST (PEM texts), or undefined when none is given; with
 * keys, checks that `plan` was signed by one of them (a `PlanTrustError` otherwise, exit 77).
 * Plans compiled from `.awr` sources carry no signature, so they are refused too.
 */
export async function trustedPlan(plan: PlanSource, values: Record<string, unknown>, io: CliIo): Promise<string[] | undefined> {
  const files = trustFiles(values, io);
  if (files.length === 0) return undefined;
  const keys = await host.readTrustKeys(files, io.cwd);
  await host.checkTrust(labelled(plan, io), keys);
  return keys;
}

/**
 * Configuration the host refused, as the usage error it is on a command line (exit 2): the same
 * message, with the flag that carried it named.
 */
export function usageOf(e: HostConfigError): UsageError {
  switch (e.code) {
    case "MODELS_UNKNOWN":
      return new UsageError(`unknown --models "${e.subject}"`, "use openai or recorded:<file.jsonl>");
    case "EMBEDDER_UNKNOWN":
      return new UsageError(`unknown --embedder "${e.subject}"`, "use local or openai:<model>, e.g. openai:text-embedding-3-small");
    case "TRUST_KEY_UNREADABLE":
      return new UsageError(e.message, "--trust and AWR_TRUST take public key files (NAME.pub from awr keygen)");
    case "STORE_UNSUPPORTED":
      return new UsageError(e.message, "pass --store a SQLite file (e.g. .awr/runs.db), memory: or postgres://…");
    default:
      return new UsageError(e.message, e.hint);
  }
}

/** Whether `--store` names a store that is there: `memory:`, an existing SQLite file, a PostgreSQL server (asked when opened). */
export function storeIsThere(spec: string | undefined, io: CliIo): boolean {
  return storeExists(storeLocation(spec, io.cwd));
}

export async function openRunStore(spec: string | undefined, io: CliIo): Promise<RunStore> {
  return openStore(spec, { cwd: io.cwd });
}

/**
 * The `--models` spec a run stores (its `meta.models`) so that `awr resume` and `awr resolve`
 * continue it with the same providers (host/runtime.ts `modelsToStore`).
 */
export function modelsToStore(spec: string | undefined, io: CliIo): string {
  return host.modelsToStore(spec, io.cwd);
}

export const metaString = host.metaString;

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

/** How messages name the store `--store` points at: as given (a PostgreSQL one without its password), `.awr/runs.db` by default. */
export function storeLabel(spec: string | undefined): string {
  if (spec !== undefined && /^postgres(ql)?:\/\//i.test(spec)) {
    try {
      const at = storeLocation(spec, ".");
      if (at.kind === "postgres") return at.label;
    } catch {
      return "the PostgreSQL store";
    }
  }
  return spec ?? ".awr/runs.db";
}

/** A memory: store ends with the process: a run stopped in it cannot be continued by another command. */
const IN_MEMORY = "this run cannot be resumed: its store is in memory (--store memory:) and ends with this process; run it with --store <file.db> to continue it later";

/**
 * `--store` as the hints that follow a run repeat it: a PostgreSQL spec without its password (the
 * hints land in terminals and CI logs), which pg then takes from PGPASSWORD; `hidden` says one was dropped.
 */
export function storeHint(spec: string): { spec: string; hidden: boolean } {
  if (!/^postgres(ql)?:\/\//i.test(spec)) return { spec, hidden: false };
  try {
    const u = new URL(spec);
    if (!u.password) return { spec, hidden: false };
    u.password = "";
    return { spec: u.toString(), hidden: true };
  } catch {
    return { spec: "<the store spec>", hidden: true };
  }
}

/** Prints an outcome (DESIGN §6 JSON with --json) and returns the exit code. */
export function report(o: RunOutcome, io: CliIo, json: boolean, storeArg?: string): number {
  const hint = storeArg ? storeHint(storeArg) : undefined;
  const store = hint ? ` --store ${hint.spec}` : "";
  const hints = o.status !== "completed" && o.status !== "failed";
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
    if (hints && !inMemory && hint?.hidden) io.stdout.write(`  (the store's password is not repeated here: give it in PGPASSWORD or AWR_STORE)\n`);
  }
  return o.status === "completed" || o.status === "suspended" ? Exit.ok : Exit.errors;
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
 * a missing file is a usage error naming the path searched. (`memory:` is empty; its runs are gone.
 * A PostgreSQL store's schema is created when first opened, by any command: an empty one lists no runs.)
 */
export function existingStore(spec: string | undefined, io: CliIo): void {
  const at = storeLocation(spec, io.cwd);
  if (at.kind === "sqlite" && !storeExists(at))
    throw new UsageError(`no run store at ${storeLabel(spec)}${at.path === storeLabel(spec) ? "" : ` (${at.path})`}`, spec === undefined ? "pass --store <path>, or run a graph first (awr run)" : "check the path given to --store");
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
 * The runtime of one `awr run` / `awr resume` / `awr resolve` execution, built by host/ from the
 * flags: `--models` (for a continued run, the models it was started with unless --models
 * overrides them), `--trust`/AWR_TRUST, the js and MCP tools of `root`, contexts over `store`,
 * tracing from OTEL_*, metrics with --metrics-port, progress on stderr. `hold()` keeps serving
 * metrics with --metrics-hold; `close()` stops what it opened (the store stays the caller's).
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
  const files = trustFiles(values, io);
  const trust = files.length === 0 ? undefined : await host.readTrustKeys(files, io.cwd);
  const stored = continued ? host.metaString(continued.snapshot, "models") : undefined;
  const given = values["models"] as string | undefined;
  const models = given ?? stored;
  const storeSpec = values["store"] as string | undefined;
  const onEvent = progress(io);
  const opened = await host
    .openRuntime({
      plan: labelled(source, io),
      root,
      store,
      cwd: io.cwd,
      env: io.env,
      ...(storeSpec === undefined ? {} : { storeSpec }),
      ...(models === undefined ? {} : { models }),
      ...(trust ? { trust } : {}),
      ...(observing.metrics ? { metrics: observing.metrics } : {}),
      ...(onEvent ? { onEvent } : {}),
      ...(continued ? { continued } : {}),
    })
    .catch((e: unknown) => {
      if (given === undefined && stored !== undefined && errorTag(e) === "HostConfigError" && ["MODELS_UNKNOWN", "RECORDINGS_UNREADABLE"].includes((e as HostConfigError).code)) {
        throw new UsageError(`${usageOf(e as HostConfigError).message} (the run was started with --models ${stored})`, "pass --models to continue it with other providers");
      }
      throw e;
    });
  if (opened.metricsUrl) io.stderr.write(`metrics: ${opened.metricsUrl}\n`);
  return {
    rt: opened.runtime,
    close: opened.close,
    /** With --metrics-hold: keeps serving until SIGINT/SIGTERM. */
    async hold(): Promise<void> {
      if (!opened.metricsUrl || !observing.hold) return;
      io.stderr.write(`serving metrics on ${opened.metricsUrl} until interrupted (Ctrl-C)\n`);
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
