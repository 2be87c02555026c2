// `awr trace --html`: one self-contained page (inline CSS, JS and SVG; a CSP that forbids every
// network fetch) with the run's graph coloured by outcome, the timeline of steps and calls, tokens
// and cost, and the audit records. Pure: a trace, the plan and the audit records in, a string out.
// Every string that comes from a run, a plan or a user is escaped.
import type { Plan } from "../../compiler/plan/index.js";
import type { AuditRecord } from "../../vm/types.js";
import { costReport, formatUsd, type CostGroupBy, type CostRow } from "./cost.js";
import { escapeHtml as esc } from "./escape.js";
import { graphSvg } from "./graph-svg.js";
import { formatMs, type Trace, type TraceRow } from "./trace.js";

export interface HtmlReportInput {
  trace: Trace;
  /** The run's plan (the graph picture is left out without it). */
  plan?: Plan;
  audit: readonly AuditRecord[];
  /** Shown in the footer, e.g. "awr 0.1.0". */
  generator?: string;
}

const CSS = `
:root { --ok: #2e7d32; --ok-bg: #e3f4e4; --failed: #c62828; --failed-bg: #fde4e4; --suspended: #b26a00; --suspended-bg: #fff1d6;
  --unfinished: #6a1b9a; --unfinished-bg: #f1e3f7; --notrun: #8a8f98; --notrun-bg: #f3f4f6; --line: #d8dbe0; --muted: #5f6670; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2127; background: #fff; margin: 0; padding: 20px 28px 40px; }
h1 { font-size: 20px; margin: 0 0 4px; word-break: break-all; }
h2 { font-size: 16px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.meta { color: var(--muted); margin: 0 0 8px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; vertical-align: middle; }
.badge.completed, .badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.failed, .badge.needs_attention, .badge.cancelled { background: var(--failed-bg); color: var(--failed); }
.badge.suspended, .badge.running { background: var(--suspended-bg); color: var(--suspended); }
.problem { border-left: 4px solid var(--failed); background: var(--failed-bg); padding: 6px 10px; margin: 8px 0; white-space: pre-wrap; }
.waiting { border-left: 4px solid var(--suspended); background: var(--suspended-bg); padding: 6px 10px; margin: 8px 0; white-space: pre-wrap; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 120px; }
.card .v { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .k { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eef0f3; vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line); }
td.num, th.num { text-align: right; white-space: nowrap; }
table.cost td:first-child { white-space: nowrap; }
.breakdown { display: flex; flex-wrap: wrap; gap: 24px; }
.breakdown > div { flex: 1 1 320px; }
.canvas { overflow: auto; border: 1px solid var(--line); border-radius: 8px; padding: 8px; background: #fcfcfd; }
.legend { display: flex; gap: 14px; flex-wrap: wrap; color: var(--muted); font-size: 12px; margin: 0 0 8px; }
.legend span::before { content: ""; display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 5px; vertical-align: -2px; border: 2px solid; }
.legend .ok::before { background: var(--ok-bg); border-color: var(--ok); }
.legend .failed::before { background: var(--failed-bg); border-color: var(--failed); }
.legend .suspended::before { background: var(--suspended-bg); border-color: var(--suspended); }
.legend .unfinished::before { background: var(--unfinished-bg); border-color: var(--unfinished); }
.legend .not_run::before { background: var(--notrun-bg); border-color: var(--notrun); border-style: dashed; }
svg.awr-graph text { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; fill: #1d2127; }
svg.awr-graph .node rect, svg.awr-graph .node circle, svg.awr-graph .node polygon { stroke-width: 2; }
svg.awr-graph .node.start circle, svg.awr-graph .node.end circle { fill: #eef2f7; stroke: #56606b; }
svg.awr-graph .node.join polygon { fill: #8a8f98; stroke: none; }
svg.awr-graph .node.step { cursor: pointer; }
svg.awr-graph .outcome-ok rect { fill: var(--ok-bg); stroke: var(--ok); }
svg.awr-graph .outcome-failed rect { fill: var(--failed-bg); stroke: var(--failed); }
svg.awr-graph .outcome-suspended rect { fill: var(--suspended-bg); stroke: var(--suspended); }
svg.awr-graph .outcome-unfinished rect { fill: var(--unfinished-bg); stroke: var(--unfinished); }
svg.awr-graph .outcome-not_run rect { fill: var(--notrun-bg); stroke: var(--notrun); stroke-dasharray: 5 3; }
svg.awr-graph .outcome-not_run text { fill: var(--muted); }
svg.awr-graph .node.step.selected rect { stroke-width: 4; }
svg.awr-graph .edge { fill: none; stroke: #8a8f98; stroke-width: 1.4; }
svg.awr-graph .edge.loop { stroke: #d18616; stroke-dasharray: 5 3; }
svg.awr-graph .edge.error { stroke: #c0392b; stroke-dasharray: 3 3; }
svg.awr-graph .edge-label.error text { fill: #c0392b; }
svg.awr-graph .arrowhead { fill: #8a8f98; }
svg.awr-graph .edge-label rect { fill: #fff; stroke: var(--line); }
svg.awr-graph .edge-label text { font-size: 11px; fill: var(--muted); }
.controls { display: flex; gap: 16px; align-items: center; margin: 0 0 6px; color: var(--muted); font-size: 13px; }
table.timeline td { padding-top: 2px; padding-bottom: 2px; }
table.timeline td.name { white-space: nowrap; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
table.timeline tr.type-step td.name { font-weight: 600; }
table.timeline tr.type-mark td.name { color: var(--muted); }
table.timeline td.name .detail { white-space: normal; font-family: system-ui, sans-serif; font-weight: normal; color: var(--failed); font-size: 12px; max-width: 640px; overflow-wrap: anywhere; }
table.timeline tr.type-mark td.name .detail, table.timeline tr.status-suspended td.name .detail { color: var(--muted); }
table.timeline td.lane { width: 40%; min-width: 220px; }
table.audit td { overflow-wrap: anywhere; }
.track { position: relative; height: 14px; background: #f3f4f6; border-radius: 3px; }
.bar { position: absolute; top: 2px; height: 10px; border-radius: 2px; min-width: 2px; }
.status-ok .bar { background: var(--ok); } .status-failed .bar { background: var(--failed); }
.status-suspended .bar { background: var(--suspended); } .status-unfinished .bar { background: var(--unfinished); }
.type-call .bar { opacity: .7; } .type-mark .bar { width: 2px !important; background: #d18616; top: 0; height: 14px; }
.st { font-weight: 600; } .st.ok { color: var(--ok); } .st.failed { color: var(--failed); } .st.suspended { color: var(--suspended); } .st.unfinished { color: var(--unfinished); }
.empty { color: var(--muted); font-style: italic; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
`;

const SCRIPT = `
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.tl-row"));
  var nodes = Array.prototype.slice.call(document.querySelectorAll("svg.awr-graph g.node.step"));
  var only = document.getElementById("only-problems");
  var note = document.getElementById("focus-note");
  var focus = null;
  function apply() {
    rows.forEach(function (r) {
      var quiet = only.checked && r.getAttribute("data-status") === "ok" && r.getAttribute("data-type") !== "mark";
      var other = focus !== null && r.getAttribute("data-root") !== focus;
      r.hidden = quiet || other;
    });
    nodes.forEach(function (g) { g.classList.toggle("selected", g.getAttribute("data-node") === focus); });
    note.textContent = focus === null ? "" : "showing node " + focus + " only (click it again to show every row)";
  }
  nodes.forEach(function (g) {
    function pick() { var n = g.getAttribute("data-node"); focus = focus === n ? null : n; apply(); }
    g.addEventListener("click", pick);
    g.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
  });
  only.addEventListener("change", apply);
})();
`;

function num(n: number): string {
  return n.toLocaleString("en-US");
}

function breakdown(title: string, by: CostGroupBy, trace: Trace): string {
  const r = costReport(trace.calls, { by });
  if (!r.rows.length) return "";
  const model = by !== "tool";
  const head = model
    ? `<tr><th>${esc(title)}</th><th class="num">calls</th><th class="num">failed</th><th class="num">input tokens</th><th class="num">output tokens</th><th class="num">cost USD</th></tr>`
    : `<tr><th>${esc(title)}</th><th class="num">calls</th><th class="num">failed</th></tr>`;
  const row = (x: CostRow, name: string) =>
    model
      ? `<tr><td>${esc(name)}</td><td class="num">${x.modelCalls}</td><td class="num">${x.failedModelCalls}</td><td class="num">${num(x.inputTokens)}</td><td class="num">${num(x.outputTokens)}</td><td class="num">${formatUsd(x.costUsd)}</td></tr>`
      : `<tr><td>${esc(name)}</td><td class="num">${x.toolCalls}</td><td class="num">${x.failedToolCalls}</td></tr>`;
  const rows = r.rows.map((x) => row(x, by === "agent" && x.detail ? `${x.detail} ${x.key}` : x.key + (x.detail === "compensation" ? " (undo)" : "")));
  return `<div><h3>By ${esc(title)}</h3><table class="cost by-${by}">${head}${rows.join("")}</table></div>`;
}

function timelineRow(r: TraceRow, root: string | undefined, total: number): string {
  const span = Math.max(1, total);
  const left = Math.min(100, (r.start / span) * 100);
  const width = r.durationMs === null ? (r.type === "mark" ? 0 : 100 - left) : Math.max(0.3, (r.durationMs / span) * 100);
  const tokens = r.tokens ? `${num(r.tokens.input)} / ${num(r.tokens.output)}` : "";
  const cost = r.costUsd !== undefined ? formatUsd(r.costUsd) : "";
  const statusCell = r.type === "mark" ? "" : `<span class="st ${r.status}">${r.status}</span>`;
  return (
    `<tr class="tl-row type-${r.type} status-${r.status}" data-type="${r.type}" data-status="${r.status}" data-root="${esc(root ?? "")}" data-id="${esc(r.id)}">` +
    `<td class="num">+${esc(formatMs(r.start))}</td><td class="num">${r.durationMs === null ? "" : esc(formatMs(r.durationMs))}</td><td>${statusCell}</td>` +
    `<td class="name" style="padding-left:${8 + r.depth * 18}px" title="${esc(r.id)}"><span class="label">${esc(r.label)}</span>${r.detail ? `<div class="detail">${esc(r.detail)}</div>` : ""}</td>` +
    `<td class="num">${tokens}</td><td class="num">${cost}</td>` +
    `<td class="lane"><div class="track"><div class="bar" style="left:${left.toFixed(2)}%;width:${Math.min(100 - left, width).toFixed(2)}%"></div></div></td></tr>`
  );
}

function auditTable(audit: readonly AuditRecord[], t0: number): string {
  if (!audit.length) return `<p class="empty" id="no-audit">No audit records for this run (no policy matched and no tool was called under audit).</p>`;
  const head = `<tr><th>time</th><th>kind</th><th>hook</th><th>target</th><th>policy</th><th>rule</th><th>outcome</th><th>reason</th><th>redacted</th><th>step</th></tr>`;
  const rows = audit.map((a) => {
    const redacted = (a.redacted ?? []).map((x) => `${x.path} (${x.kind})`).join(", ");
    return (
      `<tr class="audit-row outcome-${esc(a.outcome)}"><td class="num" title="${esc(new Date(a.at).toISOString())}">+${esc(formatMs(a.at - t0))}</td><td>${esc(a.kind)}</td><td>${esc(a.hook)}</td><td>${esc(a.target)}</td>` +
      `<td>${esc(a.policy ?? "")}</td><td>${esc(a.rule ?? "")}</td><td><span class="badge ${a.outcome === "deny" || a.outcome === "failed" ? "failed" : a.outcome === "approve" ? "suspended" : "ok"}">${esc(a.outcome)}</span></td>` +
      `<td>${esc(a.reason ?? "")}</td><td>${esc(redacted)}</td><td title="${esc(a.step)}">${esc(a.step.length > 48 ? `…${a.step.slice(-47)}` : a.step)}</td></tr>`
    );
  });
  return `<table class="audit">${head}${rows.join("")}</table>`;
}

/** The whole page (async: the graph's layout is elkjs's, which is). */
export async function traceHtml(input: HtmlReportInput): Promise<string> {
  const t = input.trace;
  const x = t.totals;
  const graph = input.plan?.graphs[t.graph];
  const svg = graph ? await graphSvg(graph, t.nodes) : undefined;
  const card = (k: string, v: string, id: string) => `<div class="card" id="total-${id}"><div class="v">${v}</div><div class="k">${esc(k)}</div></div>`;
  let root: string | undefined;
  const rows = t.rows.map((r) => {
    if (r.depth === 0) root = r.node;
    return timelineRow(r, root, t.durationMs);
  });
  const breakdowns = [breakdown("model", "model", t), breakdown("prompt/agent", "agent", t), breakdown("tool", "tool", t)].filter(Boolean).join("");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`awr trace ${t.runId} (${t.graph}, ${t.status})`)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Run <code>${esc(t.runId)}</code> <span class="badge ${esc(t.status)}" id="run-status">${esc(t.status)}</span></h1>
<p class="meta">graph <b>${esc(t.graph)}</b> · started ${esc(new Date(t.startedAt).toISOString())} · ${esc(formatMs(t.durationMs))} · ${t.executions} execution${t.executions === 1 ? "" : "s"} · timeline from ${t.source === "events" ? "the stored events" : "the journal (no events were stored: steps without calls are not shown and show as not run)"}</p>
${t.error ? `<div class="problem" id="run-error">${esc(`${t.error.kind}: ${t.error.message}${t.error.step ? `\nstep ${t.error.step}` : ""}`)}</div>` : ""}
${(t.pending ?? []).map((p) => `<div class="waiting">${esc(`waiting for ${p.kind}: ${p.reason}\ninterrupt ${p.id}`)}</div>`).join("\n")}
</header>
<section id="totals">
<h2>Tokens and cost</h2>
<div class="cards">
${card("duration", esc(formatMs(t.durationMs)), "duration")}
${card("steps", String(x.steps), "steps")}
${card(`model calls${x.failedModelCalls ? `, ${x.failedModelCalls} failed` : ""}`, String(x.modelCalls), "model-calls")}
${card(`tool calls${x.failedToolCalls ? `, ${x.failedToolCalls} failed` : ""}`, String(x.toolCalls), "tool-calls")}
${card("input tokens", num(x.inputTokens), "input-tokens")}
${card("output tokens", num(x.outputTokens), "output-tokens")}
${card("cost USD (frozen at call time)", formatUsd(x.costUsd), "cost")}
</div>
<div class="breakdown">${breakdowns}</div>
</section>
<section id="graph">
<h2>Graph</h2>
<div class="legend"><span class="ok">ok</span><span class="failed">failed</span><span class="suspended">suspended</span><span class="unfinished">unfinished</span><span class="not_run">not run</span></div>
${svg ? `<div class="canvas">${svg}</div><p class="meta">Click a node to show only its rows in the timeline.</p>` : `<p class="empty">The run's plan is not in the store: the graph cannot be drawn.</p>`}
</section>
<section id="timeline">
<h2>Timeline</h2>
<div class="controls"><label><input type="checkbox" id="only-problems"> only failures, waits and retries</label><span id="focus-note"></span></div>
${
  rows.length
    ? `<table class="timeline"><thead><tr><th class="num">start</th><th class="num">duration</th><th>status</th><th>step / call</th><th class="num">tokens in / out</th><th class="num">cost USD</th><th>0 – ${esc(formatMs(t.durationMs))}</th></tr></thead><tbody>${rows.join("\n")}</tbody></table>`
    : `<p class="empty">Nothing was recorded for this run.</p>`
}
</section>
<section id="audit">
<h2>Audit records</h2>
${auditTable(input.audit, t.startedAt)}
</section>
<footer>Generated by ${esc(input.generator ?? "awr")} · self-contained: no network requests.</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
