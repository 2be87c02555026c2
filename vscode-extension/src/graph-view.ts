// "AWR: Show graph": the graph `awr graph --format json` exports (compiler/analysis/export.ts),
// laid out and drawn by the same code as the run report's graph (ops/report/graph-layout.ts: elkjs's
// layered layout, edge labels placed by ELK without overlap; bundled into the extension by esbuild).
// Pure (no `vscode`): unit-tested from the root project.
import { layoutGraph, renderGraphSvg, type GraphJson } from "../../ops/report/graph-layout.js";

export type { GraphJson } from "../../ops/report/graph-layout.js";

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Reads what `awr graph --format json` printed (throws on anything else). */
export function parseGraphJson(stdout: string): GraphJson {
  const g = JSON.parse(stdout) as Partial<GraphJson>;
  if (typeof g.name !== "string" || !Array.isArray(g.nodes) || !Array.isArray(g.edges)) throw new Error("awr graph --format json printed no graph");
  return g as GraphJson;
}

/** The graph as an SVG element; colours come from CSS classes (the webview maps them to the theme). */
export async function graphSvg(graph: GraphJson): Promise<string> {
  return renderGraphSvg(await layoutGraph(graph));
}

/** The webview page: the SVG, a button copying the Mermaid export, and a strict CSP (one nonce'd script). */
export async function graphHtml(opts: { title: string; graph: GraphJson; cspSource: string; nonce: string; note?: string }): Promise<string> {
  const svg = opts.graph.nodes.length ? await graphSvg(opts.graph) : `<p class="empty">awr graph printed no nodes.</p>`;
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
  .edge.fan-out { stroke-width: 2.6; }
  .edge.conditional { stroke: var(--vscode-charts-blue, #3794ff); }
  .edge.error { stroke: var(--vscode-charts-red, #f14c4c); stroke-dasharray: 3 3; }
  .edge.loop { stroke: var(--vscode-charts-orange, #d18616); stroke-dasharray: 5 4; }
  .edge-label.error text { fill: var(--vscode-charts-red, #f14c4c); }
  .arrowhead { fill: var(--vscode-editorLineNumber-foreground, #858585); }
  .edge-label rect { fill: var(--vscode-editor-background, #1e1e1e); stroke: var(--vscode-widget-border, #454545); }
  .edge-label text { font-size: 11px; fill: var(--vscode-descriptionForeground, #ccc); }
  .actions { margin-top: 16px; }
  button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: 4px 10px; cursor: pointer; }
</style>
</head>
<body>
<h1>${escapeXml(opts.title)}</h1>
${opts.note ? `<p class="note">${escapeXml(opts.note)}</p>` : ""}
<div class="canvas">${svg}</div>
<p class="actions"><button id="copy">Copy as Mermaid</button></p>
<script nonce="${opts.nonce}">
  const vscode = acquireVsCodeApi();
  document.getElementById("copy").addEventListener("click", () => vscode.postMessage({ type: "copy" }));
  for (const g of document.querySelectorAll("g.node.step")) g.addEventListener("dblclick", () => vscode.postMessage({ type: "reveal", node: g.dataset.node }));
</script>
</body>
</html>`;
}
