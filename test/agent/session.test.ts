// Sessions: a run started with a session id continues that conversation — its agents see the
// earlier runs' turns — and appends its own turns exactly once.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore } from "../../vm/store/memory.js";
import { SqliteStore } from "../../vm/store/sqlite.js";
import { reply, startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { INPUT, desk, sent } from "./helpers.js";

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await fake.stop();
});

describe("sessions", () => {
  it("a second run with the same session id sees the first run's turns; another session does not", async () => {
    const store = new MemoryStore();
    fake.enqueue(
      reply.toolCalls([{ id: "l1", name: "lookup_orders", arguments: { email: INPUT.email } }]),
      reply.json({ text: "Order O-ann ships on Monday." }),
      reply.json({ text: "As I said, Monday." }),
      reply.json({ text: "Hello, new customer." }),
    );
    const d = desk(fake, { store });
    const first = await d.rt.start("desk", INPUT, { sessionId: "conv-1" });
    expect(first.status).toBe("completed");
    const history = store.session("conv-1");
    expect(history.map((e) => [e.role, e.agent])).toEqual([
      ["user", "resolver"],
      ["assistant", "resolver"],
      ["tool", "resolver"],
      ["assistant", "resolver"],
    ]);
    expect(history.every((e) => e.runId === first.runId)).toBe(true);

    const second = await d.rt.start("desk", { email: INPUT.email, question: "When again?" }, { sessionId: "conv-1" });
    expect(second.output).toEqual({ text: "As I said, Monday." });
    const msgs = sent(fake, 2);
    expect(msgs.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "assistant", "user"]);
    expect(msgs[1]!.content).toBe(`Customer ${INPUT.email} asks: ${INPUT.question}`);
    expect(msgs[2]!.tool_calls![0].id).toBe("l1");
    expect(msgs[3]).toMatchObject({ role: "tool", tool_call_id: "l1" });
    expect(msgs[4]!.content).toBe(JSON.stringify({ text: "Order O-ann ships on Monday." }));
    expect(msgs[5]!.content).toBe(`Customer ${INPUT.email} asks: When again?`);
    expect(store.session("conv-1")).toHaveLength(6);

    const other = await d.rt.start("desk", INPUT, { sessionId: "conv-2" });
    expect(other.status).toBe("completed");
    expect(sent(fake, 3).map((m) => m.role)).toEqual(["system", "user"]);
    // A run without a session neither reads nor writes one.
    expect(store.session("conv-2")).toHaveLength(2);
  });

  it("sessions live in the SQLite store: a second process (store handle) continues the conversation", async () => {
    const dir = mkdtempSync(join(tmpdir(), "awr-session-"));
    try {
      const file = join(dir, "runs.db");
      fake.enqueue(reply.toolCalls([{ id: "l1", name: "lookup_orders", arguments: { email: INPUT.email } }]), reply.json({ text: "Monday." }));
      const one = new SqliteStore(file);
      await desk(fake, { store: one }).rt.start("desk", INPUT, { sessionId: "conv-sql" });
      one.close();
      fake.enqueue(reply.json({ text: "Still Monday." }));
      const two = new SqliteStore(file);
      const r = await desk(fake, { store: two }).rt.start("desk", { email: INPUT.email, question: "Sure?" }, { sessionId: "conv-sql" });
      expect(r.output).toEqual({ text: "Still Monday." });
      expect(sent(fake, 2).map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "assistant", "user"]);
      expect(sent(fake, 2)[2]!.tool_calls![0]).toEqual({ id: "l1", type: "function", function: { name: "lookup_orders", arguments: JSON.stringify({ email: INPUT.email }) } });
      expect(two.session("conv-sql")).toHaveLength(6);
      two.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the entries an agent appends carry the run's principal (what cross-session memory is scoped by)", async () => {
    const store = new MemoryStore();
    fake.enqueue(reply.json({ text: "Done." }), reply.json({ text: "Done too." }));
    const d = desk(fake, { store });
    await d.rt.start("desk", INPUT, { sessionId: "conv-a", principal: { id: "ann", roles: [], attrs: {} } });
    await d.rt.start("desk", INPUT, { sessionId: "conv-b" });
    expect(store.sessionEntries().map((e) => [e.sessionId, e.role, e.principal])).toEqual([
      ["conv-a", "user", "ann"],
      ["conv-a", "assistant", "ann"],
      ["conv-b", "user", "anonymous"],
      ["conv-b", "assistant", "anonymous"],
    ]);
  });

  it("re-executing a finished run does not append to the session again", async () => {
    const store = new MemoryStore();
    fake.enqueue(reply.json({ text: "Done." }));
    const d = desk(fake, { store });
    const r = await d.rt.start("desk", INPUT, { sessionId: "conv-3" });
    expect(store.session("conv-3")).toHaveLength(2);
    const again = await d.rt.recover(r.runId);
    expect(again.output).toEqual({ text: "Done." });
    expect(store.session("conv-3")).toHaveLength(2);
    expect(fake.requests).toHaveLength(1);
  });

  it("a crash between the session write and its journal record does not append twice", async () => {
    const store = new MemoryStore();
    fake.enqueue(reply.json({ text: "Done." }));
    const d = desk(fake, { store });
    const r = await d.rt.start("desk", INPUT, { sessionId: "conv-4" });
    // The same run in a fresh store whose journal lost the write's outcome, with the session as written.
    const loaded = store.load(r.runId)!;
    const crashed = new MemoryStore();
    crashed.create({ ...loaded.snapshot, status: "running" });
    crashed.commit({ runId: r.runId, expectVersion: 0, append: loaded.journal.filter((e) => !(e.key.endsWith("/session/append") && e.phase === "outcome")).map(({ seq: _s, ...e }) => e) });
    crashed.appendSession("conv-4", store.session("conv-4").map(({ seq: _s, ...e }) => e));
    const again = await desk(fake, { store: crashed }).rt.recover(r.runId);
    expect(again.status).toBe("completed");
    expect(crashed.session("conv-4")).toHaveLength(2);
  });

  it("the session id is kept with the run: a run resumed by another runtime continues the session", async () => {
    const store = new MemoryStore();
    const source = (await import("./helpers.js")).DESK + `policy refunds { before tool issue_refund { approve when input.amount > 30 } }`;
    fake.enqueue(reply.toolCalls([{ id: "r", name: "issue_refund", arguments: { order_id: "O-ann", amount: 40 } }]));
    const started = await desk(fake, { store, source }).rt.start("desk", INPUT, { sessionId: "conv-5", meta: { root: "/srv" } });
    expect(started.status).toBe("suspended");
    expect(store.load(started.runId)!.snapshot.meta).toEqual({ root: "/srv", sessionId: "conv-5", keyFormat: 2 });
    expect(store.session("conv-5")).toHaveLength(0);
    fake.enqueue(reply.json({ text: "Refund approved and issued." }));
    const resumed = await desk(fake, { store, source }).rt.resume(started.runId, true);
    expect(resumed.status).toBe("completed");
    expect(store.session("conv-5").map((e) => e.role)).toEqual(["user", "assistant", "tool", "assistant"]);
  });
});
