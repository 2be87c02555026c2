// The `awr/vm` package entry: the runtime (vm/index.ts) and, as before ops/ left vm/, the reports and
// observability embedders import from it (`createTracing`, `createMetrics`, `buildTrace`, …). New
// code can import those from `awr/ops`. It lives here because vm/ never imports ops/.
export * from "../vm/index.js";
export { PostgresStore, type PostgresStoreOptions } from "./postgres-store.js";
export * from "./observability/index.js";
export {
  buildTrace,
  traceText,
  traceHtml,
  costReport,
  costText,
  callsOfRun,
  callsInRange,
  type Trace,
  type TraceRow,
  type CostReport,
  type CostRow,
  type CostGroupBy,
  type CallRecord,
} from "./report/index.js";
