// Handoffs: `transfer_to_<agent>` moves the conversation to another agent, whose answer is the call's.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { reply, startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { DESK, INPUT, desk, sent } from "./helpers.js";

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await fake.stop();
});

const transfer = (note: string, id = "h1") => reply.toolCalls([{ id, name: "transfer_to_billing_agent", arguments: { note } }]);
const back = (id = "h2") => reply.toolCalls([{ id, name: "transfer_to_resolver", arguments: {} }]);

describe("handoffs", () => {
  it("hands the conversation to the second agent, whose answer is the call's result", async () => {
    fake.enqueue(
      reply.toolCalls([{ id: "l1", name: "lookup_orders", arguments: { email: INPUT.email } }]),
      transfer("double charge on O-ann"),
      reply.toolCalls([{ id: "r1", name: "issue_refund", arguments: { order_id: "O-ann", amount: 40 } }]),
      reply.json({ text: "Billing refunded the double charge on O-ann.", refund: 40 }),
    );
    const d = desk(fake);
    const r = await d.rt.start("desk", INPUT);
    expect(r.error).toBeUndefined();
    expect(r.output).toEqual({ text: "Billing refunded the double charge on O-ann.", refund: 40 });
    expect(r.observed.calls.get("billing_agent")).toBe(1);

    // The specialist's own system prompt and tools; the conversation so far carried over, then its task.
    const third = sent(fake, 2);
    expect(third[0]!.content).toMatch(/^You are Billing specialist\./);
    expect(third[0]!.content).not.toContain("You are Senior support agent");
    expect(third.slice(1).map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant", "tool", "user"]);
    expect(third[1]!.content).toBe(`Customer ${INPUT.email} asks: ${INPUT.question}`);
    expect(third[5]).toEqual({ role: "tool", content: "Transferred to billing_agent.", tool_call_id: "h1" });
    // Arguments the resolver had (email) are carried over; the model supplied `note`.
    expect(third[6]).toEqual({ role: "user", content: `Billing case for ${INPUT.email}: double charge on O-ann` });
    expect(fake.requests[2]!.body.tools.map((t: any) => t.function.name)).toEqual(["issue_refund", "transfer_to_resolver"]);

    const handoffs = d.events.filter((e) => e.type === "handoff");
    expect(handoffs).toEqual([expect.objectContaining({ type: "handoff", runId: r.runId, from: "resolver", to: "billing_agent", key: expect.stringMatching(/\/turn1$/) })]);
    // The specialist's refund went through the tool path like any other call.
    expect(d.tools.calls.map((c) => c.tool)).toEqual(["lookup_orders", "issue_refund"]);
  });

  it("the handed-to agent must answer with the caller's return type (and is repaired like any answer)", async () => {
    fake.enqueue(transfer("n"), reply.json({ answer: "wrong shape" }), reply.json({ text: "Right shape." }));
    const d = desk(fake);
    const r = await d.rt.start("desk", INPUT);
    expect(r.output).toEqual({ text: "Right shape." });
    expect(sent(fake, 2).at(-1)!.content).toMatch(/\$\.text: required|\$\.answer/);
  });

  it("a cycle A → B → A … is stopped by the handoff limit with a budget failure", async () => {
    for (let i = 0; i < 4; i++) fake.enqueue(transfer("n", `t${i}`), back(`b${i}`));
    const d = desk(fake, { agents: { maxHandoffs: 3 } });
    const r = await d.rt.start("desk", INPUT);
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ kind: "budget", retryable: false });
    expect(r.error!.message).toBe("agent resolver hit the handoff limit: 3 of 3 handoffs in one call (resolver → billing_agent → resolver → billing_agent → resolver)");
    expect(d.events.filter((e) => e.type === "handoff")).toHaveLength(3);
  });

  it("a handoff passes the target's before-agent policies: a denied transfer is shown to the model", async () => {
    const source = DESK + `policy staff { before agent billing_agent { deny when !("billing" in principal.roles) because "billing is for employees" } }`;
    fake.enqueue(transfer("n"), reply.json({ text: "I answered myself." }));
    const d = desk(fake, { source });
    const r = await d.rt.start("desk", INPUT, { principal: { id: "p", roles: [], attrs: {} } });
    expect(r.output).toEqual({ text: "I answered myself." });
    const tool = sent(fake, 1).find((m) => m.role === "tool")!;
    expect(tool.content).toMatch(/^error: the transfer to billing_agent was refused: .*billing is for employees/);
    expect(d.events.some((e) => e.type === "handoff")).toBe(false);
  });

  it("a transfer whose arguments do not fit the target is refused with the reason", async () => {
    fake.enqueue(reply.toolCalls([{ id: "h", name: "transfer_to_billing_agent", arguments: {} }]), reply.json({ text: "ok" }));
    const d = desk(fake);
    const r = await d.rt.start("desk", INPUT);
    expect(r.output).toEqual({ text: "ok" });
    expect(sent(fake, 1).find((m) => m.role === "tool")!.content).toMatch(/^error: cannot transfer to billing_agent: .*note/);
  });
});
