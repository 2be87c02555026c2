// A small plan built by hand (independent of the front end): one declaration of each kind.
import { PLAN_FORMAT, defaultRetry, type ExprIR, type Plan } from "../../compiler/plan/types.js";

const loc = (line: number, column = 1) => ({ file: "main.awr", line, column });
const ref = (name: string): ExprIR => ({ k: "ref", name });
const lit = (v: string | number | boolean | null): ExprIR => ({ k: "lit", v });
const member = (obj: ExprIR, name: string): ExprIR => ({ k: "member", obj, name, optional: false });

export function samplePlan(): Plan {
  return {
    format: PLAN_FORMAT,
    compiler: "0.1.0-test",
    entry: ["main.awr"],
    types: {
      Priority: { $ref: "#/$defs/Priority", $defs: { Priority: { type: "string", enum: ["low", "urgent"] } } },
      Triage: {
        $ref: "#/$defs/Triage",
        $defs: {
          Priority: { type: "string", enum: ["low", "urgent"] },
          Triage: {
            type: "object",
            properties: {
              priority: { $ref: "#/$defs/Priority" },
              confidence: { type: "number", minimum: 0, maximum: 1 },
              note: { anyOf: [{ type: "string", maxLength: 80 }, { type: "null" }] },
            },
            required: ["priority", "confidence"],
            additionalProperties: false,
          },
        },
      },
    },
    models: {
      fast: {
        provider: "openai",
        name: "gpt-4o-mini",
        base_url: null,
        api_key_env: "OPENAI_API_KEY",
        temperature: 0,
        max_tokens: null,
        timeout_ms: 30_000,
        retry: defaultRetry(3),
        fallback: [],
        price: { input: 0.15, output: 0.6 },
        loc: loc(5, 7),
      },
    },
    tools: {
      refund: {
        params: { type: "object", properties: { amount: { type: "number" } }, required: ["amount"], additionalProperties: false },
        returns: { type: "boolean" },
        description: "Refund an order",
        impl: { kind: "js", module: "./billing.mjs", export: "refund" },
        tags: ["payments.write"],
        timeout_ms: 5000,
        rate: { count: 20, per_ms: 1000 },
        idempotent: true,
        compensate: { tool: "cancel", args: { k: "record", fields: [{ key: "id", value: member(ref("result"), "id") }] } },
        retry: defaultRetry(2),
        loc: loc(12, 6),
      },
    },
    prompts: {
      classify: {
        params: { type: "object", properties: { text: { type: "string" } }, required: ["text"], additionalProperties: false },
        returns: { $ref: "#/$defs/Triage", $defs: {} },
        model: "fast",
        messages: [
          { role: "system", segments: [{ text: "Classify. " }, { builtin: "output_format" }] },
          { role: "user", segments: [{ text: "Text: " }, { expr: ref("text") }] },
        ],
        context: null,
        temperature: 0,
        max_tokens: 200,
        loc: loc(20, 8),
      },
    },
    agents: {
      helper: {
        params: { type: "object", properties: {}, required: [], additionalProperties: false },
        returns: { type: "string" },
        model: "fast",
        role: "Helper",
        goal: null,
        rules: ["Be brief"],
        instructions: [{ text: "Help." }],
        tools: ["refund"],
        handoffs: [],
        context: "kb",
        memory: null,
        limits: { turns: 4, tokens: 2000, cost: 0.01, time_ms: null },
        loc: loc(26, 7),
      },
    },
    contexts: {
      kb: {
        sources: [{ name: "docs", kind: "vector", args: ["./kb/*.md"], options: { chunk: 800 }, loc: loc(31, 10) }],
        fuse: "rrf",
        top: 8,
        budget: 1500,
        dedup: 0.92,
        cache_ms: 600_000,
        summarize: null,
        loc: loc(30, 9),
      },
    },
    policies: {
      refunds: {
        hooks: [
          {
            id: "policy:refunds/hook:0",
            phase: "before",
            target: "tool",
            selector: { name: "refund" },
            rules: [
              {
                id: "policy:refunds/hook:0/rule:0",
                action: "deny",
                kinds: [],
                when: { k: "binary", op: ">", left: member(ref("input"), "amount"), right: lit(500) },
                because: lit("needs a manager"),
                loc: loc(37, 5),
              },
            ],
            loc: loc(36, 3),
          },
          {
            id: "policy:refunds/hook:1",
            phase: "after",
            target: "model",
            selector: null,
            rules: [{ id: "policy:refunds/hook:1/rule:0", action: "redact", kinds: ["email", "phone"], loc: loc(40, 5) }],
            loc: loc(39, 3),
          },
        ],
        loc: loc(35, 8),
      },
    },
    graphs: {
      flow: {
        params: { type: "object", properties: { text: { type: "string" } }, required: ["text"], additionalProperties: false },
        returns: { type: "string" },
        state: [
          { name: "triage", schema: { anyOf: [{ $ref: "#/$defs/Triage" }, { type: "null" }], $defs: {} }, reducer: "replace", default: null, loc: loc(46, 5) },
          { name: "notes", schema: { type: "array", items: { type: "string" }, default: [] }, reducer: "append", default: [], loc: loc(47, 5) },
        ],
        nodes: [
          {
            id: "graph:flow/node:classify",
            name: "classify",
            stmts: [
              {
                id: "graph:flow/node:classify/stmt:0",
                op: "run",
                call: { kind: "prompt", name: "classify" },
                args: { k: "record", fields: [{ key: "text", value: ref("text") }] },
                into: "triage",
                loc: loc(50, 5),
              },
              { id: "graph:flow/node:classify/stmt:1", op: "set", field: "notes", value: { k: "list", items: [lit("classified")] }, loc: loc(51, 5) },
            ],
            retry: defaultRetry(2),
            timeout_ms: 20_000,
            on_error: "human",
            compensate: null,
            loc: loc(49, 8),
          },
          {
            id: "graph:flow/node:human",
            name: "human",
            stmts: [{ id: "graph:flow/node:human/stmt:0", op: "await", kind: "human", arg: lit("check"), key: null, into: null, loc: loc(55, 17) }],
            retry: defaultRetry(),
            timeout_ms: null,
            on_error: null,
            compensate: null,
            loc: loc(55, 8),
          },
        ],
        edges: [
          { id: "graph:flow/edge:0", from: ["start"], to: ["classify"], otherwise: false, max: null, loc: loc(57, 3) },
          {
            id: "graph:flow/edge:1",
            from: ["classify"],
            to: ["human"],
            when: {
              k: "binary",
              op: "||",
              left: { k: "binary", op: "==", left: member({ k: "nonnull", expr: ref("triage") }, "priority"), right: lit("urgent") },
              right: { k: "binary", op: "<", left: member({ k: "nonnull", expr: ref("triage") }, "confidence"), right: lit(0.6) },
            },
            otherwise: false,
            max: null,
            loc: loc(58, 3),
          },
          { id: "graph:flow/edge:2", from: ["classify"], to: ["end"], otherwise: true, max: null, loc: loc(59, 3) },
          { id: "graph:flow/edge:3", from: ["human"], to: ["end"], otherwise: false, max: null, loc: loc(60, 3) },
        ],
        return: { k: "call", fn: "join", args: [ref("notes"), lit(", ")] },
        cost: { model_calls: 1, tokens: 4000, usd: 0.002 },
        loc: loc(44, 7),
      },
    },
    tests: {
      urgent: {
        run: { graph: "flow", args: { k: "record", fields: [{ key: "text", value: lit("Site down") }] } },
        principal: { k: "record", fields: [{ key: "id", value: lit("u1") }, { key: "roles", value: { k: "list", items: [lit("billing")] } }] },
        mocks: [
          { name: "classify", values: [{ value: { k: "record", fields: [{ key: "priority", value: lit("urgent") }] } }, { fail: "timeout" }], loc: loc(65, 3) },
          { name: "helper", values: [{ tool_calls: [{ name: "lookup", args: { k: "record", fields: [{ key: "q", value: lit("x") }] } }] }, { value: lit("done") }], loc: loc(66, 3) },
        ],
        expects: [
          { id: "test:urgent/expect:0", expr: { k: "binary", op: "==", left: ref("status"), right: lit("suspended") }, loc: loc(66, 3) },
          { id: "test:urgent/expect:1", expr: { k: "binary", op: "==", left: { k: "call", fn: "calls", args: [lit("helper")] }, right: lit(0) }, loc: loc(67, 3) },
        ],
        loc: loc(63, 6),
      },
    },
  };
}
