// Observability of runs: OpenTelemetry tracing, Prometheus metrics and circuit breakers, all fed by
// the runtime's events (docs/observability.md).
export { createTracing, captureContentFromEnv, type Tracing, type TracingOptions } from "./tracing.js";
export { fanOut, stepKeyOf, parentStepOf, graphOfStep } from "./keys.js";
export { otlpTracingFromEnv, otlpConfigured, type OtlpTracing } from "./otlp.js";
export { createMetrics, serveMetrics, CIRCUIT_STATE_VALUE, type Metrics, type MetricsOptions } from "./metrics.js";
export { Breakers, withBreakers, countsAgainstEndpoint, type BreakerOptions, type BreakerChange } from "./health.js";
export { observe, ObserveError, type ObserveOptions, type Observing } from "./observe.js";
