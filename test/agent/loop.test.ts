// The agent loop end to end: a compiled plan, the real OpenAIGateway against a scripted
// OpenAI-compatible server on 127.0.0.1, the interpreter's tool path, a memory store.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { reply, startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { VmFailure } from "../../vm/types.js";
import { DESK, INPUT, desk, sent } from "./helpers.js";

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await fake.stop();
});

const answer = (text: string, refund: number | null = null) => reply.json({ text, refund });

describe("the tool-calling loop", () => {
  it("runs model → tools → model over several turns until the answer validates", async () => {
    fake.enqueue(
      reply.toolCalls([{ id: "c1", name: "lookup_orders", arguments: { email: INPUT.email } }]),
      reply.toolCalls([{ id: "c2", name: "issue_refund", arguments: { order_id: "O-ann", amount: 40 } }]),
      answer("Refunded 40 USD for order O-ann.", 40),
    );
    const d = desk(fake);
    const r = await d.rt.start("desk", INPUT);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe("completed");
    expect(r.output).toEqual({ text: "Refunded 40 USD for order O-ann.", refund: 40 });
    expect(d.tools.calls.map((c) => [c.tool, c.args])).toEqual([
      ["lookup_orders", { email: INPUT.email }],
      ["issue_refund", { order_id: "O-ann", amount: 40 }],
    ]);

    // Turn 1: the MetaPrompt, the task, the tools as functions (+ one transfer per handoff).
    const first = fake.requests[0]!.body;
    expect(first.tools.map((t: any) => t.function.name)).toEqual(["lookup_orders", "issue_refund", "transfer_to_billing_agent"]);
    expect(first.tools[0]).toEqual({
      type: "function",
      function: { name: "lookup_orders", description: "Recent orders of a customer", parameters: expect.objectContaining({ type: "object", required: ["email"] }) },
    });
    // Parameters the resolver already has (email, question) may be omitted in a transfer.
    expect(first.tools[2].function.parameters.required).toEqual(["note"]);
    const system = sent(fake, 0)[0]!;
    expect(system.role).toBe("system");
    const order = ["You are Senior support agent.", "Goal: Resolve the ticket in one reply", "Rules:\n- Cite the order id", "transfer_to_billing_agent — Billing specialist", "Answer with a JSON value"];
    const at = order.map((s) => system.content!.indexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(sent(fake, 0)[1]).toEqual({ role: "user", content: `Customer ${INPUT.email} asks: ${INPUT.question}` });

    // Turn 2 sees the call and its result as an assistant tool_calls message and a tool message.
    const second = sent(fake, 1);
    expect(second.slice(2)).toEqual([
      { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "lookup_orders", arguments: JSON.stringify({ email: INPUT.email }) } }] },
      { role: "tool", content: JSON.stringify([{ id: "O-ann", total: 40 }]), tool_call_id: "c1" },
    ]);
    expect(sent(fake, 2)).toHaveLength(6);

    // Every turn and every tool call is its own journaled effect.
    const keys = d.store.load(r.runId)!.journal.filter((e) => e.phase === "outcome").map((e) => e.key.replace(/^.*#0\//, ""));
    expect(keys).toEqual(["turn0/fast@0", "turn0/call0", "turn1/fast@0", "turn1/call0", "turn2/fast@0"]);
  });

  it("runs parallel tool calls concurrently; both are journaled and pass the tool hooks", async () => {
    const source = DESK + `policy privacy { after tool tagged pii.read { redact email } }`;
    let inFlight = 0;
    let maxInFlight = 0;
    fake.enqueue(
      reply.toolCalls([
        { id: "a", name: "lookup_orders", arguments: { email: "ann@example.com" } },
        { id: "b", name: "lookup_orders", arguments: { email: "bob@example.com" } },
      ]),
      answer("Two customers, two orders."),
    );
    const d = desk(fake, {
      source,
      answer: async (tool, args) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 30));
        inFlight--;
        return [{ id: `O-${String(args["email"])}`, total: 10 }];
      },
    });
    const r = await d.rt.start("desk", INPUT);
    expect(r.status).toBe("completed");
    expect(maxInFlight).toBe(2);
    expect(d.tools.calls.map((c) => c.args["email"]).sort()).toEqual(["ann@example.com", "bob@example.com"]);
    const journal = d.store.load(r.runId)!.journal;
    for (const k of ["turn0/call0", "turn0/call1"]) {
      expect(journal.filter((e) => e.key.endsWith(k)).map((e) => e.phase)).toEqual(["intent", "outcome"]);
    }
    // The after-tool hook redacted both results before the model saw them (in call order).
    const tools = sent(fake, 1).filter((m) => m.role === "tool");
    expect(tools.map((m) => m.tool_call_id)).toEqual(["a", "b"]);
    for (const m of tools) {
      expect(m.content).toContain("[REDACTED:email]");
      expect(m.content).not.toMatch(/@example\.com/);
    }
    // …and each decision is audited under its own call's key.
    const steps = r.observed.audit.filter((a) => a.policy === "privacy").map((a) => a.step.replace(/^.*#0\//, ""));
    expect(steps.sort()).toEqual(["turn0/call0", "turn0/call1"]);
  });

  it("shows a refused or failing tool call to the model instead of failing the agent", async () => {
    const source = DESK + `policy refunds { before tool issue_refund { deny when input.amount > 30 because "refunds above 30 need a manager" } }`;
    fake.enqueue(
      reply.toolCalls([
        { id: "r1", name: "issue_refund", arguments: { order_id: "O-ann", amount: 40 } },
        { id: "r2", name: "no_such_tool", arguments: {} },
        { id: "r3", name: "lookup_orders", arguments: "{not json" },
      ]),
      answer("A manager will look at your refund."),
    );
    const d = desk(fake, { source });
    const r = await d.rt.start("desk", INPUT);
    expect(r.status).toBe("completed");
    expect(d.tools.calls).toEqual([]);
    const tools = sent(fake, 1).filter((m) => m.role === "tool");
    expect(tools[0]!.content).toMatch(/^error \(policy\): .*refunds above 30 need a manager/);
    expect(tools[1]!.content).toBe("error: there is no tool no_such_tool; the tools are lookup_orders, issue_refund, transfer_to_billing_agent");
    expect(tools[2]!.content).toMatch(/^error: the arguments are not JSON/);
  });
});

describe("compensation", () => {
  it("undo steps of the agent's tool calls run when the run fails later", async () => {
    const source = DESK.replace('tags: [payments.write]\n}', 'tags: [payments.write]\n  compensate: cancel_refund(receipt_id: result)\n}').replace(
      "graph desk",
      `tool cancel_refund(receipt_id: string) -> bool { impl: builtin("std.time.now") }
tool notify(text: string) -> bool { impl: builtin("std.time.now") }
graph desk`,
    ).replace("edge answer -> end", "node tell { run notify(text: reply!.text) }\n  edge answer -> tell\n  edge tell -> end");
    expect(source).toContain("compensate: cancel_refund");
    fake.enqueue(
      reply.toolCalls([
        { id: "a", name: "issue_refund", arguments: { order_id: "O-1", amount: 5 } },
        { id: "b", name: "issue_refund", arguments: { order_id: "O-2", amount: 6 } },
      ]),
      reply.json({ text: "Refunded both." }),
    );
    const d = desk(fake, {
      source,
      answer: async (tool, args) => {
        if (tool === "notify") throw new VmFailure({ kind: "tool", message: "the mailer is down", retryable: false });
        if (tool === "cancel_refund") return true;
        // The first refund finishes last: registration must still follow the call order.
        if (args["order_id"] === "O-1") await new Promise((r) => setTimeout(r, 40));
        return `RF-${String(args["order_id"])}`;
      },
    });
    const r = await d.rt.start("desk", INPUT);
    expect(r.status).toBe("failed");
    // Reverse order of registration; registration in call order.
    expect(d.tools.calls.filter((c) => c.tool === "cancel_refund").map((c) => c.args)).toEqual([{ receipt_id: "RF-O-2" }, { receipt_id: "RF-O-1" }]);
  });
});

describe("the final answer", () => {
  it("reads minor JSON faults without a repair turn and records what was fixed", async () => {
    fake.enqueue(reply.text("Here you go:\n```json\n{text: 'Done, order O-1.', refund: null,}\n```"));
    const d = desk(fake);
    const r = await d.rt.start("desk", INPUT);
    expect(r.output).toEqual({ text: "Done, order O-1.", refund: null });
    expect(fake.requests).toHaveLength(1);
    // The turn is journaled as read, with the fixes in `repaired`.
    const turn = d.store.load(r.runId)!.journal.find((e) => e.phase === "outcome" && e.key.endsWith("turn0/fast@0"))!.value as any;
    expect(turn.repaired).toEqual(["stripped markdown code fences", "ignored prose around the JSON", "quoted unquoted keys", "converted single-quoted strings", "removed trailing commas"]);
    expect(turn.text).toContain("```json");
  });

  it("repairs an invalid answer by showing the model its validation errors", async () => {
    fake.enqueue(reply.json({ text: 42 }), reply.json({ text: "Fixed: order O-1 refunded." }));
    const d = desk(fake);
    const r = await d.rt.start("desk", INPUT);
    expect(r.status).toBe("completed");
    expect(r.output).toEqual({ text: "Fixed: order O-1 refunded." });
    const repair = sent(fake, 1).slice(-2);
    expect(repair[0]).toEqual({ role: "assistant", content: JSON.stringify({ text: 42 }) });
    expect(repair[1]!.role).toBe("user");
    expect(repair[1]!.content).toContain("Your previous answer could not be used:");
    expect(repair[1]!.content).toMatch(/\$\.text: expected string/);
  });

  it("fails with a schema failure after the repair rounds (default 2)", async () => {
    fake.enqueue(reply.json({ text: 1 }), reply.json({ text: 2 }), reply.json({ text: 3 }));
    const d = desk(fake);
    const r = await d.rt.start("desk", INPUT);
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ kind: "schema" });
    expect(r.error!.message).toMatch(/after 2 repairs: \$\.text: expected string/);
    expect(fake.requests).toHaveLength(3);
  });

  it("the number of repair rounds is a runtime option", async () => {
    fake.enqueue(reply.json({ text: 1 }));
    const d = desk(fake, { agents: { repairRounds: 0 } });
    const r = await d.rt.start("desk", INPUT);
    expect(r.error?.message).toMatch(/after 0 repairs/);
    expect(fake.requests).toHaveLength(1);
  });
});

describe("limits", () => {
  const looping = () => reply.toolCalls([{ name: "lookup_orders", arguments: { email: INPUT.email } }]);

  it("turns: the loop stops with a non-retryable budget failure naming the limit", async () => {
    for (let i = 0; i < 5; i++) fake.enqueue(looping());
    const d = desk(fake);
    const r = await d.rt.start("desk", INPUT);
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ kind: "budget", retryable: false });
    expect(r.error!.message).toBe("agent resolver hit its turns limit: 5 of 5 turns used");
    expect(fake.requests).toHaveLength(5);
  });

  it("tokens and cost: summed from each turn's usage, checked before the next turn", async () => {
    const big = { prompt_tokens: 60_000, completion_tokens: 1_000 };
    fake.enqueue(reply.toolCalls([{ name: "lookup_orders", arguments: { email: INPUT.email } }], big), reply.toolCalls([{ name: "lookup_orders", arguments: { email: INPUT.email } }], big));
    const d = desk(fake);
    const r = await d.rt.start("desk", INPUT);
    expect(r.error).toMatchObject({ kind: "budget", retryable: false, message: "agent resolver hit its tokens limit: 122000 of 100000 tokens used" });
    expect(fake.requests).toHaveLength(2);

    fake.enqueue(reply.toolCalls([{ name: "lookup_orders", arguments: { email: INPUT.email } }], { prompt_tokens: 20_000, completion_tokens: 0 }));
    const costly = desk(fake, { source: DESK.replace("limits { turns: 5, tokens: 100000 }", "limits { cost: 0.01 }") });
    const c = await costly.rt.start("desk", INPUT);
    // 20,000 input tokens at 1 USD per million = 0.02 USD.
    expect(c.error).toMatchObject({ kind: "budget", message: "agent resolver hit its cost limit: 0.02 of 0.01 USD spent" });
  });

  it("time: measured from journaled turn times", async () => {
    let clock = 0;
    fake.enqueue(looping(), looping());
    const d = desk(fake, { source: DESK.replace("limits { turns: 5, tokens: 100000 }", "limits { time: 1s }"), now: () => (clock += 400) });
    const r = await d.rt.start("desk", INPUT);
    expect(r.error).toMatchObject({ kind: "budget", retryable: false });
    expect(r.error!.message).toMatch(/^agent resolver hit its time limit: \d+ of 1000 ms elapsed$/);
  });

  it("a budget failure is not retried by the node", async () => {
    const source = DESK.replace("node answer { run resolver(email: email, question: question) -> reply }", "node answer { run resolver(email: email, question: question) -> reply\n retry 2 }");
    for (let i = 0; i < 5; i++) fake.enqueue(looping());
    const d = desk(fake, { source });
    const r = await d.rt.start("desk", INPUT);
    expect(r.error?.kind).toBe("budget");
    expect(fake.requests).toHaveLength(5);
  });
});
