// Attack: an OpenAI-compatible endpoint (or a model talked into it) answers with JSON nested 5,000
// levels, a 5 MB answer, tool-call arguments nested 5,000 levels, or a response body far larger
// than any answer. Each must fail that one call as `schema` (retryable: another sample or a fallback
// model may answer within the limits) naming the limit, the size and how to raise it — and inside a
// run go through the node's `on error` route like any model failure, never crash the VM.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OpenAIGateway } from "../../vm/gateway/openai.js";
import { createRuntime } from "../../vm/runtime.js";
import { openStore } from "../../vm/store/index.js";
import { validate } from "../../vm/schema.js";
import { noTools, planOf } from "../vm/helpers.js";
import { reply, startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { failure } from "../helpers/failure.js";

const deep = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;

const SOURCE = `
model m {
  provider: "openai"
  name: "gpt-test"
  base_url: env("AWR_SEC_BASE_URL")
  timeout: 10s
}
type Answer { a: string }
prompt ask(q: string) -> Answer {
  model: m
  user #"{{ q }}"#
}
graph g(q: string) -> string {
  state { a: Answer?, why: string? }
  node n {
    run ask(q) -> a
    on error -> handled
  }
  node handled { set why = error?.kind ?? "none" }
  edge start -> n
  edge n -> end
  edge handled -> end
  return why ?? "answered"
}
`;

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await fake.stop();
});

const env = () => ({ OPENAI_API_KEY: "sk-test", AWR_SEC_BASE_URL: fake.url });
const call = (gw: OpenAIGateway, over: Record<string, unknown> = {}) => {
  const plan = planOf(SOURCE);
  return gw.call(
    { caller: "ask", model: "m", plan: plan.models.m!, messages: [{ role: "user", content: "hi" }], schema: plan.prompts.ask!.returns, ...over } as never,
    new AbortController().signal,
  );
};

describe("a hostile model answer", () => {
  it("JSON nested 5,000 levels fails the call as schema, retryable, naming the limit", async () => {
    fake.enqueue({ type: "content", content: deep(5000) });
    const f = await failure(call(new OpenAIGateway({ validate, env: env() })));
    expect(f).toMatchObject({ kind: "schema", retryable: true });
    expect(f.message).toContain("the answer nests deeper than 128 levels");
    expect(f.message).toContain("OpenAIGatewayOptions.limits");
  });

  it("a 5 MB answer fails the call as schema, naming its size and the 4 MB limit", async () => {
    fake.enqueue({ type: "content", content: JSON.stringify({ a: "x".repeat(5 * 1024 * 1024) }) });
    const f = await failure(call(new OpenAIGateway({ validate, env: env() })));
    expect(f.kind).toBe("schema");
    expect(f.message).toMatch(/the answer is 5\.0 MB \(\d+ bytes\), over the limit of 4\.0 MB \(4194304 bytes\)/);
  });

  it("streamed, the answer is cut off as soon as it passes the limit", async () => {
    fake.enqueue({ type: "content", content: JSON.stringify({ a: "y".repeat(300_000) }) });
    const f = await failure(call(new OpenAIGateway({ validate, env: env(), stream: true, limits: { maxBytes: 100_000 } })));
    expect(f.message).toContain("over the limit of 0.1 MB (100000 bytes)");
  });

  it("tool-call arguments nested 5,000 levels fail the call, naming the tool", async () => {
    fake.enqueue(reply.toolCalls([{ name: "lookup", arguments: deep(5000) }]));
    const f = await failure(call(new OpenAIGateway({ validate, env: env() }), { tools: [{ name: "lookup", parameters: { type: "object" } }] }));
    expect(f.kind).toBe("schema");
    expect(f.message).toContain("the arguments of its call of lookup nest");
  });

  it("a response body past the cap fails as schema before it is all read", async () => {
    fake.enqueue({ type: "content", content: "z".repeat(2_000_000) });
    const f = await failure(call(new OpenAIGateway({ validate, env: env(), limits: { maxBytes: 100_000 } }), { schema: null }));
    expect(f).toMatchObject({ kind: "schema", retryable: true });
    expect(f.message).toMatch(/response body is larger than \d+ bytes|the answer is 1\.9 MB/);
  });

  it("inside a run, the deep answer takes the node's on error route; the run completes", async () => {
    fake.enqueue({ type: "content", content: deep(5000) });
    const rt = createRuntime({ plan: planOf(SOURCE), store: openStore("memory:"), models: new OpenAIGateway({ validate, env: env() }), tools: noTools, instant: true });
    const o = await rt.start("g", { q: "hi" });
    expect(o.status).toBe("completed");
    expect(o.output).toBe("schema");
  });
});
