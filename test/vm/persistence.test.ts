// What a run leaves in the store besides its journal: its events (the trace) and its audit
// records, written with the journal commits, complete across start / resume / recover, never
// duplicated by the replay every execution does, and never written by `awr replay`.
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { replayRun } from "../../vm/replay.js";
import { createRuntime } from "../../vm/runtime.js";
import { SqliteStore } from "../../vm/store/index.js";
import { Effect } from "effect";
import { VmFailure, type CommitRequest, type Json, type RunLog, type RunStore, type ToolProvider, type VmEvent } from "../../vm/types.js";
import type { EmbeddedStore } from "../../vm/store/index.js";
import { planOf, noModels } from "./helpers.js";
import { tempDir } from "./store/helpers.js";

const SOURCE = `
tool lookup(id: string) -> string { impl: js("./t.mjs#lookup") timeout: 1s idempotent: true }
policy guard {
  before tool lookup {
    deny when input.id == "bad" because "bad ids are refused"
  }
}
graph g(id: string) -> string {
  state { found: string?, answer: string? }
  node find { run lookup(id: id) -> found }
  node ask { await human("ok?") -> answer }
  edge start -> find
  edge find -> ask
  edge ask -> end
  return found! + answer!
}
tool charge(id: string) -> string { impl: js("./t.mjs#charge") timeout: 1s }
graph pay(id: string) -> string {
  state { receipt: string? }
  node bill { run charge(id: id) -> receipt }
  edge start -> bill
  edge bill -> end
  return receipt!
}
graph once(id: string) -> string {
  state { found: string? }
  node find { run lookup(id: id) -> found }
  edge start -> find
  edge find -> end
  return found!
}`;

function tools() {
  const calls: string[] = [];
  const provider: ToolProvider = {
    async call(req) {
      calls.push(String(req.args["id"]));
      if (req.args["id"] === "boom") throw new VmFailure({ kind: "tool", message: "the lookup service is down", retryable: false });
      return `found ${String(req.args["id"])} `;
    },
  };
  return { provider, calls };
}

/** A store whose commits start failing after `n` of them succeeded: the process "dies" there. */
function crashingAfter(store: EmbeddedStore, n: number): RunStore {
  let left = n;
  return withCommit(store, (req) => {
    if (left-- <= 0) throw new Error("simulated crash");
    return store.log.commit(req);
  });
}

/** The store's ports with its log's `commit` replaced (the runtime commits through `store.log`). */
function withCommit(store: EmbeddedStore, commit: RunLog["commit"]): RunStore {
  return { log: { ...store.log, commit: (req) => Effect.suspend(() => commit(req)) }, queries: store.queries, sessions: store.sessions, close: () => store.close() };
}

/** An event without what differs between executions (times, the replayed flag), keys sorted. */
const shape = (e: VmEvent): string => {
  const { at: _a, durationMs: _d, replayed: _r, ...rest } = e as VmEvent & { durationMs?: number; replayed?: boolean };
  return canonical(rest);
};
const canonical = (v: unknown): string =>
  v === null || typeof v !== "object"
    ? JSON.stringify(v)
    : Array.isArray(v)
      ? `[${v.map(canonical).join(",")}]`
      : `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
          .join(",")}}`;

let tmp: ReturnType<typeof tempDir>;
let path: string;
const opened: SqliteStore[] = [];
const open = (): SqliteStore => {
  const s = new SqliteStore(path);
  opened.push(s);
  return s;
};
beforeEach(() => {
  tmp = tempDir();
  path = join(tmp.dir, "runs.db");
});
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  tmp.cleanup();
});

describe("a run's trace and audit records in the SQLite store", () => {
  it("start + resume: every event and audit record is stored once, readable after reopening the file", async () => {
    const plan = planOf(SOURCE);
    const seen: VmEvent[] = [];
    const store = open();
    const t = tools();
    const rt = createRuntime({ plan, store, models: noModels, tools: t.provider, instant: true, onEvent: (e) => seen.push(e) });
    const principal: Json = { id: "ada", roles: ["agent"], attrs: {} };
    const first = await rt.start("g", { id: "42" }, { principal });
    expect(first.status).toBe("suspended");
    const firstEvents = seen.length;
    const done = await rt.resume(first.runId, "yes");
    expect(done).toMatchObject({ status: "completed", output: "found 42 yes" });
    expect(t.calls).toEqual(["42"]);
    store.close();

    const again = open();
    const events = again.events(first.runId);
    const types = events.map((e) => e.type);
    // Two executions: each has its run.started; the first ends suspended, the second completed.
    expect(types.filter((x) => x === "run.started")).toHaveLength(2);
    expect(types.filter((x) => x.startsWith("run.") && x !== "run.started")).toEqual(["run.suspended", "run.completed"]);
    expect(types[0]).toBe("run.started");
    expect(types.at(-1)).toBe("run.completed");
    // Everything the first execution emitted is stored, in emission order, as emitted.
    expect(events.slice(0, firstEvents)).toEqual(seen.slice(0, firstEvents));
    // The second execution replayed the tool call: its repeated events are not stored again.
    const lookups = events.filter((e) => e.type === "effect.completed" && e.name === "lookup");
    expect(lookups).toHaveLength(1);
    expect(lookups[0]).toMatchObject({ ok: true, replayed: false });
    const findStarts = events.filter((e) => e.type === "step.started" && e.node === "find");
    expect(findStarts).toHaveLength(1);
    // ...but everything new it emitted is (each live event is stored, or is the repeat of a stored one).
    const stored = new Set(events.map(shape));
    expect(seen.slice(firstEvents).filter((e) => !stored.has(shape(e)))).toEqual([]);
    expect(events.length).toBeLessThan(seen.length);

    const audit = again.audit({ runId: first.runId });
    expect(audit).toEqual([
      {
        runId: first.runId,
        step: expect.stringContaining("node:find"),
        principal,
        kind: "policy",
        hook: "before tool",
        target: "lookup",
        policy: "guard",
        rule: null,
        outcome: "allow",
        reason: "no rule matched",
        at: expect.any(Number),
      },
      {
        runId: first.runId,
        step: audit[0]!.step,
        principal,
        kind: "tool",
        hook: "call",
        target: "lookup",
        policy: null,
        rule: null,
        outcome: "ok",
        at: expect.any(Number),
      },
      // The answer given with resume: an operator's decision (who: the principal, without `by`).
      {
        runId: first.runId,
        step: expect.stringContaining("node:ask"),
        principal,
        kind: "operator",
        hook: "resume",
        target: "human",
        policy: null,
        rule: null,
        outcome: "answered",
        reason: "ok?",
        by: "ada",
        at: expect.any(Number),
      },
    ]);
    expect(again.audit({ kind: "tool", outcome: "ok" })).toHaveLength(1);
  });

  it("a denial and a failed tool call are audited, and so is the run's trace", async () => {
    const plan = planOf(SOURCE);
    const store = open();
    const rt = createRuntime({ plan, store, models: noModels, tools: tools().provider, instant: true });
    const denied = await rt.start("once", { id: "bad" });
    expect(denied.status).toBe("failed");
    const failed = await rt.start("once", { id: "boom" });
    expect(failed.status).toBe("failed");
    store.close();

    const again = open();
    expect(again.audit({ runId: denied.runId }).map((a) => `${a.kind} ${a.policy} ${a.outcome} ${a.reason}`)).toEqual(["policy guard deny bad ids are refused"]);
    expect(again.audit({ runId: failed.runId }).map((a) => `${a.kind} ${a.hook} ${a.outcome} ${a.reason ?? ""}`)).toEqual([
      "policy before tool allow no rule matched",
      "tool call failed tool: the lookup service is down",
    ]);
    expect(again.audit({ outcome: "deny" }).map((a) => a.runId)).toEqual([denied.runId]);
    for (const id of [denied.runId, failed.runId]) {
      const types = again.events(id).map((e) => e.type);
      expect(types[0]).toBe("run.started");
      expect(types.at(-1)).toBe("run.failed");
    }
  });

  it("a crash loses only the trace not yet committed; recovery's replay stores it, without duplicates", async () => {
    const plan = planOf(SOURCE);
    const store = open();
    const t = tools();
    // Commits of `start`: the create is not a commit; 1 = running, 2 = lookup's intent + outcome
    // (lookup is idempotent: its intent goes with its outcome, docs/vm.md), ...
    const dying = createRuntime({ plan, store: crashingAfter(store, 1), models: noModels, tools: t.provider, instant: true });
    await expect(dying.start("once", { id: "7" }, { runId: "r-crash" })).rejects.toThrow(/simulated crash/);
    expect(t.calls).toEqual(["7"]); // the tool ran; its outcome was never committed
    // What rode on the failed commit is gone: the events since the running commit, the decision.
    expect(store.events("r-crash")).toEqual([]);
    expect(store.audit({ runId: "r-crash" })).toEqual([]);
    expect(store.load("r-crash")!.journal).toEqual([]);
    expect(store.load("r-crash")!.snapshot.status).toBe("running");

    const live = createRuntime({ plan, store, models: noModels, tools: t.provider, instant: true });
    const r = await live.recover("r-crash");
    expect(r).toMatchObject({ status: "completed", output: "found 7 " });
    expect(t.calls).toEqual(["7", "7"]); // re-issued with the same idempotency key
    expect(store.events("r-crash").map((e) => e.type)).toEqual([
      "run.started",
      "superstep.started",
      "step.started",
      "policy",
      "effect.requested",
      "effect.completed",
      "step.finished",
      "superstep.finished",
      "run.completed",
    ]);
    // The decision and the tool call are recorded once each.
    expect(store.audit({ runId: "r-crash" }).map((a) => `${a.kind} ${a.outcome}`)).toEqual(["policy allow", "tool ok"]);
    // A second recovery of the finished run stores nothing twice.
    const events = store.events("r-crash");
    await live.recover("r-crash");
    expect(store.events("r-crash").filter((e) => !e.type.startsWith("run."))).toEqual(events.filter((e) => !e.type.startsWith("run.")));
    expect(store.audit({ runId: "r-crash" })).toHaveLength(2);
  });

  it("an idempotent effect is one commit (intent with outcome); a non-idempotent one commits its intent first", async () => {
    const plan = planOf(SOURCE);
    const store = open();
    const commits: CommitRequest[] = [];
    const counting = withCommit(store, (req) => (commits.push(req), store.log.commit(req)));
    const rt = createRuntime({ plan, store: counting, models: noModels, tools: tools().provider, instant: true });
    const phases = () => commits.map((c) => c.append.map((e) => `${e.phase} ${e.step.split("/")[1]}`).join(" + ")).filter(Boolean);

    await rt.start("once", { id: "1" }); // lookup is idempotent
    expect(phases()).toEqual(["intent node:find + outcome node:find"]);
    commits.length = 0;
    await rt.start("pay", { id: "1" }); // charge is not
    expect(phases()).toEqual(["intent node:bill", "outcome node:bill"]);
  });

  it("a non-idempotent call's before-tool decision is durable before the tool runs", async () => {
    const plan = planOf(`
tool lookup(id: string) -> string { impl: js("./t.mjs#lookup") timeout: 1s idempotent: true }
tool charge(id: string) -> string { impl: js("./t.mjs#charge") timeout: 1s }
policy limits { before tool charge { deny when input.id == "x" because "no x" } }
graph pay(id: string) -> string {
  state { found: string?, receipt: string? }
  node find { run lookup(id: id) -> found }
  node bill { run charge(id: found!) -> receipt }
  edge start -> find
  edge find -> bill
  edge bill -> end
  return receipt!
}`);
    const store = open();
    let atCall: string[] = [];
    const provider: ToolProvider = {
      async call(req) {
        // What a crash at this instant would leave: the audit log as stored.
        if (req.tool === "charge") atCall = store.audit().map((a) => `${a.kind} ${a.hook} ${a.target} ${a.outcome}`);
        return `${req.tool} done`;
      },
    };
    const rt = createRuntime({ plan, store, models: noModels, tools: provider, instant: true });
    expect((await rt.start("pay", { id: "1" })).status).toBe("completed");
    // lookup's commit stored the trace so far; within the next 100 ms only a barrier stores more:
    // charge is not idempotent, so its intent commit carries the decision (and lookup's record).
    expect(atCall).toEqual(["tool call lookup ok", "policy before tool charge allow"]);
  });

  it("awr replay writes neither events nor audit records", async () => {
    const plan = planOf(SOURCE);
    const store = open();
    const rt = createRuntime({ plan, store, models: noModels, tools: tools().provider, instant: true });
    const run = await rt.start("once", { id: "1" });
    const events = store.events(run.runId);
    const audit = store.audit();
    const report = await replayRun(store, run.runId, plan);
    expect(report.ok).toBe(true);
    expect(store.events(run.runId)).toEqual(events);
    expect(store.audit()).toEqual(audit);
  });
});
