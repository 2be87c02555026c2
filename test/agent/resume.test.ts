// Durability of the loop: every turn and tool call is journaled under a deterministic key, so a
// run that stops mid-loop (an approval, a crash) continues at the right turn and never repeats a
// finished tool call.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { replayRun } from "../../vm/replay.js";
import { MemoryStore } from "../../vm/store/memory.js";
import type { EmbeddedStore } from "../../vm/store/index.js";
import { reply, startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { DESK, INPUT, desk } from "./helpers.js";

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await fake.stop();
});

const lookup = reply.toolCalls([{ id: "l", name: "lookup_orders", arguments: { email: INPUT.email } }]);
const refund = reply.toolCalls([{ id: "r", name: "issue_refund", arguments: { order_id: "O-ann", amount: 40 } }]);
const done = reply.json({ text: "Refunded O-ann.", refund: 40 });

/** A copy of run `runId` whose journal keeps only the entries `keep` accepts (a crash at that point). */
function crashedCopy(store: EmbeddedStore, runId: string, keep: (key: string, phase: string) => boolean): MemoryStore {
  const loaded = store.load(runId)!;
  const copy = new MemoryStore();
  copy.create({ ...loaded.snapshot, status: "running" });
  copy.commit({ runId, expectVersion: 0, append: loaded.journal.filter((e) => keep(e.key, e.phase)).map(({ seq: _s, ...e }) => e) });
  return copy;
}

describe("resuming an agent mid-loop", () => {
  it("an approval inside the loop suspends the run; resuming continues at the next turn", async () => {
    const source = DESK + `policy refunds { before tool issue_refund { approve when input.amount > 30 } }`;
    const store = new MemoryStore();
    fake.enqueue(lookup, refund);
    const a = desk(fake, { store, source });
    const started = await a.rt.start("desk", INPUT);
    expect(started.status).toBe("suspended");
    expect(started.pending![0]!.id).toMatch(/turn1\/call0\/approval$/);
    expect(a.tools.calls.map((c) => c.tool)).toEqual(["lookup_orders"]);
    expect(fake.requests).toHaveLength(2);

    fake.enqueue(done);
    const b = desk(fake, { store, source });
    const resumed = await b.rt.resume(started.runId, true);
    expect(resumed).toMatchObject({ status: "completed", output: { text: "Refunded O-ann.", refund: 40 } });
    // Turns 0 and 1 and the lookup came from the journal: one new model request, one new tool call.
    expect(fake.requests).toHaveLength(3);
    expect(b.tools.calls.map((c) => c.tool)).toEqual(["issue_refund"]);
  });

  it("a crash after a tool call resumes at the next turn without repeating the call", async () => {
    const store = new MemoryStore();
    fake.enqueue(lookup, refund, done);
    const first = desk(fake, { store });
    const r = await first.rt.start("desk", INPUT);
    expect(r.status).toBe("completed");
    // The process died right after the refund's outcome was journaled, before turn 2 finished.
    const crashed = crashedCopy(store, r.runId, (key) => !key.includes("/turn2/"));
    fake.enqueue(done);
    const again = desk(fake, { store: crashed });
    const recovered = await again.rt.recover(r.runId);
    expect(recovered).toMatchObject({ status: "completed", output: { text: "Refunded O-ann.", refund: 40 } });
    expect(again.tools.calls).toEqual([]);
    expect(fake.requests).toHaveLength(4);
    const replayed = again.events.filter((e) => e.type === "effect.requested" && e.replayed).map((e) => (e as { key: string }).key.replace(/^.*#0\//, ""));
    expect(replayed).toEqual(["turn0/fast@0", "turn0/call0", "turn1/fast@0", "turn1/call0"]);
  });

  it("awr replay reproduces an agent run (turns, tool calls, handoff, session) from its journal alone", async () => {
    const store = new MemoryStore();
    fake.enqueue(lookup, reply.toolCalls([{ id: "h", name: "transfer_to_billing_agent", arguments: { note: "refund" } }]), refund, done);
    const d = desk(fake, { store });
    const r = await d.rt.start("desk", INPUT, { sessionId: "s-replay" });
    expect(r.status).toBe("completed");
    const report = await replayRun(store, r.runId, d.rt.plan);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.replayed.output).toEqual(r.output);
  });

  it("a crash during a non-idempotent tool call stops in needs_attention instead of calling it twice", async () => {
    const store = new MemoryStore();
    fake.enqueue(lookup, refund, done);
    const r = await desk(fake, { store }).rt.start("desk", INPUT);
    // The refund's intent is journaled, its outcome is not: it may or may not have happened.
    const crashed = crashedCopy(store, r.runId, (key, phase) => !key.includes("/turn2/") && !(key.endsWith("turn1/call0") && phase === "outcome"));
    const again = desk(fake, { store: crashed });
    const recovered = await again.rt.recover(r.runId);
    expect(recovered.status).toBe("needs_attention");
    expect(recovered.error!.message).toMatch(/issue_refund .*turn1\/call0/);
    expect(again.tools.calls).toEqual([]);
  });
});
