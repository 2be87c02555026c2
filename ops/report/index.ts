// Run reports: `awr cost` (cost.ts) and `awr trace` (trace.ts, html.ts), built on the calls the
// journal recorded (calls.ts). Pure: callers load runs, events, plans and audit records.
export { stepOfKey } from "../../vm/keys.js";
export { callsOfRun, callNames, usageOf, type CallRecord, type CallStatus } from "./calls.js";
export { costReport, costText, formatUsd, COST_GROUPS, type CostGroupBy, type CostReport, type CostRow, type FailedCall } from "./cost.js";
export { buildTrace, traceText, formatMs, type Trace, type TraceRow, type TraceTotals, type RowStatus, type NodeOutcome, type TraceTextOptions } from "./trace.js";
export { traceHtml, type HtmlReportInput } from "./html.js";
export { graphSvg, graphShape } from "./graph-svg.js";
export { layoutGraph as graphLayout, renderGraphSvg, overlaps, type GraphJson, type GraphLayout, type EdgeKind } from "./graph-layout.js";
export { escapeHtml } from "./escape.js";
export { planLoader, callsInRange } from "./load.js";
