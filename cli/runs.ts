// What run, resume, runs and replay share: the store, the providers, progress and the outcome.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Json, ModelProvider, RunStore, VmEvent } from "../vm/types.js";
import type { RunOutcome } from "../vm/runtime.js";
import { packageRoot } from "./host.js";
import { type CliIo, Exit, UsageError } from "./io.js";

export const STORE_HELP = `  --store <path>       The run store: a SQLite file (default .awr/runs.db) or memory:`;
export const MODELS_HELP = `  --models <spec>      openai (default: OPENAI_BASE_URL / OPENAI_API_KEY or the model's
                       base_url / api_key) or recorded:<file.jsonl> (offline answers)`;

export async function openRunStore(spec: string | undefined, io: CliIo): Promise<RunStore> {
  const { openStore, StoreError } = await import("../vm/store/index.js");
  const path = spec === undefined ? resolve(io.cwd, ".awr", "runs.db") : spec === "memory:" ? spec : resolve(io.cwd, spec);
  try {
    return openStore(path);
  } catch (e) {
    if (e instanceof StoreError) throw new UsageError(e.message);
    throw e;
  }
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

/** Prints an outcome (DESIGN §6 JSON with --json) and returns the exit code. */
export function report(o: RunOutcome, io: CliIo, json: boolean, storeArg?: string): number {
  if (json) io.stdout.write(`${JSON.stringify(o, null, 2)}\n`);
  else {
    io.stdout.write(`run ${o.runId}: ${o.status}\n`);
    if (o.output !== undefined) io.stdout.write(`${JSON.stringify(o.output, null, 2)}\n`);
    if (o.error) io.stdout.write(`error: ${o.error.kind}: ${o.error.message}${o.error.step ? ` (step ${o.error.step})` : ""}\n`);
    for (const p of o.pending ?? []) {
      io.stdout.write(`waiting for ${p.kind}: ${p.reason}\n  resume with: awr resume ${o.runId} --interrupt '${p.id}' --value '<json>'${storeArg ? ` --store ${storeArg}` : ""}\n`);
    }
  }
  return o.status === "completed" || o.status === "suspended" ? Exit.ok : Exit.errors;
}
