// The one graph layout of AWR: the run report (ops/report/graph-svg.ts) and the VS Code extension's
// graph view (vscode-extension/src/graph-view.ts, bundled from here) both lay a graph out and draw
// it with this module. Input: a graph export — nodes (start, end, steps, join junctions) and edges
// with a kind (normal, conditional, error for `on error`, loop for `max N`) and a label — as
// `awr graph --format json` prints it (compiler/analysis/export.ts) or as graph-svg.ts derives it
// from a plan. Layout: elkjs's layered algorithm (DESIGN.md §1), edges routed orthogonally, edge
// labels given to ELK as labels so it places them without overlapping each other, nodes or edges.
// Output: positioned nodes, edge polylines and label boxes, and an SVG of them. Pure apart from
// ELK's own computation; every name is escaped.
import ElkBundled from "elkjs/lib/elk.bundled.js";
import type { ELK as ElkApi, ELKConstructorArguments, ElkExtendedEdge, ElkNode } from "elkjs/lib/elk-api.js";
import { escapeHtml } from "./escape.js";

export type NodeShape = "start" | "end" | "join" | "node";
/** normal; conditional (`when` / `otherwise`); error (`on error -> handler`); loop (`max N`). */
export type EdgeKind = "normal" | "conditional" | "error" | "loop";

export interface GraphNodeJson {
  id: string;
  label: string;
  shape: NodeShape;
}

export interface GraphEdgeJson {
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
  /** One of the targets of a fan-out (`edge a -> [b, c]`). */
  fanOut?: boolean;
}

/** A graph as exported for drawing (`awr graph --format json`). */
export interface GraphJson {
  name: string;
  nodes: GraphNodeJson[];
  edges: GraphEdgeJson[];
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface LaidOutNode extends GraphNodeJson, Box {}

export interface LaidOutEdge extends GraphEdgeJson {
  /** The route, source to target (orthogonal segments). */
  points: Point[];
  /** Drawn against the flow (its target sits above its source): a loop closed by `max N`. */
  back: boolean;
  /** Where the label is drawn (when the edge has one). */
  labelBox?: Box;
}

export interface GraphLayout {
  nodes: LaidOutNode[];
  edges: LaidOutEdge[];
  width: number;
  height: number;
}

/** Labels longer than this are cut (the full text is the edge's tooltip). */
export const LABEL_MAX = 40;
const LABEL_HEIGHT = 18;
const MARGIN = 16;

export function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function labelWidth(label: string): number {
  return Math.ceil(clip(label, LABEL_MAX).length * 6.4 + 12);
}

function nodeSize(n: GraphNodeJson): { width: number; height: number } {
  if (n.shape === "start" || n.shape === "end") return { width: 44, height: 44 };
  if (n.shape === "join") return { width: 24, height: 24 };
  return { width: Math.ceil(Math.max(80, clip(n.label, 40).length * 7.6 + 28)), height: 36 };
}

const ROOT_OPTIONS: Record<string, string> = {
  "elk.algorithm": "layered",
  "elk.direction": "DOWN",
  "elk.edgeRouting": "ORTHOGONAL",
  "elk.padding": `[top=${MARGIN},left=${MARGIN},bottom=${MARGIN},right=${MARGIN}]`,
  "elk.spacing.nodeNode": "28",
  "elk.spacing.edgeNode": "16",
  "elk.spacing.edgeEdge": "12",
  "elk.spacing.edgeLabel": "4",
  "elk.layered.spacing.nodeNodeBetweenLayers": "36",
  "elk.layered.spacing.edgeNodeBetweenLayers": "16",
  "elk.layered.spacing.edgeEdgeBetweenLayers": "12",
  // Declaration order decides ties, so a graph is drawn the same way every time.
  "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
  "elk.layered.cycleBreaking.strategy": "DEPTH_FIRST",
  "elk.layered.nodePlacement.strategy": "NETWORK_SIMPLEX",
  "elk.edgeLabels.placement": "CENTER",
};

// elk.bundled.js is CommonJS (`module.exports = ELK`, also as `.default`); its typings declare an ES
// default export, which TypeScript's NodeNext resolution reads as the module object. At run time the
// default import is the constructor itself. It runs in-process (no web worker is asked for).
const ELK = ElkBundled as unknown as new (args?: ELKConstructorArguments) => ElkApi;
let elk: ElkApi | undefined;

/** Lays `g` out (ELK layered, top to bottom: start on the first layer, end on the last). */
export async function layoutGraph(g: Pick<GraphJson, "nodes" | "edges">): Promise<GraphLayout> {
  const known = new Set(g.nodes.map((n) => n.id));
  const edges = g.edges.filter((e) => known.has(e.from) && known.has(e.to));
  const root: ElkNode = {
    id: "__root",
    layoutOptions: ROOT_OPTIONS,
    children: g.nodes.map((n) => ({
      id: n.id,
      ...nodeSize(n),
      ...(n.shape === "start" ? { layoutOptions: { "elk.layered.layering.layerConstraint": "FIRST_SEPARATE" } } : {}),
      ...(n.shape === "end" ? { layoutOptions: { "elk.layered.layering.layerConstraint": "LAST_SEPARATE" } } : {}),
    })),
    edges: edges.map(
      (e, i): ElkExtendedEdge => ({
        id: `e${i}`,
        sources: [e.from],
        targets: [e.to],
        ...(e.label ? { labels: [{ id: `l${i}`, text: e.label, width: labelWidth(e.label), height: LABEL_HEIGHT }] } : {}),
      }),
    ),
  };
  elk ??= new ELK();
  const out = await elk.layout(root);
  const at = new Map((out.children ?? []).map((c) => [c.id, c]));
  const nodes: LaidOutNode[] = g.nodes.map((n) => {
    const c = at.get(n.id)!;
    return { ...n, x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? 0, height: c.height ?? 0 };
  });
  const laid = out.edges ?? [];
  const routed: LaidOutEdge[] = edges.map((e, i) => {
    const r = laid[i]!;
    const points: Point[] = [];
    for (const s of r.sections ?? []) {
      if (!points.length) points.push(s.startPoint);
      points.push(...(s.bendPoints ?? []), s.endPoint);
    }
    const from = at.get(e.from)!;
    const to = at.get(e.to)!;
    const back = e.from === e.to || (to.y ?? 0) < (from.y ?? 0);
    const l = r.labels?.[0];
    const labelBox = e.label && l ? { x: l.x ?? 0, y: l.y ?? 0, width: l.width ?? labelWidth(e.label), height: l.height ?? LABEL_HEIGHT } : undefined;
    return { ...e, points, back, ...(labelBox ? { labelBox } : {}) };
  });
  return { nodes, edges: routed, width: Math.ceil(out.width ?? 0), height: Math.ceil(out.height ?? 0) };
}

/** What a caller adds to a step node: classes, attributes (already escaped) and its tooltip. */
export interface StepDecoration {
  classes?: string;
  attrs?: string;
  title?: string;
}

/** A polyline with slightly rounded corners. */
function path(points: Point[]): string {
  if (points.length === 0) return "";
  const r = 6;
  let d = `M${points[0]!.x},${points[0]!.y}`;
  for (let i = 1; i < points.length; i++) {
    const p = points[i]!;
    const next = points[i + 1];
    if (!next) {
      d += ` L${p.x},${p.y}`;
      break;
    }
    const prev = points[i - 1]!;
    const inLen = Math.hypot(p.x - prev.x, p.y - prev.y);
    const outLen = Math.hypot(next.x - p.x, next.y - p.y);
    const k = Math.min(r, inLen / 2, outLen / 2);
    if (k < 1) {
      d += ` L${p.x},${p.y}`;
      continue;
    }
    const a = { x: p.x - ((p.x - prev.x) / inLen) * k, y: p.y - ((p.y - prev.y) / inLen) * k };
    const b = { x: p.x + ((next.x - p.x) / outLen) * k, y: p.y + ((next.y - p.y) / outLen) * k };
    d += ` L${round(a.x)},${round(a.y)} Q${p.x},${p.y} ${round(b.x)},${round(b.y)}`;
  }
  return d;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * The SVG: `path.edge.<kind>` per edge (plus `back` against the flow, `fan-out`), `g.edge-label`
 * boxes where ELK put them, `g.node.<start|end|join|step>` per node. Colours come from CSS.
 */
export function renderGraphSvg(l: GraphLayout, decorate: (n: LaidOutNode) => StepDecoration = () => ({})): string {
  const at = new Map(l.nodes.map((n) => [n.id, n]));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="awr-graph" role="img" aria-label="graph" width="${l.width}" height="${l.height}" viewBox="0 0 ${l.width} ${l.height}">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>`,
  ];
  const labels: string[] = [];
  for (const e of l.edges) {
    const a = at.get(e.from)!;
    const b = at.get(e.to)!;
    const cls = ["edge", e.kind, e.back ? "back" : "", e.fanOut ? "fan-out" : ""].filter(Boolean).join(" ");
    parts.push(
      `<path class="${cls}" data-from="${escapeHtml(a.label)}" data-to="${escapeHtml(b.label)}" d="${path(e.points)}" marker-end="url(#arrow)"><title>${escapeHtml(`${a.label} → ${b.label}${e.label ? `: ${e.label}` : ""}`)}</title></path>`,
    );
    if (e.label && e.labelBox) {
      const { x, y, width, height } = e.labelBox;
      labels.push(
        `<g class="edge-label ${e.kind}"><title>${escapeHtml(e.label)}</title><rect x="${x}" y="${y}" width="${width}" height="${height}" rx="4"/><text x="${round(x + width / 2)}" y="${round(y + height / 2 + 4)}" text-anchor="middle">${escapeHtml(clip(e.label, LABEL_MAX))}</text></g>`,
      );
    }
  }
  for (const n of l.nodes) {
    const cx = round(n.x + n.width / 2);
    const cy = round(n.y + n.height / 2);
    if (n.shape === "start" || n.shape === "end") {
      const ring = n.shape === "end" ? `<circle cx="${cx}" cy="${cy}" r="${n.width / 2 - 4}"/>` : "";
      parts.push(`<g class="node ${n.shape}"><title>${n.shape}</title><circle cx="${cx}" cy="${cy}" r="${n.width / 2}"/>${ring}<text x="${cx}" y="${cy + 4}" text-anchor="middle">${n.shape}</text></g>`);
    } else if (n.shape === "join") {
      const r = n.width / 2;
      parts.push(`<g class="node join"><title>${escapeHtml(n.label)}</title><polygon points="${cx},${cy - r} ${cx + r},${cy} ${cx},${cy + r} ${cx - r},${cy}"/></g>`);
    } else {
      const d = decorate(n);
      parts.push(
        `<g class="node step${d.classes ? ` ${d.classes}` : ""}" data-node="${escapeHtml(n.label)}"${d.attrs ?? ""}><title>${escapeHtml(d.title ?? `node ${n.label}`)}</title><rect x="${n.x}" y="${n.y}" width="${n.width}" height="${n.height}" rx="8"/><text x="${cx}" y="${cy + 4}" text-anchor="middle">${escapeHtml(clip(n.label, 40))}</text></g>`,
      );
    }
  }
  parts.push(...labels, "</svg>");
  return parts.join("\n");
}

/** True when two boxes overlap (touching edges do not count). */
export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
