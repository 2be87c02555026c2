// Observability of runs: OpenTelemetry tracing and Prometheus metrics, fed by the runtime's events
// (docs/observability.md). The circuit breakers are the runtime's own (vm/health.ts).
export { createTracing, captureContentFromEnv, type Tracing, type TracingOptions } from "./tracing.js";
export { fanOut } from "./fan-out.js";
export { otlpTracingFromEnv, otlpConfigured, type OtlpTracing } from "./otlp.js";
export { createMetrics, serveMetrics, CIRCUIT_STATE_VALUE, type Metrics, type MetricsOptions } from "./metrics.js";
export { observe, ObserveError, type ObserveOptions, type Observing } from "./observe.js";
