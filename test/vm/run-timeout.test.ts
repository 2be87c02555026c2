// The per-run time limit: an execution that runs past it is interrupted (in-flight calls aborted,
// no outcome journaled), the run fails with kind `timeout`, and `recover` continues it from the
// journal without repeating what finished.
import { describe, expect, it } from "vitest";
import { createRuntime } from "../../vm/runtime.js";
import { MemoryStore } from "../../vm/store/index.js";
import type { ToolProvider } from "../../vm/types.js";
import { planOf, noModels } from "./helpers.js";

const SOURCE = `
tool fast(n: int) -> int { impl: js("./t.mjs#fast") timeout: 10s idempotent: true }
tool slow(n: int) -> int { impl: js("./t.mjs#slow") timeout: 10s idempotent: true }
graph g(n: int) -> int {
  state { a: int?, b: int? }
  node first { run fast(n: n) -> a }
  node second { run slow(n: a!) -> b }
  edge start -> first
  edge first -> second
  edge second -> end
  return b!
}`;

function tools(slowMs: () => number) {
  const calls: string[] = [];
  let aborted = 0;
  const provider: ToolProvider = {
    call(req, signal) {
      calls.push(req.tool);
      const n = Number(req.args["n"]);
      if (req.tool === "fast") return Promise.resolve(n + 1);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => resolve(n * 10), slowMs());
        signal.addEventListener("abort", () => {
          aborted++;
          clearTimeout(t);
          reject(new Error("aborted"));
        });
      });
    },
  };
  return { provider, calls, aborted: () => aborted };
}

describe("per-run time limit", () => {
  it("fails the run with a timeout, aborts the call in flight, and recover continues it", async () => {
    let slowMs = 5_000;
    const t = tools(() => slowMs);
    const store = new MemoryStore();
    const rt = createRuntime({ plan: planOf(SOURCE), store, models: noModels, tools: t.provider, runTimeoutMs: 150 });
    const t0 = Date.now();
    const r = await rt.start("g", { n: 1 });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ kind: "timeout" });
    expect(r.error?.message).toContain("150 ms");
    expect(t.aborted()).toBe(1);
    expect(store.load(r.runId)!.snapshot.status).toBe("failed");

    slowMs = 5;
    const again = await rt.recover(r.runId, { timeoutMs: 2_000 });
    expect(again).toMatchObject({ status: "completed", output: 20 });
    // `fast` finished before the limit: served from the journal, not called again.
    expect(t.calls).toEqual(["fast", "slow", "slow"]);
  });

  it("a start option overrides the runtime's default, and a bad limit is refused", async () => {
    const t = tools(() => 5);
    const rt = createRuntime({ plan: planOf(SOURCE), store: new MemoryStore(), models: noModels, tools: t.provider, runTimeoutMs: 1 });
    expect(await rt.start("g", { n: 2 }, { timeoutMs: 5_000 })).toMatchObject({ status: "completed", output: 30 });
    await expect(rt.start("g", { n: 2 }, { timeoutMs: -1 })).rejects.toThrow(/positive number of ms/);
  });
});
