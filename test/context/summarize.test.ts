// `summarize: PROMPT` on a context: lowered into the plan, and at run time — when an agent's
// context goes over its budget — the prompt is called through the interpreter's model path
// (policy hooks, cost, events, journal, mocks), never again on replay or resume.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createContextAssembler } from "../../vm/context/index.js";
import { OpenAIGateway } from "../../vm/gateway/openai.js";
import { replayRun } from "../../vm/replay.js";
import { validate } from "../../vm/schema.js";
import { MemoryStore } from "../../vm/store/memory.js";
import { runTests } from "../../vm/testing.js";
import type { ModelRequest, VmEvent } from "../../vm/types.js";
import { desk, sent } from "../agent/helpers.js";
import { reply, startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { noTools, planOf } from "../vm/helpers.js";
import { askProgram, signal, tempDir, type TempDir } from "./helpers.js";

const PROGRAM = `
model fast { provider: "openai" name: "gpt-test" timeout: 5s price { input: 1, output: 2 } }
type Reply { text: string }
prompt condense(text: string, query: string, budget: int) -> string {
  model: fast
  system #"Condense into {{ budget }} tokens for: {{ query }}"#
  user #"{{ text }}"#
}
context kb {
  source faq = keyword("./kb/faq.jsonl")
  budget: 60
  summarize: condense
}
${askProgram(`role: "Support agent"\ncontext: kb`)}`;

// Four refund records of ~30 tokens each: together far over the budget of 60.
const FAQ = [
  { q: "How long does a refund take?", a: "A refund reaches the card within 5 business days; write to billing@example.com if not." },
  { q: "Can I get a refund without a receipt?", a: "A refund without a receipt is possible as store credit for the refund amount." },
  { q: "Who pays the refund shipping?", a: "We pay the return shipping of a refund when the item arrived damaged or wrong." },
  { q: "Is a partial refund possible?", a: "A partial refund is possible for sets when one item of the set is returned." },
]
  .map((r) => JSON.stringify(r))
  .join("\n");

const QUESTION = "How long does a refund take?";

let fake: FakeOpenAI;
let dir: TempDir;
beforeEach(async () => {
  fake = await startFakeOpenAI();
  dir = tempDir({ "kb/faq.jsonl": FAQ });
});
afterEach(async () => {
  await fake.stop();
  dir.cleanup();
});

function setup(extra = "") {
  const plan = planOf(PROGRAM + extra);
  const store = new MemoryStore();
  const contexts = createContextAssembler({ plan, root: dir.dir, store });
  return { plan, ...desk(fake, { source: PROGRAM + extra, store, contexts }) };
}

describe("summarize: lowering", () => {
  it("the plan carries the context's summarize prompt", () => {
    expect(planOf(PROGRAM).contexts["kb"]!.summarize).toBe("condense");
    expect(planOf(PROGRAM.replace("  summarize: condense\n", "")).contexts["kb"]!.summarize).toBeNull();
  });
});

describe("summarize at run time", () => {
  it("calls the prompt through the model path: before-model redaction, events with cost, the summary in the system prompt", async () => {
    const d = setup(`policy privacy { before model { redact email } }`);
    fake.enqueue(reply.text("Refunds take 5 business days."), reply.json({ text: "Five business days." }));
    const r = await d.rt.start("ask", { question: QUESTION });
    expect(r.status).toBe("completed");
    expect(fake.requests).toHaveLength(2);
    // The summary call: the prompt's messages, the over-budget items as [source: id] blocks, redacted.
    const summary = sent(fake, 0);
    expect(summary[0]!.content).toBe(`Condense into 60 tokens for: ${QUESTION}`);
    expect(summary[1]!.content).toContain("[faq: kb/faq.jsonl:1]");
    expect(summary[1]!.content).toContain("[faq: kb/faq.jsonl:4]");
    expect(JSON.stringify(fake.requests[0]!.body)).not.toContain("billing@example.com");
    expect(summary[1]!.content).toContain("[REDACTED:email]");
    // The agent's turn sees the summary as its context.
    expect(sent(fake, 1)[0]!.content).toContain("Context (kb):\nRefunds take 5 business days.");
    // An effect of kind prompt under the context's key, with tokens and cost; a policy decision about it.
    const done = d.events.find((e): e is VmEvent & { type: "effect.completed" } => e.type === "effect.completed" && e.key.endsWith("/context0/summary/fast@0"));
    expect(done).toMatchObject({ kind: "prompt", name: "condense", model: "fast", ok: true, replayed: false, tokens: { input: 10, output: 5 } });
    expect(done!.costUsd).toBeGreaterThan(0);
    expect(r.observed.calls.get("condense")).toBe(1);
    expect(r.observed.audit.filter((a) => a.step.endsWith("/context0/summary/fast") && a.outcome === "redact")).toHaveLength(1);
  });

  it("is journaled: recovering and replaying the run do not call the model again", async () => {
    const d = setup();
    fake.enqueue(reply.text("Refunds take 5 business days."), reply.json({ text: "Five business days." }));
    const r = await d.rt.start("ask", { question: QUESTION });
    expect(r.status).toBe("completed");
    const again = await d.rt.recover(r.runId);
    expect(again.output).toEqual({ text: "Five business days." });
    const report = await replayRun(d.store, r.runId, d.plan);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(fake.requests).toHaveLength(2);
    const keys = d.store.load(r.runId)!.journal.filter((e) => e.phase === "outcome").map((e) => e.key.replace(/^.*?\/context0/, "…/context0"));
    expect(keys).toContain("…/context0/summary/fast@0");
  });

  it("a context within its budget is not summarised", async () => {
    const d = setup();
    fake.enqueue(reply.json({ text: "ok" }));
    const r = await d.rt.start("ask", { question: "partial set" });
    expect(r.status).toBe("completed");
    expect(fake.requests).toHaveLength(1);
    expect(r.observed.calls.get("condense")).toBeUndefined();
  });

  it("a before-model approval suspends the run at the summary call; the answer continues it", async () => {
    const d = setup(`policy review { before model { approve when contains_any(input.text, ["Condense into"]) because "summaries are reviewed" } }`);
    const r = await d.rt.start("ask", { question: QUESTION });
    expect(r.status).toBe("suspended");
    expect(r.pending).toEqual([expect.objectContaining({ kind: "approval", reason: "summaries are reviewed" })]);
    expect(r.pending![0]!.id).toMatch(/\/context0\/summary\/fast\/approval$/);
    expect(fake.requests).toHaveLength(0);
    fake.enqueue(reply.text("Refunds take 5 business days."), reply.json({ text: "Five business days." }));
    const done = await d.rt.resume(r.runId, true);
    expect(done.status).toBe("completed");
    expect(sent(fake, 1)[0]!.content).toContain("Context (kb):\nRefunds take 5 business days.");
  });

  it("a before-model denial fails the agent call with a policy failure", async () => {
    const d = setup(`policy review { before model { deny when contains_any(input.text, ["Condense into"]) because "no summaries" } }`);
    const r = await d.rt.start("ask", { question: QUESTION });
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ kind: "policy", message: expect.stringContaining("no summaries") });
    expect(fake.requests).toHaveLength(0);
  });

  it("a mock in a test block answers the summary call", async () => {
    const source =
      PROGRAM +
      `
test summarised {
  mock condense => "Mocked summary."
  run ask(question: "How long does a refund take?")
  expect status == "completed"
  expect calls(condense) == 1
}
`;
    const plan = planOf(source);
    fake.enqueue(reply.json({ text: "Five days." }));
    const models = new OpenAIGateway({ validate, env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: fake.url } });
    const [result] = await runTests(plan, { tools: noTools, models, contexts: (store) => createContextAssembler({ plan, root: dir.dir, store }) });
    expect(result).toMatchObject({ name: "summarised", ok: true, status: "completed" });
    // Only the agent's turn reached the model; it saw the mocked summary.
    expect(fake.requests).toHaveLength(1);
    expect(sent(fake, 0)[0]!.content).toContain("Context (kb):\nMocked summary.");
  });
});

describe("summarize in the assembler", () => {
  const plan = () => planOf(PROGRAM);

  it("defers to the caller: the text is trimmed to the budget and the request says what to condense", async () => {
    const a = await createContextAssembler({ plan: plan(), root: dir.dir }).assemble("kb", QUESTION, signal, { deferSummary: true });
    expect(a.summarized).toBe(false);
    expect(a.tokens).toBeLessThanOrEqual(60);
    expect(a.warnings).toEqual([]);
    expect(a.summarize).toMatchObject({ prompt: "condense", query: QUESTION, budget: 60 });
    expect(a.summarize!.text.split("\n\n[faq: ")).toHaveLength(4);
  });

  it("without a model provider it trims to the budget and warns (awr context query offline)", async () => {
    const a = await createContextAssembler({ plan: plan(), root: dir.dir }).assemble("kb", QUESTION, signal);
    expect(a.summarized).toBe(false);
    expect(a.summarize).toBeUndefined();
    expect(a.dropped.some((d) => d.stage === "budget")).toBe(true);
    expect(a.warnings).toEqual(["summarize: prompt condense was not called: no model provider (awr context query --models); the text is trimmed to the budget"]);
  });

  it("with a model provider it calls the prompt in place and cuts the answer to the budget", async () => {
    const asked: ModelRequest[] = [];
    const models = {
      async call(req: ModelRequest) {
        asked.push(req);
        return { output: `Short. ${"word ".repeat(200)}`, usage: { input: 1, output: 1 }, costUsd: 0 };
      },
    };
    const a = await createContextAssembler({ plan: plan(), root: dir.dir, models }).assemble("kb", QUESTION, signal);
    expect(a.summarized).toBe(true);
    expect(a.text.startsWith("Short. word")).toBe(true);
    expect(a.tokens).toBeLessThanOrEqual(60);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ model: "fast", caller: "condense", schema: null });
    expect(asked[0]!.messages[0]).toEqual({ role: "system", content: `Condense into 60 tokens for: ${QUESTION}` });
  });
});
