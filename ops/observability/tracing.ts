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

/** What the span builders share: the tracer, the plan, whether content is captured, the executions open by run id. */
interface TracingState {
  tracer: Tracer;
  plan: Plan | undefined;
  capture: boolean;
  runs: Map<string, RunTrace>;
}

type EventOf<T extends VmEvent["type"]> = Extract<VmEvent, { type: T }>;

export function createTracing(opts: TracingOptions): Tracing {
  const t: TracingState = { tracer: opts.tracer, plan: opts.plan, capture: opts.captureContent ?? captureContentFromEnv(opts.env), runs: new Map() };

  const onEvent = (e: VmEvent) => {
    if (e.type === "run.started") return startRun(t, e);
    const r = t.runs.get(e.runId);
    if (!r) return; // an execution that started before this consumer was attached
    onRunEvent(t, r, e);
  };

  return {
    onEvent,
    captureContent: t.capture,
    endAll(at = Date.now()) {
      for (const [runId, r] of [...t.runs]) finishRun(t, r, runId, at);
    },
  };
}

const time = (ms: number) => new Date(ms);

/** The span of the step a key belongs to, else the run's. */
function stepOf(r: RunTrace, key: string): Open {
  const s = stepKeyOf(key);
  return (s && r.steps.get(s)) || r;
}

function fail(span: Span, error: FailureInfo | undefined): void {
  if (!error) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    return;
  }
  span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.kind}: ${error.message}` });
  span.setAttribute("error.type", error.kind);
}

/** A new execution of a run (start, resume, recovery): the one still open for that run, if any, ends. */
function startRun(t: TracingState, e: EventOf<"run.started">): void {
  const old = t.runs.get(e.runId);
  if (old) finishRun(t, old, e.runId, e.at);
  const span = t.tracer.startSpan(`awr.run ${e.graph}`, { kind: SpanKind.INTERNAL, startTime: time(e.at), attributes: { "awr.run.id": e.runId, "awr.graph": e.graph } }, otelContext.active());
  t.runs.set(e.runId, { span, ctx: trace.setSpan(otelContext.active(), span), graph: e.graph, steps: new Map(), openSteps: new Set(), effects: new Map(), supersteps: new Map() });
}

/** Ends every span an execution still has open, then the execution's own. */
function finishRun(t: TracingState, r: RunTrace, runId: string, at: number): void {
  for (const span of r.effects.values()) span.end(time(at));
  for (const k of r.openSteps) r.steps.get(k)?.span.end(time(at));
  for (const s of r.supersteps.values()) s.span.end(time(at));
  r.span.end(time(at));
  t.runs.delete(runId);
}

function onRunEvent(t: TracingState, r: RunTrace, e: Exclude<VmEvent, EventOf<"run.started">>): void {
  switch (e.type) {
    case "superstep.started":
      return startSuperstep(t, r, e);
    case "superstep.finished": {
      const scope = graphScopeOf(e.key) ?? "";
      const s = r.supersteps.get(scope);
      if (!s) return;
      s.span.end(time(e.at));
      r.supersteps.delete(scope);
      return;
    }
    case "step.started":
      return startStep(t, r, e);
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
      const { name, kind, attributes } = effectSpanOf(t, e);
      r.effects.get(e.key)?.end(time(e.at));
      r.effects.set(e.key, t.tracer.startSpan(name, { kind, startTime: time(e.at), attributes }, stepOf(r, e.key).ctx));
      return;
    }
    case "effect.completed":
      return endEffect(t, r, e);
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
    case "policy":
      return policyDecision(t, r, e);
    case "breaker":
      r.span.addEvent("awr.breaker", { "awr.breaker.target": e.target, "awr.breaker.state": e.state, "awr.breaker.failures": e.failures }, time(e.at));
      return;
    case "run.suspended":
      r.span.setAttributes({ "awr.run.status": "suspended", "awr.run.pending": e.pending.map((p) => p.id) });
      finishRun(t, r, e.runId, e.at);
      return;
    case "run.completed":
      r.span.setAttribute("awr.run.status", "completed");
      finishRun(t, r, e.runId, e.at);
      return;
    case "run.failed":
      r.span.setAttribute("awr.run.status", e.error.kind === "cancelled" ? "cancelled" : "failed");
      fail(r.span, e.error);
      finishRun(t, r, e.runId, e.at);
      return;
  }
}

/** Under the step that called this graph (a sub-graph), else under the run; it ends the scope's previous superstep. */
function startSuperstep(t: TracingState, r: RunTrace, e: EventOf<"superstep.started">): void {
  const scope = graphScopeOf(e.key) ?? "";
  const call = parseKey(e.key);
  const callKey = call ? keyAbove(call) : undefined;
  const caller = callKey === undefined ? undefined : stepKeyOf(callKey);
  const parent = (caller && r.steps.get(caller)) || r;
  const span = t.tracer.startSpan(
    `awr.superstep ${e.graph} #${e.index}`,
    { kind: SpanKind.INTERNAL, startTime: time(e.at), attributes: { "awr.run.id": e.runId, "awr.graph": e.graph, "awr.superstep.index": e.index, "awr.superstep.nodes": e.nodes } },
    parent.ctx,
  );
  r.supersteps.get(scope)?.span.end(time(e.at));
  r.supersteps.set(scope, { span, ctx: trace.setSpan(parent.ctx, span) });
}

/** Under its graph scope's open superstep, else under the calling step, else under the run. */
function startStep(t: TracingState, r: RunTrace, e: EventOf<"step.started">): void {
  const parentKey = parentStepOf(e.step);
  const superstep = r.supersteps.get(graphScopeOf(e.step) ?? "");
  const parent = superstep ?? ((parentKey && r.steps.get(parentKey)) || r);
  const attributes: Attributes = { "awr.run.id": e.runId, "awr.step.key": e.step, "awr.node": e.node };
  const g = graphOfStep(e.step);
  if (g) attributes["awr.graph"] = g;
  const span = t.tracer.startSpan(`awr.step ${e.node}`, { kind: SpanKind.INTERNAL, startTime: time(e.at), attributes }, parent.ctx);
  r.steps.set(e.step, { span, ctx: trace.setSpan(parent.ctx, span) });
  r.openSteps.add(e.step);
}

/** A requested effect's span: a model call (`chat`), a tool call (`execute_tool`), a context assembly (`retrieval`), or another effect. */
function effectSpanOf(t: TracingState, e: EventOf<"effect.requested">): { name: string; kind: SpanKind; attributes: Attributes } {
  const attributes: Attributes = { "awr.run.id": e.runId, "awr.effect.key": e.key, "awr.effect.kind": e.kind, "awr.replayed": e.replayed };
  const step = stepKeyOf(e.key);
  if (step) attributes["awr.step.key"] = step;
  if (e.model !== undefined) {
    const ma = modelAttributes(t.plan, e.model, true);
    Object.assign(attributes, ma, { "gen_ai.operation.name": "chat", "awr.caller": e.name });
    if (e.kind === "agent") attributes["gen_ai.agent.name"] = e.name;
    if (t.capture && e.request !== undefined) {
      const messages = (e.request as { messages?: { role: string; content: string }[] }).messages;
      if (Array.isArray(messages)) attributes["gen_ai.input.messages"] = JSON.stringify(messages.map((m) => ({ role: m.role, parts: [{ type: "text", content: m.content }] })));
    }
    return { name: `chat ${String(ma["gen_ai.request.model"])}`, kind: SpanKind.CLIENT, attributes };
  }
  if (e.kind === "tool" || e.kind === "compensation") {
    Object.assign(attributes, { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": e.name });
    if (e.kind === "compensation") attributes["awr.compensation"] = true;
    if (t.capture && e.request !== undefined) {
      const args = (e.request as { args?: Json }).args;
      if (args !== undefined) attributes["gen_ai.tool.call.arguments"] = JSON.stringify(args);
    }
    return { name: `execute_tool ${e.name}`, kind: SpanKind.INTERNAL, attributes };
  }
  const assembly = contextAssembly(e.kind, e.key);
  let name = `awr.${e.kind} ${e.name}`;
  if (assembly) {
    // A context or memory assembly: an agent's (vm/exec/agent.ts: KEY/contextN, KEY/memoryN) or a prompt's (KEY/context).
    const agent = e.kind === "agent" ? t.plan?.agents[e.name] : undefined;
    const context = (e.kind === "prompt" ? t.plan?.prompts[e.name]?.context : assembly === "memory" ? agent?.memory : agent?.context) ?? e.name;
    name = `retrieval ${context}`;
    Object.assign(attributes, { "gen_ai.operation.name": "retrieval", "awr.context.name": context, [e.kind === "agent" ? "gen_ai.agent.name" : "awr.prompt.name"]: e.name });
  }
  if (t.capture && e.request !== undefined) attributes["awr.request"] = JSON.stringify(e.request);
  return { name, kind: SpanKind.INTERNAL, attributes };
}

/** Ends an effect's span with what the call returned: the model called, tokens, cost, content when captured, the failure. */
function endEffect(t: TracingState, r: RunTrace, e: EventOf<"effect.completed">): void {
  const span = r.effects.get(e.key);
  if (!span) return;
  r.effects.delete(e.key);
  span.setAttribute("awr.replayed", e.replayed);
  if (e.model !== undefined) span.setAttributes(modelAttributes(t.plan, e.model, false));
  if (e.tokens) span.setAttributes({ "gen_ai.usage.input_tokens": e.tokens.input, "gen_ai.usage.output_tokens": e.tokens.output });
  if (e.costUsd !== undefined) span.setAttribute("awr.cost_usd", e.costUsd);
  if (t.capture && e.response !== undefined) {
    if (e.model !== undefined) {
      const content = typeof e.response === "string" ? e.response : JSON.stringify(e.response);
      span.setAttribute("gen_ai.output.messages", JSON.stringify([{ role: "assistant", parts: [{ type: "text", content }] }]));
    } else if (e.kind === "tool" || e.kind === "compensation") span.setAttribute("gen_ai.tool.call.result", JSON.stringify(e.response));
    else span.setAttribute("awr.response", JSON.stringify(e.response));
  }
  if (!e.ok) fail(span, e.error);
  span.end(time(e.at));
}

/** A decision is instantaneous: a zero-length span under the step it guarded. */
function policyDecision(t: TracingState, r: RunTrace, e: EventOf<"policy">): void {
  const span = t.tracer.startSpan(
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
}

/** The gen_ai.* attributes of a model declaration: the request's (provider, parameters, server) or the response's model. */
function modelAttributes(plan: Plan | undefined, model: string, request: boolean): Attributes {
  const m = plan?.models[model];
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
}
