// What the run routes answer with: a tenant's run (404 for anyone else's), and the run JSON of
// DESIGN §6 with what §8 adds (planHash, createdAt, updatedAt, cost).
import { Effect } from "effect";
import { callsOfRun } from "../ops/report/calls.js";
import type { LoadedRun } from "../vm/index.js";
import type { Ctx } from "./app.js";
import { ApiError } from "./errors.js";
import { runRow, type RunRow } from "./tables.js";

/** The tenant's run (404 when there is none, or it is another tenant's: the same answer). */
export async function ownRun(ctx: Ctx, tenant: string, runId: string): Promise<RunRow> {
  const [r] = await ctx.db.all("SELECT * FROM server_runs WHERE run_id = ? AND tenant = ?", [runId, tenant]);
  if (!r) throw new ApiError(404, "not_found", `no run ${runId}`);
  return runRow(r);
}

export async function load(ctx: Ctx, runId: string): Promise<LoadedRun | undefined> {
  return Effect.runPromise(ctx.store.log.load(runId));
}

export interface RunJson {
  runId: string;
  status: string;
  output?: unknown;
  error?: unknown;
  pending?: { id: string; kind: string; reason: string }[];
  graph: string;
  deployment: string | null;
  planHash: string;
  createdAt: string;
  updatedAt: string;
  cost: { usd: number; tokens: { input: number; output: number } };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The run JSON; a run whose start has not stored it yet (an instant) reads as running. */
export function runJson(row: RunRow, loaded: LoadedRun | undefined): RunJson {
  if (!loaded) {
    return { runId: row.run_id, status: "running", graph: row.graph, deployment: row.deployment, planHash: row.plan_hash, createdAt: iso(row.created_at), updatedAt: iso(row.created_at), cost: { usd: 0, tokens: { input: 0, output: 0 } } };
  }
  const s = loaded.snapshot;
  const cost = { usd: 0, tokens: { input: 0, output: 0 } };
  for (const c of callsOfRun(loaded)) {
    cost.usd += c.costUsd;
    cost.tokens.input += c.tokens.input;
    cost.tokens.output += c.tokens.output;
  }
  cost.usd = Math.round(cost.usd * 1e6) / 1e6;
  return {
    runId: s.runId,
    status: s.status,
    ...(s.status === "completed" ? { output: s.output } : {}),
    ...(s.error && s.status !== "completed" && s.status !== "suspended" ? { error: s.error } : {}),
    ...(s.status === "suspended" ? { pending: (s.pending ?? []).map((p) => ({ id: p.id, kind: p.kind, reason: p.reason })) } : {}),
    graph: s.graph,
    deployment: row.deployment,
    planHash: s.planHash,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
    cost,
  };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** `?wait=30s` (ms, s, m; a bare number is seconds) in ms, at most `max`. */
export function waitMs(value: string, max: number): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!m) throw new ApiError(422, "invalid_request", `$.query.wait "${value}" is not a duration (e.g. 30s, 500ms, 2m)`, { path: "$.query.wait" });
  return Math.min(max, Math.round(Number(m[1]) * UNITS[m[2] ?? "s"]!));
}

/** `since`: an ISO date or ms since the epoch. */
export function timeParam(value: string, path: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new ApiError(422, "invalid_request", `${path} "${value}" is neither a date nor ms since the epoch`, { path });
  return t;
}

/** Resolves after `ms`, when `wake` is called (subscribe), or when the server closes. */
export function pause(ctx: Ctx, runId: string, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      ctx.closing.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const unsubscribe = ctx.executor.subscribe(runId, done);
    ctx.closing.addEventListener("abort", done);
  });
}
