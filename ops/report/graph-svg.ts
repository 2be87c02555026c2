// A run's graph as an SVG for the HTML report: the plan's nodes and edges (a join `edge [a, b] -> c`
// becomes a small junction; a node's `on error -> handler` an error edge), laid out and drawn by the
// shared graph-layout.ts (elkjs; the VS Code graph view uses the same code), nodes coloured by
// outcome through CSS classes. Every name is escaped.
import { exprText, type Plan } from "../../compiler/plan/index.js";
import { layoutGraph, renderGraphSvg, type EdgeKind, type GraphEdgeJson, type GraphJson, type GraphNodeJson } from "./graph-layout.js";
import type { NodeOutcome } from "./trace.js";

type Graph = Plan["graphs"][string];

/**
 * Nodes and edges of a plan graph as drawn: start, the nodes, one junction per join, end; the
 * edges in declaration order, then each node's `on error` edge. Ids: `start`, `end`, `n:NAME`, `join:I`.
 */
export function graphShape(g: Graph, name = ""): GraphJson {
  const nodes: GraphNodeJson[] = [{ id: "start", label: "start", shape: "start" }, ...g.nodes.map((n) => ({ id: `n:${n.name}`, label: n.name, shape: "node" as const }))];
  const id = (name: string) => (name === "start" || name === "end" ? name : `n:${name}`);
  const edges: GraphEdgeJson[] = [];
  let usesEnd = false;
  g.edges.forEach((e, i) => {
    const cond = e.otherwise ? "otherwise" : e.when ? `when ${exprText(e.when)}` : undefined;
    const label = [cond, e.max !== null ? `max ${e.max}` : undefined].filter(Boolean).join(", ") || undefined;
    const kind: EdgeKind = e.max !== null ? "loop" : cond ? "conditional" : "normal";
    let from = id(e.from[0]!);
    if (e.from.length > 1) {
      from = `join:${i}`;
      nodes.push({ id: from, label: `join of ${e.from.join(", ")}`, shape: "join" });
      for (const f of e.from) edges.push({ from: id(f), to: from, kind: "normal" });
    }
    for (const t of e.to) {
      if (t === "end") usesEnd = true;
      edges.push({ from, to: id(t), kind, ...(label ? { label } : {}), ...(e.to.length > 1 ? { fanOut: true } : {}) });
    }
  });
  for (const n of g.nodes) {
    if (n.on_error === null) continue;
    if (n.on_error === "end") usesEnd = true;
    edges.push({ from: id(n.name), to: id(n.on_error), kind: "error", label: "on error" });
  }
  if (usesEnd || !g.edges.length) nodes.push({ id: "end", label: "end", shape: "end" });
  return { name, nodes, edges };
}

const OUTCOME_TEXT: Record<NodeOutcome, string> = { ok: "ok", failed: "failed", suspended: "suspended", unfinished: "unfinished", not_run: "not run" };

/**
 * The SVG: `g.node.step.outcome-<ok|failed|suspended|unfinished|not_run>` per plan node (with
 * `data-node` and `data-outcome`), circles for start and end, diamonds for joins, edges as paths
 * (`path.edge.error` for `on error`).
 */
export async function graphSvg(g: Graph, outcomes: Record<string, NodeOutcome>): Promise<string> {
  const l = await layoutGraph(graphShape(g));
  return renderGraphSvg(l, (n) => {
    const outcome = outcomes[n.label] ?? "not_run";
    return { classes: `outcome-${outcome}`, attrs: ` data-outcome="${outcome}" tabindex="0"`, title: `node ${n.label}: ${OUTCOME_TEXT[outcome]}` };
  });
}
