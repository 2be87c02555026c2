// The execution model of a graph, as data other stages can reuse (analysis, cost, export, the VM):
// resolved edges grouped by source set, the reachable supersteps, and how often each node can run.
//
// Semantics (DESIGN §2), as this module reads them:
// - `start` finishes at superstep 0. When a node finishes it "arrives" at every edge group whose
//   source set contains it; a group fires once all of its sources have arrived since it last fired
//   (`edge [b, c] -> d` is a join: it waits for both). Every target of a fired edge is ready in the
//   next superstep, so `edge a -> [b, c]` runs b and c together. A node ready twice in one step runs once.
// - Within a group: unconditional edges always fire; each `when` edge fires when its condition
//   holds (several may); `otherwise` fires when no `when` edge of the group fires. `max N` is a
//   per-run budget: the edge is taken at most N times, then it is skipped.
// - `on error -> h` makes h ready instead when the node fails for good; the node does not arrive at
//   its groups then.
// - `end` is a sink. A run completes when no node is ready: a node with no edge to take (its `when`
//   conditions all false) simply finishes its branch. The compiler requires every node to have an
//   outgoing edge (AWR4012) and warns when conditions can leave none to take (AWR4013).
import type { EdgeDecl, Expr, GraphDecl, NodeDecl } from "../syntax/ast.js";
import { graphEdges, graphNodes, graphState } from "../syntax/ast.js";
import { canHold, exclusive, type ConditionContext, type Constraint } from "./exclusive.js";

export const START = "start";
export const END = "end";

export type EdgeKind = "always" | "when" | "otherwise";

export interface GraphEdge {
  decl: EdgeDecl;
  from: string[];
  to: string[];
  kind: EdgeKind;
  /** The `max N` budget when it is a positive integer literal. */
  max: number | undefined;
  /** The edge carries a `max` clause (even an invalid one: that is reported on its own). */
  bounded: boolean;
  /** Index into `GraphModel.groups`. */
  group: number;
}

/** The edges sharing one source set; `otherwise` is relative to the `when` edges of its group. */
export interface EdgeGroup {
  from: string[];
  edges: GraphEdge[];
}

export interface GraphModel {
  graph: GraphDecl;
  /** User nodes by name, in declaration order (the first declaration of a duplicated name). */
  nodes: Map<string, NodeDecl>;
  /** Edges whose names all resolve and whose shape is valid, in declaration order. */
  edges: GraphEdge[];
  groups: EdgeGroup[];
  /** Node → the node its `on error` routes to (valid targets only). */
  onError: Map<string, string>;
  /** Edges or `on error` routes left out because they name unknown nodes or are malformed. */
  dropped: number;
}

/** A positive integer literal, else undefined. */
export function edgeMax(e: Expr | undefined): number | undefined {
  return e?.kind === "Number" && e.integer && e.value >= 1 ? e.value : undefined;
}

export function buildGraphModel(graph: GraphDecl): GraphModel {
  const nodes = new Map<string, NodeDecl>();
  for (const n of graphNodes(graph)) {
    const name = n.name.name;
    if (name && name !== START && name !== END && !nodes.has(name)) nodes.set(name, n);
  }
  const known = (name: string) => name === START || name === END || nodes.has(name);
  const edges: GraphEdge[] = [];
  const groups: EdgeGroup[] = [];
  const groupIndex = new Map<string, number>();
  let dropped = 0;
  for (const decl of graphEdges(graph)) {
    const from = decl.from.map((i) => i.name);
    const to = decl.to.map((i) => i.name);
    if (!edgeIsWellFormed(from, to, known) || (decl.when && decl.otherwise)) {
      dropped++;
      continue;
    }
    const key = [...from].sort().join(",");
    let group = groupIndex.get(key);
    if (group === undefined) {
      group = groups.length;
      groupIndex.set(key, group);
      groups.push({ from: [...from].sort(), edges: [] });
    }
    const kind: EdgeKind = decl.otherwise ? "otherwise" : decl.when ? "when" : "always";
    const edge: GraphEdge = { decl, from, to, kind, max: edgeMax(decl.max), bounded: decl.max !== undefined, group };
    edges.push(edge);
    groups[group]!.edges.push(edge);
  }
  const onError = new Map<string, string>();
  for (const [name, n] of nodes) {
    for (const s of n.stmts) {
      if (s.kind !== "OnError") continue;
      const t = s.target.name;
      if (t && t !== START && known(t)) {
        if (!onError.has(name)) onError.set(name, t);
      } else dropped++;
    }
  }
  return { graph, nodes, edges, groups, onError, dropped };
}

function edgeIsWellFormed(from: string[], to: string[], known: (n: string) => boolean): boolean {
  if (from.length === 0 || to.length === 0) return false;
  if (![...from, ...to].every((n) => n && known(n))) return false;
  if (from.includes(END) || to.includes(START)) return false;
  if (from.includes(START) && from.length > 1) return false;
  return new Set(from).size === from.length && new Set(to).size === to.length;
}

/** Successors along edges (each source to each target), optionally with `on error` routes; `unboundedOnly`: without the edges a valid `max` bounds. */
export function successors(model: GraphModel, opts: { onError?: boolean; unboundedOnly?: boolean } = {}): Map<string, string[]> {
  const succ = new Map<string, string[]>();
  for (const n of [START, ...model.nodes.keys(), END]) succ.set(n, []);
  const add = (a: string, b: string) => {
    const list = succ.get(a)!;
    if (!list.includes(b)) list.push(b);
  };
  for (const e of model.edges) {
    // an invalid `max` (AWR4006) bounds nothing
    if (opts.unboundedOnly && e.max !== undefined) continue;
    for (const a of e.from) for (const b of e.to) add(a, b);
  }
  if (opts.onError) for (const [a, b] of model.onError) add(a, b);
  return succ;
}

/** Nodes reachable from `roots` in a successor map (roots included). */
export function reachableFrom(succ: Map<string, string[]>, roots: string[]): Set<string> {
  const seen = new Set<string>(roots);
  const stack = [...roots];
  while (stack.length) {
    for (const b of succ.get(stack.pop()!) ?? []) {
      if (!seen.has(b)) {
        seen.add(b);
        stack.push(b);
      }
    }
  }
  return seen;
}

/**
 * Nodes that can run, ignoring conditions but honouring joins: a join fires only if all its sources
 * can run. (Whether they can all have finished in one run is `supersteps`' finer question.)
 */
export function reachableNodes(model: GraphModel): Set<string> {
  const seen = new Set<string>([START]);
  let changed = true;
  while (changed) {
    changed = false;
    const mark = (n: string) => {
      if (!seen.has(n)) {
        seen.add(n);
        changed = true;
      }
    };
    for (const e of model.edges) if (e.from.every((f) => seen.has(f))) e.to.forEach(mark);
    for (const [a, b] of model.onError) if (seen.has(a)) mark(b);
  }
  return seen;
}

// ---------------------------------------------------------------- supersteps

export interface Supersteps {
  /** Every set of nodes that can be ready together in one superstep (names sorted), in discovery order. */
  readySets: string[][];
  /** Nodes that can run at all (start included). */
  ran: Set<string>;
  /** False when the exploration hit its state limit: then `readySets` is only a subset. */
  complete: boolean;
}

export interface SuperstepOptions {
  /** Bound on explored abstract states (default 20000). */
  limit?: number;
  /** How edge conditions are read (default: the graph's parameters and state fields as locals, no
   * domains; `graphConditions` in exclusive.ts adds the declared types). */
  conditions?: ConditionContext;
}

/** The graph's parameters and state fields as locals; nothing known of their values. */
export function plainConditions(model: GraphModel): ConditionContext {
  return { locals: new Set([...model.graph.params, ...graphState(model.graph)].map((f) => f.name.name)) };
}

/**
 * Explores the supersteps a run can go through, abstracting away conditions (any `when` may hold),
 * `max` counters (a bounded edge may or may not still be available) and failures (a node with
 * `on error` may fail). The abstract state is the ready set plus the pending join arrivals, so the
 * exploration is finite; it over-approximates what runs can do, except that conditions the prover
 * (exclusive.ts) shows cannot hold together never fire together: within one group (`x == A` /
 * `x == B`, a `when` and its `otherwise`, exhaustive `when`s leave no room for `otherwise`) and
 * across the groups firing after one superstep (they all read the same state).
 */
export function supersteps(model: GraphModel, options: SuperstepOptions = {}): Supersteps {
  const limit = options.limit ?? 20000;
  const conditions = options.conditions ?? plainConditions(model);
  const alternatives = model.groups.map((g) => groupAlternatives(g, conditions));
  const groupsOf = new Map<string, number[]>();
  model.groups.forEach((g, i) => g.from.forEach((n) => groupsOf.set(n, [...(groupsOf.get(n) ?? []), i])));

  const readySets: string[][] = [];
  const ran = new Set<string>([START]);
  const seen = new Set<string>();
  const queue: { ready: string[]; arrived: string[] }[] = [];
  let complete = true;
  let work = 0;

  const next = (finished: string[], arrived: string[], canFail: boolean) => {
    const failable = canFail ? finished.filter((n) => model.onError.has(n)) : [];
    const masks = 1 << Math.min(failable.length, 12);
    for (let mask = 0; mask < masks; mask++) {
      const failed = new Set(failable.filter((_, i) => mask & (1 << i)));
      const ready = new Set<string>([...failed].map((n) => model.onError.get(n)!));
      const arrivals = new Set(arrived);
      for (const n of finished) {
        if (failed.has(n)) continue;
        for (const g of groupsOf.get(n) ?? []) arrivals.add(`${g}:${n}`);
      }
      const firing = [...new Set([...arrivals].map((a) => Number(a.slice(0, a.indexOf(":")))))].filter((g) =>
        model.groups[g]!.from.every((n) => arrivals.has(`${g}:${n}`)),
      );
      for (const g of firing) for (const n of model.groups[g]!.from) arrivals.delete(`${g}:${n}`);
      for (const choice of product(firing.map((g) => alternatives[g]!))) {
        if (++work > limit * 10) {
          complete = false;
          return;
        }
        // the groups firing together read one state: their guards must hold together
        const guarded = choice.filter((a) => a.guard.length);
        if (guarded.length > 1 && !canHold(guarded.flatMap((a) => a.guard), conditions)) continue;
        const r = new Set(ready);
        for (const alt of choice) for (const t of alt.targets) for (const n of t) r.add(n);
        r.delete(END);
        r.delete(START);
        const state = { ready: [...r].sort(), arrived: [...arrivals].sort() };
        const key = `${state.ready.join(",")}|${state.arrived.join(",")}`;
        if (seen.has(key)) continue;
        if (seen.size >= limit) {
          complete = false;
          return;
        }
        seen.add(key);
        queue.push(state);
      }
    }
  };

  next([START], [], false);
  const readySeen = new Set<string>();
  while (queue.length && complete) {
    const s = queue.shift()!;
    if (s.ready.length === 0) continue;
    const key = s.ready.join(",");
    if (!readySeen.has(key)) {
      readySeen.add(key);
      readySets.push(s.ready);
      s.ready.forEach((n) => ran.add(n));
    }
    next(s.ready, s.arrived, true);
  }
  return { readySets, ran, complete };
}

/** One way a group can fire: the target sets it makes ready, under the constraints of its conditions. */
interface Alternative {
  targets: string[][];
  guard: Constraint[];
}

/** The ways one firing of a group can go (a choice whose conditions cannot hold together is left out). */
function groupAlternatives(g: EdgeGroup, conditions: ConditionContext): Alternative[] {
  const always = g.edges.filter((e) => e.kind === "always");
  const whens = g.edges.filter((e) => e.kind === "when").slice(0, 12);
  const otherwise = g.edges.filter((e) => e.kind === "otherwise");
  const out = new Map<string, Alternative>();
  for (let mask = 0; mask < 1 << whens.length; mask++) {
    const chosen = whens.filter((_, i) => mask & (1 << i));
    if (chosen.some((a, i) => chosen.slice(i + 1).some((b) => exclusive(a.decl.when!, b.decl.when!, conditions)))) continue;
    // a chosen edge's condition holds; an unchosen unbounded one does not (a bounded one may be spent)
    const guard: Constraint[] = [
      ...chosen.map((e) => ({ expr: e.decl.when!, outcome: "T" as const })),
      ...whens.filter((e) => !chosen.includes(e) && !e.bounded).map((e) => ({ expr: e.decl.when!, outcome: "NT" as const })),
    ];
    if (guard.length > 1 && !canHold(guard, conditions)) continue;
    const fixed = [...always.filter((e) => !e.bounded), ...chosen];
    const optional = [...always.filter((e) => e.bounded), ...(chosen.length === 0 ? otherwise : [])];
    // a bounded edge may be spent; an unbounded `otherwise` always fires when no `when` does
    const mustOtherwise = chosen.length === 0 ? otherwise.filter((e) => !e.bounded) : [];
    const optionalOnly = optional.filter((e) => !mustOtherwise.includes(e));
    for (let m = 0; m < 1 << Math.min(optionalOnly.length, 10); m++) {
      const edges = [...fixed, ...mustOtherwise, ...optionalOnly.filter((_, i) => m & (1 << i))];
      const targets = edges.map((e) => e.to);
      const key = `${targets.map((t) => t.join(",")).sort().join(";")}|${guard.map((c) => c.outcome + c.expr.span.start).join(",")}`;
      out.set(key, { targets, guard });
    }
  }
  return [...out.values()];
}

/** Every way to pick one item of each list, lazily (the count can be large). */
function* product<T>(lists: T[][], from = 0): Generator<T[]> {
  if (from === lists.length) {
    yield [];
    return;
  }
  for (const x of lists[from]!) for (const rest of product(lists, from + 1)) yield [x, ...rest];
}

/**
 * Pairs of distinct nodes that can be ready in one superstep, as `a|b` with a < b. When the
 * exploration was cut short, every pair of nodes neither of which can lead to the other is added
 * too (coarser: it ignores exclusive conditions), so a conflict is never missed.
 */
export function concurrentPairs(steps: Supersteps, model?: GraphModel): Set<string> {
  const pairs = new Set<string>();
  const add = (a: string, b: string) => pairs.add(a < b ? `${a}|${b}` : `${b}|${a}`);
  for (const set of steps.readySets) for (let i = 0; i < set.length; i++) for (let j = i + 1; j < set.length; j++) add(set[i]!, set[j]!);
  if (!steps.complete && model) {
    const succ = successors(model, { onError: true });
    const reach = reachableNodes(model);
    const names = [...model.nodes.keys()].filter((n) => reach.has(n));
    const after = new Map(names.map((n) => [n, reachableFrom(succ, succ.get(n)!)]));
    for (let i = 0; i < names.length; i++)
      for (let j = i + 1; j < names.length; j++) {
        const [a, b] = [names[i]!, names[j]!];
        if (!after.get(a)!.has(b) && !after.get(b)!.has(a)) add(a, b);
      }
  }
  return pairs;
}

// ---------------------------------------------------------------- run counts

/**
 * The most times each node (and `end`) can run in one run; Infinity when a cycle without `max` can
 * repeat it. An edge fires at most `min(max, runs of each source)` times; a node runs at most as
 * often as its incoming edges and `on error` routes fire in total. `max` is a per-run budget, so a
 * loop closed by `max 3` runs its body at most 1 + 3 times however it is entered.
 *
 * Loops without fan-out leave at most once per entry: in a loop region (see `loopRegions`) whose
 * nodes each make at most one node ready per run (one group of their own, single targets, `when`s
 * pairwise exclusive, `otherwise`, `on error`), a run carries one "token"; a token leaves the region
 * once, so the edges out of it fire together at most as often as the region is entered. The exit
 * `edge review -> publish otherwise` of a loop closed by `max 3` fires once, not 4 times.
 */
export function maxRuns(model: GraphModel, conditions: ConditionContext = plainConditions(model)): Map<string, number> {
  const names = [START, ...model.nodes.keys(), END];
  const runs = new Map<string, number>(names.map((n) => [n, n === START ? 1 : 0]));
  const forced = new Set<string>([START]);
  // nodes on a cycle that no `max` bounds repeat without limit
  const reach = reachableNodes(model);
  const unbounded = successors(model, { onError: true, unboundedOnly: true });
  for (const n of names) {
    if (reach.has(n) && reachableFrom(unbounded, unbounded.get(n)!).has(n)) {
      runs.set(n, Infinity);
      forced.add(n);
    }
  }
  const incoming = new Map<string, GraphEdge[]>(names.map((n) => [n, []]));
  for (const e of model.edges) for (const t of e.to) incoming.get(t)!.push(e);
  const handlersOf = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const [a, h] of model.onError) handlersOf.get(h)!.push(a);
  const fires = (e: GraphEdge) => Math.min(e.bounded ? (e.max ?? Infinity) : Infinity, ...e.from.map((f) => runs.get(f)!));
  const regions = loopRegions(model).filter((r) => [...r.nodes].every((n) => isLinear(model, n, conditions)));
  /** How often tokens enter a region: edges from outside (once per target inside) and `on error` routes. */
  const entries = (r: LoopRegion) => {
    let total = 0;
    for (const e of model.edges) {
      const inside = e.to.filter((t) => r.nodes.has(t)).length;
      if (inside && !e.from.some((f) => r.nodes.has(f))) total += fires(e) * inside; // never Infinity × 0
    }
    for (const [a, h] of model.onError) if (!r.nodes.has(a) && r.nodes.has(h)) total += runs.get(a)!;
    return total;
  };
  /** The runs of `t` its incoming transitions allow, those leaving one region capped by its entries. */
  const incomingRuns = (t: string): number => {
    type Transition = { source: string; count: number };
    const transitions: Transition[] = [
      ...incoming.get(t)!.map((e) => ({ source: e.from.length === 1 ? e.from[0]! : "", count: fires(e) })),
      ...handlersOf.get(t)!.map((a) => ({ source: a, count: runs.get(a)! })),
    ];
    const outside = regions.filter((r) => !r.nodes.has(t));
    const bound = (r: LoopRegion, ts: Transition[]): number => {
      const children = outside.filter((c) => c.parent === r);
      let sum = 0;
      const rest = ts.filter((x) => !children.some((c) => c.nodes.has(x.source)));
      for (const x of rest) sum += x.count;
      for (const c of children) sum += bound(c, ts.filter((x) => c.nodes.has(x.source)));
      return Math.min(sum, entries(r));
    };
    const top = outside.filter((r) => !r.parent || !outside.includes(r.parent));
    let total = 0;
    for (const x of transitions) if (!top.some((r) => r.nodes.has(x.source))) total += x.count;
    for (const r of top) total += bound(r, transitions.filter((x) => r.nodes.has(x.source)));
    return total;
  };
  for (let round = 0; round < 100000; round++) {
    let changed = false;
    for (const n of names) {
      if (forced.has(n)) continue;
      const raw = incomingRuns(n);
      const total = Number.isNaN(raw) ? Infinity : raw;
      if (total !== runs.get(n)) {
        runs.set(n, total);
        changed = true;
      }
    }
    if (!changed) return runs;
  }
  // did not settle: whatever still grows is treated as unbounded
  for (const n of names) if (!forced.has(n) && runs.get(n)! > 0) runs.set(n, Infinity);
  return runs;
}

/** A loop of the graph: its nodes, and the loop it is nested in. */
export interface LoopRegion {
  nodes: Set<string>;
  parent: LoopRegion | undefined;
}

/**
 * The loops of a graph, nested (a loop nesting forest): each strongly connected component with a
 * cycle (edges and `on error` routes), then, inside it without the transitions back to its
 * entries (its headers), the loops nested in it.
 */
export function loopRegions(model: GraphModel): LoopRegion[] {
  const succ = successors(model, { onError: true });
  const out: LoopRegion[] = [];
  const visit = (nodes: Set<string>, removed: Set<string>, parent: LoopRegion | undefined, depth: number) => {
    if (depth > 16) return;
    const edge = (a: string, b: string) => nodes.has(b) && !removed.has(`${a}>${b}`);
    for (const comp of sccs([...nodes], (a) => succ.get(a)!.filter((b) => edge(a, b)))) {
      const set = new Set(comp);
      const cyclic = comp.length > 1 || succ.get(comp[0]!)!.some((b) => b === comp[0] && edge(b, b));
      if (!cyclic) continue;
      const region = { nodes: set, parent };
      out.push(region);
      // headers: entered from outside the component
      const headers = new Set(comp.filter((h) => [...succ].some(([a, bs]) => !set.has(a) && bs.includes(h))));
      if (headers.size === 0) continue;
      const inner = new Set(removed);
      for (const a of comp) for (const b of succ.get(a)!) if (headers.has(b) && set.has(b)) inner.add(`${a}>${b}`);
      visit(set, inner, region, depth + 1);
    }
  };
  visit(new Set(model.nodes.keys()), new Set(), undefined, 0);
  return out;
}

/** Strongly connected components (Tarjan), each as a list of nodes. */
function sccs(nodes: string[], next: (n: string) => string[]): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next(v)) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      out.push(comp);
    }
  };
  for (const n of nodes) if (!idx.has(n)) strong(n);
  return out;
}

/**
 * A node whose run makes at most one node ready: it is the only source of the one group it is in,
 * every edge has one target, and at most one edge fires (one unconditional edge alone, or `when`
 * edges the prover shows pairwise exclusive, plus `otherwise`; a spent `max` edge leaves the turn to
 * `otherwise`). A failure routed by `on error` replaces the edges.
 */
function isLinear(model: GraphModel, node: string, conditions: ConditionContext): boolean {
  const groups = model.groups.filter((g) => g.from.includes(node));
  if (groups.length > 1) return false;
  const g = groups[0];
  if (!g) return true;
  if (g.from.length !== 1 || g.edges.some((e) => e.to.length !== 1)) return false;
  const always = g.edges.filter((e) => e.kind === "always");
  if (always.length) return g.edges.length === 1;
  const whens = g.edges.filter((e) => e.kind === "when");
  if (g.edges.filter((e) => e.kind === "otherwise").length > 1) return false;
  return whens.every((a, i) => whens.slice(i + 1).every((b) => exclusive(a.decl.when!, b.decl.when!, conditions)));
}
