import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { decodePlan, encodePlan } from "../../compiler/plan/codec.js";
import { planToText } from "../../compiler/plan/inspect.js";
import type { ExprIR } from "../../compiler/plan/types.js";
import { expectGolden } from "../helpers/golden.js";
import { lowerSources } from "./lower-helpers.js";

const here = (p: string) => new URL(p, import.meta.url).pathname;
const support = () => lowerSources({ "support.awr": readFileSync(here("./fixtures/support.awr"), "utf8") });

const ref = (name: string): ExprIR => ({ k: "ref", name });
const lit = (v: string | number | boolean | null): ExprIR => ({ k: "lit", v });
const member = (obj: ExprIR, name: string, optional = false): ExprIR => ({ k: "member", obj, name, optional });

describe("lowering the design example", () => {
  it("prints as the golden text", () => {
    expectGolden(here("./golden/support.plan.txt"), planToText(support()));
  });

  it("is deterministic and survives the codec", () => {
    const a = encodePlan(support());
    const b = encodePlan(support());
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(decodePlan(a)).toStrictEqual(support());
  });

  it("lowers types to self-contained JSON Schema", () => {
    const plan = support();
    expect(plan.types.Ticket).toEqual({
      $ref: "#/$defs/Ticket",
      $defs: {
        Ticket: {
          type: "object",
          description: "A help-desk ticket.",
          properties: {
            id: { type: "string" },
            email: { type: "string", format: "email" },
            subject: { type: "string" },
            body: { type: "string" },
            tags: { type: "array", items: { type: "string" }, default: [] },
          },
          required: ["id", "email", "subject", "body"],
          additionalProperties: false,
        },
      },
    });
    const triage = (plan.types.Triage!.$defs as Record<string, { properties: Record<string, unknown> }>).Triage!;
    expect(triage.properties).toEqual({
      priority: { $ref: "#/$defs/Priority" },
      category: { type: "string", enum: ["billing", "bug", "account", "other"] },
      summary: { type: "string", maxLength: 280 },
      confidence: { type: "number", minimum: 0, maximum: 1 },
    });
    expect(Object.keys(plan.types.Triage!.$defs as object)).toEqual(["Priority", "Triage"]);
    expect(plan.types.Priority).toEqual({ $ref: "#/$defs/Priority", $defs: { Priority: { type: "string", enum: ["low", "normal", "urgent"] } } });
    const reply = (plan.types.Reply!.$defs as Record<string, { properties: Record<string, unknown> }>).Reply!;
    expect(reply.properties.refund).toEqual({ anyOf: [{ type: "number" }, { type: "null" }] });
  });

  it("produces schemas zod can load back (what the VM validates with)", () => {
    const plan = support();
    const triage = z.fromJSONSchema(plan.types.Triage!);
    expect(triage.safeParse({ priority: "urgent", category: "bug", summary: "x", confidence: 0.5 }).success).toBe(true);
    expect(triage.safeParse({ priority: "urgent", category: "bug", summary: "x", confidence: 1.5 }).success).toBe(false);
    expect(triage.safeParse({ priority: "soon", category: "bug", summary: "x", confidence: 0.5 }).success).toBe(false);
    const ticket = z.fromJSONSchema(plan.graphs.support!.params);
    expect(ticket.parse({ ticket: { id: "1", email: "a@b.co", subject: "s", body: "b" } })).toEqual({
      ticket: { id: "1", email: "a@b.co", subject: "s", body: "b", tags: [] },
    });
  });

  it("lowers models with retry, fallback, price and connection settings", () => {
    const { fast, smart } = support().models;
    expect(fast).toMatchObject({
      provider: "openai",
      name: "gpt-4o-mini",
      temperature: 0,
      timeout_ms: 30_000,
      retry: { max: 3, backoff: { kind: "exponential", initial_ms: 500, max_ms: 8000 }, jitter: true },
      fallback: ["smart"],
      price: { input: 0.15, output: 0.6 },
      base_url: null,
      api_key_env: null,
    });
    expect(smart).toMatchObject({
      base_url: "http://localhost:8080/v1",
      api_key_env: "SMART_KEY",
      max_tokens: 4096,
      retry: { max: 2, backoff: { kind: "linear", initial_ms: 1000, max_ms: 10_000 }, jitter: false },
    });
  });

  it("lowers tools: impl, tags, rate, idempotency, compensation", () => {
    const { lookup_orders, issue_refund } = support().tools;
    expect(lookup_orders).toMatchObject({
      description: "Recent orders of a customer",
      impl: { kind: "js", module: "./tools/crm.mjs", export: "lookupOrders" },
      tags: ["pii.read"],
      timeout_ms: 5000,
      rate: { count: 20, per_ms: 1000 },
      idempotent: false,
      params: { type: "object", properties: { email: { type: "string" } }, required: ["email"] },
    });
    expect(lookup_orders!.returns).toMatchObject({ type: "array", items: { $ref: "#/$defs/Order" } });
    expect(issue_refund!.idempotent).toBe(true);
    expect(issue_refund!.compensate).toEqual({
      tool: "cancel_refund",
      args: { k: "record", fields: [{ key: "receipt_id", value: member(ref("result"), "id") }] },
    });
  });

  it("lowers prompt and agent templates to segments, output_format as a builtin hole", () => {
    const plan = support();
    expect(plan.prompts.triage_prompt!.messages).toEqual([
      { role: "system", segments: [{ text: "You are a support triage specialist. " }, { builtin: "output_format" }] },
      {
        role: "user",
        segments: [{ text: "Subject: " }, { expr: member(ref("ticket"), "subject") }, { text: "\n" }, { expr: member(ref("ticket"), "body") }],
      },
    ]);
    expect(plan.prompts.triage_prompt!.model).toBe("fast");
    expect(plan.agents.resolver).toMatchObject({
      model: "fast",
      role: "Senior support agent",
      rules: ["Never promise a refund above 100 USD", "Cite the order id"],
      tools: ["lookup_orders", "issue_refund"],
      handoffs: ["billing_agent"],
      context: "kb",
      limits: { turns: 6, tokens: 8000, cost: 0.05, time_ms: null },
    });
    expect(plan.agents.resolver!.instructions[1]).toEqual({ expr: member(ref("ticket"), "id") });
  });

  it("lowers contexts", () => {
    expect(support().contexts.kb).toMatchObject({
      sources: [
        { name: "docs", kind: "vector", args: ["./kb/*.md"], options: { chunk: 800, overlap: 100 } },
        { name: "faq", kind: "keyword", args: ["./kb/faq.jsonl"], options: {} },
      ],
      fuse: "rrf",
      top: 8,
      budget: 1500,
      dedup: 0.92,
      cache_ms: 600_000,
    });
  });

  it("lowers policies to hooks and rules with stable ids", () => {
    const { hooks } = support().policies.refunds!;
    expect(hooks.map((h) => [h.id, h.phase, h.target, h.selector])).toEqual([
      ["policy:refunds/hook:0", "before", "tool", { name: "issue_refund" }],
      ["policy:refunds/hook:1", "before", "tool", { tag: "payments.write" }],
      ["policy:refunds/hook:2", "after", "model", null],
      ["policy:refunds/hook:3", "after", "tool", { tag: "pii.read" }],
    ]);
    expect(hooks[0]!.rules[0]).toMatchObject({
      id: "policy:refunds/hook:0/rule:0",
      action: "deny",
      when: { k: "binary", op: ">", left: member(ref("input"), "amount"), right: lit(500) },
      because: lit("refunds above 500 need a manager"),
    });
    expect(hooks[0]!.rules[1]).toMatchObject({ id: "policy:refunds/hook:0/rule:1", action: "approve" });
    expect(hooks[0]!.rules[1]!.because).toBeUndefined();
    expect(hooks[2]!.rules[0]).toMatchObject({ action: "redact", kinds: ["pii"] });
    expect(hooks[3]!.rules[0]!.kinds).toEqual(["email", "phone"]);
  });

  it("lowers the graph: state reducers, numbered steps, edges, return", () => {
    const g = support().graphs.support!;
    expect(g.state.map((f) => [f.name, f.reducer, f.default])).toEqual([
      ["triage", "replace", null],
      ["reply", "replace", null],
      ["notes", "append", []],
    ]);
    expect(g.nodes.map((n) => n.id)).toEqual(["graph:support/node:classify", "graph:support/node:answer", "graph:support/node:escalate", "graph:support/node:research"]);
    const [classify, answer, escalate, research] = g.nodes;
    expect(classify).toMatchObject({ retry: { max: 2 }, timeout_ms: 20_000, on_error: null });
    expect(classify!.stmts).toEqual([
      {
        id: "graph:support/node:classify/stmt:0",
        op: "run",
        call: { kind: "prompt", name: "triage_prompt" },
        args: { k: "record", fields: [{ key: "ticket", value: ref("ticket") }] },
        into: "triage",
        loc: expect.objectContaining({ file: "support.awr" }),
      },
    ]);
    expect(answer!.stmts[0]).toMatchObject({
      call: { kind: "agent", name: "resolver" },
      args: { k: "record", fields: [{ key: "ticket", value: ref("ticket") }, { key: "triage", value: { k: "nonnull", expr: ref("triage") } }] },
    });
    expect(escalate!.stmts[0]).toMatchObject({ op: "await", kind: "human", arg: lit("escalation"), into: "reply" });
    expect(research!.stmts[0]).toMatchObject({
      op: "map",
      var: "topic",
      over: member(ref("ticket"), "tags"),
      concurrency: 4,
      call: { kind: "prompt", name: "lookup" },
      args: { k: "record", fields: [{ key: "topic", value: ref("topic") }] },
      into: "notes",
    });
    expect(g.edges.map((e) => [e.id, e.from, e.to, e.otherwise])).toEqual([
      ["graph:support/edge:0", ["start"], ["classify", "research"], false],
      ["graph:support/edge:1", ["research"], ["end"], false],
      ["graph:support/edge:2", ["classify"], ["escalate"], false],
      ["graph:support/edge:3", ["classify"], ["answer"], true],
      ["graph:support/edge:4", ["answer"], ["end"], false],
      ["graph:support/edge:5", ["escalate"], ["end"], false],
    ]);
    // `urgent` is an enum member: the VM compares against its string value.
    expect(g.edges[2]!.when).toMatchObject({ k: "binary", op: "||", left: { op: "==", right: lit("urgent") } });
    expect(g.return).toEqual({ k: "nonnull", expr: ref("reply") });
    expect(g.cost).toBeUndefined();
  });

  it("lowers tests: run arguments by parameter name, mocks, expectations", () => {
    const t = support().tests.urgent_goes_to_a_human!;
    expect(t.run!.graph).toBe("support");
    expect(t.run!.args).toMatchObject({ k: "record", fields: [{ key: "ticket", value: { k: "record" } }] });
    expect(t.mocks[0]).toMatchObject({ name: "triage_prompt", values: [{ value: { k: "record" } }] });
    expect(t.expects.map((e) => e.id)).toEqual(["test:urgent_goes_to_a_human/expect:0", "test:urgent_goes_to_a_human/expect:1"]);
    expect(t.expects[1]!.expr).toEqual({ k: "binary", op: "==", left: { k: "call", fn: "calls", args: [lit("resolver")] }, right: lit(0) });
  });
});

describe("lowering small sources", () => {
  it("keeps step ids when retry/timeout lines are added to a node", () => {
    const src = (extra: string) => `
prompt p(x: string) -> string { model: m, user #"{{ x }}"# }
model m { provider: "openai", name: "x" }
graph g(x: string) -> string {
  state { a: string?, b: string? }
  node n {
    ${extra}
    run p(x) -> a
    set b = a!
  }
  edge start -> n
  edge n -> end
  return b!
}`;
    const ids = (extra: string) => lowerSources({ "g.awr": src(extra) }).graphs.g!.nodes[0]!.stmts.map((s) => s.id);
    expect(ids("")).toEqual(["graph:g/node:n/stmt:0", "graph:g/node:n/stmt:1"]);
    expect(ids("retry 3\n    timeout 5s")).toEqual(ids(""));
  });

  it("handles recursive and cross-file named types", () => {
    const plan = lowerSources({
      "main.awr": `import "./types.awr"\ntype Tree { label: string, kids: list<Tree> = [], meta: Meta? }`,
      "types.awr": `type Meta { weights: map<float>, level: 1 | 2 | 3 }`,
    });
    const tree = plan.types.Tree!;
    expect(tree.$ref).toBe("#/$defs/Tree");
    const defs = tree.$defs as Record<string, { properties: Record<string, unknown> }>;
    expect(Object.keys(defs)).toEqual(["Meta", "Tree"]);
    const Tree = z.fromJSONSchema(tree);
    expect(Tree.safeParse({ label: "a", kids: [{ label: "b" }] }).success).toBe(true);
    expect(Tree.safeParse({ label: "a", kids: [{ kids: [] }] }).success).toBe(false);
    expect(defs.Tree!.properties.kids).toEqual({ type: "array", items: { $ref: "#/$defs/Tree" }, default: [] });
    expect(defs.Meta!.properties).toEqual({
      weights: { type: "object", additionalProperties: { type: "number" } },
      level: { enum: [1, 2, 3] },
    });
  });

  it("lowers tool impl kinds, rates per minute and node-level recovery", () => {
    const plan = lowerSources({
      "t.awr": `
tool a(q: string) -> string { impl: http("GET https://x.test/a"), rate: 5/min }
tool b(q: string) -> string { impl: mcp(search, "find") }
tool c(q: string) -> string { impl: builtin("std.echo") }
tool undo(q: string) -> bool { impl: js("./u.mjs") }
graph g(q: string) -> string {
  state { r: string?, n: int @reduce(sum) = 0 }
  node one {
    run a(q: q) -> r
    on error -> two
    compensate undo(q: r!)
  }
  node two { await event("resumed") -> r }
  edge start -> one
  edge one -> one when r == null max 3
  edge one -> end otherwise
  edge two -> end
  return r ?? "none"
}`,
    });
    expect(plan.tools.a!.impl).toEqual({ kind: "http", method: "GET", url: "https://x.test/a", headers: {} });
    expect(plan.tools.a!.rate).toEqual({ count: 5, per_ms: 60_000 });
    expect(plan.tools.b!.impl).toEqual({ kind: "mcp", server: "search", tool: "find" });
    expect(plan.tools.c!.impl).toEqual({ kind: "builtin", name: "std.echo" });
    expect(plan.tools.undo!.impl).toEqual({ kind: "js", module: "./u.mjs", export: "default" });
    const g = plan.graphs.g!;
    expect(g.state[1]).toMatchObject({ name: "n", reducer: "sum", default: 0, schema: { type: "integer", default: 0 } });
    expect(g.nodes[0]).toMatchObject({
      on_error: "two",
      compensate: { tool: "undo", args: { k: "record", fields: [{ key: "q", value: { k: "nonnull", expr: ref("r") } }] } },
    });
    expect(g.nodes[0]!.stmts[0]).toMatchObject({ call: { kind: "tool", name: "a" } });
    expect(g.nodes[1]!.stmts[0]).toMatchObject({ op: "await", kind: "event", arg: lit("resumed") });
    expect(g.edges[1]).toMatchObject({ max: 3, when: { k: "binary", op: "==", left: ref("r"), right: lit(null) } });
    expect(g.return).toEqual({ k: "binary", op: "??", left: ref("r"), right: lit("none") });
  });

  it("lowers mock sequences with failures", () => {
    const plan = lowerSources({
      "t.awr": `
model m { provider: "openai", name: "x" }
prompt p(x: string) -> string { model: m, user #"{{ x }}"# }
graph g(x: string) -> string {
  state { a: string? }
  node n { run p(x) -> a }
  edge start -> n
  edge n -> end
  return a ?? ""
}
test t {
  run g(x: "hi")
  mock p => "one" then fail("timeout")
  expect output == "one"
}`,
    });
    expect(plan.tests.t!.mocks[0]!.values).toEqual([{ value: lit("one") }, { fail: "timeout" }]);
    expect(plan.tests.t!.expects[0]!.expr).toEqual({ k: "binary", op: "==", left: ref("output"), right: lit("one") });
  });
});

describe("lowering odd input", () => {
  it("does not throw on a program the parser had to recover", async () => {
    const { loadProgram } = await import("../../compiler/semantic/load.js");
    const { lowerProgram } = await import("../../compiler/lower/index.js");
    const { memoryHost } = await import("./lower-helpers.js");
    const broken = `
type T { a: , b: list< }
model m { retry { backoff: exponential(), max: }, price { input: } }
tool t( -> { impl: js(), rate: 5/fortnight, compensate: }
prompt p(x: T) -> { user #"{{ }}"# }
graph g( {
  state { s: @reduce() }
  node n { run (x) -> ; map in concurrency run -> ; await () ; set = }
  edge -> [ when max
  return
}
policy q { before tool tagged { deny when because } }
test z { run (); mock => then; expect }
`;
    const { program } = loadProgram(["b.awr"], memoryHost({ "b.awr": broken }));
    expect(() => lowerProgram(program, { compilerVersion: "x" })).not.toThrow();
  });
});

describe("lowering of http tools and environment base URLs", () => {
  it("keeps the method, url and headers of both http forms, and env(...) base URLs by name", () => {
    const plan = lowerSources({
      "main.awr": `
model m { provider: "openai" name: "x" base_url: env("MY_GATEWAY_URL") timeout: 5s }
tool get_user(id: string) -> string { impl: http("GET https://api.test/users/{id}") }
tool post_note(text: string) -> string { impl: http({ method: "post", url: "https://api.test/notes", headers: { "x-team": "support" } }) }
`,
    });
    expect(plan.models.m!.base_url).toBe("env:MY_GATEWAY_URL");
    expect(plan.tools.get_user!.impl).toEqual({ kind: "http", method: "GET", url: "https://api.test/users/{id}", headers: {} });
    expect(plan.tools.post_note!.impl).toEqual({ kind: "http", method: "POST", url: "https://api.test/notes", headers: { "x-team": "support" } });
  });
});
