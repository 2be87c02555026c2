// Agent loops in the reports: every turn is a model call with its own tokens and cost, the tools an
// agent calls are tool calls, and after a handoff the turns count for the agent that took over.
import { describe, expect, it } from "vitest";
import { buildTrace, callsOfRun, costReport } from "../../../ops/report/index.js";
import { createRuntime } from "../../../vm/runtime.js";
import { MemoryStore } from "../../../vm/store/memory.js";
import type { ModelProvider, ModelResponse, ToolProvider } from "../../../vm/types.js";
import { DESK } from "../../agent/helpers.js";
import { planOf } from "../../vm/helpers.js";

const resolverTurn = (r: Omit<ModelResponse, "usage" | "costUsd">): ModelResponse => ({ ...r, usage: { input: 10, output: 1 }, costUsd: 0.001 });
const billingTurn = (r: Omit<ModelResponse, "usage" | "costUsd">): ModelResponse => ({ ...r, usage: { input: 20, output: 2 }, costUsd: 0.002 });

describe("agents in the reports", () => {
  it("count each turn for the agent answering it, handoffs included, and the agents' tool calls by tool", async () => {
    const script: ModelResponse[] = [
      resolverTurn({ output: "", toolCalls: [{ id: "l1", name: "lookup_orders", arguments: JSON.stringify({ email: "a@b.co" }) }] }),
      resolverTurn({ output: "", toolCalls: [{ id: "h1", name: "transfer_to_billing_agent", arguments: JSON.stringify({ note: "double charge" }) }] }),
      billingTurn({ output: "", toolCalls: [{ id: "r1", name: "issue_refund", arguments: JSON.stringify({ order_id: "O-1", amount: 40 }) }] }),
      billingTurn({ output: { text: "Refunded 40 on O-1.", refund: 40 } }),
    ];
    let turn = 0;
    const models: ModelProvider = { call: async () => script[turn++]! };
    const tools: ToolProvider = { call: async (req) => (req.tool === "lookup_orders" ? [{ id: "O-1", total: 40 }] : "RF-1") };
    const plan = planOf(DESK);
    const store = new MemoryStore();
    const rt = createRuntime({ plan, store, models, tools, instant: true });
    const r = await rt.start("desk", { email: "a@b.co", question: "charged twice" });
    expect(r.status, JSON.stringify(r.error)).toBe("completed");
    expect(turn).toBe(4);

    const run = store.load(r.runId)!;
    const calls = callsOfRun(run, plan);
    expect(calls.map((c) => `${c.kind} ${c.caller}`)).toEqual([
      "model resolver",
      "tool lookup_orders",
      "model resolver",
      "model billing_agent",
      "tool issue_refund",
      "model billing_agent",
    ]);
    const byAgent = costReport(calls, { by: "agent" });
    expect(byAgent.rows.map((x) => [x.key, x.detail, x.modelCalls, x.inputTokens, x.outputTokens, x.costUsd])).toEqual([
      ["billing_agent", "agent", 2, 40, 4, 0.004],
      ["resolver", "agent", 2, 20, 2, 0.002],
    ]);
    expect(costReport(calls, { by: "tool" }).rows.map((x) => [x.key, x.toolCalls])).toEqual([
      ["issue_refund", 1],
      ["lookup_orders", 1],
    ]);

    // The timeline: four turns and two tool calls under the one step, and the handoff mark.
    const t = buildTrace({ run, events: store.events(r.runId), plan });
    expect(t.rows.map((x) => `${"  ".repeat(x.depth)}${x.label}`)).toEqual([
      "answer",
      "  agent resolver → fast",
      "  tool lookup_orders",
      "  agent resolver → fast",
      "  ⇄ handoff resolver → billing_agent",
      "  agent billing_agent → fast",
      "  tool issue_refund",
      "  agent billing_agent → fast",
    ]);
    expect(t.totals).toMatchObject({ modelCalls: 4, toolCalls: 2, inputTokens: 60, outputTokens: 6 });
    expect(t.totals.costUsd).toBeCloseTo(0.006, 12);
  });
});
