// The runtime on a store that answers later (a networked one: PostgreSQL, DESIGN §9). A synchronous
// store (SQLite, memory) finishes each commit before another fiber runs, so concurrent branches of a
// run never overlap their commits; a networked one yields while a commit is in flight. A run's
// journal must still commit one at a time, each at the version the previous one produced, or its
// own branches fail each other with VersionConflict.
import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import { createRuntime } from "../../vm/runtime.js";
import { MemoryStore } from "../../vm/store/memory.js";
import type { Json, RunStore, ToolProvider } from "../../vm/types.js";
import { noModels, planOf } from "./helpers.js";

/**
 * A MemoryStore whose every call completes on a later timer tick, as a round trip to a server does;
 * `onCommit` is told when a commit is sent (it lands `lagMs` later, whatever its caller does then).
 */
function laggingStore(opts: { lagMs?: number; onCommit?: (n: number, runId: string) => void } = {}): { store: RunStore; commits: () => number } {
  const inner = new MemoryStore();
  let commits = 0;
  const later = <A, E>(e: Effect.Effect<A, E>): Effect.Effect<A, E> => Effect.andThen(Effect.promise(() => new Promise<void>((r) => setTimeout(r, opts.lagMs ?? 1))), e);
  const wrap = <T extends object>(port: T): T =>
    Object.fromEntries(Object.entries(port).map(([k, f]) => [k, (...args: unknown[]) => later((f as (...a: unknown[]) => Effect.Effect<unknown, unknown>)(...args))])) as T;
  const log = wrap(inner.log);
  return {
    store: {
      // Sent = will land: like a statement already on the wire, the commit completes even if the
      // fiber that sent it is interrupted meanwhile.
      log: {
        ...log,
        commit: (req) =>
          Effect.suspend(() => {
            const n = ++commits;
            opts.onCommit?.(n, req.runId);
            const landed = Effect.runPromise(log.commit(req));
            return Effect.promise(() => landed);
          }),
      },
      queries: wrap(inner.queries),
      sessions: wrap(inner.sessions),
      close: () => inner.close(),
    },
    commits: () => commits,
  };
}

describe("a run on a store that answers asynchronously", () => {
  it("concurrent branches and a fan-out commit one after another: the run completes, every effect journaled once", async () => {
    const plan = planOf(`
tool score(w: string) -> int { impl: js("./t.mjs#score") timeout: 1s }
tool note(w: string) -> bool { impl: js("./t.mjs#note") timeout: 1s tags: [writes] }
graph g(words: list<string>) -> int {
  state { all: list<int> = [], a: bool?, b: bool? }
  node fan { map w in words concurrency 8 run score(w) -> all }
  node left { run note("left") -> a }
  node right { run note("right") -> b }
  edge start -> fan
  edge fan -> [left, right]
  edge [left, right] -> end
  return all[0] + all[7]
}
`);
    const calls: string[] = [];
    const tools: ToolProvider = {
      async call(req) {
        calls.push(`${req.tool}:${String(req.args["w"])}`);
        await new Promise((r) => setTimeout(r, 2));
        return (req.tool === "score" ? String(req.args["w"]).length : true) as Json;
      },
    };
    const { store, commits } = laggingStore();
    const rt = createRuntime({ plan, store, models: noModels, tools, instant: true });
    const words = ["a", "bb", "ccc", "dddd", "e", "ff", "ggg", "hhhhhhhh"];
    const out = await rt.start("g", { words });
    expect(out.error).toBeUndefined();
    expect(out).toMatchObject({ status: "completed", output: 9 });
    expect(calls.sort()).toEqual([...words.map((w) => `score:${w}`), "note:left", "note:right"].sort());
    const loaded = (await Effect.runPromise(store.log.load(out.runId)))!;
    expect(loaded.version).toBe(commits());
    // Every effect has its outcome once (intents of the non-idempotent note calls too).
    const outcomes = loaded.journal.filter((e) => e.phase === "outcome" && e.kind === "tool").map((e) => e.key);
    expect(new Set(outcomes).size).toBe(outcomes.length);
    expect(outcomes).toHaveLength(words.length + 2);
  });
});

describe("cancelling a run while a commit is in flight", () => {
  it("waits for the commit: the run ends cancelled, its version is the store's, and it resumes to completion", async () => {
    const plan = planOf(`
tool step(i: int) -> int { impl: js("./t.mjs#step") timeout: 1s }
graph g() -> int {
  state { a: int?, b: int?, c: int? }
  node one { run step(1) -> a }
  node two { run step(2) -> b }
  node three { run step(3) -> c }
  edge start -> one
  edge one -> two
  edge two -> three
  edge three -> end
  return c!
}
`);
    const tools: ToolProvider = { call: async (req) => req.args["i"] as Json };
    const sent: number[] = [];
    // The third commit is on the wire when the run is cancelled.
    const { store } = laggingStore({ lagMs: 20, onCommit: (n, runId) => (sent.push(n), n === 3 && void rt.cancel(runId, "test")) });
    const rt = createRuntime({ plan, store, models: noModels, tools, instant: true });
    const out = await rt.start("g", {});
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(out.error?.message ?? "").not.toMatch(/VersionConflict|moved/);
    expect(out.status).toBe("cancelled");
    const loaded = (await Effect.runPromise(store.log.load(out.runId)))!;
    expect(loaded.snapshot.status).toBe("cancelled");
    const done = await rt.recover(out.runId);
    expect(done).toMatchObject({ status: "completed", output: 3 });
  });
});
