// Whether a waiting run can move to another version of its program (DESIGN §8: `awr plans compat
// OLD NEW`, `POST /v1/runs/{id}/migrate`). A run is pinned to the plan it started with; moving it
// is only safe when the new plan would have taken the same path to the same wait:
//
// - its graph is still there;
// - replaying its journal against the new plan (vm/replay.ts: offline, no model, tool or person
//   asked) serves every finished effect at the same step with the same request — the executed
//   step ids and their requests are unchanged — and stops at the same interrupts;
// - what each interrupt waits for (the awaited field's type) is unchanged, so an answer checked
//   against the old plan fits the new one.
//
// Nothing is written: the replay runs on a scratch copy of the run.
import type { Plan } from "../compiler/plan/index.js";
import { answerSchema, describeSchema } from "./operator.js";
import { replayRun } from "./replay.js";
import type { LoadedRun, RunStore } from "./types.js";

export interface CompatReport {
  runId: string;
  graph: string;
  /** True when the run may continue on the new plan. */
  compatible: boolean;
  /** Why not, one sentence each (empty when compatible). */
  problems: string[];
}

/** Checks one loaded run (normally a waiting one) of `oldPlan` against `newPlan`. */
export async function compatOfRun(store: RunStore, loaded: LoadedRun, oldPlan: Plan, newPlan: Plan): Promise<CompatReport> {
  const run = loaded.snapshot;
  const report = (problems: string[]): CompatReport => ({ runId: run.runId, graph: run.graph, compatible: problems.length === 0, problems });
  if (run.status !== "suspended") return report([`the run is ${run.status}, not waiting: only a waiting run moves to another plan`]);
  if (!Object.hasOwn(newPlan.graphs, run.graph)) return report([`the new plan has no graph "${run.graph}"`]);
  const replay = await replayRun(store, run.runId, newPlan, loaded);
  const problems = [...replay.problems];
  if (problems.length) return report(problems);
  const was = new Map((run.pending ?? []).map((p) => [p.id, p]));
  const now = new Map((replay.replayed.pending ?? []).map((p) => [p.id, p]));
  for (const [id, p] of was) {
    const q = now.get(id);
    if (!q) {
      problems.push(`on the new plan the run does not wait at ${id} (${p.kind} "${p.reason}")`);
      continue;
    }
    if (q.kind !== p.kind) problems.push(`${id} waits for ${p.kind} on the old plan and for ${q.kind} on the new one`);
    const before = answerSchema(oldPlan, p);
    const after = answerSchema(newPlan, q);
    if (JSON.stringify(before) !== JSON.stringify(after)) problems.push(`the answer awaited at ${id} changed type (${typeText(before)} → ${typeText(after)})`);
  }
  for (const [id, q] of now) if (!was.has(id)) problems.push(`on the new plan the run also waits at ${id} (${q.kind} "${q.reason}")`);
  return report(problems);
}

const typeText = (s: ReturnType<typeof answerSchema>): string => (s === null ? "any value, not stored" : describeSchema(s));
