// Crash test under group commit: one child process runs 100 runs at once against one SQLite store
// (their commits grouped into shared transactions, vm/store/sqlite.ts) and is killed with SIGKILL
// at random points; after recovery every run's side effects happened exactly once and every output
// equals an uninterrupted run's. Uses the built code (npm test builds) and crash/program.awr.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prng } from "../helpers/prng.js";
import { crashChild, crashProgram } from "./crash/harness.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const DIST = join(ROOT, "dist");
/** `npm run test:reliability` scales this up (AWR_RELIABILITY_SCALE=5: 15 kills). */
const SCALE = Number(process.env["AWR_RELIABILITY_SCALE"] ?? 1);
const KILLS = Math.max(1, Math.round(3 * SCALE));
const RUNS = 100;
const SEED = Number(process.env["AWR_CRASH_SEED"] ?? 0x6c0d);
/** The most tool calls one run of program.awr has in flight at once (left ∥ right, the map's concurrency 2). */
const MAX_IN_FLIGHT = 2;

let dir: string;
let planFile: string;

beforeAll(() => {
  ({ dir, planFile } = crashProgram("awr-crash-many-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  runId: string;
  status: string;
  output: unknown;
}

/** One child running RUNS runs; its outcomes and its group-commit counters, parsed from stdout. */
function child(tag: string, mode: "start" | "recover") {
  const c = crashChild("child-many.mjs", [DIST, planFile, join(dir, `${tag}.db`), dir, tag, String(RUNS), mode], { AWR_CRASH_EFFECTS: join(dir, `${tag}.effects`) }, `${tag} ${mode}`);
  let running = true;
  const done = c.done.then(({ signal, stdout }) => {
    running = false;
    const lines = stdout.split("\n");
    const groups = lines.find((l) => l.startsWith("groups "));
    return {
      signal,
      outcomes: lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Outcome),
      groups: groups ? (JSON.parse(groups.slice(7)) as { inline: number; grouped: number; groups: number }) : undefined,
    };
  });
  return { done, ready: c.ready, kill: c.kill, running: () => running };
}

/** The effect lines (`<idempotency key> <label>=<value>`) and calls of one child's runs, by run. */
function effects(tag: string) {
  const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8").split("\n").filter(Boolean) : []);
  return { lines: read(join(dir, `${tag}.effects`)), calls: read(join(dir, `${tag}.effects.calls`)) };
}
const runOf = (key: string) => key.split("/")[0]!;

describe("crash and recovery with grouped commits", () => {
  it(`${RUNS} concurrent runs, SIGKILL at ${KILLS} points: every side effect exactly once, every output the same`, async () => {
    const reference = await child("reference", "start").done;
    expect(reference.outcomes).toHaveLength(RUNS);
    expect(new Set(reference.outcomes.map((o) => o.status))).toEqual(new Set(["completed"]));
    const expected = reference.outcomes[0]!.output;
    // The runs really shared transactions.
    expect(reference.groups!.groups).toBeGreaterThan(0);
    expect(reference.groups!.grouped).toBeGreaterThan(reference.groups!.groups * 2);
    const ref = effects("reference");
    const perRun = ref.lines.filter((l) => runOf(l) === "run-reference-0").map((l) => l.split(" ")[1]).sort();
    expect(ref.lines).toHaveLength(perRun.length * RUNS);

    let killedMidRun = 0;
    const random = prng(SEED);
    for (let k = 0; k < KILLS; k++) {
      const tag = `kill${k}`;
      const c = child(tag, "start");
      await c.ready;
      // Inside the middle 80 % of the runs' work, measured by the side effects done so far (not by
      // time: how fast the runs go depends on the machine's load): all 100 runs are under way.
      const target = Math.floor(ref.lines.length * (0.1 + (0.8 * (k + random())) / KILLS));
      while (effects(tag).lines.length < target && c.running()) await new Promise((r) => setTimeout(r, 2));
      c.kill();
      const first = await c.done;
      if (first.signal === "SIGKILL") killedMidRun++;
      let outcomes = first.signal === null ? first.outcomes : [];
      for (let tries = 0; outcomes.length !== RUNS || outcomes.some((o) => o.status !== "completed"); tries++) {
        expect(tries).toBeLessThan(3);
        outcomes = (await child(tag, "recover").done).outcomes;
      }
      for (const o of outcomes) expect(o.output, o.runId).toEqual(expected);
      const got = effects(tag);
      // Exactly once: per run, one effect line per step, the same steps as an uninterrupted run...
      const byRun = new Map<string, string[]>();
      for (const l of got.lines) byRun.set(runOf(l), [...(byRun.get(runOf(l)) ?? []), l.split(" ")[1]!]);
      expect(byRun.size).toBe(RUNS);
      for (const [run, labels] of byRun) expect(labels.sort(), run).toEqual(perRun);
      expect(new Set(got.lines.map((l) => l.split(" ")[0])).size).toBe(got.lines.length);
      // ...and a call is repeated (same idempotency key) only when the kill interrupted it: per run,
      // at most its calls in flight. A commit reported stored but lost would repeat finished steps.
      const calls = new Map<string, number>();
      for (const key of got.calls) calls.set(runOf(key), (calls.get(runOf(key)) ?? 0) + 1);
      for (const [run, labels] of byRun) expect((calls.get(run) ?? 0) - labels.length, run).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    }
    expect(killedMidRun).toBe(KILLS);
    console.log(`reliability/crash-concurrent: ${KILLS} SIGKILLs during ${RUNS} concurrent runs (seed ${SEED}); every side effect exactly once, every output equal`);
  }, 180_000 * SCALE);
});
