// Snapshots of the top-level graph: a resume starts from the latest one instead of re-executing
// the run from its start; compensations registered before it still run; `awr replay` checks every
// snapshot it passes; no snapshot while a branch waits for an answer; a crash at any commit, then
// recovery, still performs every tool call exactly once and ends as an uninterrupted run.
import { describe, expect, it } from "vitest";
import { replayRun } from "../../vm/replay.js";
import { createRuntime } from "../../vm/runtime.js";
import { MemoryStore } from "../../vm/store/memory.js";
import { Effect } from "effect";
import { VmFailure, type CommitRequest, type Json, type RunStore, type ToolProvider, type VmEvent } from "../../vm/types.js";
import type { EmbeddedStore } from "../../vm/store/index.js";
import { noModels, planOf } from "./helpers.js";

const LOOP = (n: number) => `
tool step(i: int) -> int { impl: js("./t.mjs#step") timeout: 1s }
tool undo_step(i: int) -> bool { impl: js("./t.mjs#undo") timeout: 1s }
tool finish(total: int) -> int { impl: js("./t.mjs#finish") timeout: 1s }
graph g() -> int {
  state { n: int @reduce(sum) = 0, seen: list<int> @reduce(append) = [], ok: string? }
  node work { run step(i: n) -> seen  set n = 1  compensate undo_step(i: n) }
  node ask { await human("finish?") -> ok }
  node done { run finish(total: n) -> seen }
  edge start -> work
  edge work -> work when n < ${n} max ${n}
  edge work -> ask otherwise
  edge ask -> done
  edge done -> end
  return n
}`;

function tools(opts: { failFinish?: boolean } = {}) {
  const calls: string[] = [];
  const provider: ToolProvider = {
    async call(req) {
      calls.push(`${req.tool}(${JSON.stringify(req.args)})`);
      if (req.tool === "finish" && opts.failFinish) throw new VmFailure({ kind: "tool", message: "the ledger is closed", retryable: false });
      if (req.tool === "undo_step") return true;
      return Number((req.args as { i?: number; total?: number }).i ?? (req.args as { total: number }).total);
    },
  };
  return { provider, calls };
}

const snapshotKeys = (store: EmbeddedStore, runId: string) =>
  store
    .load(runId)!
    .journal.filter((e) => e.key.includes("/snapshot:"))
    .map((e) => e.key);

describe("snapshots of the top-level graph", () => {
  it("a resume re-executes only what came after the latest snapshot, and ends as a run without snapshots", async () => {
    const plan = planOf(LOOP(120));
    const results: Json[] = [];
    const replayedOnResume: number[] = [];
    for (const snapshots of [{ every: 25 }, false] as const) {
      const store = new MemoryStore();
      const t = tools();
      const events: VmEvent[] = [];
      const rt = createRuntime({ plan, store, models: noModels, tools: t.provider, instant: true, snapshots, onEvent: (e) => events.push(e) });
      const first = await rt.start("g", {});
      expect(first.status).toBe("suspended");
      expect(t.calls).toHaveLength(120);
      if (snapshots) expect(snapshotKeys(store, first.runId)).toEqual([25, 50, 75, 100].map((s) => `graph:g/snapshot:${s}`));
      else expect(snapshotKeys(store, first.runId)).toEqual([]);
      events.length = 0;
      const done = await rt.resume(first.runId, "yes");
      expect(done.status).toBe("completed");
      results.push(done.output ?? null);
      // No finished call is made again; only `finish` is new.
      expect(t.calls.slice(120)).toEqual(["finish({\"total\":120})"]);
      replayedOnResume.push(events.filter((e) => e.type === "effect.completed" && e.replayed).length);
      // The stored trace holds each effect once, across both executions.
      const stored = store.events(first.runId).filter((e) => e.type === "effect.completed").map((e) => (e as { key: string }).key);
      expect(stored.length).toBe(121);
      expect(new Set(stored).size).toBe(stored.length);
    }
    expect(results).toEqual([120, 120]);
    // With snapshots the resume replays the 20 steps after superstep 100 (plus the answered await);
    // without, all 120.
    expect(replayedOnResume[0]).toBeLessThanOrEqual(25);
    expect(replayedOnResume[1]).toBeGreaterThanOrEqual(120);
  });

  it("compensations registered before the snapshot still run, in reverse order, after a resume", async () => {
    const plan = planOf(LOOP(30));
    const store = new MemoryStore();
    const t = tools({ failFinish: true });
    const rt = createRuntime({ plan, store, models: noModels, tools: t.provider, instant: true, snapshots: { every: 10 } });
    const first = await rt.start("g", {});
    expect(snapshotKeys(store, first.runId)).toEqual(["graph:g/snapshot:10", "graph:g/snapshot:20", "graph:g/snapshot:30"]);
    const done = await rt.resume(first.runId, "yes");
    expect(done).toMatchObject({ status: "failed", error: { message: expect.stringContaining("the ledger is closed") } });
    const undone = t.calls.filter((c) => c.startsWith("undo_step")).map((c) => Number(/"i":(\d+)/.exec(c)![1]));
    // Each node registered undo_step(i: n) after its write (n = 1 … 30): all 30, newest first.
    expect(undone).toEqual(Array.from({ length: 30 }, (_, i) => 30 - i));
  });

  it("awr replay passes every snapshot and checks it; a plan that reaches another state fails there", async () => {
    const plan = planOf(LOOP(60));
    const store = new MemoryStore();
    const rt = createRuntime({ plan, store, models: noModels, tools: tools().provider, instant: true, snapshots: { every: 20 } });
    const first = await rt.start("g", {});
    await rt.resume(first.runId, "go");
    const ok = await replayRun(store, first.runId, plan);
    expect(ok.problems).toEqual([]);
    expect(ok.ok).toBe(true);
    // The same effects (the tool's argument is `n` before the write), another state: `seen` skips.
    const edited = planOf(LOOP(60).replace("run step(i: n) -> seen", "run step(i: n) -> seen  set seen = [0]"));
    const bad = await replayRun(store, first.runId, edited);
    expect(bad.ok).toBe(false);
    expect(bad.replayed.error).toMatchObject({ kind: "nondeterminism", step: "graph:g/snapshot:20" });
  });

  it("no snapshot is taken while a branch waits for an answer", async () => {
    const plan = planOf(`
tool step(i: int) -> int { impl: js("./t.mjs#step") timeout: 1s }
graph g() -> int {
  state { n: int @reduce(sum) = 0, seen: list<int> @reduce(append) = [], ok: string? }
  node ask { await human("ok?") -> ok }
  node work { run step(i: n) -> seen  set n = 1 }
  edge start -> [ask, work]
  edge work -> work when n < 40 max 40
  edge [ask, work] -> end
  return n
}`);
    const store = new MemoryStore();
    const rt = createRuntime({ plan, store, models: noModels, tools: tools().provider, instant: true, snapshots: { every: 5 } });
    const first = await rt.start("g", {});
    expect(first.status).toBe("suspended");
    expect(snapshotKeys(store, first.runId)).toEqual([]);
    expect(await rt.resume(first.runId, "yes")).toMatchObject({ status: "completed", output: 40 });
  });

  it("a crash at any commit, then recovery: each call's effect once (by idempotency key), the same outcome", async () => {
    // `step` is idempotent here: a crash between its call and its commit re-issues it with the same
    // key (a non-idempotent one would stop the run for attention, which test/vm/crash covers).
    const plan = planOf(LOOP(12).replace(`tool step(i: int) -> int { impl: js("./t.mjs#step") timeout: 1s }`, `tool step(i: int) -> int { impl: js("./t.mjs#step") timeout: 1s idempotent: true }`));
    const keyed = () => {
      const keys: string[] = [];
      const inner = tools();
      const provider: ToolProvider = { call: (req, signal) => (keys.push(`${req.tool} ${req.idempotencyKey.split("/").slice(1).join("/")}`), inner.provider.call(req, signal)) };
      return { provider, keys };
    };
    const ref = keyed();
    const rt0 = createRuntime({ plan, store: new MemoryStore(), models: noModels, tools: ref.provider, instant: true, snapshots: { every: 3 } });
    const r0 = await rt0.start("g", {});
    expect(await rt0.resume(r0.runId, "yes")).toMatchObject({ status: "completed", output: 12 });
    let crashes = 0;
    for (let crashAt = 1; crashAt < 45; crashAt++) {
      const store = new MemoryStore();
      const t = keyed();
      let left = crashAt;
      // The runtime commits through the log port: its commit "dies" after `crashAt` commits.
      const dying: RunStore = {
        queries: store.queries,
        sessions: store.sessions,
        close: () => store.close(),
        log: {
          ...store.log,
          commit: (req: CommitRequest) =>
            Effect.suspend(() => {
              if (left-- <= 0) throw new Error("simulated crash");
              return store.log.commit(req);
            }),
        },
      };
      const crashed = createRuntime({ plan, store: dying, models: noModels, tools: t.provider, instant: true, snapshots: { every: 3 } });
      let runId: string | undefined;
      let first: Awaited<ReturnType<typeof crashed.start>> | undefined;
      try {
        first = await crashed.start("g", {});
        runId = first.runId;
      } catch {
        crashes++;
      }
      runId ??= store.list()[0]?.runId;
      if (!runId) continue; // died before the run was created
      const rt = createRuntime({ plan, store, models: noModels, tools: t.provider, instant: true, snapshots: { every: 3 } });
      let r = first?.status === "suspended" ? first : await rt.recover(runId);
      if (r.status === "suspended") r = await rt.resume(runId, "yes");
      expect(r, `crash at commit ${crashAt}`).toMatchObject({ status: "completed", output: 12 });
      expect(new Set(t.keys), `crash at commit ${crashAt}`).toEqual(new Set(ref.keys));
      // At most the call in flight at the crash is made twice.
      expect(t.keys.length - new Set(t.keys).size, `crash at commit ${crashAt}`).toBeLessThanOrEqual(1);
    }
    expect(crashes).toBeGreaterThan(10);
  });
});
