// Prometheus metrics from VmEvents (prom-client). Each `createMetrics()` has its own Registry (never
// prom-client's global one), so several runtimes in one process do not mix. `serveMetrics` serves a
// registry on `/metrics`; `awr run --metrics-port` uses both.
//
// Only work done in this process is counted: effects served from the journal (replayed on resume or
// recovery) add no duration, tokens or cost, so a resumed run is not billed twice.
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { BreakerState, VmEvent } from "../../vm/types.js";
import { graphOfStep } from "../../vm/keys.js";

export interface MetricsOptions {
  /** The registry to register in (default: a new one). */
  registry?: Registry;
  /** Histogram buckets in seconds for run, step and effect durations. */
  buckets?: number[];
}

export interface Metrics {
  readonly registry: Registry;
  /** Pass to `createRuntime({ onEvent })` (or call from your own handler). */
  onEvent(e: VmEvent): void;
}

/** The value of `awr_circuit_state`: 0 closed, 1 half open, 2 open. */
export const CIRCUIT_STATE_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = opts.registry ?? new Registry();
  const registers = [registry];
  const buckets = opts.buckets ?? DEFAULT_BUCKETS;
  const runs = new Counter({ name: "awr_runs_total", help: "Executions of runs that stopped, by graph and status (completed, failed, suspended, cancelled)", labelNames: ["graph", "status"], registers });
  const runDuration = new Histogram({ name: "awr_run_duration_seconds", help: "Wall time of an execution of a run (start, resume or recovery), by graph and status", labelNames: ["graph", "status"], buckets, registers });
  const stepDuration = new Histogram({ name: "awr_step_duration_seconds", help: "Duration of a node invocation, by graph, node and status (ok, failed, suspended)", labelNames: ["graph", "node", "status"], buckets, registers });
  const effectDuration = new Histogram({
    name: "awr_effect_duration_seconds",
    help: "Duration of a performed effect (model call attempt, tool call, ...), by kind, callee name and outcome (ok, failed); journal replays excluded",
    labelNames: ["kind", "name", "outcome"],
    buckets,
    registers,
  });
  const tokens = new Counter({ name: "awr_model_tokens_total", help: "Tokens of model calls by model declaration and direction (input, output)", labelNames: ["model", "direction"], registers });
  const cost = new Counter({ name: "awr_cost_usd_total", help: "Cost of model calls in USD (frozen at call time from the plan's price table), by model declaration", labelNames: ["model"], registers });
  const modelCalls = new Counter({ name: "awr_model_calls_total", help: "Model call attempts by model declaration and outcome (ok, failed)", labelNames: ["model", "outcome"], registers });
  const retries = new Counter({ name: "awr_retries_total", help: "Retries of model calls and nodes, by the failure kind that caused them", labelNames: ["failure"], registers });
  const fallbacks = new Counter({ name: "awr_fallbacks_total", help: "Fallbacks from one model to the next of its chain", labelNames: ["from", "to"], registers });
  const handoffs = new Counter({ name: "awr_handoffs_total", help: "Handoffs of a conversation from one agent to another", labelNames: ["from", "to"], registers });
  const policies = new Counter({ name: "awr_policy_decisions_total", help: "Policy decisions by policy and outcome (allow, deny, approve, redact, transform)", labelNames: ["policy", "outcome"], registers });
  const compensations = new Counter({ name: "awr_compensations_total", help: "Compensation (undo) steps run, by tool", labelNames: ["tool"], registers });
  const circuit = new Gauge({ name: "awr_circuit_state", help: "Circuit breaker state per target (model:NAME, tool:NAME): 0 closed, 1 half open, 2 open", labelNames: ["target"], registers });
  const transitions = new Counter({ name: "awr_circuit_transitions_total", help: "Circuit breaker state changes, by target and new state", labelNames: ["target", "state"], registers });

  const started = new Map<string, { graph: string; at: number }>();
  const stopped = (runId: string, status: string, at: number) => {
    const s = started.get(runId);
    if (!s) return;
    started.delete(runId);
    runs.inc({ graph: s.graph, status });
    runDuration.observe({ graph: s.graph, status }, Math.max(0, at - s.at) / 1000);
  };

  const onEvent = (e: VmEvent) => {
    switch (e.type) {
      case "run.started":
        started.set(e.runId, { graph: e.graph, at: e.at });
        return;
      case "run.completed":
        return stopped(e.runId, "completed", e.at);
      case "run.suspended":
        return stopped(e.runId, "suspended", e.at);
      case "run.failed":
        return stopped(e.runId, e.error.kind === "cancelled" ? "cancelled" : "failed", e.at);
      case "step.finished":
        stepDuration.observe({ graph: graphOfStep(e.step) ?? started.get(e.runId)?.graph ?? "", node: e.node, status: e.status }, Math.max(0, e.durationMs) / 1000);
        return;
      case "effect.completed": {
        if (e.replayed) return;
        const outcome = e.ok ? "ok" : "failed";
        effectDuration.observe({ kind: e.kind, name: e.name, outcome }, Math.max(0, e.durationMs) / 1000);
        if (e.model === undefined) return;
        modelCalls.inc({ model: e.model, outcome });
        if (e.tokens) {
          tokens.inc({ model: e.model, direction: "input" }, e.tokens.input);
          tokens.inc({ model: e.model, direction: "output" }, e.tokens.output);
        }
        if (e.costUsd !== undefined && e.costUsd > 0) cost.inc({ model: e.model }, e.costUsd);
        else if (e.costUsd !== undefined) cost.inc({ model: e.model }, 0); // the series exists from the first call
        return;
      }
      case "retry":
        retries.inc({ failure: e.error.kind });
        return;
      case "fallback":
        fallbacks.inc({ from: e.from, to: e.to });
        return;
      case "handoff":
        handoffs.inc({ from: e.from, to: e.to });
        return;
      case "compensation":
        compensations.inc({ tool: e.tool });
        return;
      case "policy":
        if (!e.replayed) policies.inc({ policy: e.policy, outcome: e.outcome });
        return;
      case "breaker":
        circuit.set({ target: e.target }, CIRCUIT_STATE_VALUE[e.state]);
        transitions.inc({ target: e.target, state: e.state });
        return;
    }
  };
  return { registry, onEvent };
}

/**
 * Serves `registry` on `http://HOST:PORT/metrics` (port 0: any free port; read it from
 * `server.address()`). Resolves once listening; close the server when done.
 */
export function serveMetrics(registry: Registry, port: number, host = "127.0.0.1"): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: the metrics are on /metrics\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(req.method === "HEAD" ? undefined : text),
      (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
