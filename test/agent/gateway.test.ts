// The provider contract for agents: tools sent as functions, tool calls back (plain and streamed),
// assistant/tool messages in the SDK's shape, raw answers; recordings with tool calls; lenient JSON.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OpenAIGateway } from "../../vm/gateway/openai.js";
import { parseJsonAnswer } from "../../vm/gateway/json.js";
import { RecordedModels, RecordingModels, parseRecordings } from "../../vm/gateway/recorded.js";
import { validate } from "../../vm/schema.js";
import type { ModelRequest } from "../../vm/types.js";
import { reply, startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { request } from "../vm/gateway/helpers.js";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await fake.stop();
});

const gateway = (stream = false) => new OpenAIGateway({ validate, stream, env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: fake.url } });
const signal = () => new AbortController().signal;

const tools: ModelRequest["tools"] = [
  { name: "lookup_orders", description: "Recent orders", parameters: { type: "object", properties: { email: { type: "string" } }, required: ["email"] } },
  { name: "transfer_to_billing", parameters: { type: "object", properties: {} } },
];

describe("OpenAIGateway with tools", () => {
  for (const stream of [false, true]) {
    it(`returns the model's tool calls${stream ? " (streamed, assembled from deltas)" : ""}`, async () => {
      fake.enqueue(
        reply.toolCalls(
          [
            { id: "c1", name: "lookup_orders", arguments: { email: "a@b.co" } },
            { id: "c2", name: "transfer_to_billing", arguments: {} },
          ],
          { prompt_tokens: 50, completion_tokens: 12 },
        ),
      );
      const res = await gateway(stream).call(request({ tools, raw: true }), signal());
      expect(res.toolCalls).toEqual([
        { id: "c1", name: "lookup_orders", arguments: '{"email":"a@b.co"}' },
        { id: "c2", name: "transfer_to_billing", arguments: "{}" },
      ]);
      expect(res.usage).toEqual({ input: 50, output: 12 });
      const body = fake.requests[0]!.body;
      expect(body.tools).toEqual([
        { type: "function", function: { name: "lookup_orders", description: "Recent orders", parameters: tools![0]!.parameters } },
        { type: "function", function: { name: "transfer_to_billing", parameters: { type: "object", properties: {} } } },
      ]);
      expect(body.stream ?? false).toBe(stream);
    });
  }

  it("sends assistant tool calls and tool results in the SDK's shape", async () => {
    fake.enqueue(reply.text("done"));
    await gateway().call(
      request({
        schema: null,
        tools,
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "", toolCalls: [{ id: "c1", name: "lookup_orders", arguments: '{"email":"a@b.co"}' }] },
          { role: "tool", content: "[]", toolCallId: "c1" },
        ],
      }),
      signal(),
    );
    expect(fake.requests[0]!.body.messages).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "lookup_orders", arguments: '{"email":"a@b.co"}' } }] },
      { role: "tool", content: "[]", tool_call_id: "c1" },
    ]);
  });

  it("raw: returns the text unparsed and makes no repair round-trip", async () => {
    fake.enqueue(reply.text("not json at all"));
    const res = await gateway().call(request({ raw: true }), signal());
    expect(res.output).toBe("not json at all");
    expect(fake.requests).toHaveLength(1);
  });
});

describe("recordings with tool calls", () => {
  it("parses, answers and records tool-call turns", async () => {
    const recs = parseRecordings(
      [
        JSON.stringify({ caller: "resolver", toolCalls: [{ name: "lookup_orders", arguments: { email: "a@b.co" } }], usage: { input: 5, output: 1 } }),
        JSON.stringify({ caller: "resolver", output: { priority: "low", summary: "ok" } }),
      ].join("\n"),
    );
    const models = new RecordedModels(recs);
    const one = await models.call(request({ caller: "resolver" }), signal());
    expect(one.toolCalls).toEqual([{ id: "call_0", name: "lookup_orders", arguments: '{"email":"a@b.co"}' }]);
    const two = await models.call(request({ caller: "resolver" }), signal());
    expect(two.output).toEqual({ priority: "low", summary: "ok" });
    expect(two.toolCalls).toBeUndefined();
    expect(() => parseRecordings(JSON.stringify({ caller: "x" }), "f.jsonl")).toThrow(/f\.jsonl:1: .*an output or toolCalls/);

    const dir = mkdtempSync(join(tmpdir(), "awr-rec-"));
    try {
      const file = join(dir, "rec.jsonl");
      await new RecordingModels(new RecordedModels(recs), file).call(request({ caller: "resolver" }), signal());
      const line = JSON.parse(readFileSync(file, "utf8").trim());
      expect(line.toolCalls).toEqual([{ id: "call_0", name: "lookup_orders", arguments: '{"email":"a@b.co"}' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("lenient JSON", () => {
  it.each([
    ['{"a": 1, "b": [1, 2,],}', { a: 1, b: [1, 2] }, ["removed trailing commas"]],
    ["{'a': 'it\\'s'}", { a: "it's" }, ["converted single-quoted strings"]],
    ['{a: 1, b_c: "x"}', { a: 1, b_c: "x" }, ["quoted unquoted keys"]],
    ['{"a": 1 // one\n, /* two */ "b": 2}', { a: 1, b: 2 }, ["removed comments"]],
    ['{"ok": True, "none": None}', { ok: true, none: null }, ["read Python-style True/False/None"]],
    ['Sure! {"a": [1,],} Hope it helps', { a: [1] }, ["extracted the JSON value from surrounding prose", "removed trailing commas"]],
  ])("reads %s", (text, value, fixes) => {
    expect(parseJsonAnswer(text)).toEqual({ ok: true, value, fixes });
  });

  it("still refuses what is not JSON", () => {
    expect(parseJsonAnswer("{a: }").ok).toBe(false);
    expect(parseJsonAnswer("no json here").ok).toBe(false);
  });
});
