// Reading what the reports need from a store: runs in a time range, their plans (blobs), their calls.
import { decodePlan, type Plan } from "../../compiler/plan/index.js";
import type { LoadedRun, RunStore } from "../../vm/types.js";
import { callNames, callsOfRun, type CallRecord } from "./calls.js";

/** Decodes plans by blob hash, once each; a missing or unreadable plan is `undefined` (reports still work, callers go unnamed). */
export function planLoader(store: RunStore): (planHash: string) => Plan | undefined {
  const cache = new Map<string, { plan: Plan | undefined; names: Map<string, string> }>();
  return (hash) => entry(cache, store, hash).plan;
}

function entry(cache: Map<string, { plan: Plan | undefined; names: Map<string, string> }>, store: RunStore, hash: string) {
  let e = cache.get(hash);
  if (!e) {
    let plan: Plan | undefined;
    try {
      const bytes = store.getBlob(hash);
      plan = bytes ? decodePlan(bytes) : undefined;
    } catch {
      plan = undefined;
    }
    e = { plan, names: callNames(plan) };
    cache.set(hash, e);
  }
  return e;
}

/**
 * The calls of the runs that may have calls in [since, until]: runs created at or before `until`
 * and updated at or after `since` (a run resumed today has today's calls even if it started last
 * week). `costReport` then keeps the calls whose own time is in the range.
 */
export function callsInRange(store: RunStore, range: { since?: number | null; until?: number | null; runId?: string }): { calls: CallRecord[]; runs: number } {
  const cache = new Map<string, { plan: Plan | undefined; names: Map<string, string> }>();
  let runs: LoadedRun[];
  if (range.runId !== undefined) {
    const one = store.load(range.runId);
    runs = one ? [one] : [];
  } else {
    const records = store.list(range.until == null ? {} : { until: range.until });
    runs = records
      .filter((r) => (range.since == null || r.updatedAt >= range.since) && (range.until == null || r.createdAt <= range.until))
      .map((r) => store.load(r.runId))
      .filter((r): r is LoadedRun => r !== undefined);
  }
  const calls: CallRecord[] = [];
  for (const run of runs) {
    const e = entry(cache, store, run.snapshot.planHash);
    calls.push(...callsOfRun(run, e.plan, e.names));
  }
  return { calls, runs: runs.length };
}
