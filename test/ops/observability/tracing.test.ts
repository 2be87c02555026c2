// Tracing: a graph run with an in-memory OpenTelemetry exporter, as an embedding service wires it.
import { SpanStatusCode } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { createTracing, fanOut, graphOfStep, parentStepOf, stepKeyOf } from "../../../ops/observability/tracing.js";
import { createRuntime } from "../../../vm/runtime.js";
import { MemoryStore } from "../../../vm/store/memory.js";
import { VmFailure, type VmEvent } from "../../../vm/types.js";
import { models, plan, tools } from "./fixtures.js";

const EPOCH = Date.UTC(2026, 0, 1);

/** Runs the fixture graph once; returns the finished spans and the events. */
async function traced(o: { captureContent?: boolean; env?: Record<string, string>; failing?: Set<string>; toolFails?: boolean } = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const p = plan();
  const tracing = createTracing({ tracer: provider.getTracer("test"), plan: p, ...(o.captureContent === undefined ? {} : { captureContent: o.captureContent }), env: o.env ?? {} });
  const events: VmEvent[] = [];
  let clock = EPOCH;
  const t = tools(() => {
    if (o.toolFails) throw new VmFailure({ kind: "tool", message: "the mail server said no", retryable: false });
    return true;
  });
  const rt = createRuntime({
    plan: p,
    store: new MemoryStore(),
    models: models(o.failing).provider,
    tools: t.provider,
    instant: true,
    now: () => (clock += 10),
    captureContent: tracing.captureContent,
    onEvent: fanOut(tracing.onEvent, (e) => events.push(e)),
  });
  const r = await rt.start("triage", { text: "the server is down" });
  await provider.forceFlush();
  return { spans: exporter.getFinishedSpans(), events, outcome: r };
}

const byName = (spans: ReadableSpan[], name: string): ReadableSpan => {
  const s = spans.find((x) => x.name === name);
  if (!s) throw new Error(`no span "${name}" among ${spans.map((x) => x.name).join(", ")}`);
  return s;
};
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const idOf = (s: ReadableSpan) => s.spanContext().spanId;
const ms = (t: [number, number]) => t[0] * 1000 + Math.round(t[1] / 1e6);

describe("OpenTelemetry spans of a run", () => {
  it("a span per run, step and call, with parent/child structure and GenAI attributes", async () => {
    const { spans, events, outcome } = await traced();
    expect(outcome.status).toBe("completed");
    expect(spans.map((s) => s.name).sort()).toEqual([
      "awr.run triage",
      "awr.step act",
      "awr.step classify",
      "awr.step send",
      "awr.superstep inner #0",
      "awr.superstep triage #0",
      "awr.superstep triage #1",
      "chat gpt-primary",
      "execute_tool notify",
    ]);

    const run = byName(spans, "awr.run triage");
    const first = byName(spans, "awr.superstep triage #0");
    const second = byName(spans, "awr.superstep triage #1");
    const inner = byName(spans, "awr.superstep inner #0");
    const classify = byName(spans, "awr.step classify");
    const act = byName(spans, "awr.step act");
    const send = byName(spans, "awr.step send");
    const chat = byName(spans, "chat gpt-primary");
    const tool = byName(spans, "execute_tool notify");
    expect(parentOf(run)).toBeUndefined();
    // run > superstep > step > call; a superstep lists its nodes.
    expect(parentOf(first)).toBe(idOf(run));
    expect(parentOf(second)).toBe(idOf(run));
    expect(first.attributes).toMatchObject({ "awr.graph": "triage", "awr.superstep.index": 0, "awr.superstep.nodes": ["classify"] });
    expect(parentOf(classify)).toBe(idOf(first));
    expect(parentOf(act)).toBe(idOf(second));
    expect(parentOf(chat)).toBe(idOf(classify));
    // The sub-graph's supersteps run under the step that called the sub-graph.
    expect(parentOf(inner)).toBe(idOf(act));
    expect(parentOf(send)).toBe(idOf(inner));
    expect(parentOf(tool)).toBe(idOf(send));
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);

    const runId = outcome.runId;
    expect(run.attributes).toMatchObject({ "awr.run.id": runId, "awr.graph": "triage", "awr.run.status": "completed" });
    expect(send.attributes).toMatchObject({ "awr.graph": "inner", "awr.node": "send", "awr.step.status": "ok" });
    expect(chat.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "gpt-primary",
      "gen_ai.response.model": "gpt-primary",
      "gen_ai.provider.name": "openai",
      "gen_ai.system": "openai",
      "gen_ai.request.temperature": 0,
      "gen_ai.request.max_tokens": 200,
      "gen_ai.usage.input_tokens": 12,
      "gen_ai.usage.output_tokens": 3,
      "awr.model": "primary",
      "awr.caller": "rate",
      "awr.run.id": runId,
      "awr.replayed": false,
      "awr.cost_usd": (12 * 2.0 + 3 * 8.0) / 1e6,
    });
    expect(chat.attributes["awr.step.key"]).toBe(classify.attributes["awr.step.key"]);
    expect(tool.attributes).toMatchObject({ "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "notify", "awr.replayed": false });
    expect(chat.status.code).not.toBe(SpanStatusCode.ERROR);

    // Start and end times are those of the events.
    const started = events.find((e) => e.type === "run.started")!;
    const done = events.find((e) => e.type === "run.completed")!;
    expect(ms(run.startTime)).toBe(started.at);
    expect(ms(run.endTime)).toBe(done.at);
    const req = events.find((e) => e.type === "effect.requested" && e.kind === "prompt")!;
    const comp = events.find((e) => e.type === "effect.completed" && e.kind === "prompt")!;
    expect([ms(chat.startTime), ms(chat.endTime)]).toEqual([req.at, comp.at]);
    for (const s of spans) expect(ms(s.startTime)).toBeGreaterThanOrEqual(started.at);
  });

  it("does not capture content by default", async () => {
    const { spans, events } = await traced();
    const keys = spans.flatMap((s) => Object.keys(s.attributes));
    expect(keys.filter((k) => /messages|arguments|result|request$|response$/.test(k))).toEqual([]);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain("the server is down");
    // Nor do the events carry it.
    expect(events.some((e) => (e.type === "effect.requested" && e.request !== undefined) || (e.type === "effect.completed" && e.response !== undefined))).toBe(false);
  });

  it("captures prompts, answers, tool arguments and results when switched on (option or AWR_OTEL_CAPTURE_CONTENT=1)", async () => {
    for (const o of [{ captureContent: true }, { env: { AWR_OTEL_CAPTURE_CONTENT: "1" } }]) {
      const { spans } = await traced(o);
      const chat = byName(spans, "chat gpt-primary");
      const input = JSON.parse(String(chat.attributes["gen_ai.input.messages"])) as { role: string; parts: { content: string }[] }[];
      expect(input).toEqual([{ role: "user", parts: [{ type: "text", content: "Rate this: the server is down" }] }]);
      expect(JSON.parse(String(chat.attributes["gen_ai.output.messages"]))).toEqual([{ role: "assistant", parts: [{ type: "text", content: "high" }] }]);
      const tool = byName(spans, "execute_tool notify");
      expect(JSON.parse(String(tool.attributes["gen_ai.tool.call.arguments"]))).toEqual({ msg: "level is set" });
      expect(tool.attributes["gen_ai.tool.call.result"]).toBe("true");
    }
  });

  it("a failed model call is an ERROR span with the failure kind; the fallback's span names the model used", async () => {
    const { spans, outcome } = await traced({ failing: new Set(["primary"]) });
    expect(outcome.status).toBe("completed");
    const failed = byName(spans, "chat gpt-primary");
    expect(failed.status).toMatchObject({ code: SpanStatusCode.ERROR, message: "transport: primary is down" });
    expect(failed.attributes["error.type"]).toBe("transport");
    const backup = byName(spans, "chat claude-backup");
    expect(backup.attributes).toMatchObject({ "gen_ai.provider.name": "anthropic", "gen_ai.response.model": "claude-backup", "awr.model": "backup", "awr.cost_usd": (12 * 1.0 + 3 * 4.0) / 1e6 });
    expect(backup.status.code).not.toBe(SpanStatusCode.ERROR);
    const classify = byName(spans, "awr.step classify");
    expect(parentOf(backup)).toBe(idOf(classify));
    expect(classify.events.map((e) => [e.name, e.attributes?.["awr.fallback.from"], e.attributes?.["awr.fallback.to"]])).toEqual([["awr.fallback", "primary", "backup"]]);
  });

  it("a failed run: the tool span, its step and the run are ERROR with the failure kind", async () => {
    const { spans, outcome } = await traced({ toolFails: true });
    expect(outcome.status).toBe("failed");
    const tool = byName(spans, "execute_tool notify");
    expect(tool.status).toMatchObject({ code: SpanStatusCode.ERROR, message: "tool: the mail server said no" });
    expect(byName(spans, "awr.step send").status.code).toBe(SpanStatusCode.ERROR);
    const run = byName(spans, "awr.run triage");
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
    expect(run.attributes).toMatchObject({ "error.type": "tool", "awr.run.status": "failed" });
    // Nothing is left open.
    expect(spans.every((s) => s.ended)).toBe(true);
  });
});

describe("events as span events", () => {
  it("retries, handoffs and warnings on the step; breaker changes on the run; a suspended run says what it waits for", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracing = createTracing({ tracer: provider.getTracer("t"), env: {} });
    const runId = "r1";
    const step = "graph:g/node:n#0";
    const key = "graph:g/node:n/stmt:0#0";
    const err = { kind: "rate_limit" as const, message: "slow down" };
    const events: VmEvent[] = [
      { type: "run.started", runId, graph: "g", at: EPOCH },
      { type: "step.started", runId, step, node: "n", at: EPOCH + 1 },
      { type: "effect.requested", runId, key: `${key}/m@0`, kind: "agent", name: "helper", at: EPOCH + 2, replayed: false, model: "m" },
      { type: "effect.completed", runId, key: `${key}/m@0`, kind: "agent", name: "helper", at: EPOCH + 3, durationMs: 1, replayed: false, ok: false, model: "m", error: err },
      { type: "retry", runId, key, attempt: 1, delayMs: 0, error: err, at: EPOCH + 4 },
      { type: "handoff", runId, key: `${key}/turn:1`, from: "helper", to: "billing", at: EPOCH + 5 },
      { type: "warning", runId, key, message: "no context provider", at: EPOCH + 6 },
      { type: "breaker", runId, target: "model:m", state: "open", failures: 5, at: EPOCH + 7 },
      { type: "step.finished", runId, step, node: "n", at: EPOCH + 8, durationMs: 7, status: "suspended" },
      { type: "run.suspended", runId, pending: [{ id: "graph:g/node:n/stmt:1#0", kind: "human", reason: "ok?", step: "x" }], at: EPOCH + 9 },
    ];
    events.forEach(tracing.onEvent);
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    const chat = byName(spans, "chat m");
    expect(chat.attributes).toMatchObject({ "gen_ai.agent.name": "helper", "gen_ai.request.model": "m", "error.type": "rate_limit" });
    const n = byName(spans, "awr.step n");
    expect(n.events.map((e) => e.name)).toEqual(["awr.retry", "awr.handoff", "awr.warning"]);
    expect(n.events[0]!.attributes).toMatchObject({ "awr.retry.attempt": 1, "error.type": "rate_limit" });
    expect(n.events[1]!.attributes).toMatchObject({ "awr.handoff.from": "helper", "awr.handoff.to": "billing" });
    expect(n.attributes["awr.step.status"]).toBe("suspended");
    const run = byName(spans, "awr.run g");
    expect(run.events.map((e) => [e.name, e.attributes?.["awr.breaker.target"], e.attributes?.["awr.breaker.state"]])).toEqual([["awr.breaker", "model:m", "open"]]);
    expect(run.attributes).toMatchObject({ "awr.run.status": "suspended", "awr.run.pending": ["graph:g/node:n/stmt:1#0"] });
    expect(run.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(ms(run.endTime)).toBe(EPOCH + 9);
  });
});

describe("step keys", () => {
  it("an effect key names its step; a nested step names the step that called its graph", () => {
    expect(stepKeyOf("graph:g/node:n/stmt:0#2")).toBe("graph:g/node:n#2");
    expect(stepKeyOf("graph:g/node:n/stmt:1#0@1[3]/m@0")).toBe("graph:g/node:n#0");
    expect(stepKeyOf("graph:g/node:n/stmt:0#0/graph:h/node:x/stmt:0#1/m@0")).toBe("graph:g/node:n/stmt:0#0/graph:h/node:x#1");
    expect(stepKeyOf("graph:g/node:n#0@1/compensate/undo")).toBe("graph:g/node:n#0");
    expect(stepKeyOf("graph:g/output")).toBeUndefined();
    expect(parentStepOf("graph:g/node:n/stmt:0#0/graph:h/node:x#1")).toBe("graph:g/node:n#0");
    expect(parentStepOf("graph:g/node:n#0")).toBeUndefined();
    expect(graphOfStep("graph:g/node:n/stmt:0#0/graph:h/node:x#1")).toBe("h");
  });
});
