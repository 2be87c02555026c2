// Policy decisions and context retrievals in traces and metrics: a decision is a zero-length
// `awr.policy <name>` span under the step it guarded and a `awr_policy_decisions_total` sample; a
// resumed run's replay of earlier decisions is marked replayed and not counted twice. An agent's
// context (and memory) assembly is a `retrieval <context>` span.
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../../ops/observability/metrics.js";
import { createTracing, fanOut } from "../../../ops/observability/tracing.js";
import { createRuntime } from "../../../vm/runtime.js";
import { MemoryStore } from "../../../vm/store/memory.js";
import type { ContextProvider, ModelProvider } from "../../../vm/types.js";
import { planOf } from "../../vm/helpers.js";
import { tools } from "./fixtures.js";

const SOURCE = `
model m { provider: "openai" name: "gpt-x" timeout: 5s }
tool notify(msg: string) -> bool { impl: js("./t.mjs#notify") timeout: 1s }
context kb { source docs = keyword("./kb/*.md") top: 3 budget: 200 }
context past { source earlier = sessions() top: 3 budget: 200 }
agent helper(q: string) -> string { model: m role: "helper" context: kb memory: past limits { turns: 2 } }
policy guard {
  before tool notify {
    deny when input.msg == "bad" because "no bad news"
    allow when input.msg != "bad"
  }
}
graph g(msg: string) -> bool {
  state { sent: bool?, answer: string?, ok: string? }
  node send { run notify(msg: msg) -> sent }
  node ask { await human("ok?") -> ok }
  edge start -> send
  edge send -> ask
  edge ask -> end
  return sent!
}
graph a(q: string) -> string {
  state { answer: string? }
  node think { run helper(q: q) -> answer }
  edge start -> think
  edge think -> end
  return answer!
}`;

const models: ModelProvider = { call: async () => ({ output: "an answer", usage: { input: 5, output: 2 }, costUsd: 0 }) };
const contexts: ContextProvider = { assemble: async () => ({ text: "Refunds take 5 days.", tokens: 6 }) };

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const plan = planOf(SOURCE);
  const tracing = createTracing({ tracer: provider.getTracer("test"), plan, env: {} });
  const metrics = createMetrics();
  const rt = createRuntime({ plan, store: new MemoryStore(), models, tools: tools().provider, contexts, instant: true, onEvent: fanOut(tracing.onEvent, metrics.onEvent) });
  return { rt, exporter, provider, metrics };
}

describe("policy decisions and retrievals in traces and metrics", () => {
  it("a decision is a span under its step and a counted sample; a resume's replay is not counted again", async () => {
    const { rt, exporter, provider, metrics } = setup();
    const first = await rt.start("g", { msg: "good" });
    expect(first.status).toBe("suspended");
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    const decision = spans.find((s) => s.name === "awr.policy guard");
    expect(decision, spans.map((s) => s.name).join(", ")).toBeDefined();
    expect(decision!.attributes).toMatchObject({ "awr.policy.name": "guard", "awr.policy.outcome": "allow", "awr.policy.hook": "before tool", "awr.policy.target": "notify", "awr.replayed": false });
    const step = spans.find((s) => s.name === "awr.step send")!;
    expect(decision!.parentSpanContext?.spanId).toBe(step.spanContext().spanId);
    const count = async () => /awr_policy_decisions_total\{policy="guard",outcome="allow"\} (\d+)/.exec(await metrics.registry.metrics())?.[1];
    expect(await count()).toBe("1");

    await rt.resume(first.runId, "yes");
    await provider.forceFlush();
    const replayed = exporter.getFinishedSpans().filter((s) => s.name === "awr.policy guard");
    expect(replayed.map((s) => s.attributes["awr.replayed"])).toEqual([false, true]);
    expect(await count()).toBe("1");
  });

  it("a deny is an ERROR span and counted as deny", async () => {
    const { rt, exporter, provider, metrics } = setup();
    expect((await rt.start("g", { msg: "bad" })).status).toBe("failed");
    await provider.forceFlush();
    const deny = exporter.getFinishedSpans().find((s) => s.name === "awr.policy guard" && s.attributes["awr.policy.outcome"] === "deny");
    expect(deny?.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(await metrics.registry.metrics()).toMatch(/awr_policy_decisions_total\{policy="guard",outcome="deny"\} 1/);
  });

  it("an agent's context assembly is a retrieval span under its step", async () => {
    const { rt, exporter, provider } = setup();
    expect(await rt.start("a", { q: "refunds?" })).toMatchObject({ status: "completed", output: "an answer" });
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    const retrieval = spans.find((s) => s.name === "retrieval kb");
    expect(retrieval, spans.map((s) => s.name).join(", ")).toBeDefined();
    expect(retrieval!.attributes).toMatchObject({ "gen_ai.operation.name": "retrieval", "awr.context.name": "kb", "gen_ai.agent.name": "helper" });
    expect(retrieval!.parentSpanContext?.spanId).toBe(spans.find((s) => s.name === "awr.step think")!.spanContext().spanId);
    // The agent's memory is a retrieval span of its own, named after the memory context.
    const memory = spans.find((s) => s.name === "retrieval past");
    expect(memory, spans.map((s) => s.name).join(", ")).toBeDefined();
    expect(memory!.attributes).toMatchObject({ "gen_ai.operation.name": "retrieval", "awr.context.name": "past", "gen_ai.agent.name": "helper" });
  });
});
