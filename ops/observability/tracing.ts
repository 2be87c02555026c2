// Tracing: an event consumer that turns the VmEvents of a runtime into OpenTelemetry spans, following
// the GenAI semantic conventions. Users plug their own provider (a `Tracer` is passed in); `otlp.ts`
// builds one that exports over OTLP/HTTP when the OTEL_* environment asks for it.
//
//   awr.run <graph>                      one per execution (start, resume, recovery)
//   └─ awr.step <node>                   one per node invocation (nested graphs: under the calling step)
//      ├─ chat <model>                   a model call attempt (gen_ai.* attributes, tokens, cost)
//      └─ execute_tool <tool>            a tool call (also compensations, with awr.compensation)
//
// Times come from the events (`at`), so a span's start and end are those the VM saw. Content
// (messages, tool arguments and results) is recorded only when capture is switched on.
import { context as otelContext, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from "@opentelemetry/api";
import type { Plan } from "../../compiler/plan/index.js";
import type { FailureInfo, Json, VmEvent } from "../../vm/types.js";
import { graphOfStep, graphScopeOf, parentKey as keyAbove, parentStepOf, parseKey, stepKeyOf } from "../../vm/keys.js";

export { fanOut } from "./fan-out.js";
export { graphOfStep, parentStepOf, stepKeyOf } from "../../vm/keys.js";

export interface TracingOptions {
  tracer: Tracer;
  /** The plan the runtime executes: provider names and model ids for the gen_ai.* attributes. */
  plan?: Plan;
  /**
   * Record prompts, answers, tool arguments and results on the spans. Off by default; also switched
   * on by AWR_OTEL_CAPTURE_CONTENT=1. The runtime must emit content: `createRuntime({ captureContent })`.
   */
  captureContent?: boolean;
  env?: Record<string, string | undefined>;
}

export interface Tracing {
  /** Pass to `createRuntime({ onEvent })` (or call from your own handler). */
  onEvent(e: VmEvent): void;
  /** Whether content is captured (give it to `createRuntime({ captureContent })`). */
  readonly captureContent: boolean;
  /** Ends the spans of executions still open (e.g. at shutdown), with status UNSET. */
  endAll(at?: number): void;
}

interface Open {
  span: Span;
  ctx: Context;
}

interface RunTrace extends Open {
  graph: string;
  steps: Map<string, Open>;
  /** Step spans not finished yet (ended when the execution stops). */
  openSteps: Set<string>;
  effects: Map<string, Span>;
  /** Open superstep spans by graph scope (`…graph:NAME`): the parents of that scope's step spans. */
  supersteps: Map<string, Open>;
}

/** Which assembly an effect is: an agent's `KEY/context<S>` or `KEY/memory<S>`, a prompt's `KEY/context`. */
function contextAssembly(kind: string, key: string): "context" | "memory" | undefined {
  const k = parseKey(key);
  if (k?.kind !== "context") return undefined;
  if (kind === "agent" && k.segment !== undefined) return k.source;
  return kind === "prompt" && k.segment === undefined ? "context" : undefined;
}

/** Whether AWR_OTEL_CAPTURE_CONTENT asks for content capture. */
export function captureContentFromEnv(env: Record<string, string | undefined> = process.env): boolean {
  const v = env["AWR_OTEL_CAPTURE_CONTENT"];
  return v === "1" || v === "true";
}

export function createTracing(opts: TracingOptions): Tracing {
  const tracer = opts.tracer;
  const capture = opts.captureContent ?? captureContentFromEnv(opts.env);
  const runs = new Map<string, RunTrace>();
  const time = (ms: number) => new Date(ms);

  const stepOf = (r: RunTrace, key: string): Open => {
    const s = stepKeyOf(key);
    return (s && r.steps.get(s)) || r;
  };

  const fail = (span: Span, error: FailureInfo | undefined) => {
    if (!error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      return;
    }
    span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.kind}: ${error.message}` });
    span.setAttribute("error.type", error.kind);
  };

  const finishRun = (r: RunTrace, runId: string, at: number) => {
    for (const span of r.effects.values()) span.end(time(at));
    for (const k of r.openSteps) r.steps.get(k)?.span.end(time(at));
    for (const s of r.supersteps.values()) s.span.end(time(at));
    r.span.end(time(at));
    runs.delete(runId);
  };

  const modelAttributes = (model: string, request: boolean): Attributes => {
    const m = opts.plan?.models[model];
    const a: Attributes = { "awr.model": model };
    const id = m?.name ?? model;
    if (request) {
      a["gen_ai.request.model"] = id;
      if (m) {
        a["gen_ai.provider.name"] = m.provider;
        a["gen_ai.system"] = m.provider;
        if (m.temperature !== null) a["gen_ai.request.temperature"] = m.temperature;
        if (m.max_tokens !== null) a["gen_ai.request.max_tokens"] = m.max_tokens;
        if (m.base_url) {
          try {
            a["server.address"] = new URL(m.base_url).hostname;
          } catch {
            /* not a URL: no server.address */
          }
        }
      }
    } else a["gen_ai.response.model"] = id;
    return a;
  };

  const onEvent = (e: VmEvent) => {
    if (e.type === "run.started") {
      const old = runs.get(e.runId);
      if (old) finishRun(old, e.runId, e.at);
      const span = tracer.startSpan(`awr.run ${e.graph}`, { kind: SpanKind.INTERNAL, startTime: time(e.at), attributes: { "awr.run.id": e.runId, "awr.graph": e.graph } }, otelContext.active());
      runs.set(e.runId, { span, ctx: trace.setSpan(otelContext.active(), span), graph: e.graph, steps: new Map(), openSteps: new Set(), effects: new Map(), supersteps: new Map() });
      return;
    }
    const r = runs.get(e.runId);
    if (!r) return; // an execution that started before this consumer was attached
    switch (e.type) {
      case "superstep.started": {
        // Under the step that called this graph (a sub-graph), else under the run.
        const scope = graphScopeOf(e.key) ?? "";
        const call = parseKey(e.key);
        const callKey = call ? keyAbove(call) : undefined;
        const caller = callKey === undefined ? undefined : stepKeyOf(callKey);
        const parent = (caller && r.steps.get(caller)) || r;
        const span = tracer.startSpan(
          `awr.superstep ${e.graph} #${e.index}`,
          { kind: SpanKind.INTERNAL, startTime: time(e.at), attributes: { "awr.run.id": e.runId, "awr.graph": e.graph, "awr.superstep.index": e.index, "awr.superstep.nodes": e.nodes } },
          parent.ctx,
        );
        r.supersteps.get(scope)?.span.end(time(e.at));
        r.supersteps.set(scope, { span, ctx: trace.setSpan(parent.ctx, span) });
        return;
      }
      case "superstep.finished": {
        const scope = graphScopeOf(e.key) ?? "";
        const s = r.supersteps.get(scope);
        if (!s) return;
        s.span.end(time(e.at));
        r.supersteps.delete(scope);
        return;
      }
      case "step.started": {
        const parentKey = parentStepOf(e.step);
        const superstep = r.supersteps.get(graphScopeOf(e.step) ?? "");
        const parent = superstep ?? ((parentKey && r.steps.get(parentKey)) || r);
        const attributes: Attributes = { "awr.run.id": e.runId, "awr.step.key": e.step, "awr.node": e.node };
        const g = graphOfStep(e.step);
        if (g) attributes["awr.graph"] = g;
        const span = tracer.startSpan(`awr.step ${e.node}`, { kind: SpanKind.INTERNAL, startTime: time(e.at), attributes }, parent.ctx);
        r.steps.set(e.step, { span, ctx: trace.setSpan(parent.ctx, span) });
        r.openSteps.add(e.step);
        return;
      }
      case "step.finished": {
        const s = r.steps.get(e.step);
        if (!s || !r.openSteps.has(e.step)) return;
        s.span.setAttribute("awr.step.status", e.status);
        if (e.status === "failed") s.span.setStatus({ code: SpanStatusCode.ERROR });
        s.span.end(time(e.at));
        r.openSteps.delete(e.step);
        return;
      }
      case "effect.requested": {
        const parent = stepOf(r, e.key);
        const attributes: Attributes = { "awr.run.id": e.runId, "awr.effect.key": e.key, "awr.effect.kind": e.kind, "awr.replayed": e.replayed };
        const step = stepKeyOf(e.key);
        if (step) attributes["awr.step.key"] = step;
        let name: string;
        let assembly: "context" | "memory" | undefined;
        let kind: SpanKind = SpanKind.INTERNAL;
        if (e.model !== undefined) {
          const ma = modelAttributes(e.model, true);
          name = `chat ${String(ma["gen_ai.request.model"])}`;
          kind = SpanKind.CLIENT;
          Object.assign(attributes, ma, { "gen_ai.operation.name": "chat", "awr.caller": e.name });
          if (e.kind === "agent") attributes["gen_ai.agent.name"] = e.name;
          if (capture && e.request !== undefined) {
            const messages = (e.request as { messages?: { role: string; content: string }[] }).messages;
            if (Array.isArray(messages)) attributes["gen_ai.input.messages"] = JSON.stringify(messages.map((m) => ({ role: m.role, parts: [{ type: "text", content: m.content }] })));
          }
        } else if (e.kind === "tool" || e.kind === "compensation") {
          name = `execute_tool ${e.name}`;
          Object.assign(attributes, { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": e.name });
          if (e.kind === "compensation") attributes["awr.compensation"] = true;
          if (capture && e.request !== undefined) {
            const args = (e.request as { args?: Json }).args;
            if (args !== undefined) attributes["gen_ai.tool.call.arguments"] = JSON.stringify(args);
          }
        } else if ((assembly = contextAssembly(e.kind, e.key))) {
          // A context or memory assembly: an agent's (vm/exec/agent.ts: KEY/contextN, KEY/memoryN) or a prompt's (KEY/context).
          const agent = e.kind === "agent" ? opts.plan?.agents[e.name] : undefined;
          const context = (e.kind === "prompt" ? opts.plan?.prompts[e.name]?.context : assembly === "memory" ? agent?.memory : agent?.context) ?? e.name;
          name = `retrieval ${context}`;
          Object.assign(attributes, { "gen_ai.operation.name": "retrieval", "awr.context.name": context, [e.kind === "agent" ? "gen_ai.agent.name" : "awr.prompt.name"]: e.name });
          if (capture && e.request !== undefined) attributes["awr.request"] = JSON.stringify(e.request);
        } else {
          name = `awr.${e.kind} ${e.name}`;
          if (capture && e.request !== undefined) attributes["awr.request"] = JSON.stringify(e.request);
        }
        r.effects.get(e.key)?.end(time(e.at));
        r.effects.set(e.key, tracer.startSpan(name, { kind, startTime: time(e.at), attributes }, parent.ctx));
        return;
      }
      case "effect.completed": {
        const span = r.effects.get(e.key);
        if (!span) return;
        r.effects.delete(e.key);
        span.setAttribute("awr.replayed", e.replayed);
        if (e.model !== undefined) span.setAttributes(modelAttributes(e.model, false));
        if (e.tokens) span.setAttributes({ "gen_ai.usage.input_tokens": e.tokens.input, "gen_ai.usage.output_tokens": e.tokens.output });
        if (e.costUsd !== undefined) span.setAttribute("awr.cost_usd", e.costUsd);
        if (capture && e.response !== undefined) {
          if (e.model !== undefined) {
            const content = typeof e.response === "string" ? e.response : JSON.stringify(e.response);
            span.setAttribute("gen_ai.output.messages", JSON.stringify([{ role: "assistant", parts: [{ type: "text", content }] }]));
          } else if (e.kind === "tool" || e.kind === "compensation") span.setAttribute("gen_ai.tool.call.result", JSON.stringify(e.response));
          else span.setAttribute("awr.response", JSON.stringify(e.response));
        }
        if (!e.ok) fail(span, e.error);
        span.end(time(e.at));
        return;
      }
      case "retry":
        stepOf(r, e.key).span.addEvent(
          "awr.retry",
          { "awr.effect.key": e.key, "awr.retry.attempt": e.attempt, "awr.retry.delay_ms": e.delayMs, "error.type": e.error.kind, "awr.error.message": e.error.message },
          time(e.at),
        );
        return;
      case "fallback":
        stepOf(r, e.key).span.addEvent("awr.fallback", { "awr.effect.key": e.key, "awr.fallback.from": e.from, "awr.fallback.to": e.to }, time(e.at));
        return;
      case "compensation":
        stepOf(r, e.key).span.addEvent("awr.compensation", { "awr.effect.key": e.key, "gen_ai.tool.name": e.tool }, time(e.at));
        return;
      case "handoff":
        stepOf(r, e.key).span.addEvent("awr.handoff", { "awr.effect.key": e.key, "awr.handoff.from": e.from, "awr.handoff.to": e.to, "gen_ai.agent.name": e.to }, time(e.at));
        return;
      case "warning":
        stepOf(r, e.key).span.addEvent("awr.warning", { "awr.effect.key": e.key, "awr.warning.message": e.message }, time(e.at));
        return;
      case "policy": {
        // A decision is instantaneous: a zero-length span under the step it guarded.
        const span = tracer.startSpan(
          `awr.policy ${e.policy}`,
          {
            kind: SpanKind.INTERNAL,
            startTime: time(e.at),
            attributes: { "awr.run.id": e.runId, "awr.effect.key": e.key, "awr.policy.name": e.policy, "awr.policy.rule": e.rule ?? "", "awr.policy.outcome": e.outcome, "awr.policy.hook": e.hook, "awr.policy.target": e.target, "awr.replayed": e.replayed },
          },
          stepOf(r, e.key).ctx,
        );
        if (e.outcome === "deny") span.setStatus({ code: SpanStatusCode.ERROR, message: `denied by ${e.policy}` });
        span.end(time(e.at));
        return;
      }
      case "breaker":
        r.span.addEvent("awr.breaker", { "awr.breaker.target": e.target, "awr.breaker.state": e.state, "awr.breaker.failures": e.failures }, time(e.at));
        return;
      case "run.suspended":
        r.span.setAttributes({ "awr.run.status": "suspended", "awr.run.pending": e.pending.map((p) => p.id) });
        finishRun(r, e.runId, e.at);
        return;
      case "run.completed":
        r.span.setAttribute("awr.run.status", "completed");
        finishRun(r, e.runId, e.at);
        return;
      case "run.failed":
        r.span.setAttribute("awr.run.status", e.error.kind === "cancelled" ? "cancelled" : "failed");
        fail(r.span, e.error);
        finishRun(r, e.runId, e.at);
        return;
    }
  };

  return {
    onEvent,
    captureContent: capture,
    endAll(at = Date.now()) {
      for (const [runId, r] of [...runs]) finishRun(r, runId, at);
    },
  };
}
