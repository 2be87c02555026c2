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
// - `end` is a sink. A run completes when no node is ready: a node with no edge to take simply
//   finishes its branch (it is a terminal node, like a node with an edge to `end`).
import type { EdgeDecl, Expr, GraphDecl, NodeDecl } from "../syntax/ast.js";
import { graphEdges, graphNodes, graphState } from "../syntax/ast.js";
import { printExpr, sameExpr } from "./expr.js";

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

/** Successors along edges (each source to each target), optionally with `on error` routes. */
export function successors(model: GraphModel, opts: { onError?: boolean; unboundedOnly?: boolean } = {}): Map<string, string[]> {
  const succ = new Map<string, string[]>();
  for (const n of [START, ...model.nodes.keys(), END]) succ.set(n, []);
  const add = (a: string, b: string) => {
    const list = succ.get(a)!;
    if (!list.includes(b)) list.push(b);
  };
  for (const e of model.edges) {
    if (opts.unboundedOnly && e.bounded) continue;
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
  /** Whether two `when` conditions of one group can never hold together (default: `exclusiveConditions`
   * with the graph's parameters and state fields as locals). */
  exclusive?: (a: Expr, b: Expr) => boolean;
}

/**
 * Explores the supersteps a run can go through, abstracting away conditions (any `when` may hold),
 * `max` counters (a bounded edge may or may not still be available) and failures (a node with
 * `on error` may fail). The abstract state is the ready set plus the pending join arrivals, so the
 * exploration is finite; it over-approximates what runs can do, except that mutually exclusive
 * conditions (a `when`/`otherwise` pair, `c` / `!c`, `x == A` / `x == B`) never fire together.
 */
export function supersteps(model: GraphModel, options: SuperstepOptions = {}): Supersteps {
  const limit = options.limit ?? 20000;
  const locals = new Set([...model.graph.params, ...graphState(model.graph)].map((f) => f.name.name));
  const exclusive = options.exclusive ?? ((a: Expr, b: Expr) => exclusiveConditions(a, b, locals));
  const alternatives = model.groups.map((g) => groupAlternatives(g, exclusive));
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
        const r = new Set(ready);
        for (const targets of choice) for (const t of targets) for (const n of t) r.add(n);
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

/** The target sets one firing of a group can produce. */
function groupAlternatives(g: EdgeGroup, exclusive: (a: Expr, b: Expr) => boolean): string[][][] {
  const always = g.edges.filter((e) => e.kind === "always");
  const whens = g.edges.filter((e) => e.kind === "when").slice(0, 12);
  const otherwise = g.edges.filter((e) => e.kind === "otherwise");
  const out = new Map<string, string[][]>();
  for (let mask = 0; mask < 1 << whens.length; mask++) {
    const chosen = whens.filter((_, i) => mask & (1 << i));
    if (chosen.some((a, i) => chosen.slice(i + 1).some((b) => exclusive(a.decl.when!, b.decl.when!)))) continue;
    const fixed = [...always.filter((e) => !e.bounded), ...chosen];
    const optional = [...always.filter((e) => e.bounded), ...(chosen.length === 0 ? otherwise : [])];
    // a bounded edge may be spent; an unbounded `otherwise` always fires when no `when` does
    const mustOtherwise = chosen.length === 0 ? otherwise.filter((e) => !e.bounded) : [];
    const optionalOnly = optional.filter((e) => !mustOtherwise.includes(e));
    for (let m = 0; m < 1 << Math.min(optionalOnly.length, 10); m++) {
      const edges = [...fixed, ...mustOtherwise, ...optionalOnly.filter((_, i) => m & (1 << i))];
      const targets = edges.map((e) => e.to);
      out.set(targets.map((t) => t.join(",")).sort().join(";"), targets);
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
 * Two conditions that can never both hold: `c` and `!c`, or `x == A` and `x == B` for distinct
 * literals (or distinct bare names, read as enum members unless `locals` holds them).
 */
export function exclusiveConditions(a: Expr, b: Expr, locals: ReadonlySet<string> = new Set()): boolean {
  if (a.kind === "Unary" && a.op === "!" && sameExpr(a.operand, b)) return true;
  if (b.kind === "Unary" && b.op === "!" && sameExpr(b.operand, a)) return true;
  if (a.kind === "Binary" && b.kind === "Binary" && a.op === "==" && b.op === "==" && sameExpr(a.left, b.left)) {
    const lit = (e: Expr) =>
      e.kind === "String" || e.kind === "Number" || e.kind === "Bool" || e.kind === "Null" || (e.kind === "Name" && !locals.has(e.name));
    return lit(a.right) && lit(b.right) && printExpr(a.right) !== printExpr(b.right);
  }
  return false;
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
 */
export function maxRuns(model: GraphModel): Map<string, number> {
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
  for (let round = 0; round < 100000; round++) {
    let changed = false;
    for (const n of names) {
      if (forced.has(n)) continue;
      let total = 0;
      for (const e of incoming.get(n)!) total += fires(e);
      for (const a of handlersOf.get(n)!) total += runs.get(a)!;
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
