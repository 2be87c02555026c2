import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OpenAIGateway, type OpenAIGatewayOptions } from "../../../vm/gateway/openai.js";
import { validate as realValidate } from "../../../vm/schema.js";
import { VmFailure, type FailureInfo } from "../../../vm/types.js";
import { reply, startFakeOpenAI, type FakeOpenAI } from "../../helpers/fake-openai.js";
import { modelPlan, request, triageSchema, validate } from "./helpers.js";
import { failure } from "../../helpers/failure.js";

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await fake.stop();
});

const gateway = (over: Partial<OpenAIGatewayOptions> = {}) =>
  new OpenAIGateway({ validate, env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: fake.url }, ...over });

const signal = () => new AbortController().signal;


const triage = { priority: "urgent", summary: "outage" };

describe("OpenAIGateway: success", () => {
  it("returns structured output with usage, and sends the schema as response_format", async () => {
    fake.enqueue(reply.json(triage, { prompt_tokens: 120, completion_tokens: 30 }));
    const res = await gateway().call(request({ plan: modelPlan({ max_tokens: 200, temperature: 0.2 }) }), signal());
    expect(res).toEqual({ output: triage, usage: { input: 120, output: 30 }, costUsd: 0 });
    expect(fake.requests).toHaveLength(1);
    const body = fake.requests[0]!.body;
    expect(fake.requests[0]!.path).toBe("/v1/chat/completions");
    expect(fake.requests[0]!.headers.authorization).toBe("Bearer sk-test");
    expect(body.model).toBe("gpt-test");
    expect(body.temperature).toBe(0.2);
    expect(body.max_tokens).toBe(200);
    expect(body.max_completion_tokens).toBeUndefined();
    expect(body.stream).toBeUndefined();
    expect(body.messages).toEqual(request().messages);
    // A $ref root pointing at an object type is inlined (OpenAI needs an object root).
    expect(body.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "triage_prompt", strict: false, schema: { ...triageSchema.$defs.Triage, $defs: triageSchema.$defs } },
    });
  });

  it("sends plain text requests without response_format and returns the text", async () => {
    fake.enqueue(reply.text("Hello there"));
    const res = await gateway().call(request({ schema: null }), signal());
    expect(res.output).toBe("Hello there");
    expect(fake.requests[0]!.body.response_format).toBeUndefined();
  });

  it("asks a bare string schema as plain text and validates it", async () => {
    fake.enqueue(reply.text("one line"));
    const res = await gateway().call(request({ schema: { type: "string" } }), signal());
    expect(res.output).toBe("one line");
    expect(fake.requests[0]!.body.response_format).toBeUndefined();
  });

  it("wraps a non-object schema in { value } and unwraps the answer", async () => {
    const schema = { type: "array", items: { type: "string" } };
    fake.enqueue(reply.json({ value: ["a", "b"] }));
    const res = await gateway().call(request({ schema }), signal());
    expect(res.output).toEqual(["a", "b"]);
    expect(res.repaired).toBeUndefined();
    expect(fake.requests[0]!.body.response_format.json_schema.schema).toEqual({
      type: "object",
      properties: { value: schema },
      required: ["value"],
      additionalProperties: false,
    });
  });

  it("tolerates a bare value for a wrapped schema and says so", async () => {
    fake.enqueue(reply.json(["a"]));
    const res = await gateway().call(request({ schema: { type: "array", items: { type: "string" } } }), signal());
    expect(res.output).toEqual(["a"]);
    expect(res.repaired).toEqual(["accepted a value without the { value } wrapper"]);
  });

  it("accepts fenced JSON with prose and notes the repair", async () => {
    fake.enqueue(reply.text('Sure! Here it is:\n```json\n{"priority": "low", "summary": "typo"}\n```\nAnything else?'));
    const res = await gateway().call(request(), signal());
    expect(res.output).toEqual({ priority: "low", summary: "typo" });
    expect(res.repaired).toEqual(["stripped markdown code fences", "ignored prose around the JSON"]);
    expect(fake.requests).toHaveLength(1);
  });

  it("extracts the first JSON value from prose", async () => {
    fake.enqueue(reply.text('The answer is {"priority": "normal", "summary": "a {brace} in \\"text\\""} as requested.'));
    const res = await gateway().call(request(), signal());
    expect(res.output).toEqual({ priority: "normal", summary: 'a {brace} in "text"' });
    expect(res.repaired).toEqual(["extracted the JSON value from surrounding prose"]);
  });

  it("computes cost from the plan price (USD per million tokens)", async () => {
    fake.enqueue(reply.json(triage, { prompt_tokens: 1000, completion_tokens: 500 }));
    const res = await gateway().call(request({ plan: modelPlan({ price: { input: 0.15, output: 0.6 } }) }), signal());
    expect(res.costUsd).toBeCloseTo((1000 * 0.15 + 500 * 0.6) / 1e6, 12);
  });

  it("estimates usage as chars/4 when the server reports none, and says so", async () => {
    fake.enqueue(reply.json(triage, null));
    const res = await gateway().call(request({ plan: modelPlan({ price: { input: 1, output: 1 } }) }), signal());
    const input = Math.ceil("You triage tickets.".length / 4) + Math.ceil("Subject: site down".length / 4);
    const output = Math.ceil(JSON.stringify(triage).length / 4);
    expect(res.usage).toEqual({ input, output });
    expect(res.costUsd).toBeCloseTo((input + output) / 1e6, 12);
    expect(res.repaired).toEqual(["token usage estimated (chars/4): the server reported none"]);
  });

  it("uses base_url, api_key_env and an env(...) base_url from the plan", async () => {
    const env = { MY_KEY: "sk-mine", MY_URL: fake.url };
    fake.enqueue(reply.json(triage), reply.json(triage));
    const g = new OpenAIGateway({ validate, env });
    await g.call(request({ plan: modelPlan({ base_url: fake.url, api_key_env: "MY_KEY" }) }), signal());
    await g.call(request({ plan: modelPlan({ base_url: 'env("MY_URL")', api_key_env: "MY_KEY" }) }), signal());
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual(["Bearer sk-mine", "Bearer sk-mine"]);
  });

  it("sends max_completion_tokens when asked to, and seed/top_p when set", async () => {
    fake.enqueue(reply.json(triage));
    await gateway({ maxTokensParam: "max_completion_tokens", seed: 7, topP: 0.9 }).call(request({ plan: modelPlan({ max_tokens: 64 }) }), signal());
    const body = fake.requests[0]!.body;
    expect(body.max_completion_tokens).toBe(64);
    expect(body.max_tokens).toBeUndefined();
    expect(body.seed).toBe(7);
    expect(body.top_p).toBe(0.9);
  });
});

describe("OpenAIGateway: streaming", () => {
  it("assembles streamed text, reports deltas and takes usage from the last chunk", async () => {
    const text = JSON.stringify(triage);
    fake.enqueue(reply.stream([text.slice(0, 5), text.slice(5, 20), text.slice(20)], { prompt_tokens: 40, completion_tokens: 12 }));
    const deltas: string[] = [];
    const res = await gateway({ onDelta: (d, info) => (expect(info).toEqual({ caller: "triage_prompt", model: "fast", round: 1 }), deltas.push(d)) }).call(
      request(),
      signal(),
    );
    expect(res.output).toEqual(triage);
    expect(res.usage).toEqual({ input: 40, output: 12 });
    expect(deltas.join("")).toBe(text);
    expect(deltas.length).toBe(3);
    const body = fake.requests[0]!.body;
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
  });

  it("streams automatically scripted answers too (stream: true without onDelta)", async () => {
    fake.enqueue(reply.json(triage, { prompt_tokens: 3, completion_tokens: 4 }));
    const res = await gateway({ stream: true }).call(request(), signal());
    expect(res).toEqual({ output: triage, usage: { input: 3, output: 4 }, costUsd: 0 });
  });

  it("a truncated stream is a retryable transport failure", async () => {
    fake.enqueue(reply.truncatedStream(['{"priority": "ur']));
    const info = await failure(gateway({ stream: true }).call(request(), signal()));
    expect(info.kind).toBe("transport");
    expect(info.retryable).toBe(true);
  });

  it("a streamed refusal is a refusal failure", async () => {
    fake.enqueue({ type: "stream", chunks: [], refusal: "I can't help with that.", usage: null });
    const info = await failure(gateway({ stream: true }).call(request(), signal()));
    expect(info).toMatchObject({ kind: "refusal", retryable: false });
    expect(info.message).toContain("I can't help with that.");
  });
});

describe("OpenAIGateway: repair", () => {
  it("repairs malformed JSON with one round-trip that lists the errors", async () => {
    fake.enqueue(reply.text('{"priority": "urgent", "summary": '), reply.json(triage, { prompt_tokens: 50, completion_tokens: 10 }));
    const res = await gateway().call(request(), signal());
    expect(res.output).toEqual(triage);
    expect(res.repaired).toEqual(["one repair round-trip"]);
    expect(res.usage).toEqual({ input: 60, output: 15 });
    expect(fake.requests).toHaveLength(2);
    const messages = fake.requests[1]!.body.messages;
    expect(messages.slice(0, 2)).toEqual(request().messages);
    expect(messages[2]).toEqual({ role: "assistant", content: '{"priority": "urgent", "summary": ' });
    expect(messages[3].role).toBe("user");
    expect(messages[3].content).toContain("not valid JSON");
    expect(fake.requests[1]!.body.response_format).toEqual(fake.requests[0]!.body.response_format);
  });

  it("repairs schema-invalid output and puts the validation errors in the repair request", async () => {
    fake.enqueue(reply.json({ priority: "panic" }), reply.json(triage));
    const res = await gateway().call(request(), signal());
    expect(res.output).toEqual(triage);
    const repair = fake.requests[1]!.body.messages[3].content as string;
    expect(repair).toContain("$.priority: must be one of low, normal, urgent");
    expect(repair).toContain("$.summary: required");
  });

  it("works with the VM's validator (vm/schema.ts)", async () => {
    fake.enqueue(reply.json({ priority: "high", summary: "x" }), reply.json({ priority: "urgent", summary: "x" }));
    const res = await gateway({ validate: realValidate }).call(request(), signal());
    expect(res.output).toEqual({ priority: "urgent", summary: "x" });
    expect(fake.requests[1]!.body.messages[3].content).toContain("$.priority");
  });

  it("schema-invalid twice is a retryable schema failure", async () => {
    fake.enqueue(reply.json({ priority: "panic" }), reply.json({ priority: "still wrong", summary: "x" }));
    const info = await failure(gateway().call(request(), signal()));
    expect(info.kind).toBe("schema");
    expect(info.retryable).toBe(true);
    expect(info.message).toContain("$.priority: must be one of");
    expect(fake.requests).toHaveLength(2);
  });

  it("mentions a cut-off answer (finish_reason: length) in the repair request", async () => {
    fake.enqueue({ type: "content", content: '{"priority": "lo', finishReason: "length", usage: null }, reply.json(triage));
    await gateway().call(request(), signal());
    expect(fake.requests[1]!.body.messages[3].content).toContain("finish_reason: length");
  });
});

describe("OpenAIGateway: failures", () => {
  it("429 → rate_limit with retryAfterMs from retry-after", async () => {
    fake.enqueue(reply.rateLimit({ "retry-after": "3" }));
    const info = await failure(gateway().call(request(), signal()));
    expect(info).toMatchObject({ kind: "rate_limit", retryable: true, retryAfterMs: 3000 });
    expect(fake.requests).toHaveLength(1); // SDK retries are off
  });

  it("429 → retryAfterMs from retry-after-ms first", async () => {
    fake.enqueue(reply.rateLimit({ "retry-after-ms": "250", "retry-after": "9" }));
    const info = await failure(gateway().call(request(), signal()));
    expect(info.retryAfterMs).toBe(250);
  });

  it("500 → retryable transport, sent once", async () => {
    fake.enqueue(reply.status(500));
    const info = await failure(gateway().call(request(), signal()));
    expect(info).toMatchObject({ kind: "transport", retryable: true });
    expect(info.message).toContain("500");
    expect(fake.requests).toHaveLength(1);
  });

  it("408 and 409 are retryable transport", async () => {
    fake.enqueue(reply.status(408), reply.status(409));
    expect(await failure(gateway().call(request(), signal()))).toMatchObject({ kind: "transport", retryable: true });
    expect(await failure(gateway().call(request(), signal()))).toMatchObject({ kind: "transport", retryable: true });
  });

  it("401 and 403 → auth, not retryable", async () => {
    fake.enqueue(reply.status(401, "Incorrect API key"), reply.status(403));
    expect(await failure(gateway().call(request(), signal()))).toMatchObject({ kind: "auth", retryable: false });
    expect(await failure(gateway().call(request(), signal()))).toMatchObject({ kind: "auth", retryable: false });
  });

  it("400 context length → schema, not retryable; other 4xx → transport, not retryable", async () => {
    fake.enqueue(reply.status(400, "This model's maximum context length is 8192 tokens."), reply.status(404, "The model does not exist"));
    expect(await failure(gateway().call(request(), signal()))).toMatchObject({ kind: "schema", retryable: false });
    expect(await failure(gateway().call(request(), signal()))).toMatchObject({ kind: "transport", retryable: false });
  });

  it("a malformed response body → retryable transport", async () => {
    fake.enqueue(reply.malformed());
    expect(await failure(gateway().call(request(), signal()))).toMatchObject({ kind: "transport", retryable: true });
  });

  it("a refusal in the message → refusal", async () => {
    fake.enqueue(reply.refusal("I won't do that."));
    const info = await failure(gateway().call(request(), signal()));
    expect(info).toMatchObject({ kind: "refusal", retryable: false });
    expect(info.message).toContain("I won't do that.");
  });

  it("a hanging server → timeout after timeout_ms (retryable)", async () => {
    fake.enqueue(reply.hang());
    const started = Date.now();
    const info = await failure(gateway().call(request({ plan: modelPlan({ timeout_ms: 200 }) }), signal()));
    expect(info).toMatchObject({ kind: "timeout", retryable: true });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("a stream that stops sending → timeout too", async () => {
    fake.enqueue(reply.hang());
    const info = await failure(gateway({ stream: true }).call(request({ plan: modelPlan({ timeout_ms: 200 }) }), signal()));
    expect(info.kind).toBe("timeout");
  });

  it("a stream that stalls after some chunks → timeout (timeout_ms covers the body)", async () => {
    fake.enqueue(reply.stalledStream(['{"priority"']));
    const deltas: string[] = [];
    const info = await failure(gateway({ onDelta: (d) => deltas.push(d) }).call(request({ plan: modelPlan({ timeout_ms: 300 }) }), signal()));
    expect(info).toMatchObject({ kind: "timeout", retryable: true });
    expect(deltas).toEqual(['{"priority"']);
  });

  it("the caller's abort mid-stream → cancelled", async () => {
    fake.enqueue(reply.stalledStream(["{"]));
    const ac = new AbortController();
    const p = gateway({ onDelta: () => ac.abort() }).call(request({ plan: modelPlan({ timeout_ms: 10_000 }) }), ac.signal);
    expect(await failure(p)).toMatchObject({ kind: "cancelled", retryable: false });
  });

  it("the caller's abort → cancelled, not retryable", async () => {
    fake.enqueue(reply.hang());
    const ac = new AbortController();
    const p = gateway().call(request({ plan: modelPlan({ timeout_ms: 10_000 }) }), ac.signal);
    setTimeout(() => ac.abort(), 100);
    expect(await failure(p)).toMatchObject({ kind: "cancelled", retryable: false });
  });

  it("an already aborted signal → cancelled without a request", async () => {
    const ac = new AbortController();
    ac.abort();
    expect((await failure(gateway().call(request(), ac.signal))).kind).toBe("cancelled");
    expect(fake.requests).toHaveLength(0);
  });

  it("a missing API key → auth naming the variable, without any request", async () => {
    const g = new OpenAIGateway({ validate, env: { OPENAI_BASE_URL: fake.url } });
    const info = await failure(g.call(request(), signal()));
    expect(info).toMatchObject({ kind: "auth", retryable: false });
    expect(info.message).toContain("OPENAI_API_KEY");
    const named = await failure(g.call(request({ plan: modelPlan({ api_key_env: "ACME_KEY" }) }), signal()));
    expect(named.message).toContain("ACME_KEY");
    expect(fake.requests).toHaveLength(0);
  });

  it("a connection refused → retryable transport", async () => {
    const url = fake.url;
    await fake.stop();
    fake = await startFakeOpenAI(); // so afterEach has a server to stop
    const g = new OpenAIGateway({ validate, env: { OPENAI_API_KEY: "k", OPENAI_BASE_URL: url } });
    expect(await failure(g.call(request(), signal()))).toMatchObject({ kind: "transport", retryable: true });
  });
});

describe("fake-openai", () => {
  it("serves tool calls (for agents), plain and streamed", async () => {
    fake.enqueue(reply.toolCalls([{ name: "lookup_orders", arguments: { email: "a@b.co" } }]));
    const res = await fetch(`${fake.url}/chat/completions`, { method: "POST", body: JSON.stringify({ model: "m", messages: [] }) });
    const body = (await res.json()) as any;
    expect(body.choices[0].finish_reason).toBe("tool_calls");
    expect(body.choices[0].message.tool_calls[0]).toEqual({
      id: "call_0",
      type: "function",
      function: { name: "lookup_orders", arguments: '{"email":"a@b.co"}' },
    });
  });

  it("answers 500 when the script is empty", async () => {
    const res = await fetch(`${fake.url}/chat/completions`, { method: "POST", body: "{}" });
    expect(res.status).toBe(500);
  });
});
