// awr/ops — what reads a runtime's events and stored runs without being the runtime: run reports
// (`awr trace`, `awr cost`, the HTML page, the graph drawing) and observability (OpenTelemetry
// tracing, Prometheus metrics, `observe`). Imports vm/ and compiler/plan/; vm/ never imports ops/.
export * from "./report/index.js";
export * from "./observability/index.js";
