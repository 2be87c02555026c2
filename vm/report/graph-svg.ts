// A run's graph as an SVG for the HTML report: the plan's nodes and edges (a join `edge [a, b] -> c`
// becomes a small junction), a layered layout (longest-path layers after reversing the back edges
// a DFS finds, a few barycentre sweeps to order each layer — the approach of the VS Code graph
// view, written again here because vm/ cannot import the extension), nodes coloured by outcome
// through CSS classes. Pure; every name is escaped.
import { exprText, type Plan } from "../../compiler/plan/index.js";
import { escapeHtml } from "./escape.js";
import type { NodeOutcome } from "./trace.js";

type Graph = Plan["graphs"][string];

export interface DrawNode {
  id: string;
  label: string;
  shape: "start" | "end" | "join" | "node";
}

export interface DrawEdge {
  from: string;
  to: string;
  label?: string;
}

export interface Placed extends DrawNode {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RoutedEdge extends DrawEdge {
  /** A loop (drawn up the right margin). */
  back: boolean;
  /** Forward edges: the points the curve passes through, source bottom to target top. */
  points: { x: number; y: number }[];
  /** Where the label is centred (forward edges: just above the target). */
  labelAt?: { x: number; y: number };
}

export interface GraphLayout {
  nodes: Placed[];
  edges: RoutedEdge[];
  width: number;
  height: number;
}

/** Nodes and edges of a plan graph as drawn: start, end, the nodes, one junction per join. */
export function graphShape(g: Graph): { nodes: DrawNode[]; edges: DrawEdge[] } {
  const nodes: DrawNode[] = [{ id: "start", label: "start", shape: "start" }, ...g.nodes.map((n) => ({ id: `n:${n.name}`, label: n.name, shape: "node" as const }))];
  const id = (name: string) => (name === "start" || name === "end" ? name : `n:${name}`);
  const edges: DrawEdge[] = [];
  let usesEnd = false;
  g.edges.forEach((e, i) => {
    const label = e.otherwise ? "otherwise" : e.when ? `when ${exprText(e.when)}` : undefined;
    const full = [label, e.max !== null ? `max ${e.max}` : undefined].filter(Boolean).join(", ") || undefined;
    let from = id(e.from[0]!);
    if (e.from.length > 1) {
      from = `join:${i}`;
      nodes.push({ id: from, label: `join of ${e.from.join(", ")}`, shape: "join" });
      for (const f of e.from) edges.push({ from: id(f), to: from });
    }
    for (const t of e.to) {
      if (t === "end") usesEnd = true;
      edges.push({ from, to: id(t), ...(full ? { label: full } : {}) });
    }
  });
  if (usesEnd || !g.edges.length) nodes.push({ id: "end", label: "end", shape: "end" });
  return { nodes, edges };
}

const LAYER_GAP = 100;
const ROW = 44;
const NODE_GAP = 28;
const MARGIN = 24;
const LOOP_LANE = 60;
const DUMMY_WIDTH = 12;
const LABEL_MAX = 30;

function sizeOf(n: DrawNode): { width: number; height: number } {
  if (n.shape === "start" || n.shape === "end") return { width: 44, height: 44 };
  if (n.shape === "join") return { width: 24, height: 24 };
  return { width: Math.max(80, n.label.length * 7.6 + 28), height: 36 };
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function labelWidth(label: string): number {
  return clip(label, LABEL_MAX).length * 6.2 + 10;
}

/**
 * A layered layout: back edges (found by a DFS from start) are set aside as loops; layers are
 * longest paths over the rest; an edge spanning several layers gets a virtual point in each layer
 * it crosses (so it has its own lane and never runs through a node); a few barycentre sweeps order
 * each layer. A node's slot is wide enough for the label of an edge entering it, drawn just above it.
 */
export function layout(shape: { nodes: DrawNode[]; edges: DrawEdge[] }): GraphLayout {
  const ids = shape.nodes.map((n) => n.id);
  const known = new Set(ids);
  const edges = shape.edges.filter((e) => known.has(e.from) && known.has(e.to));
  const back = new Set<DrawEdge>();
  const mark = new Map<string, "open" | "done">();
  const visit = (id: string) => {
    mark.set(id, "open");
    for (const e of edges) {
      if (e.from !== id) continue;
      const m = mark.get(e.to);
      if (m === "open" || e.from === e.to) back.add(e);
      else if (m === undefined) visit(e.to);
    }
    mark.set(id, "done");
  };
  for (const id of ids) if (!mark.has(id)) visit(id);
  const forward = edges.filter((e) => !back.has(e));

  const layer = new Map(ids.map((id) => [id, 0]));
  for (let round = 0; round < ids.length; round++) {
    let changed = false;
    for (const e of forward) {
      const want = layer.get(e.from)! + 1;
      if (layer.get(e.to)! < want) {
        layer.set(e.to, want);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const deepest = Math.max(0, ...layer.values());
  if (known.has("end")) layer.set("end", Math.max(layer.get("end")!, deepest));

  // Virtual points of long edges, and the chain of hops each forward edge becomes.
  const chains = new Map<DrawEdge, string[]>();
  const width = new Map<string, number>();
  const allIds = [...ids];
  forward.forEach((e, i) => {
    const chain = [e.from];
    for (let l = layer.get(e.from)! + 1; l < layer.get(e.to)!; l++) {
      const d = `~${i}:${l}`;
      layer.set(d, l);
      width.set(d, DUMMY_WIDTH);
      allIds.push(d);
      chain.push(d);
    }
    chain.push(e.to);
    chains.set(e, chain);
  });
  for (const n of shape.nodes) {
    const incoming = forward.filter((e) => e.to === n.id && e.label).map((e) => labelWidth(e.label!));
    width.set(n.id, Math.max(sizeOf(n).width, ...incoming));
  }

  const layers: string[][] = Array.from({ length: Math.max(0, ...layer.values()) + 1 }, () => []);
  for (const id of allIds) layers[layer.get(id)!]!.push(id);
  const pos = new Map<string, number>();
  const reindex = () => layers.forEach((l) => l.forEach((id, i) => pos.set(id, i)));
  reindex();
  const preds = new Map<string, string[]>(allIds.map((id) => [id, []]));
  const succs = new Map<string, string[]>(allIds.map((id) => [id, []]));
  for (const chain of chains.values())
    for (let i = 0; i + 1 < chain.length; i++) {
      preds.get(chain[i + 1]!)!.push(chain[i]!);
      succs.get(chain[i]!)!.push(chain[i + 1]!);
    }
  const bary = (id: string, nbrs: string[]) => (nbrs.length ? nbrs.reduce((s, n) => s + pos.get(n)!, 0) / nbrs.length : pos.get(id)!);
  for (let sweep = 0; sweep < 6; sweep++) {
    const down = sweep % 2 === 0;
    const order = layers.map((_, i) => i);
    if (!down) order.reverse();
    for (const i of order.slice(1)) {
      const l = layers[i]!;
      const key = new Map(l.map((id) => [id, bary(id, (down ? preds : succs).get(id)!)]));
      l.sort((a, b) => key.get(a)! - key.get(b)! || pos.get(a)! - pos.get(b)!);
      reindex();
    }
  }

  const rowWidth = (l: string[]) => l.reduce((w, id) => w + width.get(id)!, 0) + NODE_GAP * Math.max(0, l.length - 1);
  const lane = back.size ? LOOP_LANE : 0;
  const inner = Math.max(160, ...layers.map(rowWidth));
  const total = inner + 2 * MARGIN + lane;
  const centre = new Map<string, { x: number; top: number }>();
  layers.forEach((l, i) => {
    let x = MARGIN + (inner - rowWidth(l)) / 2;
    for (const id of l) {
      const w = width.get(id)!;
      centre.set(id, { x: x + w / 2, top: MARGIN + i * LAYER_GAP });
      x += w + NODE_GAP;
    }
  });
  const nodes: Placed[] = shape.nodes.map((n) => {
    const s = sizeOf(n);
    const c = centre.get(n.id)!;
    return { ...n, x: c.x - s.width / 2, y: c.top + (ROW - s.height) / 2, width: s.width, height: s.height };
  });
  const placed = new Map(nodes.map((n) => [n.id, n]));
  const labelled = new Map<string, number>();
  const routed: RoutedEdge[] = edges.map((e) => {
    if (back.has(e)) return { ...e, back: true, points: [] };
    const chain = chains.get(e)!;
    const a = placed.get(e.from)!;
    const b = placed.get(e.to)!;
    const points = [{ x: a.x + a.width / 2, y: a.y + a.height }];
    for (const d of chain.slice(1, -1)) {
      const c = centre.get(d)!;
      points.push({ x: c.x, y: c.top }, { x: c.x, y: c.top + ROW });
    }
    points.push({ x: b.x + b.width / 2, y: b.y - 2 });
    let labelAt: { x: number; y: number } | undefined;
    if (e.label) {
      // Just above the target, in its slot; a second labelled edge into one node stacks above.
      const n = labelled.get(e.to) ?? 0;
      labelled.set(e.to, n + 1);
      labelAt = { x: b.x + b.width / 2, y: b.y - 16 - n * 20 };
    }
    return { ...e, back: false, points, ...(labelAt ? { labelAt } : {}) };
  });
  const height = 2 * MARGIN + Math.max(0, layers.length - 1) * LAYER_GAP + ROW;
  return { nodes, edges: routed, width: total, height };
}

/** A smooth path through the points: vertical tangents at each point, straight through a lane. */
function curve(points: { x: number; y: number }[]): string {
  let d = `M${points[0]!.x},${points[0]!.y}`;
  for (let i = 1; i < points.length; i++) {
    const p = points[i - 1]!;
    const q = points[i]!;
    if (p.x === q.x) d += ` L${q.x},${q.y}`;
    else {
      const my = (p.y + q.y) / 2;
      d += ` C${p.x},${my} ${q.x},${my} ${q.x},${q.y}`;
    }
  }
  return d;
}

const OUTCOME_TEXT: Record<NodeOutcome, string> = { ok: "ok", failed: "failed", suspended: "suspended", unfinished: "unfinished", not_run: "not run" };

/**
 * The SVG: `g.node.step.outcome-<ok|failed|suspended|unfinished|not_run>` per plan node (with
 * `data-node` and `data-outcome`), circles for start and end, diamonds for joins, edges as paths.
 */
export function graphSvg(g: Graph, outcomes: Record<string, NodeOutcome>): string {
  const l = layout(graphShape(g));
  const at = new Map(l.nodes.map((n) => [n.id, n]));
  const w = Math.ceil(l.width);
  const h = Math.ceil(l.height);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="awr-graph" role="img" aria-label="graph" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>`,
  ];
  const labels: string[] = [];
  let loop = 0;
  for (const e of l.edges) {
    const a = at.get(e.from)!;
    const b = at.get(e.to)!;
    let d: string;
    let label = e.labelAt;
    if (e.back) {
      // A loop: leave on the right, run up the right margin, enter the target on its right.
      const x1 = a.x + a.width;
      const y1 = a.y + a.height / 2;
      const x2 = b.x + b.width;
      const y2 = b.y + b.height / 2;
      const rx = l.width - MARGIN - 8 + (loop++ % 4) * 6;
      d = `M${x1},${y1} C${rx},${y1} ${rx},${y2} ${x2 + 2},${y2}`;
      label = { x: rx - 10, y: (y1 + y2) / 2 };
    } else d = curve(e.points);
    parts.push(`<path class="edge${e.back ? " back" : ""}" d="${d}" marker-end="url(#arrow)"><title>${escapeHtml(`${a.label} → ${b.label}${e.label ? `: ${e.label}` : ""}`)}</title></path>`);
    if (e.label && label) {
      const text = clip(e.label, LABEL_MAX);
      const tw = labelWidth(e.label);
      labels.push(
        `<g class="edge-label"><title>${escapeHtml(e.label)}</title><rect x="${label.x - tw / 2}" y="${label.y - 9}" width="${tw}" height="18" rx="4"/><text x="${label.x}" y="${label.y + 4}" text-anchor="middle">${escapeHtml(text)}</text></g>`,
      );
    }
  }
  for (const n of l.nodes) {
    const cx = n.x + n.width / 2;
    const cy = n.y + n.height / 2;
    if (n.shape === "start" || n.shape === "end") {
      const ring = n.shape === "end" ? `<circle cx="${cx}" cy="${cy}" r="${n.width / 2 - 4}"/>` : "";
      parts.push(`<g class="node ${n.shape}"><title>${n.shape}</title><circle cx="${cx}" cy="${cy}" r="${n.width / 2}"/>${ring}<text x="${cx}" y="${cy + 4}" text-anchor="middle">${n.shape}</text></g>`);
    } else if (n.shape === "join") {
      const r = n.width / 2;
      parts.push(`<g class="node join"><title>${escapeHtml(n.label)}</title><polygon points="${cx},${cy - r} ${cx + r},${cy} ${cx},${cy + r} ${cx - r},${cy}"/></g>`);
    } else {
      const outcome = outcomes[n.label] ?? "not_run";
      parts.push(
        `<g class="node step outcome-${outcome}" data-node="${escapeHtml(n.label)}" data-outcome="${outcome}" tabindex="0"><title>${escapeHtml(`node ${n.label}: ${OUTCOME_TEXT[outcome]}`)}</title><rect x="${n.x}" y="${n.y}" width="${n.width}" height="${n.height}" rx="8"/><text x="${cx}" y="${cy + 4}" text-anchor="middle">${escapeHtml(clip(n.label, 40))}</text></g>`,
      );
    }
  }
  parts.push(...labels, "</svg>");
  return parts.join("\n");
}
