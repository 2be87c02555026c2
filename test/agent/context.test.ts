// `context:` on an agent: assembled once per agent of a call through the runtime's ContextProvider
// (journaled), placed in the system prompt between the rules and the output format.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryStore } from "../../vm/store/memory.js";
import type { AssembleOptions, ContextProvider } from "../../vm/types.js";
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
  const asked: { name: string; query: string; opts?: AssembleOptions }[] = [];
  const contexts: ContextProvider = {
    async assemble(name, query, _signal, opts) {
      asked.push({ name, query, ...(opts ? { opts } : {}) });
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
    expect(p.asked).toEqual([{ name: "kb", query: `Customer ${INPUT.email} asks: ${INPUT.question}`, opts: { deferSummary: true, principal: { id: "anonymous", roles: [], attrs: {} } } }]);
    const system = sent(fake, 0)[0]!.content!;
    const rules = system.indexOf("Rules:");
    const context = system.indexOf("Context (kb):\nRefunds reach the card within 5 business days.");
    const format = system.indexOf("Answer with a JSON value");
    expect(rules).toBeGreaterThanOrEqual(0);
    expect(context).toBeGreaterThan(rules);
    expect(format).toBeGreaterThan(context);
  });

  it("queries with the task alone: an {{ output_format }} hole in the instructions is not part of the query", async () => {
    const p = provider();
    fake.enqueue(reply.json({ text: "Within 5 business days." }));
    const source = SOURCE.replace(`instructions #"Customer {{ email }} asks: {{ question }}"#`, `instructions #"Customer {{ email }} asks: {{ question }}\n{{ output_format }}"#`);
    expect(source).not.toBe(SOURCE);
    const d = desk(fake, { source, contexts: p.contexts });
    expect((await d.rt.start("desk", INPUT)).status).toBe("completed");
    expect(p.asked.map((a) => a.query)).toEqual([`Customer ${INPUT.email} asks: ${INPUT.question}\n`]);
    // The model still sees the format in the task.
    expect(sent(fake, 0).at(-1)!.content).toContain("Answer with a JSON value");
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

  it("tells the provider the run's session and principal (for sessions() sources)", async () => {
    const p = provider();
    fake.enqueue(reply.json({ text: "ok" }));
    const d = desk(fake, { source: SOURCE, contexts: p.contexts });
    await d.rt.start("desk", INPUT, { sessionId: "conv-9", principal: { id: "ann", roles: ["customer"], attrs: {} } });
    expect(p.asked[0]!.opts).toEqual({ deferSummary: true, sessionId: "conv-9", principal: { id: "ann", roles: ["customer"], attrs: {} } });
  });

  it("a provider's summary request is answered by the context's summarize prompt, keyed under the context", async () => {
    const source = SOURCE.replace("  budget: 200\n", "  budget: 20\n  summarize: condense\n") + `
prompt condense(text: string, budget: int) -> string {
  model: fast
  user #"In {{ budget }} tokens: {{ text }}"#
}
`;
    const contexts: ContextProvider = {
      async assemble(_name, query) {
        return { text: "trimmed", tokens: 1, summarize: { prompt: "condense", query, text: "[faq: 1]\nRefunds take 5 days.\n\n[faq: 2]\nRefunds go to the card.", budget: 20 } };
      },
    };
    fake.enqueue(reply.text("Refunds: 5 days, to the card."), reply.json({ text: "ok" }));
    const d = desk(fake, { source, contexts });
    const r = await d.rt.start("desk", INPUT);
    expect(r.status).toBe("completed");
    expect(sent(fake, 0)).toEqual([{ role: "user", content: "In 20 tokens: [faq: 1]\nRefunds take 5 days.\n\n[faq: 2]\nRefunds go to the card." }]);
    expect(sent(fake, 1)[0]!.content).toContain("Context (kb):\nRefunds: 5 days, to the card.");
    expect(d.store.load(r.runId)!.journal.filter((e) => e.phase === "outcome" && e.key.endsWith("/context0/summary/fast@0"))).toHaveLength(1);
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
