// Export of traces over OTLP/HTTP, configured by the standard OpenTelemetry environment: a tracer
// provider exists only when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set
// (and OTEL_SDK_DISABLED is not true); otherwise nothing is built and nothing is sent. The SDK is
// loaded lazily, so a process without tracing never pays for it.
import type { Tracer } from "@opentelemetry/api";

export interface OtlpTracing {
  tracer: Tracer;
  /** Flushes the spans still buffered and stops the exporter (call before the process exits). */
  shutdown(): Promise<void>;
}

/** Whether the environment asks for OTLP trace export. */
export function otlpConfigured(env: Record<string, string | undefined> = process.env): boolean {
  if ((env["OTEL_SDK_DISABLED"] ?? "").toLowerCase() === "true") return false;
  if ((env["OTEL_TRACES_EXPORTER"] ?? "").toLowerCase() === "none") return false;
  return Boolean(env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] || env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
}

/**
 * A tracer provider exporting over OTLP/HTTP (endpoint, headers and protocol details from the
 * OTEL_EXPORTER_OTLP_* variables, read by the exporter), or undefined when none is configured.
 * `service.name` is OTEL_SERVICE_NAME, default "awr".
 */
export async function otlpTracingFromEnv(env: Record<string, string | undefined> = process.env): Promise<OtlpTracing | undefined> {
  if (!otlpConfigured(env)) return undefined;
  const [{ BasicTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": env["OTEL_SERVICE_NAME"] || "awr" }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  return {
    tracer: provider.getTracer("awr"),
    shutdown: () => provider.shutdown(),
  };
}
