// Graph analysis (DESIGN §2): names and shapes of edges, reachability, dead ends, bounded cycles,
// parallel write conflicts, `!` on fields nothing writes, and the graph's return.
//
// Rules chosen here (see graph-model.ts for the execution model):
// - Ends are explicit: a node with no outgoing edge is an error (AWR4012, with a fix inserting
//   `edge x -> end`). A source whose `when` edges can all be false (a spent `max` edge counts as
//   false) and that has no `otherwise` or unconditional edge gets a warning (AWR4013), unless the
//   prover (exclusive.ts) shows the conditions exhaustive under the declared types (every enum
//   member, `ok` / `!ok`, `x < 0.6` / `x >= 0.6`).
// - AWR4002 is reported for a node from which no path reaches `end` (nor a node without edges,
//   already AWR4012), i.e. every path stays in a loop; once the loop's `max` is spent the run would
//   stop silently.
// - Two nodes conflict (AWR4004) when some superstep can have both ready (see `supersteps`, which
//   knows exclusive conditions) and both write the same state field whose reducer is `replace`.
// - Reachability (AWR4001) honours joins: a join whose sources never all finish in one run never fires.
// - When an edge names an unknown node or is malformed, AWR4001/AWR4002 are not reported for the
//   graph: they would mostly repeat that error.
import type { Diagnostic, FixData, Related } from "../diagnostics/diagnostic.js";
import { diag } from "../diagnostics/diagnostic.js";
import { closest } from "../diagnostics/suggest.js";
import type { Program } from "../semantic/program.js";
import type { EdgeDecl, Expr, Field, GraphDecl, Ident, NodeDecl, Span } from "../syntax/ast.js";
import { fieldReducer, graphEdges, graphNodes, graphReturn, graphState, writeTarget } from "../syntax/ast.js";
export { fieldReducer, type Reducer } from "../syntax/ast.js";
import { enumEqualityOnly, exhaustive, graphConditions, type ConditionContext } from "./exclusive.js";
import { nameValue, walkExpr } from "./expr.js";
import {
  END,
  START,
  buildGraphModel,
  concurrentPairs,
  edgeMax,
  reachableFrom,
  reachableNodes,
  successors,
  supersteps,
  type GraphModel,
  type Supersteps,
} from "./graph-model.js";

/** The state fields a node writes (`run/map/await ... -> f`, `set f = ...`), each with its first write. */
export function nodeWrites(node: NodeDecl): Map<string, Ident> {
  const writes = new Map<string, Ident>();
  for (const s of node.stmts) {
    const target = writeTarget(s);
    if (target?.name && !writes.has(target.name)) writes.set(target.name, target);
  }
  return writes;
}

/** The graph checks of DESIGN §2 (AWR4001–AWR4013), unsorted; an unreadable graph yields fewer, never a throw. */
export function analyzeGraph(program: Program, file: string, graph: GraphDecl): Diagnostic[] {
  const out: Diagnostic[] = [];
  const model = buildGraphModel(graph);
  checkNodeNames(file, graph, out);
  const unknownTargets = checkNodeBodies(file, model, out);
  const unknownNames = checkEdges(file, model, out) || unknownTargets;
  checkCycles(file, model, out);
  const conditions = graphConditions(program, file, graph);
  const steps = supersteps(model, { conditions });
  // Read only when a fix needs an indent: reading the module's text makes the analysis depend on
  // the whole file, so the incremental session could not reuse it after an edit elsewhere in it.
  const text = () => program.modules.get(file)?.lines.text ?? "";
  checkEnds(file, model, text, out);
  checkOpenConditions(file, model, graphConditions(program, file, graph, "declared"), text, out);
  if (!unknownNames) checkReachability(file, model, steps, out);
  checkWriteConflicts(file, model, steps, out);
  checkUnwrittenFields(file, graph, out);
  if (graph.returns && !graphReturn(graph))
    out.push(
      diag("AWR4008", file, graph.name.span, `graph "${graph.name.name}" declares a return type but has no \`return\``),
    );
  return out;
}

function checkNodeNames(file: string, graph: GraphDecl, out: Diagnostic[]): void {
  const first = new Map<string, NodeDecl>();
  for (const n of graphNodes(graph)) {
    const name = n.name.name;
    if (!name) continue;
    if (name === START || name === END) {
      out.push(diag("AWR4011", file, n.name.span, `"${name}" is a reserved node name: \`start\` and \`end\` are implicit in every graph`));
      continue;
    }
    const prev = first.get(name);
    if (prev)
      out.push(
        diag("AWR4011", file, n.name.span, `node "${name}" is declared twice in graph "${graph.name.name}"`, {
          related: [{ file, span: prev.name.span, message: "first declared here" }],
        }),
      );
    else first.set(name, n);
  }
}

/** Returns whether some `on error` names an unknown node. */
function checkNodeBodies(file: string, model: GraphModel, out: Diagnostic[]): boolean {
  const names = nodeNames(model);
  let unknown = false;
  for (const node of model.nodes.values()) {
    const seen = new Map<string, Span>();
    for (const s of node.stmts) {
      if (s.kind === "Retry" || s.kind === "Timeout" || s.kind === "OnError") {
        const word = s.kind === "Retry" ? "retry" : s.kind === "Timeout" ? "timeout" : "on error";
        const prev = seen.get(word);
        if (prev)
          out.push(
            diag("AWR4009", file, s.span, `node "${node.name.name}" has more than one "${word}"`, {
              related: [{ file, span: prev, message: "first one here" }],
            }),
          );
        else seen.set(word, s.span);
      }
      if (s.kind === "OnError") {
        const t = s.target.name;
        if (!t) continue;
        if (t === START) out.push(diag("AWR4006", file, s.target.span, "`on error` cannot route to `start`"));
        else if (!names.includes(t)) {
          unknown = true;
          out.push(unknownNode(file, s.target, names));
        }
      }
    }
  }
  return unknown;
}

function nodeNames(model: GraphModel): string[] {
  return [START, ...model.nodes.keys(), END];
}

function unknownNode(file: string, id: Ident, names: string[]): Diagnostic {
  const guess = closest(id.name, names);
  return diag("AWR4010", file, id.span, `unknown node "${id.name}"${guess ? `; did you mean "${guess}"?` : ""}`, {
    fixes: guess ? [{ kind: "replace", span: id.span, text: guess, title: `Change to "${guess}"` }] : [],
  });
}


/**
 * Returns whether some edge is unusable (an unknown node, a malformed or half-written edge): the
 * graph model then lacks it, so reachability findings would be noise.
 */
function checkEdges(file: string, model: GraphModel, out: Diagnostic[]): boolean {
  const names = nodeNames(model);
  let unknown = false;
  const otherwiseOf = new Map<string, EdgeDecl>();
  for (const e of graphEdges(model.graph)) {
    if (e.recovered || e.from.length === 0 || e.to.length === 0 || [...e.from, ...e.to].some((i) => !i.name)) unknown = true;
    const before = out.length;
    for (const list of [e.from, e.to]) {
      const seen = new Set<string>();
      for (const id of list) {
        if (!id.name) continue;
        if (!names.includes(id.name)) {
          unknown = true;
          out.push(unknownNode(file, id, names));
        } else if (seen.has(id.name)) out.push(diag("AWR4006", file, id.span, `"${id.name}" is listed twice in this edge`));
        seen.add(id.name);
      }
    }
    for (const id of e.from)
      if (id.name === END) out.push(diag("AWR4006", file, id.span, "no edge can leave `end`: it is the sink of the graph"));
    for (const id of e.to)
      if (id.name === START) out.push(diag("AWR4006", file, id.span, "no edge can enter `start`: it is where the graph begins"));
    if (e.from.length > 1)
      for (const id of e.from)
        if (id.name === START) out.push(diag("AWR4006", file, id.span, "`start` cannot be part of a join"));
    if (e.max && edgeMax(e.max) === undefined)
      out.push(diag("AWR4006", file, e.max.span, "`max` needs a positive integer literal (how many times the edge can be taken)"));
    if (out.length > before) unknown = true;
    if (e.otherwise && !e.when) {
      const key = [...e.from.map((i) => i.name)].sort().join(",");
      const prev = otherwiseOf.get(key);
      if (prev)
        out.push(
          diag("AWR4007", file, e.span, `more than one \`otherwise\` edge leaves ${sourceText(e)}: at most one is allowed per source`, {
            related: [{ file, span: prev.span, message: "the first `otherwise` edge" }],
          }),
        );
      else otherwiseOf.set(key, e);
    }
  }
  return unknown;
}

function sourceText(e: EdgeDecl): string {
  const names = e.from.map((i) => `"${i.name}"`);
  return names.length === 1 ? names[0]! : `[${e.from.map((i) => i.name).join(", ")}]`;
}

/** AWR4012: every node needs an outgoing edge (an `on error` route is not one). */
function checkEnds(file: string, model: GraphModel, text: () => string, out: Diagnostic[]): void {
  const sources = new Set(graphEdges(model.graph).flatMap((e) => e.from.map((i) => i.name)));
  for (const [name, node] of model.nodes) {
    if (sources.has(name)) continue;
    const indent = indentAt(text(), node.span.start);
    out.push(
      diag("AWR4012", file, node.name.span, `node "${name}" has no outgoing edge: say where the run goes after it, e.g. \`edge ${name} -> end\``, {
        fixes: [{ kind: "insert", offset: node.span.end, text: `\n${indent}edge ${name} -> end`, title: `Add \`edge ${name} -> end\`` }],
      }),
    );
  }
}

/** AWR4013: `when` edges that can all be false, with nothing to take then. */
function checkOpenConditions(file: string, model: GraphModel, conditions: ConditionContext, text: () => string, out: Diagnostic[]): void {
  for (const g of model.groups) {
    const whens = g.edges.filter((e) => e.kind === "when");
    if (!whens.length || g.edges.some((e) => e.kind !== "when")) continue;
    const open = whens.filter((e) => !e.bounded);
    if (open.length && exhaustive(open.map((e) => e.decl.when!), conditions)) continue;
    // `x == member` edges over an enum, literal union or bool are the checker's (AWR3005)
    if (g.from.length === 1 && whens.every((e) => !e.bounded) && enumEqualityOnly(open.map((e) => e.decl.when!), conditions)) continue;
    const last = whens[whens.length - 1]!.decl;
    const from = g.from.length === 1 ? g.from[0]! : `[${g.from.join(", ")}]`;
    const spent = whens.some((e) => e.bounded) ? " (an edge whose `max` is spent counts as false)" : "";
    out.push(
      diag(
        "AWR4013",
        file,
        last.span,
        `the conditions of the edges leaving ${g.from.length === 1 ? `"${from}"` : from} can all be false${spent}, and no \`otherwise\` edge leaves it: the branch would stop there. Add \`edge ${from} -> end otherwise\` or cover every case`,
        { fixes: [{ kind: "insert", offset: last.span.end, text: `\n${indentAt(text(), last.span.start)}edge ${from} -> end otherwise`, title: "Add an `otherwise` edge to `end`" }] },
      ),
    );
  }
}

/** The whitespace before `offset` on its line (what an inserted line is indented by). */
function indentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset))?.[0] ?? "";
}

function checkCycles(file: string, model: GraphModel, out: Diagnostic[]): void {
  // depth-first over edges without `max` (and `on error` routes, which cannot carry one):
  // every back edge closes a cycle nothing bounds
  type Step = { to: string; edge?: EdgeDecl; onError?: Span };
  const adj = new Map<string, Step[]>(nodeNames(model).map((n) => [n, []]));
  for (const e of model.edges) {
    if (e.bounded) continue;
    for (const a of e.from) for (const b of e.to) adj.get(a)!.push({ to: b, edge: e.decl });
  }
  for (const [a, b] of model.onError) {
    const stmt = model.nodes.get(a)!.stmts.find((s) => s.kind === "OnError");
    adj.get(a)!.push({ to: b, onError: stmt?.span ?? model.nodes.get(a)!.name.span });
  }
  const state = new Map<string, "open" | "done">();
  const path: { node: string; via?: Step }[] = [];
  const reported = new Set<EdgeDecl | Span>();
  const visit = (n: string, via?: Step) => {
    state.set(n, "open");
    path.push({ node: n, via });
    for (const step of adj.get(n)!) {
      const s = state.get(step.to);
      if (s === "open") reportCycle(step, path.slice(path.findIndex((p) => p.node === step.to)));
      else if (!s) visit(step.to, step);
    }
    path.pop();
    state.set(n, "done");
  };
  const reportCycle = (closing: Step, loop: { node: string; via?: Step }[]) => {
    const key = closing.edge ?? closing.onError!;
    if (reported.has(key)) return;
    reported.add(key);
    const names = [...loop.map((p) => p.node), loop[0]!.node].join(" → ");
    // the fix bounds the closing edge, or when that is an `on error` route, the first edge of the loop
    const edges = [closing.edge, ...loop.slice(1).map((p) => p.via?.edge)].filter((e): e is EdgeDecl => !!e);
    const target = edges[0];
    const fixes: FixData[] = target
      ? [{ kind: "insert", offset: target.span.end, text: " max 3", title: "Bound the cycle with `max 3`" }]
      : [];
    const span = closing.edge?.span ?? closing.onError!;
    out.push(
      diag("AWR4003", file, span, `the cycle ${names} has no bound: add \`max N\` to one of its edges (e.g. this one)`, { fixes }),
    );
  };
  for (const n of nodeNames(model)) if (!state.has(n)) visit(n);
}

function checkReachability(file: string, model: GraphModel, steps: Supersteps, out: Diagnostic[]): void {
  const roughly = reachableNodes(model);
  const ran = steps.complete ? steps.ran : roughly;
  const leavesStart = model.edges.some((e) => e.from.includes(START));
  for (const [name, node] of model.nodes) {
    if (ran.has(name)) continue;
    const why = !leavesStart
      ? " (no edge leaves `start`)"
      : roughly.has(name)
        ? ": it waits on a join whose sources never all finish in one run (they are on exclusive branches)"
        : "";
    out.push(diag("AWR4001", file, node.name.span, `node "${name}" can never run${why}`));
  }
  // exits: `end` and terminal nodes (no outgoing edge); a node that reaches none of them only loops
  const succ = successors(model);
  const exits = [END, ...[...model.nodes.keys()].filter((n) => succ.get(n)!.length === 0)];
  const pred = new Map<string, string[]>([...succ.keys()].map((n) => [n, []]));
  for (const [a, bs] of succ) for (const b of bs) pred.get(b)!.push(a);
  const canExit = reachableFrom(pred, exits);
  for (const [name, node] of model.nodes) {
    if (canExit.has(name) || !ran.has(name)) continue;
    const trap = [...reachableFrom(succ, [name])].filter((n) => n !== name);
    const loop = trap.length ? `; from it the run can only go to ${trap.map((n) => `"${n}"`).join(", ")}` : "";
    out.push(
      diag(
        "AWR4002",
        file,
        node.name.span,
        `node "${name}" cannot reach \`end\`: every path from it stays in a loop${loop}, so the run stops when the loop's \`max\` is spent. Add an edge out of the loop (e.g. \`edge ${name} -> end otherwise\`)`,
      ),
    );
  }
}

function checkWriteConflicts(file: string, model: GraphModel, steps: Supersteps, out: Diagnostic[]): void {
  const state = new Map(graphState(model.graph).map((f) => [f.name.name, f]));
  const writes = new Map([...model.nodes].map(([n, d]) => [n, nodeWrites(d)]));
  const order = [...model.nodes.keys()];
  const pairs = concurrentPairs(steps, model);
  const together = (a: string, b: string) => pairs.has(a < b ? `${a}|${b}` : `${b}|${a}`);
  // one finding per later writer, naming every earlier node it can race with
  order.forEach((b, i) => {
    for (const [field, id] of writes.get(b)!) {
      const f = state.get(field);
      if (!f || fieldReducer(f) !== "replace") continue;
      const partners = order.slice(0, i).filter((a) => writes.get(a)!.has(field) && together(a, b));
      if (!partners.length) continue;
      const related: Related[] = [
        ...partners.map((a) => ({ file, span: writes.get(a)!.get(field)!.span, message: `"${a}" writes "${field}" here` })),
        { file, span: f.name.span, message: `"${field}" is declared here (reducer: replace)` },
      ];
      const who = [...partners, b].map((n) => `"${n}"`);
      const nodes = who.length === 2 ? `${who[0]} and ${who[1]}` : `${who.slice(0, -1).join(", ")} and ${who.at(-1)}`;
      out.push(
        diag(
          "AWR4004",
          file,
          id.span,
          `nodes ${nodes} can run in the same superstep and ${who.length === 2 ? "both" : "all"} write "${field}", whose reducer is \`replace\`: make their edges exclusive (\`when\` / \`otherwise\`) or give "${field}" a reducer such as @reduce(append)`,
          { related },
        ),
      );
    }
  });
}

function checkUnwrittenFields(file: string, graph: GraphDecl, out: Diagnostic[]): void {
  const written = new Set<string>();
  for (const n of graphNodes(graph)) for (const f of nodeWrites(n).keys()) written.add(f);
  const suspect = new Map<string, Field>();
  for (const f of graphState(graph)) {
    const hasDefault = f.default && f.default.kind !== "Null";
    if (!written.has(f.name.name) && !hasDefault) suspect.set(f.name.name, f);
  }
  if (suspect.size === 0) return;
  const params = new Set(graph.params.map((p) => p.name.name));
  const check = (e: Expr | undefined, shadow: Set<string>) =>
    walkExpr(e, (x) => {
      if (x.kind !== "NonNull") return;
      const name = nameValue(x.expr);
      if (!name || shadow.has(name) || params.has(name)) return;
      const f = suspect.get(name);
      if (f)
        out.push(
          diag("AWR4005", file, x.span, `\`${name}!\` asserts a value, but no node writes state field "${name}" and it has no default`, {
            related: [{ file, span: f.name.span, message: `"${name}" is declared here` }],
          }),
        );
    });
  const none = new Set<string>();
  for (const m of graph.members) {
    if (m.kind === "Edge") {
      check(m.when, none);
      check(m.max, none);
    } else if (m.kind === "Return") check(m.value, none);
    else if (m.kind === "Node")
      for (const s of m.stmts) {
        if (s.kind === "Run" || s.kind === "Await" || s.kind === "Compensate") check(s.call, none);
        else if (s.kind === "Set") check(s.value, none);
        else if (s.kind === "Retry" || s.kind === "Timeout") check(s.value, none);
        else if (s.kind === "Map") {
          check(s.source, none);
          check(s.concurrency, none);
          check(s.call, new Set([s.variable.name]));
        }
      }
  }
}
