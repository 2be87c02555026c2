// awr cost's aggregation: grouping, time ranges, failed and unfinished calls, and costs read from
// the journal as frozen at call time.
import { describe, expect, it } from "vitest";
import { callsInRange, callsOfRun, costReport, costText, type CallRecord } from "../../../ops/report/index.js";
import { MemoryStore } from "../../../vm/store/memory.js";
import { FROZEN, T0, USAGE, fixturePlan, runFixture } from "./fixture.js";

function call(over: Partial<CallRecord> & Pick<CallRecord, "runId" | "kind" | "caller">): CallRecord {
  return {
    graph: "g",
    key: `${over.runId}/${over.caller}/${over.startedAt ?? 0}`,
    step: "graph:g/node:n/stmt:0",
    callerKind: over.kind === "model" ? "prompt" : "tool",
    status: "ok",
    startedAt: 1000,
    endedAt: 1010,
    tokens: { input: 0, output: 0 },
    costUsd: 0,
    ...over,
  };
}

const CALLS: CallRecord[] = [
  call({ runId: "r1", graph: "triage", kind: "model", caller: "classify", model: "mini", tokens: { input: 100, output: 10 }, costUsd: 0.001, startedAt: 1000 }),
  call({ runId: "r1", graph: "triage", kind: "model", caller: "classify", model: "mini", status: "failed", error: { kind: "rate_limit", message: "429" }, startedAt: 1100 }),
  call({ runId: "r1", graph: "triage", kind: "model", caller: "advisor", callerKind: "agent", model: "large", tokens: { input: 1000, output: 100 }, costUsd: 0.05, startedAt: 1200 }),
  call({ runId: "r1", graph: "triage", kind: "tool", caller: "find_orders", startedAt: 1300 }),
  call({ runId: "r2", graph: "triage", kind: "model", caller: "classify", model: "large", tokens: { input: 50, output: 5 }, costUsd: 0.002, startedAt: 2000 }),
  call({ runId: "r2", graph: "triage", kind: "tool", caller: "refund", status: "failed", error: { kind: "tool", message: "declined" }, startedAt: 2100 }),
  call({ runId: "r2", graph: "triage", kind: "tool", caller: "void_refund", callerKind: "compensation", startedAt: 2200 }),
  call({ runId: "r3", graph: "digest", kind: "model", caller: "summarise", model: "mini", tokens: { input: 10, output: 1 }, costUsd: 0.0001, startedAt: 3000 }),
  call({ runId: "r3", graph: "digest", kind: "tool", caller: "find_orders", status: "unfinished", startedAt: 3100, endedAt: undefined }),
];

const pick = (rows: { key: string }[]) => rows.map((r) => r.key);

describe("costReport groups calls", () => {
  it("by model: model calls only, sorted by cost; the total covers tool calls too", () => {
    const r = costReport(CALLS, { by: "model" });
    expect(pick(r.rows)).toEqual(["large", "mini"]);
    expect(r.rows[0]).toMatchObject({ modelCalls: 2, failedModelCalls: 0, inputTokens: 1050, outputTokens: 105, runs: 2, toolCalls: 0 });
    expect(r.rows[0]!.costUsd).toBeCloseTo(0.052, 10);
    expect(r.rows[1]).toMatchObject({ modelCalls: 3, failedModelCalls: 1, inputTokens: 110, outputTokens: 11, runs: 2 });
    expect(r.total).toMatchObject({ modelCalls: 5, failedModelCalls: 1, toolCalls: 4, failedToolCalls: 1, unfinishedCalls: 1, runs: 3, inputTokens: 1160, outputTokens: 116 });
    expect(r.total.costUsd).toBeCloseTo(0.0531, 10);
  });

  it("by run, graph, agent and tool", () => {
    const byRun = costReport(CALLS, { by: "run" });
    expect(byRun.rows.map((r) => [r.key, r.detail, r.modelCalls, r.toolCalls])).toEqual([
      ["r1", "triage", 3, 1],
      ["r2", "triage", 1, 2],
      ["r3", "digest", 1, 1],
    ]);
    const byGraph = costReport(CALLS, { by: "graph" });
    expect(byGraph.rows.map((r) => [r.key, r.runs, r.modelCalls, r.failedModelCalls, r.toolCalls, r.failedToolCalls])).toEqual([
      ["triage", 2, 4, 1, 3, 1],
      ["digest", 1, 1, 0, 1, 0],
    ]);
    const byAgent = costReport(CALLS, { by: "agent" });
    expect(byAgent.rows.map((r) => [r.key, r.detail, r.modelCalls, r.failedModelCalls])).toEqual([
      ["advisor", "agent", 1, 0],
      ["classify", "prompt", 3, 1],
      ["summarise", "prompt", 1, 0],
    ]);
    const byTool = costReport(CALLS, { by: "tool" });
    expect(byTool.rows.map((r) => [r.key, r.detail, r.toolCalls, r.failedToolCalls, r.unfinishedCalls, r.runs])).toEqual([
      ["find_orders", "tool", 2, 0, 1, 2],
      ["refund", "tool", 1, 1, 0, 1],
      ["void_refund", "compensation", 1, 0, 0, 1],
    ]);
    expect(byTool.rows.every((r) => r.modelCalls === 0 && r.costUsd === 0)).toBe(true);
  });

  it("keeps the calls whose time is in [since, until], bounds included", () => {
    const r = costReport(CALLS, { by: "run", since: 1200, until: 2100 });
    expect(r.rows.map((x) => [x.key, x.modelCalls + x.toolCalls])).toEqual([
      ["r1", 2],
      ["r2", 2],
    ]);
    expect(r).toMatchObject({ since: 1200, until: 2100, runs: 2 });
    expect(r.failed.map((f) => f.caller)).toEqual(["refund"]); // the 429 at 1100 is outside
    const none = costReport(CALLS, { by: "model", since: 5000 });
    expect(none.rows).toEqual([]);
    expect(costText(none)).toMatch(/no calls in this range/);
  });

  it("flags failed calls separately and lists them with their error", () => {
    const r = costReport(CALLS, { by: "model" });
    expect(r.failed).toEqual([
      { runId: "r1", key: expect.any(String), kind: "model", caller: "classify", model: "mini", at: 1010, error: { kind: "rate_limit", message: "429" } },
      { runId: "r2", key: expect.any(String), kind: "tool", caller: "refund", at: 1010, error: { kind: "tool", message: "declined" } },
    ]);
    const text = costText(r);
    expect(text).toMatch(/failed calls: 2/);
    expect(text).toMatch(/✗ .* model classify \(mini\) {2}rate_limit: 429 {2}\[run r1\]/);
    expect(text).toMatch(/unfinished calls \(no outcome recorded\): 1/);
  });

  it("prints a table with a total line", () => {
    const text = costText(costReport(CALLS, { by: "agent", since: 0, until: 10_000 }));
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe("cost by agent, 1970-01-01T00:00:00.000Z .. 1970-01-01T00:00:10.000Z: 3 runs");
    expect(lines[1]).toMatch(/^prompt\/agent\s+kind\s+model calls\s+failed\s+input tok\s+output tok\s+cost USD$/);
    expect(lines[2]).toMatch(/^advisor\s+agent\s+1\s+0\s+1000\s+100\s+0\.0500$/);
    expect(lines.find((l) => l.startsWith("total"))).toMatch(/^total\s+5\s+1\s+1160\s+116\s+0\.0531$/);
    expect(text).toContain("tool calls: 4 (1 failed)");
  });
});

describe("calls from journals", () => {
  it("reads the cost frozen in each model outcome, never price × tokens", async () => {
    const f = await runFixture();
    const calls = callsOfRun(f.store.load(f.runId)!, f.plan);
    const advisor = calls.find((c) => c.caller === "advisor")!;
    expect(advisor).toMatchObject({ kind: "model", callerKind: "agent", model: "big", status: "ok", tokens: USAGE.advisor, costUsd: FROZEN.advisor });
    const price = fixturePlan().models["big"]!.price!;
    expect((USAGE.advisor.input * price.input + USAGE.advisor.output * price.output) / 1e6).not.toBeCloseTo(FROZEN.advisor, 6);
    // One failed attempt (rate limit) then the retry; the sub-graph's call counts for the run.
    const classify = calls.filter((c) => c.caller === "classify");
    expect(classify.map((c) => c.status)).toEqual(["failed", "ok", "ok"]);
    expect(classify[0]).toMatchObject({ costUsd: 0, tokens: { input: 0, output: 0 }, error: { kind: "rate_limit" } });
    expect(calls.filter((c) => c.kind === "tool").map((c) => c.caller)).toEqual(["lookup", "notify"]);
    const r = costReport(calls, { by: "model" });
    expect(r.rows.map((x) => [x.key, x.modelCalls, x.failedModelCalls, x.costUsd])).toEqual([
      ["big", 1, 0, FROZEN.advisor],
      ["cheap", 3, 1, 2 * FROZEN.classify],
    ]);
  });

  it("names callers from the step ids when the plan is missing", async () => {
    const f = await runFixture();
    const calls = callsOfRun(f.store.load(f.runId)!);
    expect(calls.find((c) => c.callerKind === "agent")!.caller).toBe("graph:main/node:advise/stmt:0");
    expect(calls.find((c) => c.kind === "tool")!.caller).toBe("lookup"); // tool requests carry the name
  });

  it("finds the calls of a store in a time range, including a run resumed inside it", async () => {
    const store = new MemoryStore();
    const early = await runFixture({ store, start: T0 });
    const waiting = await runFixture({ store, start: T0 + 10_000, text: "wait" });
    const since = T0 + 10_500;
    const before = (await callsInRange(store, { since }));
    expect(before.runs).toBe(0); // neither run was updated after `since`: not even loaded
    expect(costReport(before.calls, { by: "tool", since }).total.toolCalls).toBe(0);
    await waiting.resume("yes"); // answered a second later: its notify call is new
    const after = costReport((await callsInRange(store, { since })).calls, { by: "tool", since });
    expect(after.rows.map((r) => [r.key, r.toolCalls])).toEqual([["notify", 1]]);
    expect(after).toMatchObject({ runs: 1, total: { modelCalls: 0, toolCalls: 1 } });
    const all = costReport((await callsInRange(store, {})).calls, { by: "run" });
    expect(all.rows.map((r) => r.key).sort()).toEqual([early.runId, waiting.runId].sort());
    const one = (await callsInRange(store, { runId: early.runId }));
    expect(new Set(one.calls.map((c) => c.runId))).toEqual(new Set([early.runId]));
    const untilEarly = costReport((await callsInRange(store, { until: T0 + 5000 })).calls, { by: "run", until: T0 + 5000 });
    expect(untilEarly.rows.map((r) => r.key)).toEqual([early.runId]);
  });
});
