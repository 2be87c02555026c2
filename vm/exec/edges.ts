// Edges: which nodes a superstep makes ready. Edges are grouped by their source set (a group with
// several sources is a join, which fires once all of them finished); in a group, every edge whose
// condition holds is taken, `otherwise` edges only when none held, each within its `max` bound.
import type { Scope } from "../expr.js";
import { evaluate } from "../expr.js";
import type { Edge } from "./types.js";

/** What firing edges reads and updates: the groups, the joins' arrivals so far, the edges' use counts. */
export interface EdgeState {
  groups: Map<string, Edge[]>;
  /** The sources of each join that have finished so far. */
  arrived: Map<string, Set<string>>;
  /** Times each bounded edge was taken. */
  taken: Map<string, number>;
}

/** The nodes made ready when `finishedNodes` finished (conditions evaluated in `scope`). */
export function fire({ groups, arrived, taken }: EdgeState, finishedNodes: string[], scope: Scope): string[] {
  const out: string[] = [];
  // Only the groups a finished node is a source of, in declaration order.
  const touched = new Set(finishedNodes.flatMap((n) => groupsBySource(groups).get(n) ?? []));
  for (const key of groups.keys()) {
    if (!touched.has(key)) continue;
    const edges = groups.get(key)!;
    const from = edges[0]!.from;
    const hits = finishedNodes.filter((n) => from.includes(n));
    const seen = arrived.get(key) ?? new Set<string>();
    hits.forEach((h) => seen.add(h));
    if (!from.every((f) => seen.has(f))) {
      arrived.set(key, seen);
      continue;
    }
    arrived.delete(key);
    const canTake = (e: Edge) => e.max === null || (taken.get(e.id) ?? 0) < e.max;
    const take = (e: Edge) => {
      taken.set(e.id, (taken.get(e.id) ?? 0) + 1);
      out.push(...e.to);
    };
    let anyWhen = false;
    for (const e of edges) {
      if (e.otherwise) continue;
      if (!e.when) {
        if (canTake(e)) take(e);
        continue;
      }
      let hold = false;
      try {
        hold = evaluate(e.when, scope) === true;
      } catch {
        hold = false; // a condition that cannot be evaluated (a missing value) does not hold
      }
      if (hold && canTake(e)) {
        anyWhen = true;
        take(e);
      }
    }
    if (!anyWhen) for (const e of edges) if (e.otherwise && canTake(e)) take(e);
  }
  return [...new Set(out)];
}

/** Edges grouped by their (sorted) source set: a group with several sources is a join. */
export function edgeGroups(edges: Edge[]): Map<string, Edge[]> {
  const groups = new Map<string, Edge[]>();
  for (const e of edges) {
    const k = [...e.from].sort().join(",");
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  return groups;
}

const BY_SOURCE = new WeakMap<Map<string, Edge[]>, Map<string, string[]>>();

/** For each node, the keys of the edge groups it is a source of. */
function groupsBySource(groups: Map<string, Edge[]>): Map<string, string[]> {
  let m = BY_SOURCE.get(groups);
  if (!m) {
    m = new Map();
    for (const [key, edges] of groups) for (const n of edges[0]!.from) m.set(n, [...(m.get(n) ?? []), key]);
    BY_SOURCE.set(groups, m);
  }
  return m;
}
