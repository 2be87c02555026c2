// awr trace's timeline: from the stored events, or from the journal when a run has none; steps,
// calls, marks, node outcomes, totals, resumed runs, and the terminal rendering.
import { describe, expect, it } from "vitest";
import { buildTrace, formatMs, stepOfKey, traceText, type Trace } from "../../../ops/report/index.js";
import { FROZEN, NASTY, USAGE, runFixture } from "./fixture.js";

async function traced(opts: Parameters<typeof runFixture>[0] = {}, fromEvents = true): Promise<Trace> {
  const f = await runFixture(opts);
  return buildTrace({ run: f.store.load(f.runId)!, events: fromEvents ? f.events : [], plan: f.plan });
}

const shape = (t: Trace) => t.rows.map((r) => `${"  ".repeat(r.depth)}${r.type} ${r.label} ${r.status}`);

/** The fixture's steps between classifying and sending, the same in every finished timeline (`shape`). */
const MIDDLE = [
  "step find ok",
  "  call tool lookup ok",
  "step advise ok",
  "  call agent advisor → big ok",
  "step sub ok",
  "  step up ok",
  "    call prompt classify → cheap ok",
];

describe("stepOfKey", () => {
  it("finds the node invocation of every kind of key", () => {
    expect(stepOfKey("graph:g/node:a/stmt:0#2")).toEqual({ step: "graph:g/node:a#2", node: "a", graph: "g", depth: 0 });
    expect(stepOfKey("graph:g/node:a/stmt:1#0/cheap@1")?.step).toBe("graph:g/node:a#0"); // a model attempt
    expect(stepOfKey("graph:g/node:a/stmt:0#0@2[3]")?.step).toBe("graph:g/node:a#0"); // node retry, map item
    expect(stepOfKey("graph:g/node:a#1@1/compensate/undo")?.step).toBe("graph:g/node:a#1");
    expect(stepOfKey("graph:g/node:s/stmt:0#0/graph:inner/node:up/stmt:0#0/m@0")).toEqual({
      step: "graph:g/node:s/stmt:0#0/graph:inner/node:up#0",
      node: "up",
      graph: "inner",
      depth: 1,
    });
    expect(stepOfKey("graph:g/output")).toBeUndefined();
  });
});

describe("a trace from the stored events", () => {
  it("nests calls under their steps and a sub-graph under its caller, with marks for retries", async () => {
    const t = await traced();
    expect(t).toMatchObject({ source: "events", status: "completed", graph: "main", executions: 1 });
    expect(shape(t)).toEqual([
      "step classify_it ok",
      "  call prompt classify → cheap failed",
      "  mark ↻ retry 1 failed",
      "  call prompt classify → cheap ok",
      ...MIDDLE,
      "step send ok",
      "  call tool notify ok",
    ]);
    const advisor = t.rows.find((r) => r.name === "advisor")!;
    expect(advisor).toMatchObject({ kind: "agent", model: "big", tokens: USAGE.advisor, costUsd: FROZEN.advisor, parent: "graph:main/node:advise#0" });
    expect(t.rows[1]!.detail).toBe("rate_limit: slow down");
    // Offsets and durations come from the events (the fake clock ticks 7 ms per reading).
    for (const r of t.rows) {
      expect(r.start).toBeGreaterThanOrEqual(0);
      if (r.type !== "mark") expect(r.start + r.durationMs!).toBeLessThanOrEqual(t.durationMs);
    }
    expect(t.rows.find((r) => r.label === "find")!.start).toBeLessThan(t.rows.find((r) => r.label === "advise")!.start);
  });

  it("gives every node of the graph an outcome, not run included", async () => {
    expect((await traced()).nodes).toEqual({ classify_it: "ok", find: "ok", advise: "ok", sub: "ok", ask: "not_run", send: "ok", never: "not_run" });
    const failed = await traced({ failNotify: true });
    expect(failed.nodes.send).toBe("failed");
    expect(failed.error).toMatchObject({ kind: "tool", message: expect.stringContaining("mail server") });
    expect(failed.rows.find((r) => r.name === "notify")).toMatchObject({ status: "failed", detail: expect.stringContaining(NASTY) });
    const waiting = await traced({ text: "wait" });
    expect(waiting.nodes.ask).toBe("suspended");
    expect(waiting.rows.at(-1)).toMatchObject({ label: "await human", status: "suspended", durationMs: null, detail: "Is this <b>fine</b>?" });
    expect(waiting.pending).toHaveLength(1);
  });

  it("totals tokens, cost and calls from the journal", async () => {
    const t = await traced({ failNotify: true });
    expect(t.totals).toEqual({
      steps: 6,
      modelCalls: 4,
      failedModelCalls: 1,
      toolCalls: 2,
      failedToolCalls: 1,
      inputTokens: USAGE.advisor.input + 2 * USAGE.classify.input,
      outputTokens: USAGE.advisor.output + 2 * USAGE.classify.output,
      costUsd: FROZEN.advisor + 2 * FROZEN.classify,
    });
  });

  it("shows a resumed run's new work once: finished steps replayed from the journal are not repeated", async () => {
    const f = await runFixture({ text: "wait" });
    expect(await f.resume("yes")).toBe("completed");
    const t = buildTrace({ run: f.store.load(f.runId)!, events: f.events, plan: f.plan });
    expect(t.executions).toBe(2);
    expect(t.rows.filter((r) => r.label === "classify_it")).toHaveLength(1);
    expect(t.rows.filter((r) => r.label.startsWith("↻ retry"))).toHaveLength(1);
    const asks = t.rows.filter((r) => r.label === "ask");
    expect(asks.map((r) => [r.status, r.execution])).toEqual([
      ["suspended", 1],
      ["ok", 2],
    ]);
    const wait = t.rows.find((r) => r.label === "await human")!;
    expect(wait).toMatchObject({ status: "ok", depth: 1 });
    expect(wait.durationMs).toBeGreaterThanOrEqual(1000); // the person took a second
    expect(t.nodes).toMatchObject({ ask: "ok", send: "ok" });
    expect(t.rows.find((r) => r.name === "notify")).toMatchObject({ status: "ok", execution: 2 });
  });
});

describe("a run that stopped inside a call (a crash)", () => {
  it("shows the call and its step as unfinished", async () => {
    const f = await runFixture();
    const run = f.store.load(f.runId)!;
    // What the store holds if the process died while `notify` was running.
    const cut = run.journal.findIndex((e) => e.phase === "outcome" && e.key.includes("node:send"));
    const crashed = { ...run, snapshot: { ...run.snapshot, status: "running" as const }, journal: run.journal.slice(0, cut) };
    const stop = f.events.findIndex((e) => e.type === "effect.completed" && e.key.includes("node:send"));
    const t = buildTrace({ run: crashed, events: f.events.slice(0, stop), plan: f.plan });
    expect(t.rows.find((r) => r.name === "notify")).toMatchObject({ status: "unfinished", durationMs: null });
    expect(t.rows.find((r) => r.label === "send")).toMatchObject({ status: "unfinished", durationMs: null });
    expect(t.nodes.send).toBe("unfinished");
    expect(traceText(t, { color: false })).toMatch(/… send\n.*… tool notify/);
    const fromJournal = buildTrace({ run: crashed, events: [], plan: f.plan });
    expect(fromJournal.rows.find((r) => r.name === "notify")).toMatchObject({ status: "unfinished" });
    expect(fromJournal.nodes.send).toBe("unfinished");
  });
});

describe("a trace from the events stored with the run", () => {
  it("matches the live event stream, also for a resumed run (the store keeps repeats once)", async () => {
    const f = await runFixture({ text: "wait" });
    await f.resume("yes");
    const run = f.store.load(f.runId)!;
    const stored = f.store.events(f.runId);
    expect(stored.length).toBeGreaterThan(10);
    expect(stored.length).toBeLessThan(f.events.length); // replayed repeats are not stored
    const fromStore = buildTrace({ run, events: stored, plan: f.plan });
    const live = buildTrace({ run, events: f.events, plan: f.plan });
    expect(fromStore.source).toBe("events");
    expect(fromStore.executions).toBe(2);
    expect(shape(fromStore)).toEqual(shape(live));
    // A step run again on resume has only its finish stored: its start is `at - durationMs` (the
    // fake clock ticks between the two readings of that event, real clocks hardly do).
    fromStore.rows.forEach((r, i) => {
      expect(Math.abs(r.start - live.rows[i]!.start)).toBeLessThanOrEqual(7);
      expect(r.durationMs).toBe(live.rows[i]!.durationMs);
    });
    expect(fromStore.nodes).toEqual(live.nodes);
  });
});

describe("a trace from the journal alone", () => {
  it("builds steps from their calls when no events were stored", async () => {
    const t = await traced({ failNotify: true }, false);
    expect(t.source).toBe("journal");
    expect(shape(t)).toEqual([
      "step classify_it ok",
      "  call prompt classify → cheap failed",
      "  call prompt classify → cheap ok",
      ...MIDDLE,
      "step send failed",
      "  call tool notify failed",
    ]);
    const step = t.rows.find((r) => r.label === "classify_it")!;
    const calls = t.rows.filter((r) => r.parent === step.id);
    expect(step.start).toBe(calls[0]!.start);
    expect(step.start + step.durationMs!).toBe(calls[1]!.start + calls[1]!.durationMs!);
    expect(t.nodes).toMatchObject({ send: "failed", never: "not_run" });
    expect(t.totals.costUsd).toBeCloseTo(FROZEN.advisor + 2 * FROZEN.classify, 12);
  });

  it("marks the step that waits", async () => {
    const t = await traced({ text: "wait" }, false);
    expect(t.nodes.ask).toBe("suspended");
    expect(t.rows.find((r) => r.label === "await human")!.status).toBe("suspended");
  });
});

describe("traceText", () => {
  it("prints a header, one line per row, and the totals; no escape codes without colour", async () => {
    const t = await traced({ failNotify: true });
    const text = traceText(t, { color: false });
    expect(text).not.toMatch(/\x1b\[/);
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toMatch(new RegExp(`^run ${t.runId} {2}graph main {2}failed {2}\\d+ ms$`));
    expect(text).toMatch(/\+\d+ ms\s+\d+ ms\s+✓ agent advisor → big\s+1000\/200\s+0\.0200/);
    expect(text).toMatch(/✗ tool notify {2}\(tool: mail server said/);
    expect(text).toMatch(/error: tool: mail server said .* \(step graph:main\/node:send#0\)/);
    expect(lines.at(-1)).toBe("6 steps · 4 model calls (1 failed) · 2 tool calls (1 failed) · tokens 1200 in / 220 out · cost 0.0202 USD");
    expect(text).not.toContain("|"); // no width: no bars
  });

  it("colours statuses when asked, and draws bars scaled to the run's duration given a width", async () => {
    const f = await runFixture({ text: "wait" });
    await f.resume("yes");
    const t = buildTrace({ run: f.store.load(f.runId)!, events: f.events, plan: f.plan });
    expect(traceText(t, { color: true })).toMatch(/\x1b\[3\dm/);
    const text = traceText(t, { color: false, width: 160 });
    const bars = text.split("\n").filter((l) => l.includes("|") && !l.includes("step / call"));
    expect(bars.length).toBe(t.rows.length);
    const filled = (l: string) => (l.slice(l.indexOf("|")).match(/█/g) ?? []).length;
    const widths = bars.map((l) => l.length);
    expect(Math.max(...widths)).toBeLessThanOrEqual(160);
    // The wait for the person is most of the run: the longest bar.
    const waitLine = bars.find((l) => l.includes("await human"))!;
    expect(filled(waitLine)).toBe(Math.max(...bars.map(filled)));
    expect(filled(waitLine)).toBeGreaterThan(20);
  });

  it("formats durations", () => {
    expect([formatMs(0), formatMs(999), formatMs(1500), formatMs(65_000), formatMs(3_723_000)]).toEqual(["0 ms", "999 ms", "1.5 s", "1m 05s", "1h 02m"]);
  });
});
