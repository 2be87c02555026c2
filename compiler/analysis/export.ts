// A graph as a Mermaid flowchart, a Graphviz DOT digraph or JSON for drawing (`awr graph`; the
// editor's preview reads the JSON).
// Output is deterministic: nodes in declaration order, edges in declaration order.
// Shapes: start is a circle, end a double circle, nodes rounded boxes; a join (`edge [b, c] -> d`)
// is drawn as a small junction the sources flow into; the edges of a fan-out (`edge a -> [b, c]`)
// are thick; `otherwise` and `on error` edges are dashed. Labels: `when <condition source text>`,
// `otherwise`, `max N`, `on error`.
import type { EdgeDecl, Expr, GraphDecl } from "../syntax/ast.js";
import { graphEdges, graphNodes } from "../syntax/ast.js";
import { printExpr } from "./expr.js";
import { END, START } from "./graph-model.js";

interface Drawing {
  nodes: { id: string; label: string; shape: "start" | "end" | "node" | "join" }[];
  edges: { from: string; to: string; label: string; style: "plain" | "thick" | "dashed"; kind: EdgeKind; fanOut: boolean }[];
}

/** normal; conditional (`when` / `otherwise`); error (`on error -> handler`); loop (`max N`). */
export type EdgeKind = "normal" | "conditional" | "error" | "loop";

/**
 * The graph for drawing (`awr graph --format json`, read by the VS Code graph view and laid out by
 * ops/report/graph-layout.ts, which declares the same shape). Ids as in the Mermaid export.
 */
export interface GraphExport {
  name: string;
  nodes: { id: string; label: string; shape: "start" | "end" | "node" | "join" }[];
  edges: { from: string; to: string; kind: EdgeKind; label?: string; fanOut?: boolean }[];
}

export function graphToJson(graph: GraphDecl, text?: string): GraphExport {
  const d = draw(graph, text);
  return {
    name: graph.name.name,
    nodes: d.nodes,
    edges: d.edges.map((e) => ({ from: e.from, to: e.to, kind: e.kind, ...(e.label ? { label: e.label } : {}), ...(e.fanOut ? { fanOut: true } : {}) })),
  };
}

/** `text` is the module's source text: condition labels are the conditions as written. */
export function graphToMermaid(graph: GraphDecl, text?: string): string {
  const d = draw(graph, text);
  const lines = ["flowchart TD", `  %% graph ${graph.name.name}`];
  for (const n of d.nodes) {
    const label = mermaidText(n.label);
    if (n.shape === "start") lines.push(`  ${n.id}(("${label}"))`);
    else if (n.shape === "end") lines.push(`  ${n.id}((("${label}")))`);
    else if (n.shape === "join") lines.push(`  ${n.id}{{"${label}"}}`);
    else lines.push(`  ${n.id}("${label}")`);
  }
  for (const e of d.edges) {
    const arrow = e.style === "thick" ? "==>" : e.style === "dashed" ? "-.->" : "-->";
    lines.push(`  ${e.from} ${arrow}${e.label ? `|"${mermaidText(e.label)}"|` : ""} ${e.to}`);
  }
  return lines.join("\n") + "\n";
}

export function graphToDot(graph: GraphDecl, text?: string): string {
  const d = draw(graph, text);
  const lines = [`digraph ${dotString(graph.name.name)} {`, "  rankdir=TB;", '  node [shape=box, style=rounded];'];
  for (const n of d.nodes) {
    const attrs = [`label=${dotString(n.label)}`];
    if (n.shape === "start") attrs.push("shape=circle");
    else if (n.shape === "end") attrs.push("shape=doublecircle");
    else if (n.shape === "join") attrs.push("shape=diamond", "style=filled", 'fillcolor="#dddddd"');
    lines.push(`  ${dotString(n.id)} [${attrs.join(", ")}];`);
  }
  for (const e of d.edges) {
    const attrs: string[] = [];
    if (e.label) attrs.push(`label=${dotString(e.label)}`);
    if (e.style === "thick") attrs.push("penwidth=2");
    if (e.style === "dashed") attrs.push("style=dashed");
    lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)}${attrs.length ? ` [${attrs.join(", ")}]` : ""};`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}

function draw(graph: GraphDecl, text: string | undefined): Drawing {
  const id = (name: string) => (name === START ? "__start" : name === END ? "__end" : `n_${name}`);
  const d: Drawing = { nodes: [{ id: "__start", label: "start", shape: "start" }], edges: [] };
  const seen = new Set<string>([START, END]);
  for (const n of graphNodes(graph)) {
    if (!n.name.name || seen.has(n.name.name)) continue;
    seen.add(n.name.name);
    d.nodes.push({ id: id(n.name.name), label: n.name.name, shape: "node" });
  }
  d.nodes.push({ id: "__end", label: "end", shape: "end" });
  let joins = 0;
  for (const e of graphEdges(graph)) {
    const from = e.from.map((i) => i.name).filter(Boolean);
    const to = e.to.map((i) => i.name).filter(Boolean);
    if (!from.length || !to.length) continue;
    const label = edgeLabel(e, text);
    const style = e.otherwise ? "dashed" : to.length > 1 ? "thick" : "plain";
    const kind: EdgeKind = e.max ? "loop" : e.when || e.otherwise ? "conditional" : "normal";
    let source = id(from[0]!);
    if (from.length > 1) {
      source = `__join${++joins}`;
      d.nodes.push({ id: source, label: "join", shape: "join" });
      for (const f of from) d.edges.push({ from: id(f), to: source, label: "", style: "plain", kind: "normal", fanOut: false });
    }
    for (const t of to) d.edges.push({ from: source, to: id(t), label, style, kind, fanOut: to.length > 1 });
  }
  for (const n of graphNodes(graph))
    for (const s of n.stmts)
      if (s.kind === "OnError" && s.target.name && n.name.name)
        d.edges.push({ from: id(n.name.name), to: id(s.target.name), label: "on error", style: "dashed", kind: "error", fanOut: false });
  return d;
}

function edgeLabel(e: EdgeDecl, text: string | undefined): string {
  const parts: string[] = [];
  if (e.when) parts.push(`when ${sourceOf(e.when, text)}`);
  if (e.otherwise) parts.push("otherwise");
  if (e.max) parts.push(`max ${sourceOf(e.max, text)}`);
  return parts.join(" ");
}

function sourceOf(e: Expr, text: string | undefined): string {
  const raw = text && !e.recovered && e.span.end > e.span.start ? text.slice(e.span.start, e.span.end) : printExpr(e);
  return raw.replace(/\s+/g, " ").trim();
}

/** Mermaid labels in double quotes: quotes and characters Mermaid treats specially become entity codes. */
function mermaidText(s: string): string {
  return s.replace(/[#"<>&]/g, (c) => `#${c.charCodeAt(0)};`);
}

function dotString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}
