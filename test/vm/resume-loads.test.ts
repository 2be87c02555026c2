// One resume loads its run once (HOUSE P1: it used to load it four times). A counting wrapper
// around the store's log port counts loads; the CLI's path (load, find the stored plan, resume
// with `loaded`) and the runtime's own resume, resolve and recover each load once.
import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import { createRuntime, storedPlanOfRun } from "../../vm/runtime.js";
import { MemoryStore } from "../../vm/store/memory.js";
import type { RunStore } from "../../vm/ports/store.js";
import { WAIT, noModels, noTools, planOf } from "./helpers.js";

/** The store's ports, with `log.load` counted. */
function counting(store: MemoryStore): { store: RunStore; loads: () => number } {
  let n = 0;
  return {
    store: { log: { ...store.log, load: (id) => (n++, store.log.load(id)) }, queries: store.queries, sessions: store.sessions, close: () => store.close() },
    loads: () => n,
  };
}

describe("a resume loads the run once", () => {
  it("runtime.resume without a loaded run: one load", async () => {
    const plan = planOf(WAIT);
    const c = counting(new MemoryStore());
    const rt = createRuntime({ plan, store: c.store, models: noModels, tools: noTools, instant: true });
    const started = await rt.start("meet", { x: 1 });
    expect(started.status).toBe("suspended");
    const before = c.loads();
    expect(await rt.resume(started.runId, "ada")).toMatchObject({ status: "completed", output: "ada" });
    expect(c.loads() - before).toBe(1);
  });

  it("the CLI's path: load, its stored plan, resume with the loaded run — one load in all", async () => {
    const plan = planOf(WAIT);
    const mem = new MemoryStore();
    const c = counting(mem);
    const { runId } = await createRuntime({ plan, store: mem, models: noModels, tools: noTools, instant: true }).start("meet", { x: 1 });
    const loaded = (await Effect.runPromise(c.store.log.load(runId)))!;
    const stored = await storedPlanOfRun(c.store, loaded);
    const rt = createRuntime({ plan: stored.bytes, store: c.store, models: noModels, tools: noTools, instant: true });
    expect(await rt.resume(runId, "ada", { loaded })).toMatchObject({ status: "completed", output: "ada" });
    expect(c.loads()).toBe(1);
  });

  it("a start loads nothing (the run it created is the one it executes); recover loads once", async () => {
    const plan = planOf(WAIT);
    const c = counting(new MemoryStore());
    const rt = createRuntime({ plan, store: c.store, models: noModels, tools: noTools, instant: true });
    const { runId } = await rt.start("meet", { x: 1 });
    expect(c.loads()).toBe(0);
    expect(await rt.recover(runId)).toMatchObject({ status: "suspended" });
    expect(c.loads()).toBe(1);
  });

  it("a stale loaded run is refused by the store's version check, not silently used", async () => {
    const plan = planOf(WAIT);
    const mem = new MemoryStore();
    const rt = createRuntime({ plan, store: mem, models: noModels, tools: noTools, instant: true });
    const { runId } = await rt.start("meet", { x: 1 });
    const stale = (await Effect.runPromise(mem.log.load(runId)))!;
    await rt.recover(runId); // moves the run on
    await expect(rt.resume(runId, "ada", { loaded: stale })).rejects.toMatchObject({ _tag: "ClaimLost", runId });
    expect(await rt.resume(runId, "ada")).toMatchObject({ status: "completed" });
  });
});
