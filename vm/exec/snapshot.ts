// Snapshots of a top-level graph (docs/vm.md § Snapshots): where a run's superstep loop stood after
// superstep N — the state, the nodes ready next, each node's run count (journal keys carry it), the
// loop counters of edges, the joins' arrivals, the registered compensations and the failures routed
// to `on error` handlers — stored as a journal entry `graph:NAME/snapshot:N` (vm/keys.ts
// `snapshotKey`). A resume starts from the latest one instead of re-executing the run from its start. `Journal.snapshots` indexes them once per execution.
import type { JournalEntry, Json } from "../types.js";
import type { Journal } from "../journal.js";

export interface Snapshot {
  state: Record<string, Json>;
  ready: string[];
  steps: number;
  runs: [string, number][];
  taken: [string, number][];
  arrived: [string, string[]][];
  undo: { key: string; tool: string; args: Json }[];
  /** The failures `on error` handlers about to run were routed with (absent when none). */
  errors?: [string, Json][];
}

/** The loop's position as a JSON value (maps as sorted pairs, so equal positions are equal JSON). */
export function snapshotOf(at: {
  state: Record<string, Json>;
  ready: string[];
  steps: number;
  runs: Map<string, number>;
  taken: Map<string, number>;
  arrived: Map<string, Set<string>>;
  undo: { key: string; tool: string; args: Json }[];
  errors?: Map<string, Json>;
}): Json {
  const pairs = <V>(m: Map<string, V>): [string, V][] => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const snap: Snapshot = {
    state: at.state,
    ready: [...at.ready],
    steps: at.steps,
    runs: pairs(at.runs),
    taken: pairs(at.taken),
    arrived: pairs(at.arrived).map(([k, v]) => [k, [...v].sort()]),
    undo: at.undo.map((u) => ({ key: u.key, tool: u.tool, args: u.args })),
  };
  if (at.errors?.size) snap.errors = pairs(at.errors);
  return snap as unknown as Json;
}

/** The latest snapshot of `graph` in the journal and when it was written (ms since the epoch). */
export function latestSnapshot(journal: Pick<Journal, "snapshots">, graph: string): { snapshot: Snapshot; at: number } | undefined {
  let best: JournalEntry | undefined;
  let most = -1;
  for (const [steps, e] of journal.snapshots(graph)) if (steps > most) (most = steps), (best = e);
  return best ? { snapshot: best.value as unknown as Snapshot, at: best.at } : undefined;
}
