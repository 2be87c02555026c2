// The worker loop (server/worker/worker.ts) on a queue in memory and a MemoryStore: what it does with
// each claimed run — continue a running one, leave a finished or waiting one, reload one another
// execution moved on while its claim holds, let go of one whose claim it lost, hand back what is
// still executing when it stops. The queue on pg-boss and worker processes: test/pg/worker.test.ts.
import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import { encodePlan } from "../../compiler/plan/index.js";
import type { RunJob, RunQueue } from "../../server/worker/queue.js";
import { Worker, type WorkerReport } from "../../server/worker/worker.js";
import { KEY_FORMAT } from "../../vm/keys.js";
import { createRuntime } from "../../vm/runtime.js";
import { MemoryStore } from "../../vm/store/memory.js";
import type { Json, RunStore, ToolProvider } from "../../vm/types.js";
import { noModels, planOf } from "../vm/helpers.js";

const PLAN = planOf(`
tool slow(x: int) -> int { impl: js("./t.mjs#slow") timeout: 30s idempotent: true }
tool after(x: int) -> int { impl: js("./t.mjs#after") timeout: 30s idempotent: true }
graph g(n: int) -> int {
  state { a: int = 0, b: int = 0 }
  node one { run slow(n) -> a }
  node two { run after(a) -> b }
  edge start -> one
  edge one -> two
  edge two -> end
  return b
}
`);
const BYTES = encodePlan(PLAN);

/** A queue in memory: jobs by id, a claim renewable while `renewable` says so. */
class MemoryQueue implements RunQueue {
  jobs = new Map<string, { runId: string; state: "queued" | "active" | "done"; attempt: number }>();
  renewable = true;
  private next = 0;
  async enqueue(runId: string): Promise<void> {
    this.jobs.set(String(this.next++), { runId, state: "queued", attempt: 0 });
  }
  async claim(n: number): Promise<RunJob[]> {
    const out: RunJob[] = [];
    for (const [id, j] of this.jobs) {
      if (out.length >= n) break;
      if (j.state !== "queued") continue;
      j.state = "active";
      out.push({ id, runId: j.runId, attempt: j.attempt });
    }
    return out;
  }
  async heartbeat(): Promise<boolean> {
    return this.renewable;
  }
  async complete(job: RunJob): Promise<void> {
    this.jobs.get(job.id)!.state = "done";
  }
  async release(job: RunJob, _afterMs?: number): Promise<void> {
    const j = this.jobs.get(job.id)!;
    j.state = "queued";
    j.attempt++;
  }
  async close(): Promise<void> {}
}

/** Tools whose `slow` waits for `release()` when gated, and that record their calls. */
function tools(calls: string[], gated = false) {
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const provider: ToolProvider = {
    async call(req) {
      calls.push(req.tool);
      if (gated && req.tool === "slow") {
        entered();
        await gate;
      }
      return ((req.args["x"] as number) + 1) as Json;
    },
  };
  return { provider, inside, release };
}

async function storedRun(store: RunStore, runId: string): Promise<void> {
  const planHash = await Effect.runPromise(store.log.putBlob(BYTES));
  const t = Date.now();
  await Effect.runPromise(store.log.create({ runId, graph: "g", planHash, input: { n: 1 }, principal: { id: "t", roles: [], attrs: {} }, status: "running", createdAt: t, updatedAt: t, meta: { keyFormat: KEY_FORMAT } }));
}

function workerOn(store: RunStore, queue: MemoryQueue, provider: ToolProvider, reports: WorkerReport[]) {
  return new Worker({
    store,
    queue,
    heartbeatMs: 20,
    pollMs: 10,
    concurrency: 2,
    report: (r) => reports.push(r),
    runtimeFor: async () => ({ runtime: createRuntime({ plan: PLAN, store, models: noModels, tools: provider, instant: true }), close: async () => {} }),
  });
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};
const statusOf = async (store: RunStore, runId: string) => (await Effect.runPromise(store.log.load(runId)))!.snapshot.status;

describe("the worker loop", () => {
  it("continues a queued running run to its end and completes the job; a finished run is left as it is", async () => {
    const store = new MemoryStore();
    const queue = new MemoryQueue();
    const reports: WorkerReport[] = [];
    const calls: string[] = [];
    await storedRun(store, "r1");
    await queue.enqueue("r1");
    const w = workerOn(store, queue, tools(calls).provider, reports);
    w.start();
    await until(() => queue.jobs.get("0")!.state === "done");
    expect(await statusOf(store, "r1")).toBe("completed");
    expect(reports.find((r) => r.kind === "finished")).toMatchObject({ runId: "r1", outcome: { status: "completed", output: 3 } });
    await queue.enqueue("r1"); // again: nothing to do
    await until(() => queue.jobs.get("1")!.state === "done");
    expect(reports.at(-1)).toEqual({ kind: "skipped", runId: "r1", status: "completed" });
    expect(calls).toEqual(["slow", "after"]);
    await w.stop(1000);
  });

  it("a run another execution moved on while the claim holds: ClaimLost reported, the run loaded again, the job completed", async () => {
    const store = new MemoryStore();
    const queue = new MemoryQueue();
    const reports: WorkerReport[] = [];
    const calls: string[] = [];
    await storedRun(store, "r2");
    await queue.enqueue("r2");
    const t = tools(calls, true);
    const w = workerOn(store, queue, t.provider, reports);
    w.start();
    await t.inside;
    // A zombie (a worker whose claim had expired) finishes the run meanwhile.
    const zombie = createRuntime({ plan: PLAN, store, models: noModels, tools: tools([]).provider, instant: true });
    expect(await zombie.recover("r2")).toMatchObject({ status: "completed" });
    t.release();
    await until(() => queue.jobs.get("0")!.state === "done");
    expect(reports.map((r) => r.kind)).toEqual(["took", "lost", "skipped"]);
    expect(await statusOf(store, "r2")).toBe("completed");
    await w.stop(1000);
  });

  it("a run whose claim expired: lost, and its job is left to the worker that holds it now", async () => {
    const store = new MemoryStore();
    const queue = new MemoryQueue();
    const reports: WorkerReport[] = [];
    await storedRun(store, "r3");
    await queue.enqueue("r3");
    const t = tools([], true);
    const w = workerOn(store, queue, t.provider, reports);
    w.start();
    await t.inside;
    queue.renewable = false;
    await until(() => reports.some((r) => r.kind === "lost"));
    const other = createRuntime({ plan: PLAN, store, models: noModels, tools: tools([]).provider, instant: true });
    await other.recover("r3");
    t.release();
    await until(() => w.running.length === 0);
    expect(reports.filter((r) => r.kind === "lost")).toHaveLength(2); // the claim, then the run
    expect(queue.jobs.get("0")!.state).toBe("active"); // neither completed nor released by this worker
    await w.stop(1000);
  });

  it("stop: no more claims; a run still executing after the grace period is handed back", async () => {
    const store = new MemoryStore();
    const queue = new MemoryQueue();
    const reports: WorkerReport[] = [];
    await storedRun(store, "r4");
    await queue.enqueue("r4");
    const t = tools([], true);
    const w = workerOn(store, queue, t.provider, reports);
    w.start();
    await t.inside;
    await w.stop(50);
    expect(reports.at(-1)).toMatchObject({ kind: "released", runId: "r4" });
    expect(queue.jobs.get("0")).toMatchObject({ state: "queued", attempt: 1 });
    await queue.enqueue("r5");
    await new Promise((r) => setTimeout(r, 50));
    expect(queue.jobs.get("1")!.state).toBe("queued"); // a stopped worker claims nothing
    t.release();
  });

  it("a run whose runtime cannot be built (an untrusted plan, a missing provider): reported, tried again with a growing wait, given up after 20 attempts", async () => {
    const store = new MemoryStore();
    const queue = new MemoryQueue();
    const reports: WorkerReport[] = [];
    const waits: number[] = [];
    const release = queue.release.bind(queue);
    queue.release = async (job: RunJob, afterMs?: number) => {
      waits.push(afterMs ?? 0);
      return release(job);
    };
    await storedRun(store, "r6");
    await queue.enqueue("r6");
    const w = new Worker({
      store,
      queue,
      heartbeatMs: 20,
      pollMs: 1,
      report: (r) => reports.push(r),
      runtimeFor: async () => {
        throw new Error("the plan is not signed by a trusted key");
      },
    });
    w.start();
    await until(() => queue.jobs.get("0")!.state === "done");
    await w.stop(1000);
    const errors = reports.filter((r) => r.kind === "error");
    expect(errors).toHaveLength(20);
    expect(errors.at(-1)).toMatchObject({ runId: "r6", message: "the plan is not signed by a trusted key (attempt 20: given up)" });
    expect(waits.slice(0, 4)).toEqual([20, 40, 80, 160]);
    expect(await statusOf(store, "r6")).toBe("running"); // left as it is
  });
});
