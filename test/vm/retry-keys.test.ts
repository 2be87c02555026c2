// A node's `retry` and a called tool's own `retry` must not share journal entries: before key format
// 2, node attempt N's statement key (`STMT#I@N`) was spelled like tool retry attempt N of node
// attempt 0 (`STMT#I` + `@N`), so node attempt N was served that tool attempt's recorded outcome
// instead of calling the tool (docs/vm.md § Effect keys). A run records the key format it was
// started with (`meta.keyFormat`); a run without it (stored by an older version) keeps the old
// spelling, so its journal still serves what it recorded.
import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import { createRuntime } from "../../vm/runtime.js";
import { MemoryStore } from "../../vm/store/memory.js";
import { encodePlan, stmtId, type Plan } from "../../compiler/plan/index.js";
import { VmFailure, type RunRecord, type ToolProvider } from "../../vm/types.js";
import { attemptKey, buildKey, keyFormatOf, parseKey, stepKeyOf, stmtKey } from "../../vm/keys.js";
import { noModels, planOf } from "./helpers.js";

const PROGRAM = `
tool flaky(id: string) -> string { impl: js("./t.mjs#flaky") timeout: 1s retry: 1 idempotent: true }
graph g(id: string) -> string {
  state { got: string?, ok: string? }
  node load { run flaky(id: id) -> got  retry 1 }
  node ask { await human("go on?") -> ok }
  edge start -> load
  edge load -> ask
  edge ask -> end
  return got!
}`;

/** A tool that fails (retryably) its first `failures` calls, then answers; every call is counted. */
function flaky(failures: number) {
  const calls: string[] = [];
  const provider: ToolProvider = {
    async call(req) {
      calls.push(req.idempotencyKey);
      if (calls.length <= failures) throw new VmFailure({ kind: "transport", message: `reset ${calls.length}`, retryable: true });
      return "found";
    },
  };
  return { provider, calls };
}

const toolKeys = (store: MemoryStore, runId: string) =>
  store
    .load(runId)!
    .journal.filter((e) => e.phase === "outcome" && e.kind === "tool")
    .map((e) => `${e.key.split("/").slice(-1)[0]} ${e.error ? "failed" : "ok"}`);

/** A run as a version before key format 2 stored it: no `keyFormat` in its meta. */
async function oldRun(store: MemoryStore, plan: Plan): Promise<string> {
  const bytes = encodePlan(plan);
  const { createHash } = await import("node:crypto");
  const record: RunRecord = {
    runId: "old-run",
    graph: "g",
    planHash: createHash("sha256").update(bytes).digest("hex"),
    input: { id: "7" },
    principal: { id: "anonymous", roles: [], attrs: {} },
    status: "running",
    createdAt: 1,
    updatedAt: 1,
    meta: { root: "/srv" },
  };
  await Effect.runPromise(store.log.putBlob(bytes));
  await Effect.runPromise(store.log.create(record));
  return record.runId;
}

describe("node retry × tool retry", () => {
  it("every node attempt calls the tool through all its own attempts: 2 × 2 calls, each journaled under its own key", async () => {
    const plan = planOf(PROGRAM);
    const store = new MemoryStore();
    const t = flaky(Infinity);
    const rt = createRuntime({ plan, store, models: noModels, tools: t.provider, instant: true });
    const r = await rt.start("g", { id: "7" });
    expect(r.status).toBe("failed");
    expect(t.calls).toHaveLength(4);
    // Node attempt 0: the call and its tool retry; node attempt 1: the same, under the attempt's own key.
    expect(toolKeys(store, r.runId)).toEqual(["stmt:0#0 failed", "stmt:0#0~1 failed", "stmt:0#0@1 failed", "stmt:0#0@1~1 failed"]);
    expect(new Set(store.load(r.runId)!.journal.map((e) => `${e.key} ${e.phase}`)).size).toBe(store.load(r.runId)!.journal.length);
    expect(store.load(r.runId)!.snapshot.meta).toEqual({ keyFormat: 2 });
  });

  it("a node attempt after a tool that failed through its retries succeeds when the tool answers", async () => {
    const plan = planOf(PROGRAM);
    const store = new MemoryStore();
    const t = flaky(2); // node attempt 0 fails (2 tool attempts); node attempt 1's first tool call answers
    const rt = createRuntime({ plan, store, models: noModels, tools: t.provider, instant: true });
    const r = await rt.start("g", { id: "7" });
    expect(r.status).toBe("suspended");
    expect(t.calls).toHaveLength(3);
    expect(toolKeys(store, r.runId)).toEqual(["stmt:0#0 failed", "stmt:0#0~1 failed", "stmt:0#0@1 ok"]);
    const done = await rt.resume(r.runId, "yes");
    expect(done).toMatchObject({ status: "completed", output: "found" });
    expect(t.calls).toHaveLength(3); // the resume served every call from the journal
  });

  it("a run stored before key format 2 keeps the old keys: its journal serves what it recorded on resume", async () => {
    const plan = planOf(PROGRAM);
    const store = new MemoryStore();
    const runId = await oldRun(store, plan);
    const t = flaky(1); // the first call fails, the tool's own retry answers
    const rt = createRuntime({ plan, store, models: noModels, tools: t.provider, instant: true });
    const first = await rt.recover(runId);
    expect(first.status).toBe("suspended");
    expect(toolKeys(store, runId)).toEqual(["stmt:0#0 failed", "stmt:0#0@1 ok"]);
    const done = await rt.resume(runId, "yes");
    expect(done).toMatchObject({ status: "completed", output: "found" });
    expect(t.calls).toHaveLength(2);
    expect(store.load(runId)!.snapshot.meta).toEqual({ root: "/srv" });
  });

  it("key format 2 spells a tool's retry attempt `~N`; format 1 keeps `@N`; both parse and rebuild", () => {
    const stmt = stmtKey("", stmtId("g", "n", 0), 0);
    const retried = stmtKey("", stmtId("g", "n", 0), 0, 1);
    expect(attemptKey(stmt, 1)).toBe("graph:g/node:n/stmt:0#0@1");
    expect(attemptKey(stmt, 1, 1)).toBe(retried); // the collision format 2 removes
    expect(attemptKey(stmt, 1, 2)).toBe("graph:g/node:n/stmt:0#0~1");
    expect(attemptKey(retried, 2, 2)).toBe("graph:g/node:n/stmt:0#0@1~2");
    expect(attemptKey(stmt, 0, 2)).toBe(stmt);
    expect(parseKey("graph:g/node:n/stmt:0#0@1~2")).toEqual({ kind: "attempt", parent: retried, attempt: 2, format: 2 });
    expect(parseKey(retried)).toMatchObject({ kind: "stmt", retry: 1 });
    for (const k of ["graph:g/node:n/stmt:0#0~1", "graph:g/node:n/stmt:0#0@1~2", "graph:g/node:n/stmt:0#0[3]~1", "graph:g/node:n/stmt:0#0/turn0/call1~2", "graph:g/node:n/stmt:0#0@1"]) {
      expect(buildKey(parseKey(k)!), k).toBe(k);
      expect(stepKeyOf(k), k).toBe("graph:g/node:n#0");
    }
    // A `~N` under something that is not a tool call is no key.
    expect(parseKey("graph:g/node:n#0~1")).toBeUndefined();
    expect(keyFormatOf({ keyFormat: 2 })).toBe(2);
    expect(keyFormatOf(undefined)).toBe(1);
    expect(keyFormatOf({ root: "/srv" })).toBe(1);
    expect(keyFormatOf("text")).toBe(1);
  });

  it("every key a format-2 run stores parses and rebuilds to itself", async () => {
    const store = new MemoryStore();
    const rt = createRuntime({ plan: planOf(PROGRAM), store, models: noModels, tools: flaky(3).provider, instant: true });
    const r = await rt.start("g", { id: "7" });
    const keys = store.load(r.runId)!.journal.map((e) => e.key);
    expect(keys.some((k) => k.includes("~"))).toBe(true);
    for (const k of keys) expect(buildKey(parseKey(k)!), k).toBe(k);
  });
});
