// `awr cost`: tokens, cost and call counts of the calls of many runs, grouped by run, graph,
// agent (the prompt or agent making model calls), tool or model, over a time range. Pure: the
// caller loads the runs (and their plans, to name callers) and passes their calls.
import type { CallRecord } from "./calls.js";

export type CostGroupBy = "run" | "graph" | "agent" | "tool" | "model";
export const COST_GROUPS: readonly CostGroupBy[] = ["run", "graph", "agent", "tool", "model"];

export interface CostRow {
  /** The run id, graph, caller (prompt/agent), tool or model name. */
  key: string;
  /** by run: the run's graph; by agent: "agent" or "prompt"; by tool: "tool" or "compensation". */
  detail?: string;
  /** Distinct runs with calls in this row. */
  runs: number;
  modelCalls: number;
  /** Model calls that failed (each failed attempt counts; a retry that then succeeded still counts). */
  failedModelCalls: number;
  toolCalls: number;
  failedToolCalls: number;
  /** Calls with an intent and no outcome (a crash, a cancellation, or still running). */
  unfinishedCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface FailedCall {
  runId: string;
  key: string;
  kind: CallRecord["kind"];
  caller: string;
  model?: string;
  at: number;
  error: { kind: string; message: string };
}

export interface CostReport {
  by: CostGroupBy;
  /** Inclusive bounds on the call time (ms since the epoch), null when open. */
  since: number | null;
  until: number | null;
  /** Runs with at least one call in the range. */
  runs: number;
  rows: CostRow[];
  total: CostRow;
  /** Every failed call in the range, oldest first. */
  failed: FailedCall[];
}

function emptyRow(key: string, detail?: string): CostRow {
  return {
    key,
    ...(detail === undefined ? {} : { detail }),
    runs: 0,
    modelCalls: 0,
    failedModelCalls: 0,
    toolCalls: 0,
    failedToolCalls: 0,
    unfinishedCalls: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
  };
}

/** The group of a call, or undefined when the grouping does not concern it (tools by model). */
function groupOf(c: CallRecord, by: CostGroupBy): { key: string; detail?: string } | undefined {
  switch (by) {
    case "run":
      return { key: c.runId, detail: c.graph };
    case "graph":
      return { key: c.graph };
    case "agent":
      return c.kind === "model" ? { key: c.caller, detail: c.callerKind } : undefined;
    case "tool":
      return c.kind === "tool" ? { key: c.caller, detail: c.callerKind } : undefined;
    case "model":
      return c.kind === "model" ? { key: c.model ?? "?" } : undefined;
  }
}

function add(row: CostRow, c: CallRecord, runs: Set<string>) {
  runs.add(c.runId);
  if (c.kind === "model") {
    row.modelCalls++;
    if (c.status === "failed") row.failedModelCalls++;
  } else {
    row.toolCalls++;
    if (c.status === "failed") row.failedToolCalls++;
  }
  if (c.status === "unfinished") row.unfinishedCalls++;
  row.inputTokens += c.tokens.input;
  row.outputTokens += c.tokens.output;
  row.costUsd += c.costUsd;
}

/**
 * Aggregates calls. A call is in the range when its intent time is within [since, until]. Rows are
 * sorted by cost, then calls, then name; the total covers every call in the range (model and tool
 * calls alike), whatever the grouping.
 */
export function costReport(calls: Iterable<CallRecord>, opts: { by: CostGroupBy; since?: number | null; until?: number | null }): CostReport {
  const since = opts.since ?? null;
  const until = opts.until ?? null;
  const rows = new Map<string, { row: CostRow; runs: Set<string> }>();
  const total = { row: emptyRow("total"), runs: new Set<string>() };
  const failed: FailedCall[] = [];
  for (const c of calls) {
    if (since !== null && c.startedAt < since) continue;
    if (until !== null && c.startedAt > until) continue;
    add(total.row, c, total.runs);
    if (c.status === "failed") {
      failed.push({
        runId: c.runId,
        key: c.key,
        kind: c.kind,
        caller: c.caller,
        ...(c.model === undefined ? {} : { model: c.model }),
        at: c.endedAt ?? c.startedAt,
        error: { kind: c.error?.kind ?? "unknown", message: c.error?.message ?? "" },
      });
    }
    const g = groupOf(c, opts.by);
    if (!g) continue;
    const id = `${g.key}\u0000${g.detail ?? ""}`;
    let slot = rows.get(id);
    if (!slot) rows.set(id, (slot = { row: emptyRow(g.key, g.detail), runs: new Set() }));
    add(slot.row, c, slot.runs);
  }
  const out = [...rows.values()].map(({ row, runs }) => ({ ...row, runs: runs.size }));
  out.sort((a, b) => b.costUsd - a.costUsd || b.modelCalls + b.toolCalls - (a.modelCalls + a.toolCalls) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  failed.sort((a, b) => a.at - b.at);
  return { by: opts.by, since, until, runs: total.runs.size, rows: out, total: { ...total.row, runs: total.runs.size }, failed };
}

// ------------------------------------------------------------------ text

/** USD with enough decimals to show the cost of one small call. */
export function formatUsd(usd: number): string {
  if (usd === 0) return "0";
  return usd >= 1 ? usd.toFixed(2) : usd >= 0.01 ? usd.toFixed(4) : usd.toFixed(6);
}

function table(head: string[], rows: string[][], rightFrom: number): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i >= rightFrom ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

const TITLES: Record<CostGroupBy, string> = { run: "run", graph: "graph", agent: "prompt/agent", tool: "tool", model: "model" };

/** The report as a table: one row per group, the total, and the failed calls. */
export function costText(r: CostReport, opts: { maxFailed?: number } = {}): string {
  const range = `${r.since === null ? "the beginning" : new Date(r.since).toISOString()} .. ${r.until === null ? "now" : new Date(r.until).toISOString()}`;
  const out: string[] = [`cost by ${r.by}, ${range}: ${r.runs} run${r.runs === 1 ? "" : "s"}`];
  if (r.total.modelCalls + r.total.toolCalls === 0) {
    out.push("no calls in this range");
    return `${out.join("\n")}\n`;
  }
  const showModel = r.by !== "tool";
  const showTool = r.by !== "agent" && r.by !== "model";
  const head = [TITLES[r.by], ...(r.by === "run" ? ["graph"] : r.by === "agent" || r.by === "tool" ? ["kind"] : [])];
  const fixed = head.length;
  if (showModel) head.push("model calls", "failed", "input tok", "output tok", "cost USD");
  if (showTool) head.push("tool calls", "failed");
  const cells = (row: CostRow, key: string, detail: string | undefined): string[] => {
    const c = [key];
    if (fixed > 1) c.push(detail ?? "");
    if (showModel) c.push(String(row.modelCalls), String(row.failedModelCalls), String(row.inputTokens), String(row.outputTokens), formatUsd(row.costUsd));
    if (showTool) c.push(String(row.toolCalls), String(row.failedToolCalls));
    return c;
  };
  const body = r.rows.map((row) => cells(row, row.key, row.detail));
  body.push(cells(r.total, "total", fixed > 1 ? "" : undefined));
  out.push(...table(head, body, fixed));
  if (!showTool) out.push(`tool calls: ${r.total.toolCalls} (${r.total.failedToolCalls} failed)`);
  if (!showModel) out.push(`model calls: ${r.total.modelCalls} (${r.total.failedModelCalls} failed), ${r.total.inputTokens}/${r.total.outputTokens} tokens, ${formatUsd(r.total.costUsd)} USD`);
  if (r.total.unfinishedCalls) out.push(`unfinished calls (no outcome recorded): ${r.total.unfinishedCalls}`);
  if (r.failed.length) {
    const max = opts.maxFailed ?? 20;
    out.push(`failed calls: ${r.failed.length}`);
    for (const f of r.failed.slice(0, max)) {
      out.push(`  ✗ ${new Date(f.at).toISOString()}  ${f.kind} ${f.caller}${f.model ? ` (${f.model})` : ""}  ${f.error.kind}: ${f.error.message}  [run ${f.runId}]`);
    }
    if (r.failed.length > max) out.push(`  … and ${r.failed.length - max} more (--json lists them all)`);
  }
  return `${out.join("\n")}\n`;
}
