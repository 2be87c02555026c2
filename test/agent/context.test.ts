// `context:` on an agent: assembled once per agent of a call through the runtime's ContextProvider
// (journaled), placed in the system prompt between the rules and the output format.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryStore } from "../../vm/store/memory.js";
import type { ContextProvider } from "../../vm/types.js";
import { reply, startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { DESK, INPUT, desk, sent } from "./helpers.js";

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await fake.stop();
});

const SOURCE = DESK.replace("  handoffs: [billing_agent]\n", "  handoffs: [billing_agent]\n  context: kb\n") + `
context kb {
  source faq = keyword("./kb/faq.jsonl")
  budget: 200
}
`;

function provider() {
  const asked: { name: string; query: string }[] = [];
  const contexts: ContextProvider = {
    async assemble(name, query) {
      asked.push({ name, query });
      return { text: "Refunds reach the card within 5 business days.", tokens: 9 };
    },
  };
  return { contexts, asked };
}

describe("agent context", () => {
  it("assembles the context for the task and puts it in the system prompt", async () => {
    const p = provider();
    fake.enqueue(reply.json({ text: "Within 5 business days." }));
    const d = desk(fake, { source: SOURCE, contexts: p.contexts });
    const r = await d.rt.start("desk", INPUT);
    expect(r.output).toEqual({ text: "Within 5 business days." });
    expect(p.asked).toEqual([{ name: "kb", query: `Customer ${INPUT.email} asks: ${INPUT.question}` }]);
    const system = sent(fake, 0)[0]!.content!;
    const rules = system.indexOf("Rules:");
    const context = system.indexOf("Context (kb):\nRefunds reach the card within 5 business days.");
    const format = system.indexOf("Answer with a JSON value");
    expect(rules).toBeGreaterThanOrEqual(0);
    expect(context).toBeGreaterThan(rules);
    expect(format).toBeGreaterThan(context);
  });

  it("is journaled: re-executing the run does not assemble it again", async () => {
    const store = new MemoryStore();
    const p = provider();
    fake.enqueue(reply.json({ text: "ok" }));
    const d = desk(fake, { source: SOURCE, contexts: p.contexts, store });
    const r = await d.rt.start("desk", INPUT);
    await d.rt.recover(r.runId);
    expect(p.asked).toHaveLength(1);
    expect(store.load(r.runId)!.journal.filter((e) => e.key.endsWith("/context0")).map((e) => e.phase)).toEqual(["intent", "outcome"]);
  });

  it("without a context provider the agent runs without it and a warning event says so", async () => {
    fake.enqueue(reply.json({ text: "ok" }));
    const d = desk(fake, { source: SOURCE });
    const r = await d.rt.start("desk", INPUT);
    expect(r.status).toBe("completed");
    expect(sent(fake, 0)[0]!.content).not.toContain("Context (kb)");
    expect(d.events.filter((e) => e.type === "warning")).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^agent resolver declares context kb, but the runtime has no context provider/) }),
    ]);
  });
});
