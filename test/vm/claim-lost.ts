// Two runtimes racing on one run (two processes sharing a store, DESIGN §9): A executes it, B
// continues it meanwhile (a worker taking over a run whose owner looked dead). A's next commit meets
// a version conflict: A rejects with the typed `ClaimLost`, stores nothing more, starts no further
// effect, closes its event streams, and the run is not failed — it is what B made of it. Shared by
// the SQLite case (test/vm/claim-lost.test.ts) and the PostgreSQL one (test/pg/claim-lost.test.ts).
import { Effect } from "effect";
import { expect, it } from "vitest";
import { errorTag } from "../../vm/ports/errors.js";
import { createRuntime } from "../../vm/runtime.js";
import type { Json, RunStore, ToolProvider, VmEvent } from "../../vm/types.js";
import { noModels, planOf } from "./helpers.js";

const PLAN = planOf(`
tool slow(x: int) -> int { impl: js("./t.mjs#slow") timeout: 30s idempotent: true }
tool charge(x: int) -> int { impl: js("./t.mjs#charge") timeout: 30s }
tool after(x: int) -> int { impl: js("./t.mjs#after") timeout: 30s idempotent: true }
graph idem(n: int) -> int {
  state { a: int = 0, b: int = 0 }
  node one { run slow(n) -> a }
  node two { run after(a) -> b }
  edge start -> one
  edge one -> two
  edge two -> end
  return b
}
graph once(n: int) -> int {
  state { a: int = 0, b: int = 0 }
  node one { run charge(n) -> a }
  node two { run after(a) -> b }
  edge start -> one
  edge one -> two
  edge two -> end
  return b
}
`);

/** Tools that record who called what; A's first call of `block` waits until `release()`. */
function tools(who: string, calls: string[], block?: string) {
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const provider: ToolProvider = {
    async call(req) {
      calls.push(`${who}:${req.tool}`);
      if (req.tool === block) {
        entered();
        await gate;
      }
      return ((req.args["x"] as number) + 1) as Json;
    },
  };
  return { provider, inside, release };
}

const load = async (store: RunStore, runId: string) => (await Effect.runPromise(store.log.load(runId)))!;

/** The scenarios, on two stores that share one database (`open` gives a fresh pair; `close` ends them). */
export function claimLostCases(open: () => Promise<{ a: RunStore; b: RunStore; close(): Promise<void> }>): void {
  it("an idempotent effect in flight when another runtime takes the run over: ClaimLost, nothing more stored, the run completes in the other", async () => {
    const { a, b, close } = await open();
    try {
      const calls: string[] = [];
      const ta = tools("A", calls, "slow");
      const rtA = createRuntime({ plan: PLAN, store: a, models: noModels, tools: ta.provider, instant: true });
      const rtB = createRuntime({ plan: PLAN, store: b, models: noModels, tools: tools("B", calls).provider, instant: true });
      const runId = "race-idem";
      const streamA = rtA.events(runId);
      const seenA: VmEvent[] = [];
      const drained = (async () => {
        for await (const e of streamA) seenA.push(e);
      })();
      const pA = rtA.start("idem", { n: 1 }, { runId });
      const settledA = pA.then(
        () => undefined,
        (e: unknown) => e,
      );
      await ta.inside; // A is inside slow: its intent is not stored (idempotent), its outcome not yet
      const outB = await rtB.recover(runId); // B re-issues slow (idempotent) and finishes the run
      expect(outB).toMatchObject({ status: "completed", output: 3 });
      const afterB = await load(b, runId);

      ta.release();
      const e = await settledA;
      expect(errorTag(e)).toBe("ClaimLost");
      expect(e).toMatchObject({ runId, status: 409 });
      expect((e as Error).message).toMatch(/the run is not failed/);
      await drained; // A's event stream ended
      expect(seenA.map((x) => x.type)).not.toContain("run.failed");

      // A stored nothing after losing, and never started `after`.
      const final = await load(a, runId);
      expect(final.version).toBe(afterB.version);
      expect(final.journal.length).toBe(afterB.journal.length);
      expect(final.snapshot).toMatchObject({ status: "completed", output: 3 });
      expect(calls.filter((c) => c.startsWith("A:"))).toEqual(["A:slow"]);
      expect(calls.filter((c) => c.startsWith("B:"))).toEqual(["B:slow", "B:after"]);
      const outcomes = final.journal.filter((x) => x.phase === "outcome" && x.kind === "tool").map((x) => x.key);
      expect(new Set(outcomes).size).toBe(outcomes.length);
      expect(outcomes.length).toBe(2);
      expect((await Effect.runPromise(a.queries.events(runId))).map((x) => x.type)).not.toContain("run.failed");
    } finally {
      await close();
    }
  });

  it("a non-idempotent effect in flight when another runtime takes over: the other stops in needs_attention, the loser's outcome is not stored (never a second write)", async () => {
    const { a, b, close } = await open();
    try {
      const calls: string[] = [];
      const ta = tools("A", calls, "charge");
      const rtA = createRuntime({ plan: PLAN, store: a, models: noModels, tools: ta.provider, instant: true });
      const rtB = createRuntime({ plan: PLAN, store: b, models: noModels, tools: tools("B", calls).provider, instant: true });
      const runId = "race-once";
      const settledA = rtA.start("once", { n: 1 }, { runId }).then(
        () => undefined,
        (e: unknown) => e,
      );
      await ta.inside; // the intent of charge is stored before the call
      const outB = await rtB.recover(runId);
      expect(outB).toMatchObject({ status: "needs_attention", error: { step: "graph:once/node:one/stmt:0#0" } });
      const afterB = await load(b, runId);
      ta.release();
      expect(errorTag(await settledA)).toBe("ClaimLost");
      const final = await load(a, runId);
      expect(final.version).toBe(afterB.version);
      expect(final.snapshot.status).toBe("needs_attention");
      expect(calls).toEqual(["A:charge"]); // performed once; B did not repeat it, A did not go on
    } finally {
      await close();
    }
  });
}
