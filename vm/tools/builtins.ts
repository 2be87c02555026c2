// `impl: builtin("std.…")`: tools the VM implements itself (stdlib/std/*.awr declares them).
// Their results are journaled like every effect, so non-determinism (the clock, the network) is
// recorded once and replayed after that.
import { randomUUID } from "node:crypto";
import type { Json } from "../types.js";
import { fail } from "./failures.js";
import { rawRequest, type Fetch } from "./http.js";

export interface BuiltinEnv {
  fetch: Fetch;
  now: () => Date;
}

export type Builtin = (args: Record<string, Json>, env: BuiltinEnv, tool: string, signal: AbortSignal) => Promise<Json>;

function str(args: Record<string, Json>, name: string, tool: string): string {
  const v = args[name];
  if (typeof v !== "string") throw fail("tool", `tool ${tool}: argument "${name}" must be a string`, false);
  return v;
}

function headersOf(args: Record<string, Json>): Record<string, string> {
  const h = args.headers;
  const out: Record<string, string> = {};
  if (h && typeof h === "object" && !Array.isArray(h)) for (const [k, v] of Object.entries(h)) if (v !== null) out[k] = String(v);
  return out;
}

export const BUILTINS: Readonly<Record<string, Builtin>> = {
  /** `time_now() -> string`: the current instant, ISO 8601 in UTC. */
  "std.time.now": async (_args, env) => env.now().toISOString(),
  /** `random_id() -> string`: a random UUID v4 (journaled: a replay or a resume sees the same id). */
  "std.random.uuid": async () => randomUUID(),
  /** `http_get(url, headers) -> HttpResponse`. */
  "std.http.get": (args, env, tool, signal) =>
    rawRequest(env.fetch, tool, "GET", str(args, "url", tool), headersOf(args), undefined, signal),
  /** `http_post(url, body, headers) -> HttpResponse`; the body is sent as given (JSON by default). */
  "std.http.post": (args, env, tool, signal) =>
    rawRequest(env.fetch, tool, "POST", str(args, "url", tool), headersOf(args), str(args, "body", tool), signal),
};

/**
 * Builtins that only read this process (the clock, the random source): they answer at once and
 * cannot hang, so the router calls them without a deadline timer or an abort signal of their own.
 */
export const LOCAL_BUILTINS: ReadonlySet<string> = new Set(["std.time.now", "std.random.uuid"]);

export function builtinNames(): string[] {
  return Object.keys(BUILTINS);
}
