// `awr trace`: the timeline of one run — its steps (node invocations) and calls with start
// offsets, durations, status, tokens and cost — built from the run's stored events, or from the
// journal's timestamps when the run has no events. Pure: the caller loads the run, its events and
// its plan. Tokens and cost always come from the journal (calls.ts), the record cost reports use.
import type { GraphPlan, Plan } from "../../compiler/plan/index.js";
import { callNames, callsOfRun, type CallRecord } from "./calls.js";
import { parentStepOf, stepOfKey, type StepOfKey } from "../../vm/keys.js";
import { formatUsd } from "./cost.js";
import type { EffectKind, FailureInfo, JournalEntry, LoadedRun, PendingInterrupt, RunRecord, RunStatus, VmEvent } from "../../vm/types.js";

export type RowStatus = "ok" | "failed" | "suspended" | "unfinished";
export type NodeOutcome = "ok" | "failed" | "suspended" | "unfinished" | "not_run";

export interface TraceRow {
  /** The step key (node invocation) or the journal key of a call; marks reuse their call's key. */
  id: string;
  type: "step" | "call" | "mark";
  /** Nesting: steps of the run's graph are 0, their calls 1; each sub-graph adds one. */
  depth: number;
  /** What the row shows: a node name, "prompt classify_case", "retry 1", … */
  label: string;
  /** The node (steps, and the node a call or mark belongs to). */
  node?: string;
  /** The step key of the node invocation a call or mark belongs to. */
  parent?: string;
  kind?: EffectKind;
  /** The callee: prompt, agent, tool or compensation tool. */
  name?: string;
  model?: string;
  /** Milliseconds from the start of the run. */
  start: number;
  /** Null when the row has no end (unfinished, or a mark). */
  durationMs: number | null;
  status: RowStatus;
  tokens?: { input: number; output: number };
  costUsd?: number;
  /** "kind: message" of a failure, or the detail of a mark. */
  detail?: string;
  /** Which execution of the run (1 = the start; each resume or recovery adds one). */
  execution: number;
}

export interface TraceTotals {
  steps: number;
  modelCalls: number;
  failedModelCalls: number;
  toolCalls: number;
  failedToolCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface Trace {
  runId: string;
  graph: string;
  status: RunStatus;
  /** The run's creation time (ms since the epoch): offsets count from here. */
  startedAt: number;
  /** From the start to the last thing recorded. */
  durationMs: number;
  /** Where the timeline comes from. */
  source: "events" | "journal";
  executions: number;
  rows: TraceRow[];
  /** The outcome of every node of the run's graph (last invocation wins). */
  nodes: Record<string, NodeOutcome>;
  totals: TraceTotals;
  calls: CallRecord[];
  error?: FailureInfo;
  pending?: PendingInterrupt[];
}

const STATUS_ORDER: Record<RowStatus, number> = { ok: 0, suspended: 1, unfinished: 2, failed: 3 };

function callLabel(kind: EffectKind, name: string, model?: string): string {
  if (kind === "prompt" || kind === "agent") return `${kind} ${name}${model ? ` → ${model}` : ""}`;
  if (kind === "compensation") return `undo ${name}`;
  if (kind === "human" || kind === "event") return `await ${kind}`;
  return `${kind} ${name}`;
}

function errorText(e: FailureInfo | undefined): string | undefined {
  return e ? `${e.kind}: ${e.message}` : undefined;
}

/** Builds the timeline of a run. `events` may be empty: the journal's timestamps are used then. */
export function buildTrace(input: { run: LoadedRun; events: readonly VmEvent[]; plan?: Plan }): Trace {
  const { run, plan } = input;
  const snap = run.snapshot;
  const names = callNames(plan);
  const calls = callsOfRun(run, plan, names);
  const events = input.events.filter((e) => e.runId === snap.runId);
  const source: Trace["source"] = events.length ? "events" : "journal";
  const j = journalOf(run, names, calls);
  const { rows, executions } = source === "events" ? rowsFromEvents(j, events) : { rows: rowsFromJournal(j), executions: 1 };
  // By start; at one instant a step comes before what it contains, and otherwise rows keep the
  // order they were recorded in (the sort is stable).
  rows.sort((a, b) => a.start - b.start || rank(a) - rank(b) || (a.type === "step" && b.type === "step" ? a.depth - b.depth : 0));
  const ordered = nest(rows);
  return {
    runId: snap.runId,
    graph: snap.graph,
    status: snap.status,
    startedAt: j.t0,
    durationMs: Math.max(0, lastRecorded(run, events) - j.t0),
    source,
    executions: Math.max(1, executions),
    rows: ordered,
    nodes: nodeOutcomes(plan?.graphs[snap.graph], ordered),
    totals: totalsOf(ordered, calls),
    calls,
    ...(snap.error ? { error: snap.error } : {}),
    ...(snap.pending?.length ? { pending: snap.pending } : {}),
  };
}

/** What the row builders read: the run, its calls by journal key, its journal's intents and outcomes by key. */
interface JournalView {
  snap: RunRecord;
  /** The run's creation time: row offsets count from here. */
  t0: number;
  names: Map<string, string>;
  callByKey: Map<string, CallRecord>;
  intents: Map<string, JournalEntry>;
  outcomes: Map<string, JournalEntry>;
}

function journalOf(run: LoadedRun, names: Map<string, string>, calls: readonly CallRecord[]): JournalView {
  const intents = new Map<string, JournalEntry>();
  const outcomes = new Map<string, JournalEntry>();
  for (const e of run.journal) (e.phase === "intent" ? intents : outcomes).set(e.key, e);
  return { snap: run.snapshot, t0: run.snapshot.createdAt, names, callByKey: new Map(calls.map((c) => [c.key, c])), intents, outcomes };
}

/** The instant of the last thing recorded: a journal entry, an event, or the last update of a run that stopped. */
function lastRecorded(run: LoadedRun, events: readonly VmEvent[]): number {
  const snap = run.snapshot;
  let last = snap.createdAt;
  for (const e of run.journal) if (e.at > last) last = e.at;
  for (const e of events) if (e.at > last) last = e.at;
  if (snap.updatedAt > last && snap.status !== "running") last = snap.updatedAt;
  return last;
}

// ------------------------------------------------------------------ rows from the stored events

type MarkEvent = Extract<VmEvent, { type: "retry" | "fallback" | "compensation" | "handoff" | "warning" | "breaker" }>;

/** The rows of the events (one execution after another), then the calls the events do not show. */
function rowsFromEvents(j: JournalView, events: readonly VmEvent[]): { rows: TraceRow[]; executions: number } {
  const rows: TraceRow[] = [];
  const openSteps = new Map<string, TraceRow>();
  const openCalls = new Map<string, TraceRow>();
  const finishedOk = new Set<string>();
  const covered = new Set<string>();
  let hidden = new Set<string>();
  let executions = 0;
  for (const e of events) {
    const execution = Math.max(1, executions);
    switch (e.type) {
      case "run.started":
        executions++;
        hidden = new Set();
        break;
      case "step.started": {
        // A later execution re-runs finished steps from the journal: not shown again.
        if (finishedOk.has(e.step)) {
          hidden.add(e.step);
          break;
        }
        const row = stepRow(e.step, e.node, e.at - j.t0, execution);
        rows.push(row);
        openSteps.set(e.step, row);
        break;
      }
      case "step.finished": {
        if (hidden.has(e.step)) break;
        let row = openSteps.get(e.step);
        if (row) openSteps.delete(e.step);
        else {
          // The store keeps a repeated event once: a step run again on resume (it had suspended)
          // may have its finish stored without a second start.
          row = stepRow(e.step, e.node, e.at - e.durationMs - j.t0, execution);
          rows.push(row);
        }
        row.durationMs = e.durationMs;
        row.status = e.status;
        if (e.status === "ok") finishedOk.add(e.step);
        break;
      }
      case "effect.requested": {
        if (e.replayed) break;
        const row = callRowFromEvent(j, e, execution);
        rows.push(row);
        openCalls.set(e.key, row);
        covered.add(e.key);
        break;
      }
      case "effect.completed": {
        if (e.replayed) break;
        const row = openCalls.get(e.key);
        if (!row) break;
        openCalls.delete(e.key);
        completeCallRow(j, row, e);
        break;
      }
      case "retry":
      case "fallback":
      case "compensation":
      case "handoff":
      case "warning":
      case "breaker": {
        const at = e.type === "breaker" ? undefined : stepOfKey(e.key);
        // Replaying a finished step repeats its retries and fallbacks from the journal: not shown again.
        if (at && hidden.has(at.step)) break;
        rows.push(markRow(e, at, j.t0, execution));
        break;
      }
      default:
        break;
    }
  }
  // What the events do not show: awaits (answered from the journal, not through an effect), and
  // calls whose events were not stored.
  for (const intent of j.intents.values()) if (!covered.has(intent.key)) rows.push(callRowFromJournal(j, intent, executionAt(events, intent.at)));
  return { rows, executions };
}

/** A step that started (or finished) at `start`, unfinished until its finish is seen. */
function stepRow(step: string, node: string, start: number, execution: number): TraceRow {
  return { id: step, type: "step", depth: stepOfKey(step)?.depth ?? 0, label: node, node, start, durationMs: null, status: "unfinished", execution };
}

function callRowFromEvent(j: JournalView, e: Extract<VmEvent, { type: "effect.requested" }>, execution: number): TraceRow {
  const c = j.callByKey.get(e.key);
  const at = stepOfKey(e.key);
  const model = e.model ?? c?.model;
  return {
    id: e.key,
    type: "call",
    depth: at ? at.depth + 1 : 0,
    label: callLabel(e.kind, e.name, model),
    ...(at ? { node: at.node, parent: at.step } : {}),
    kind: e.kind,
    name: e.name,
    ...(model ? { model } : {}),
    start: e.at - j.t0,
    durationMs: null,
    status: "unfinished",
    execution,
  };
}

/** A call's end: its duration and status, tokens and cost (a model call's from the journal), and why it failed. */
function completeCallRow(j: JournalView, row: TraceRow, e: Extract<VmEvent, { type: "effect.completed" }>): void {
  row.durationMs = e.durationMs;
  row.status = e.ok ? "ok" : "failed";
  const c = j.callByKey.get(e.key);
  const out = j.outcomes.get(e.key);
  if (c?.kind === "model" && e.ok) {
    row.tokens = c.tokens;
    row.costUsd = c.costUsd;
  } else if (e.ok && e.tokens) {
    row.tokens = e.tokens;
    if (e.costUsd !== undefined) row.costUsd = e.costUsd;
  }
  const error = out?.error ?? e.error;
  if (!e.ok && error) row.detail = errorText(error);
}

/** A mark: an instant in a step (a retry, a fallback, …) or, for a breaker, in the run. */
function markRow(e: MarkEvent, at: StepOfKey | undefined, t0: number, execution: number): TraceRow {
  const detail = e.type === "retry" ? errorText(e.error) : e.type === "warning" ? e.message : e.type === "breaker" ? `after ${e.failures} failure${e.failures === 1 ? "" : "s"}` : undefined;
  return {
    id: e.type === "breaker" ? `breaker:${e.target}` : e.key,
    type: "mark",
    depth: at ? at.depth + 1 : 0,
    label: markLabel(e),
    ...(at ? { node: at.node, parent: at.step } : {}),
    start: e.at - t0,
    durationMs: null,
    status: e.type === "retry" || (e.type === "breaker" && e.state === "open") ? "failed" : "ok",
    ...(detail ? { detail } : {}),
    execution,
  };
}

function markLabel(e: MarkEvent): string {
  switch (e.type) {
    case "retry":
      return `↻ retry ${e.attempt}`;
    case "fallback":
      return `↪ fallback ${e.from} → ${e.to}`;
    case "compensation":
      return `↺ compensate with ${e.tool}`;
    case "handoff":
      return `⇄ handoff ${e.from} → ${e.to}`;
    case "warning":
      return "⚠ warning";
    case "breaker":
      return `⚡ breaker ${e.target} ${e.state}`;
  }
}

// ------------------------------------------------------------------ rows from the journal

/** A call's row from its journal entries: `intent`, and its outcome if there is one. */
function callRowFromJournal(j: JournalView, intent: JournalEntry, execution: number): TraceRow {
  const out = j.outcomes.get(intent.key);
  const c = j.callByKey.get(intent.key);
  const at = stepOfKey(intent.key);
  const waiting = (intent.kind === "human" || intent.kind === "event") && !out;
  const status: RowStatus = out ? (out.error ? "failed" : "ok") : waiting && j.snap.status === "suspended" ? "suspended" : "unfinished";
  const name = c?.caller ?? (intent.kind === "human" || intent.kind === "event" ? intent.kind : (j.names.get(intent.step) ?? intent.step));
  const reason = typeof intent.value === "object" && intent.value !== null && !Array.isArray(intent.value) ? intent.value["reason"] : undefined;
  return {
    id: intent.key,
    type: "call",
    depth: at ? at.depth + 1 : 0,
    label: callLabel(intent.kind, name, c?.model),
    ...(at ? { node: at.node, parent: at.step } : {}),
    kind: intent.kind,
    name,
    ...(c?.model ? { model: c.model } : {}),
    start: intent.at - j.t0,
    durationMs: out ? out.at - intent.at : null,
    status,
    ...(c?.kind === "model" && status === "ok" ? { tokens: c.tokens, costUsd: c.costUsd } : {}),
    ...(out?.error ? { detail: errorText(out.error) } : typeof reason === "string" ? { detail: reason } : {}),
    execution,
  };
}

/** Without events: every call's row, under a step spanning its calls (and the sub-graph steps it called). */
function rowsFromJournal(j: JournalView): TraceRow[] {
  const rows: TraceRow[] = [];
  const steps = new Map<string, TraceRow>();
  for (const intent of j.intents.values()) {
    const row = callRowFromJournal(j, intent, 1);
    const at = stepOfKey(intent.key);
    if (at) {
      let step = steps.get(at.step);
      if (!step) {
        step = impliedStep(at.step, at, row.start, 0);
        steps.set(at.step, step);
        rows.push(step);
      }
      cover(step, row);
    }
    rows.push(row);
  }
  addCallingSteps(steps, rows);
  settleStepStatuses(j.snap, steps, rows);
  return rows;
}

/** A step known only by what it contains: ok until its contents say otherwise. */
function impliedStep(id: string, at: StepOfKey, start: number, durationMs: number | null): TraceRow {
  return { id, type: "step", depth: at.depth, label: at.node, node: at.node, start, durationMs, status: "ok", execution: 1 };
}

/** Stretches `parent` to span `child` too. */
function cover(parent: TraceRow, child: TraceRow): void {
  const end = Math.max(parent.start + (parent.durationMs ?? 0), child.start + (child.durationMs ?? 0));
  parent.start = Math.min(parent.start, child.start);
  parent.durationMs = end - parent.start;
}

/** A sub-graph's steps imply the step that called it (which has no journal entry of its own). */
function addCallingSteps(steps: Map<string, TraceRow>, rows: TraceRow[]): void {
  const ensureParent = (child: TraceRow) => {
    const parentId = parentStepOf(child.id);
    const at = parentId === undefined ? undefined : stepOfKey(parentId);
    if (parentId === undefined || !at) return;
    let parent = steps.get(parentId);
    if (!parent) {
      parent = impliedStep(parentId, at, child.start, child.durationMs);
      steps.set(parentId, parent);
      rows.push(parent);
    }
    cover(parent, child);
    ensureParent(parent);
  };
  for (const step of [...steps.values()]) ensureParent(step);
}

/**
 * A step's status: the run's failure or pending interrupt if it is there, else that of its last
 * call or sub-graph step (deepest steps first, so a caller sees its sub-graph's status).
 */
function settleStepStatuses(snap: RunRecord, steps: Map<string, TraceRow>, rows: readonly TraceRow[]): void {
  const failedStep = snap.error?.step ? stepOfKey(snap.error.step)?.step : undefined;
  const waiting = new Set((snap.pending ?? []).map((p) => stepOfKey(p.id)?.step));
  for (const step of [...steps.values()].sort((a, b) => b.depth - a.depth)) {
    const mine = rows.filter((r) => (r.type === "call" && r.parent === step.id) || (r.type === "step" && parentStepOf(r.id) === step.id)).sort((a, b) => a.start - b.start);
    const last = mine[mine.length - 1];
    step.status = step.id === failedStep ? "failed" : waiting.has(step.id) ? "suspended" : last && last.status !== "ok" ? last.status : "ok";
  }
}

// ------------------------------------------------------------------ outcomes and totals

/** The outcome of every node of the run's graph: its last top-level step's status, else not run. */
function nodeOutcomes(graph: GraphPlan | undefined, rows: readonly TraceRow[]): Record<string, NodeOutcome> {
  const nodes: Record<string, NodeOutcome> = {};
  for (const n of graph?.nodes ?? []) nodes[n.name] = "not_run";
  for (const r of rows) if (r.type === "step" && r.depth === 0 && r.node !== undefined) nodes[r.node] = r.status;
  return nodes;
}

/** Steps from the rows; calls, tokens and cost from the journal's call records. */
function totalsOf(rows: readonly TraceRow[], calls: readonly CallRecord[]): TraceTotals {
  const totals: TraceTotals = { steps: rows.filter((r) => r.type === "step").length, modelCalls: 0, failedModelCalls: 0, toolCalls: 0, failedToolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  for (const c of calls) {
    if (c.kind === "model") {
      totals.modelCalls++;
      if (c.status === "failed") totals.failedModelCalls++;
    } else {
      totals.toolCalls++;
      if (c.status === "failed") totals.failedToolCalls++;
    }
    totals.inputTokens += c.tokens.input;
    totals.outputTokens += c.tokens.output;
    totals.costUsd += c.costUsd;
  }
  return totals;
}

function rank(r: TraceRow): number {
  return r.type === "step" ? 0 : 1;
}

/** The execution (1-based) an instant belongs to: the number of `run.started` events up to it. */
function executionAt(events: readonly VmEvent[], at: number): number {
  let n = 0;
  for (const e of events) if (e.type === "run.started" && e.at <= at) n++;
  return Math.max(1, n);
}

/**
 * Orders rows (sorted by start) so each step is followed by its calls and marks and the steps of
 * the sub-graphs it calls. A step key run twice (a suspended step run again on resume) has two
 * rows; a child goes to the latest of them that started before it.
 */
function nest(rows: TraceRow[]): TraceRow[] {
  const latest = new Map<string, TraceRow>();
  const children = new Map<TraceRow, TraceRow[]>();
  const roots: TraceRow[] = [];
  for (const r of rows) {
    const parentId = r.type === "step" ? parentStepOf(r.id) : r.parent;
    const parent = parentId === undefined ? undefined : latest.get(parentId);
    if (parent && parent !== r) (children.get(parent) ?? children.set(parent, []).get(parent)!).push(r);
    else roots.push(r);
    if (r.type === "step") latest.set(r.id, r);
  }
  const out: TraceRow[] = [];
  const visit = (r: TraceRow) => {
    out.push(r);
    for (const c of children.get(r) ?? []) visit(c);
  };
  roots.forEach(visit);
  return out;
}

// ------------------------------------------------------------------ text

/** "12 ms", "3.4 s", "2m 05s", "1h 02m". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

const GLYPH: Record<RowStatus, string> = { ok: "✓", failed: "✗", suspended: "⏸", unfinished: "…" };
const COLOR: Record<RowStatus, string> = { ok: "32", failed: "31", suspended: "33", unfinished: "35" };

export interface TraceTextOptions {
  /** Escape codes allowed (a TTY without NO_COLOR). */
  color: boolean;
  /** The terminal's width: when set, each row ends with a bar scaled to the run's duration. */
  width?: number;
}

/** The timeline as text: a header, one line per step / call / mark, the totals. */
export function traceText(t: Trace, opts: TraceTextOptions): string {
  const paint = (code: string, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const out: string[] = [];
  out.push(`run ${t.runId}  graph ${t.graph}  ${paint(t.status === "completed" ? "32" : t.status === "failed" || t.status === "needs_attention" ? "31" : "33", t.status)}  ${formatMs(t.durationMs)}`);
  out.push(paint("2", `started ${new Date(t.startedAt).toISOString()} · ${t.executions} execution${t.executions === 1 ? "" : "s"} · timeline from ${t.source === "events" ? "the stored events" : "the journal (no events stored; steps without calls are not shown)"}`));
  if (t.error) out.push(paint("31", `error: ${t.error.kind}: ${t.error.message}${t.error.step ? ` (step ${t.error.step})` : ""}`));
  for (const p of t.pending ?? []) out.push(paint("33", `waiting for ${p.kind}: ${p.reason}`));
  out.push("");
  const cells = t.rows.map((r) => ({
    start: `+${formatMs(r.start)}`,
    dur: r.durationMs === null ? "" : formatMs(r.durationMs),
    label: `${"  ".repeat(r.depth)}${r.type === "mark" ? "" : `${GLYPH[r.status]} `}${r.label}${r.detail && (r.status !== "ok" || r.type === "mark") ? `  (${r.detail})` : ""}`,
    tokens: r.tokens ? `${r.tokens.input}/${r.tokens.output}` : "",
    cost: r.costUsd !== undefined ? formatUsd(r.costUsd) : "",
    row: r,
  }));
  const head = { start: "start", dur: "duration", label: "step / call", tokens: "tokens in/out", cost: "cost USD" };
  const w = {
    start: Math.max(head.start.length, ...cells.map((c) => c.start.length)),
    dur: Math.max(head.dur.length, ...cells.map((c) => c.dur.length)),
    label: Math.min(72, Math.max(head.label.length, ...cells.map((c) => c.label.length))),
    tokens: Math.max(head.tokens.length, ...cells.map((c) => c.tokens.length)),
    cost: Math.max(head.cost.length, ...cells.map((c) => c.cost.length)),
  };
  // "  |" + bar + "|", one column spare so a terminal never wraps the line; long labels give way
  // (down to 32 columns) so the bars keep at least 30.
  const others = w.start + w.dur + w.tokens + w.cost + 8 + 5;
  if (opts.width !== undefined && opts.width - others - w.label < 30) w.label = Math.max(32, Math.min(w.label, opts.width - others - 30));
  const barWidth = opts.width !== undefined ? opts.width - others - w.label : 0;
  const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));
  const line = (c: { start: string; dur: string; label: string; tokens: string; cost: string }, bar = "") =>
    `${c.start.padStart(w.start)}  ${c.dur.padStart(w.dur)}  ${clip(c.label, w.label)}  ${c.tokens.padStart(w.tokens)}  ${c.cost.padStart(w.cost)}${bar}`.trimEnd();
  out.push(paint("1", line(head, barWidth >= 10 ? `  |${" ".repeat(barWidth)}|` : "")));
  for (const c of cells) {
    let bar = "";
    if (barWidth >= 10) bar = `  |${paint(COLOR[c.row.status], barOf(c.row, t.durationMs, barWidth))}|`;
    const text = line(c, bar);
    out.push(c.row.status === "ok" || c.row.type === "mark" ? text : text.replace(GLYPH[c.row.status], paint(COLOR[c.row.status], GLYPH[c.row.status])));
  }
  if (!t.rows.length) out.push(paint("2", "(nothing recorded)"));
  out.push("");
  const x = t.totals;
  out.push(
    `${x.steps} step${x.steps === 1 ? "" : "s"} · ${x.modelCalls} model call${x.modelCalls === 1 ? "" : "s"}${x.failedModelCalls ? ` (${x.failedModelCalls} failed)` : ""} · ${x.toolCalls} tool call${x.toolCalls === 1 ? "" : "s"}${x.failedToolCalls ? ` (${x.failedToolCalls} failed)` : ""} · tokens ${x.inputTokens} in / ${x.outputTokens} out · cost ${formatUsd(x.costUsd)} USD`,
  );
  return `${out.join("\n")}\n`;
}

/** A bar of `width` cells: blank before the row starts, filled while it lasts (at least one cell). */
function barOf(r: TraceRow, total: number, width: number): string {
  const span = Math.max(1, total);
  const from = Math.min(width - 1, Math.floor((r.start / span) * width));
  if (r.type === "mark") return `${" ".repeat(from)}│${" ".repeat(width - from - 1)}`;
  const len = r.durationMs === null ? width - from : Math.max(1, Math.round((r.durationMs / span) * width));
  const to = Math.min(width, from + len);
  return `${" ".repeat(from)}${"█".repeat(to - from)}${" ".repeat(width - to)}`;
}
