// Cross-session memory: a `sessions()` source searches what earlier sessions said (the run store's
// session entries), scoped by principal, without the current session; an agent's `memory:`
// context puts what it finds in the system prompt.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createContextAssembler } from "../../vm/context/index.js";
import { MemoryStore } from "../../vm/store/memory.js";
import type { Json, SessionEntry } from "../../vm/types.js";
import type { EmbeddedStore } from "../../vm/store/index.js";
import { desk, sent } from "../agent/helpers.js";
import { reply, startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { planOf } from "../vm/helpers.js";
import { askProgram, contexts, signal } from "./helpers.js";

const PROGRAM = `
model fast { provider: "openai" name: "gpt-test" timeout: 5s }
type Reply { text: string }
context past {
  source talks = sessions() { scope: "principal" }
  top: 3
}
${askProgram(`role: "Support agent"\nmemory: past`)}`;

const principal = (id: string): Json => ({ id, roles: [], attrs: {} });

describe("sessions() in the plan", () => {
  it("is lowered with its options; memory: is the agent's second context", () => {
    const plan = planOf(PROGRAM);
    expect(plan.contexts["past"]!.sources).toEqual([{ name: "talks", kind: "sessions", args: [], options: { scope: "principal" }, loc: expect.anything() }]);
    expect(plan.agents["helper"]).toMatchObject({ context: null, memory: "past" });
  });
});

describe("an agent's memory across sessions", () => {
  let fake: FakeOpenAI;
  beforeEach(async () => {
    fake = await startFakeOpenAI();
  });
  afterEach(async () => {
    await fake.stop();
  });

  function runtime(store: EmbeddedStore, source = PROGRAM) {
    const plan = planOf(source);
    return desk(fake, { source, store, contexts: createContextAssembler({ plan, root: "/nowhere", store }) });
  }

  it("a later session of the same principal recalls an earlier one; its own session and other principals' are not searched", async () => {
    const store = new MemoryStore();
    const d = runtime(store);
    const system = (i: number) => sent(fake, i)[0]!.content ?? "";
    fake.enqueue(
      reply.json({ text: "We will replace the broken blender of order O-77." }),
      reply.json({ text: "The toaster T-9 ships on Friday." }),
      reply.json({ text: "Both are on their way." }),
      reply.json({ text: "I have nothing on that." }),
    );
    // Session s1: the blender.
    const one = await d.rt.start("ask", { question: "My blender from order O-77 arrived broken" }, { sessionId: "s1", principal: principal("alice") });
    expect(one.status).toBe("completed");
    // The first session had nothing to recall: no memory section at all.
    expect(system(0)).not.toContain("Memory (past)");
    // Session s2: the toaster.
    await d.rt.start("ask", { question: "Where is my toaster T-9?" }, { sessionId: "s2", principal: principal("alice") });
    // s2 again, about both: s1 is recalled; s2 is not (it is the conversation's own history).
    const three = await d.rt.start("ask", { question: "Any news on the blender and the toaster?" }, { sessionId: "s2", principal: principal("alice") });
    expect(three.status).toBe("completed");
    expect(system(2)).toContain("Memory (past):\n[talks: s1#0]\nuser: My blender from order O-77 arrived broken\nassistant: {\"text\":\"We will replace the broken blender of order O-77.\"}");
    expect(system(2)).not.toContain("[talks: s2#");
    expect(sent(fake, 2).map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    // Bob, in a session of his own, sees none of Alice's.
    await d.rt.start("ask", { question: "What about my blender?" }, { sessionId: "s3", principal: principal("bob") });
    expect(system(3)).not.toContain("Memory (past)");
    expect(system(3)).not.toContain("O-77");
  });

  it("the assembly is journaled: recovering the run serves the memory it had, not what the store holds now", async () => {
    const store = new MemoryStore();
    const d = runtime(store);
    fake.enqueue(reply.json({ text: "Blender noted." }), reply.json({ text: "Blender again." }));
    await d.rt.start("ask", { question: "blender broken" }, { sessionId: "a", principal: principal("alice") });
    const r = await d.rt.start("ask", { question: "blender?" }, { sessionId: "b", principal: principal("alice") });
    const journaled = store.load(r.runId)!.journal.find((e) => e.key.endsWith("/memory0") && e.phase === "outcome")!.value as { text: string };
    expect(journaled.text).toContain("[talks: a#0]");
    // A newer session about blenders does not change what the finished run recalls.
    store.appendSession("c", [{ runId: r.runId, agent: "helper", role: "user", content: "another blender", at: 1 }]);
    const again = await d.rt.recover(r.runId);
    expect(again.status).toBe("completed");
    expect(fake.requests).toHaveLength(2);
  });
});

describe("the sessions source in the assembler", () => {
  function storeWith(sessions: Record<string, { principal: string; said: [SessionEntry["role"], string][] }[]>): MemoryStore {
    const store = new MemoryStore();
    let n = 0;
    for (const [sid, calls] of Object.entries(sessions)) {
      for (const c of calls) {
        const runId = `r${n++}`;
        store.create({ runId, graph: "g", planHash: "h", input: null, principal: principal(c.principal), status: "completed", createdAt: n, updatedAt: n });
        store.appendSession(
          sid,
          c.said.map(([role, content]) => ({ runId, agent: "helper", role, content, at: n })),
        );
      }
    }
    return store;
  }
  const talks = (options: Record<string, Json> = {}, extra: Record<string, unknown> = {}) =>
    contexts({ past: { sources: [{ name: "talks", kind: "sessions", args: [], options, loc: { file: "main.awr", line: 1, column: 1 } }], ...extra } });

  it("scope all searches every principal's sessions; roles choose whose messages are shown", async () => {
    const store = storeWith({
      s1: [{ principal: "alice", said: [["user", "blender broken"], ["assistant", "replacing it"], ["tool", "blender order O-1"]] }],
      s2: [{ principal: "bob", said: [["user", "my blender too"], ["assistant", "sorry"]] }],
    });
    const all = await createContextAssembler({ plan: talks({ scope: "all", roles: ["user", "tool"] }), root: "/", store }).assemble("past", "blender", signal, { principal: principal("carol") });
    expect(all.items.map((i) => [i.id, i.text])).toEqual([
      ["s1#0", "user: blender broken\ntool: blender order O-1"],
      ["s2#0", "user: my blender too"],
    ]);
    const mine = await createContextAssembler({ plan: talks(), root: "/", store }).assemble("past", "blender", signal, { principal: principal("carol") });
    expect(mine.items).toEqual([]);
    // Without a principal the asker is "anonymous", as in a run started without one.
    const anon = await createContextAssembler({ plan: talks(), root: "/", store }).assemble("past", "blender", signal);
    expect(anon.items).toEqual([]);
  });

  it("exclude_current: false searches the current session too", async () => {
    const store = storeWith({ s1: [{ principal: "alice", said: [["user", "blender broken"]] }] });
    const who = { principal: principal("alice"), sessionId: "s1" };
    expect((await createContextAssembler({ plan: talks(), root: "/", store }).assemble("past", "blender", signal, who)).items).toEqual([]);
    const a = await createContextAssembler({ plan: talks({ exclude_current: false }), root: "/", store }).assemble("past", "blender", signal, who);
    expect(a.items.map((i) => i.id)).toEqual(["s1#0"]);
  });

  it("each agent call is one document; search: vector ranks them by embedding similarity", async () => {
    const store = storeWith({
      s1: [
        { principal: "alice", said: [["user", "the blender is broken"], ["assistant", "we replace the blender"]] },
        { principal: "alice", said: [["user", "invoice for March"], ["assistant", "sent the invoice"]] },
      ],
    });
    const a = await createContextAssembler({ plan: talks({ search: "vector" }), root: "/", store }).assemble("past", "march invoice", signal, { principal: principal("alice") });
    expect(a.items.map((i) => i.id)).toEqual(["s1#2", "s1#0"]);
    expect(a.items[0]!.text).toBe("user: invoice for March\nassistant: sent the invoice");
  });

  it("the cache is invalidated when a session entry is written", async () => {
    const store = storeWith({ s1: [{ principal: "alice", said: [["user", "blender broken"]] }] });
    const asm = createContextAssembler({ plan: talks({}, { cache_ms: 600_000 }), root: "/", store });
    const who = { principal: principal("alice") };
    expect((await asm.assemble("past", "blender", signal, who)).cacheHit).toBe(false);
    expect((await asm.assemble("past", "blender", signal, who)).cacheHit).toBe(true);
    // Another principal asking the same query is not served Alice's cached assembly.
    expect((await asm.assemble("past", "blender", signal, { principal: principal("bob") })).items).toEqual([]);
    store.appendSession("s9", [{ runId: "r0", agent: "helper", role: "user", content: "second blender", at: 99 }]);
    const fresh = await asm.assemble("past", "blender", signal, who);
    expect(fresh.cacheHit).toBe(false);
    expect(fresh.items.map((i) => i.id).sort()).toEqual(["s1#0", "s9#0"]);
  });

  it("without a store the source finds nothing and says why", async () => {
    const a = await createContextAssembler({ plan: talks(), root: "/" }).assemble("past", "blender", signal);
    expect(a.items).toEqual([]);
    expect(a.warnings).toEqual(["source talks: no run store to search (createContextAssembler({ store }))"]);
  });
});
