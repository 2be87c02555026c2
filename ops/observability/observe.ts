// One process's observability in one call: tracing (a given tracer, or OTLP/HTTP export when the
// OTEL_* environment configures it) and metrics served on /metrics, combined into one event
// handler for `createRuntime`. `awr run` uses it; services may too.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Tracer } from "@opentelemetry/api";
import type { Plan } from "../../compiler/plan/index.js";
import type { VmEvent } from "../../vm/types.js";
import { fanOut } from "./fan-out.js";
import type { Metrics } from "./metrics.js";
import { otlpTracingFromEnv } from "./otlp.js";
import type { Tracing } from "./tracing.js";

export interface ObserveOptions {
  plan?: Plan;
  env?: Record<string, string | undefined>;
  /** Trace with this tracer; without one, OTLP export when the environment configures it. */
  tracer?: Tracer;
  /** Content capture on spans (default: AWR_OTEL_CAPTURE_CONTENT=1). */
  captureContent?: boolean;
  /** Serve metrics on http://HOST:PORT/metrics (port 0: any free port). */
  metrics?: { port: number; host?: string };
  /** Also call these with every event. */
  onEvent?: ((e: VmEvent) => void) | undefined;
}

export interface Observing {
  /** Give to `createRuntime({ onEvent })`. */
  onEvent: (e: VmEvent) => void;
  /** Give to `createRuntime({ captureContent })`. */
  captureContent: boolean;
  tracing?: Tracing;
  metrics?: Metrics;
  /** Where the metrics are served, e.g. http://127.0.0.1:9464/metrics. */
  metricsUrl?: string;
  /** Stops serving metrics, ends open spans and flushes the exporter. */
  shutdown(): Promise<void>;
}

/** Serving metrics failed (a busy port, an address that is not ours): the message says which. */
export class ObserveError extends Error {
  readonly _tag = "ObserveError";
}

export async function observe(o: ObserveOptions = {}): Promise<Observing> {
  const env = o.env ?? process.env;
  const otlp = o.tracer ? undefined : await otlpTracingFromEnv(env);
  const tracer = o.tracer ?? otlp?.tracer;
  // Loaded only when used: a run without tracing or metrics pays for neither.
  const tracing = tracer ? (await import("./tracing.js")).createTracing({ tracer, env, ...(o.plan ? { plan: o.plan } : {}), ...(o.captureContent === undefined ? {} : { captureContent: o.captureContent }) }) : undefined;
  let metrics: Metrics | undefined;
  let server: Server | undefined;
  let metricsUrl: string | undefined;
  if (o.metrics) {
    const host = o.metrics.host ?? "127.0.0.1";
    const { createMetrics, serveMetrics } = await import("./metrics.js");
    metrics = createMetrics();
    try {
      server = await serveMetrics(metrics.registry, o.metrics.port, host);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === "EADDRINUSE" ? "the port is in use" : code === "EADDRNOTAVAIL" ? "the address is not one of this machine's" : code === "EACCES" ? "permission denied" : (e as Error).message;
      await otlp?.shutdown();
      throw new ObserveError(`cannot serve metrics on ${host}:${o.metrics.port}: ${why}`);
    }
    const a = server.address() as AddressInfo;
    metricsUrl = `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}/metrics`;
  }
  return {
    onEvent: fanOut(tracing?.onEvent, metrics?.onEvent, o.onEvent),
    captureContent: tracing?.captureContent ?? false,
    ...(tracing ? { tracing } : {}),
    ...(metrics ? { metrics } : {}),
    ...(metricsUrl ? { metricsUrl } : {}),
    async shutdown() {
      tracing?.endAll();
      if (server) {
        const s = server;
        server = undefined;
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
      await otlp?.shutdown();
    },
  };
}
