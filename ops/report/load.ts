// Reading what the reports need from a store: runs in a time range, their plans (blobs), their calls.
// Through the store port (vm/ports/store.ts): one effect per report, run once.
import { Effect } from "effect";
import { decodePlan, type Plan } from "../../compiler/plan/index.js";
import type { LoadedRun, RunStore } from "../../vm/types.js";
import { callNames, callsOfRun, type CallRecord } from "./calls.js";

type PlanCache = Map<string, { plan: Plan | undefined; names: Map<string, string> }>;

/** Decodes plans by blob hash, once each; a missing or unreadable plan is `undefined` (reports still work, callers go unnamed). */
export function planLoader(store: RunStore): (planHash: string) => Promise<Plan | undefined> {
  const cache: PlanCache = new Map();
  return (hash) => Effect.runPromise(entry(cache, store, hash)).then((e) => e.plan);
}

function entry(cache: PlanCache, store: RunStore, hash: string): Effect.Effect<{ plan: Plan | undefined; names: Map<string, string> }> {
  const known = cache.get(hash);
  if (known) return Effect.succeed(known);
  return store.log.getBlob(hash).pipe(
    Effect.map((bytes) => {
      let plan: Plan | undefined;
      try {
        plan = bytes ? decodePlan(bytes) : undefined;
      } catch {
        plan = undefined;
      }
      const e = { plan, names: callNames(plan) };
      cache.set(hash, e);
      return e;
    }),
    // An unreadable blob is a plan the report goes without, as a missing one.
    Effect.catch(() => {
      const e = { plan: undefined, names: callNames(undefined) };
      cache.set(hash, e);
      return Effect.succeed(e);
    }),
  );
}

/**
 * The calls of the runs that may have calls in [since, until]: runs created at or before `until`
 * and updated at or after `since` (a run resumed today has today's calls even if it started last
 * week). `costReport` then keeps the calls whose own time is in the range.
 */
export function callsInRange(store: RunStore, range: { since?: number | null; until?: number | null; runId?: string }): Promise<{ calls: CallRecord[]; runs: number }> {
  const cache: PlanCache = new Map();
  const runs: Effect.Effect<LoadedRun[], unknown> =
    range.runId !== undefined
      ? store.log.load(range.runId).pipe(Effect.map((one) => (one ? [one] : [])))
      : store.queries.list(range.until == null ? {} : { until: range.until }).pipe(
          Effect.flatMap((records) =>
            Effect.forEach(
              records.filter((r) => (range.since == null || r.updatedAt >= range.since) && (range.until == null || r.createdAt <= range.until)),
              (r) => store.log.load(r.runId),
            ),
          ),
          Effect.map((loaded) => loaded.filter((r): r is LoadedRun => r !== undefined)),
        );
  return Effect.runPromise(
    runs.pipe(
      Effect.flatMap((loaded) =>
        Effect.forEach(loaded, (run) => entry(cache, store, run.snapshot.planHash).pipe(Effect.map((e) => callsOfRun(run, e.plan, e.names)))).pipe(
          Effect.map((per) => ({ calls: per.flat(), runs: loaded.length })),
        ),
      ),
    ),
  );
}
