// "AWR: Show graph": the Mermaid flowchart printed by `awr graph --format mermaid` (the one export
// format, compiler/analysis/export.ts) parsed back into nodes and edges and drawn as an SVG with a
// small layered layout. No Mermaid runtime: it is several MB, and these graphs are small DAGs plus
// bounded loops, which a longest-path layering with barycentre ordering draws well.
// Pure (no `vscode`): unit-tested from the root project.

export type NodeShape = "start" | "end" | "join" | "node";
export type EdgeStyle = "normal" | "thick" | "dashed";

export interface GraphNode {
  id: string;
  label: string;
  shape: NodeShape;
}

export interface GraphEdge {
  from: string;
  to: string;
  label?: string;
  style: EdgeStyle;
}

export interface ParsedGraph {
  name: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const ID = String.raw`[A-Za-z_][A-Za-z0-9_]*`;

/** Parses the flowchart `awr graph --format mermaid` prints. Unknown lines are ignored. */
export function parseMermaid(source: string): ParsedGraph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  let name = "";
  const nodeRe = new RegExp(String.raw`^(${ID})(\(\(\(|\(\(|\{\{|\()"(.*)"(\)\)\)|\)\)|\}\}|\))$`);
  const edgeRe = new RegExp(String.raw`^(${ID})\s+(==>|-\.->|-->)(?:\|"(.*)"\|)?\s+(${ID})$`);
  for (const raw of source.split(/\r?\n/)) {
    const line = raw.trim();
    const title = /^%%\s*graph\s+(\S+)/.exec(line);
    if (title) {
      name = title[1]!;
      continue;
    }
    const e = edgeRe.exec(line);
    if (e) {
      const style: EdgeStyle = e[2] === "==>" ? "thick" : e[2] === "-.->" ? "dashed" : "normal";
      edges.push({ from: e[1]!, to: e[4]!, style, ...(e[3] !== undefined ? { label: decodeEntities(e[3]) } : {}) });
      continue;
    }
    const n = nodeRe.exec(line);
    if (n) {
      const open = n[2]!;
      const shape: NodeShape = open === "(((" ? "end" : open === "((" ? "start" : open === "{{" ? "join" : "node";
      nodes.push({ id: n[1]!, label: decodeEntities(n[3]!), shape });
    }
  }
  return { name, nodes, edges };
}

/** Mermaid's `#NN;` entity codes (export.ts writes `#`, `"`, `<`, `>`, `&` that way). */
export function decodeEntities(s: string): string {
  return s.replace(/#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

export interface LaidOutNode extends GraphNode {
  x: number;
  y: number;
  width: number;
  height: number;
  layer: number;
}

export interface Layout {
  nodes: LaidOutNode[];
  edges: (GraphEdge & { back: boolean })[];
  width: number;
  height: number;
}

const LAYER_GAP = 84;
const NODE_GAP = 36;
const MARGIN = 24;

function nodeSize(n: GraphNode): { width: number; height: number } {
  if (n.shape === "start" || n.shape === "end") return { width: 44, height: 44 };
  if (n.shape === "join") return { width: 28, height: 28 };
  return { width: Math.max(72, n.label.length * 7.6 + 28), height: 36 };
}

/**
 * A layered (Sugiyama-style) layout: back edges found by a DFS from the roots are reversed, layers
 * are longest paths from the roots, and a few barycentre sweeps order each layer.
 */
export function layoutGraph(g: ParsedGraph): Layout {
  const ids = g.nodes.map((n) => n.id);
  const known = new Set(ids);
  const edges = g.edges.filter((e) => known.has(e.from) && known.has(e.to));
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) out.get(e.from)!.push(e.to);

  // Back edges: edges into a node on the current DFS path (loops closed by `max N`).
  const back = new Set<GraphEdge>();
  const state = new Map<string, 1 | 2>();
  const roots = [...ids.filter((id) => g.nodes.find((n) => n.id === id)!.shape === "start"), ...ids];
  const visit = (id: string) => {
    state.set(id, 1);
    for (const e of edges) {
      if (e.from !== id) continue;
      const s = state.get(e.to);
      if (s === 1) back.add(e);
      else if (s === undefined) visit(e.to);
    }
    state.set(id, 2);
  };
  for (const r of roots) if (!state.has(r)) visit(r);

  const forward = edges.filter((e) => !back.has(e));
  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  // Longest path on the DAG of forward edges (relaxation; the graph is small).
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
  // `end` sits alone on the last layer.
  const maxLayer = Math.max(0, ...layer.values());
  for (const n of g.nodes) if (n.shape === "end" && forward.some((e) => e.to === n.id)) layer.set(n.id, Math.max(layer.get(n.id)!, maxLayer));

  const layers: string[][] = [];
  for (const id of ids) (layers[layer.get(id)!] ??= []).push(id);
  for (let i = 0; i < layers.length; i++) layers[i] ??= [];

  const pos = new Map<string, number>();
  const reindex = () => layers.forEach((l) => l.forEach((id, i) => pos.set(id, i)));
  reindex();
  const preds = (id: string) => forward.filter((e) => e.to === id).map((e) => e.from);
  const succs = (id: string) => forward.filter((e) => e.from === id).map((e) => e.to);
  const bary = (id: string, nbrs: string[]) => (nbrs.length ? nbrs.reduce((s, n) => s + pos.get(n)!, 0) / nbrs.length : pos.get(id)!);
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers.map((_, i) => i).slice(1) : layers.map((_, i) => i).reverse().slice(1);
    for (const i of order) {
      const l = layers[i]!;
      const key = new Map(l.map((id) => [id, bary(id, down ? preds(id) : succs(id))]));
      l.sort((a, b) => key.get(a)! - key.get(b)! || pos.get(a)! - pos.get(b)!);
      reindex();
    }
  }

  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const sized = new Map(g.nodes.map((n) => [n.id, nodeSize(n)]));
  const rowWidth = (l: string[]) => l.reduce((w, id) => w + sized.get(id)!.width, 0) + NODE_GAP * Math.max(0, l.length - 1);
  const width = Math.max(160, ...layers.map(rowWidth)) + 2 * MARGIN + (back.size ? 60 : 0);
  const laid: LaidOutNode[] = [];
  layers.forEach((l, i) => {
    let x = MARGIN + (width - 2 * MARGIN - (back.size ? 60 : 0) - rowWidth(l)) / 2;
    const y = MARGIN + i * LAYER_GAP;
    for (const id of l) {
      const s = sized.get(id)!;
      laid.push({ ...byId.get(id)!, x, y: y + (36 - s.height) / 2 + 4, width: s.width, height: s.height, layer: i });
      x += s.width + NODE_GAP;
    }
  });
  const height = MARGIN * 2 + Math.max(0, layers.length - 1) * LAYER_GAP + 44;
  return { nodes: laid, edges: edges.map((e) => ({ ...e, back: back.has(e) })), width, height };
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The graph as an SVG element; colours come from CSS classes (the webview maps them to the theme). */
export function renderSvg(layout: Layout): string {
  const at = new Map(layout.nodes.map((n) => [n.id, n]));
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="awr-graph" width="${Math.ceil(layout.width)}" height="${Math.ceil(layout.height)}" viewBox="0 0 ${Math.ceil(layout.width)} ${Math.ceil(layout.height)}">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>`,
  );
  const labels: string[] = [];
  let backIndex = 0;
  for (const e of layout.edges) {
    const a = at.get(e.from)!;
    const b = at.get(e.to)!;
    const cls = `edge ${e.style}${e.back ? " back" : ""}`;
    let d: string;
    let lx: number;
    let ly: number;
    if (e.back || e.from === e.to) {
      // A loop: leave on the right, run up the right margin, enter the target on its right.
      const x1 = a.x + a.width;
      const y1 = a.y + a.height / 2;
      const x2 = b.x + b.width;
      const y2 = b.y + b.height / 2;
      const rx = layout.width - 30 + backIndex++ * 6 - 12;
      d = `M${x1},${y1} C${rx},${y1} ${rx},${y2} ${x2 + 2},${y2}`;
      lx = rx - 4;
      ly = (y1 + y2) / 2;
    } else {
      const x1 = a.x + a.width / 2;
      const y1 = a.y + a.height;
      const x2 = b.x + b.width / 2;
      const y2 = b.y - 2;
      const my = (y1 + y2) / 2;
      d = `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`;
      lx = (x1 + x2) / 2;
      ly = my;
    }
    parts.push(`<path class="${cls}" d="${d}" marker-end="url(#arrow)"><title>${escapeXml(`${labelOf(a)} → ${labelOf(b)}${e.label ? `: ${e.label}` : ""}`)}</title></path>`);
    if (e.label) {
      const text = truncate(e.label, 44);
      const w = text.length * 6.4 + 10;
      labels.push(
        `<g class="edge-label"><title>${escapeXml(e.label)}</title><rect x="${lx - w / 2}" y="${ly - 9}" width="${w}" height="18" rx="4"/><text x="${lx}" y="${ly + 4}" text-anchor="middle">${escapeXml(text)}</text></g>`,
      );
    }
  }
  for (const n of layout.nodes) {
    const cx = n.x + n.width / 2;
    const cy = n.y + n.height / 2;
    const title = `<title>${escapeXml(n.shape === "node" ? `node ${n.label}` : n.label)}</title>`;
    if (n.shape === "start") parts.push(`<g class="node start">${title}<circle cx="${cx}" cy="${cy}" r="${n.width / 2}"/><text x="${cx}" y="${cy + 4}" text-anchor="middle">start</text></g>`);
    else if (n.shape === "end")
      parts.push(`<g class="node end">${title}<circle cx="${cx}" cy="${cy}" r="${n.width / 2}"/><circle cx="${cx}" cy="${cy}" r="${n.width / 2 - 4}"/><text x="${cx}" y="${cy + 4}" text-anchor="middle">end</text></g>`);
    else if (n.shape === "join") {
      const r = n.width / 2;
      parts.push(`<g class="node join">${title}<polygon points="${cx},${cy - r} ${cx + r},${cy} ${cx},${cy + r} ${cx - r},${cy}"/></g>`);
    } else
      parts.push(
        `<g class="node step" data-node="${escapeXml(n.label)}">${title}<rect x="${n.x}" y="${n.y}" width="${n.width}" height="${n.height}" rx="8"/><text x="${cx}" y="${cy + 4}" text-anchor="middle">${escapeXml(n.label)}</text></g>`,
      );
  }
  parts.push(...labels, "</svg>");
  return parts.join("\n");
}

function labelOf(n: GraphNode): string {
  return n.label;
}

/** The webview page: the SVG, the Mermaid source (copyable) and a strict CSP (one nonce'd script). */
export function graphHtml(opts: { title: string; mermaid: string; cspSource: string; nonce: string; note?: string }): string {
  const graph = parseMermaid(opts.mermaid);
  const svg = graph.nodes.length ? renderSvg(layoutGraph(graph)) : `<p class="empty">awr graph printed no nodes.</p>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${opts.cspSource} data:; style-src 'unsafe-inline' ${opts.cspSource}; script-src 'nonce-${opts.nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeXml(opts.title)}</title>
<style>
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 8px 16px; }
  h1 { font-size: 1.1em; font-weight: 600; margin: 4px 0 12px; }
  .note { color: var(--vscode-descriptionForeground); margin: 0 0 12px; }
  .canvas { overflow: auto; }
  svg text { font-family: var(--vscode-editor-font-family, monospace); font-size: 12px; fill: var(--vscode-foreground); }
  .node rect, .node circle, .node polygon { fill: var(--vscode-editorWidget-background, #252526); stroke: var(--vscode-focusBorder, #007fd4); stroke-width: 1.5; }
  .node.start circle, .node.end circle { stroke: var(--vscode-charts-green, #89d185); }
  .node.join polygon { fill: var(--vscode-descriptionForeground, #999); stroke: none; }
  .edge { fill: none; stroke: var(--vscode-editorLineNumber-foreground, #858585); stroke-width: 1.4; }
  .edge.thick { stroke-width: 2.6; }
  .edge.dashed { stroke-dasharray: 5 4; }
  .edge.back { stroke: var(--vscode-charts-orange, #d18616); }
  .arrowhead { fill: var(--vscode-editorLineNumber-foreground, #858585); }
  .edge-label rect { fill: var(--vscode-editor-background, #1e1e1e); stroke: var(--vscode-widget-border, #454545); }
  .edge-label text { font-size: 11px; fill: var(--vscode-descriptionForeground, #ccc); }
  details { margin-top: 16px; }
  pre { background: var(--vscode-textCodeBlock-background); padding: 8px; overflow: auto; }
  button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: 4px 10px; cursor: pointer; }
</style>
</head>
<body>
<h1>${escapeXml(opts.title)}</h1>
${opts.note ? `<p class="note">${escapeXml(opts.note)}</p>` : ""}
<div class="canvas">${svg}</div>
<details>
<summary>Mermaid source</summary>
<p><button id="copy">Copy</button></p>
<pre id="source">${escapeXml(opts.mermaid)}</pre>
</details>
<script nonce="${opts.nonce}">
  const vscode = acquireVsCodeApi();
  document.getElementById("copy").addEventListener("click", () => vscode.postMessage({ type: "copy" }));
  for (const g of document.querySelectorAll("g.node.step")) g.addEventListener("dblclick", () => vscode.postMessage({ type: "reveal", node: g.dataset.node }));
</script>
</body>
</html>`;
}
