// Circuit breakers: per model declaration and per tool, on a fake clock; driving fallback in runs;
// state visible in events and metrics.
import { describe, expect, it } from "vitest";
import { Breakers, type BreakerChange } from "../../vm/health.js";
import { createMetrics } from "../../ops/observability/metrics.js";
import { createRuntime } from "../../vm/runtime.js";
import { MemoryStore } from "../../vm/store/memory.js";
import { VmFailure, type VmEvent } from "../../vm/types.js";
import { models, plan, tools } from "../ops/observability/fixtures.js";

const signal = new AbortController().signal;
const down = () => Promise.reject(new VmFailure({ kind: "transport", message: "connection refused", retryable: true }));
const up = () => Promise.resolve("ok");

function setup(threshold = 3, cooldownMs = 1000) {
  let clock = 0;
  const changes: string[] = [];
  const b = new Breakers({ failureThreshold: threshold, cooldownMs, now: () => clock });
  const on = (c: BreakerChange) => changes.push(`${c.target} ${c.state}`);
  let calls = 0;
  const call = (fn: () => Promise<string>) => b.run("model:m", signal, () => (calls++, fn()), on);
  return { b, changes, call, calls: () => calls, advance: (ms: number) => (clock += ms) };
}

describe("a circuit breaker", () => {
  it("opens after N consecutive failures, then fails fast without calling, with a typed failure naming it", async () => {
    const t = setup(3);
    for (let i = 0; i < 3; i++) await expect(t.call(down)).rejects.toThrow("connection refused");
    expect(t.b.state("model:m")).toBe("open");
    expect(t.changes).toEqual(["model:m open"]);
    const fast = await t.call(up).catch((e: unknown) => e);
    expect(fast).toBeInstanceOf(VmFailure);
    expect((fast as VmFailure).info).toMatchObject({ kind: "transport", retryable: false, message: expect.stringContaining("circuit breaker model:m is open after 3 consecutive failures") });
    expect(t.calls()).toBe(3);
  });

  it("a success resets the count; failures the endpoint is not to blame for do not count", async () => {
    const t = setup(2);
    await expect(t.call(down)).rejects.toThrow();
    await t.call(up);
    await expect(t.call(down)).rejects.toThrow();
    await expect(t.call(() => Promise.reject(new VmFailure({ kind: "schema", message: "not JSON" })))).rejects.toThrow();
    await expect(t.call(() => Promise.reject(new VmFailure({ kind: "cancelled", message: "stop" })))).rejects.toThrow();
    await expect(t.call(down)).rejects.toThrow();
    expect(t.b.state("model:m")).toBe("closed");
  });

  it("half-opens after the cool-down: one trial call; a failure reopens, a success closes", async () => {
    const t = setup(1, 1000);
    await expect(t.call(down)).rejects.toThrow();
    t.advance(999);
    await expect(t.call(up)).rejects.toThrow("is open");
    t.advance(1);
    await expect(t.call(down)).rejects.toThrow("connection refused"); // the trial
    expect(t.b.state("model:m")).toBe("open");
    t.advance(1000);
    // While the trial is in flight, other calls fail fast.
    let release!: (v: string) => void;
    const trial = t.call(() => new Promise((r) => (release = r)));
    await expect(t.call(up)).rejects.toThrow("half open");
    release("ok");
    await expect(trial).resolves.toBe("ok");
    expect(t.b.state("model:m")).toBe("closed");
    await expect(t.call(up)).resolves.toBe("ok");
    expect(t.changes).toEqual(["model:m open", "model:m half_open", "model:m open", "model:m half_open", "model:m closed"]);
  });
});

describe("breakers in a runtime", () => {
  it("a model whose breaker is open falls back to its fallback model without being called; state in events and metrics", async () => {
    let clock = 1_000_000;
    const failing = new Set(["primary"]);
    const m = models(failing);
    const metrics = createMetrics();
    const events: VmEvent[] = [];
    const rt = createRuntime({
      plan: plan(),
      store: new MemoryStore(),
      models: m.provider,
      tools: tools().provider,
      instant: true,
      now: () => clock,
      breakers: { failureThreshold: 2, cooldownMs: 30_000 },
      onEvent: (e) => {
        events.push(e);
        metrics.onEvent(e);
      },
    });
    const run = () => rt.start("triage", { text: "x" });
    const r1 = await run();
    const r2 = await run(); // the second consecutive failure opens the breaker
    expect(events.filter((e) => e.type === "breaker")).toEqual([{ type: "breaker", runId: r2.runId, target: "model:primary", state: "open", at: clock, failures: 2 }]);
    expect(await metrics.registry.metrics()).toContain('awr_circuit_state{target="model:primary"} 2');

    const before = m.calls.filter((c) => c.model === "primary").length;
    const r3 = await run();
    expect([r1.status, r2.status, r3.status]).toEqual(["completed", "completed", "completed"]);
    expect(m.calls.filter((c) => c.model === "primary").length).toBe(before); // failed fast: not called
    const fb = events.filter((e) => e.type === "fallback" && e.runId === r3.runId);
    expect(fb).toMatchObject([{ from: "primary", to: "backup" }]);
    const failed = events.find((e) => e.type === "effect.completed" && e.runId === r3.runId && e.model === "primary");
    expect(failed).toMatchObject({ ok: false, error: { kind: "transport", retryable: false, message: expect.stringContaining("circuit breaker model:primary is open") } });

    // After the cool-down the endpoint is back: a trial call half-opens, its success closes.
    failing.clear();
    clock += 30_000;
    const r4 = await run();
    expect(r4.status).toBe("completed");
    expect(events.filter((e) => e.type === "breaker" && e.runId === r4.runId).map((e) => (e as { state: string }).state)).toEqual(["half_open", "closed"]);
    expect(m.calls.at(-1)?.model).toBe("primary");
    const text = await metrics.registry.metrics();
    expect(text).toContain('awr_circuit_state{target="model:primary"} 0');
    expect(text).toContain('awr_circuit_transitions_total{target="model:primary",state="open"} 1');
  });

  it("a tool's breaker fails its calls fast once open; breakers: false turns them off", async () => {
    for (const on of [true, false]) {
      const t = tools(() => {
        throw new VmFailure({ kind: "transport", message: "mail server unreachable", retryable: false });
      });
      const rt = createRuntime({ plan: plan(), store: new MemoryStore(), models: models().provider, tools: t.provider, instant: true, breakers: on ? { failureThreshold: 1 } : false });
      const a = await rt.start("triage", { text: "x" });
      const b = await rt.start("triage", { text: "x" });
      expect(a.error?.message).toContain("mail server unreachable");
      if (on) {
        expect(b.error).toMatchObject({ kind: "transport", message: expect.stringContaining("circuit breaker tool:notify is open") });
        expect(t.calls).toEqual(["notify"]);
      } else {
        expect(b.error?.message).toContain("mail server unreachable");
        expect(t.calls).toEqual(["notify", "notify"]);
      }
    }
  });

  it("runtimes can share one set of breakers", async () => {
    const shared = new Breakers({ failureThreshold: 1 });
    const failing = new Set(["primary"]);
    const mk = () => createRuntime({ plan: plan(), store: new MemoryStore(), models: models(failing).provider, tools: tools().provider, instant: true, breakers: shared });
    await mk().start("triage", { text: "x" });
    expect(shared.state("model:primary")).toBe("open");
    expect(shared.snapshot()).toEqual([
      { target: "model:primary", state: "open", failures: 1 },
      { target: "model:backup", state: "closed", failures: 0 },
      { target: "tool:notify", state: "closed", failures: 0 },
    ]);
  });
});
