// Crash test: a child process runs a graph of side-effecting idempotent tools against a SQLite
// store and is killed with SIGKILL at many points; after recovery every side effect happened
// exactly once and the output equals an uninterrupted run's. Uses the built code (npm test builds).
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prng } from "../helpers/prng.js";
import { crashChild, crashProgram } from "./crash/harness.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const DIST = join(ROOT, "dist");
/** `npm run test:reliability` scales this up (AWR_RELIABILITY_SCALE=5: 120 kills). */
const SCALE = Number(process.env["AWR_RELIABILITY_SCALE"] ?? 1);
const KILLS = Math.max(1, Math.round(24 * SCALE));
/** Kill points: one uniformly random instant (seeded, reproducible) in each of KILLS equal slots of a run. */
const SEED = Number(process.env["AWR_CRASH_SEED"] ?? 0xc4a5);
/** The most tool calls program.awr has in flight at once (its js tools run in parallel sandbox processes). */
const MAX_IN_FLIGHT = 2;

let dir: string;
let planFile: string;

beforeAll(() => {
  ({ dir, planFile } = crashProgram("awr-crash-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const child = (tag: string, mode: "start" | "recover") =>
  crashChild("child.mjs", [DIST, planFile, join(dir, `${tag}.db`), dir, `run-${tag}`, mode], { AWR_CRASH_EFFECTS: join(dir, `${tag}.effects`) }, `${tag} ${mode}`);

function outcomeOf(stdout: string) {
  return JSON.parse(stdout.split("\n").filter((l) => l.startsWith("{")).pop()!) as { status: string; output: unknown };
}

function effects(tag: string): { lines: string[]; calls: string[] } {
  const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8").split("\n").filter(Boolean) : []);
  return { lines: read(join(dir, `${tag}.effects`)), calls: read(join(dir, `${tag}.effects.calls`)) };
}

describe("crash and recovery", () => {
  it(`SIGKILL at ${KILLS} points: every side effect exactly once, the same output`, async () => {
    const reference = await child("reference", "start").done;
    const expected = outcomeOf(reference.stdout);
    expect(expected.status).toBe("completed");
    const ref = effects("reference");
    const refLabels = ref.lines.map((l) => l.split(" ")[1]).sort();
    // Measure how long a run takes once the child is ready, to spread the kills over it.
    const t0 = Date.now();
    const timed = child("timed", "start");
    await timed.ready;
    const ready = Date.now();
    await timed.done;
    const span = Math.max(20, Date.now() - ready);
    void t0;

    let killedMidRun = 0;
    const random = prng(SEED);
    for (let k = 0; k < KILLS; k++) {
      const tag = `kill${k}`;
      const c = child(tag, "start");
      await c.ready;
      await new Promise((r) => setTimeout(r, Math.floor((span * (k + random())) / KILLS)));
      c.kill();
      const first = await c.done;
      if (first.signal === "SIGKILL") killedMidRun++;
      // Recover (in a fresh process, as a restarted service would) until the run completes.
      let out = first.signal === null ? outcomeOf(first.stdout) : undefined;
      for (let tries = 0; !out || out.status !== "completed"; tries++) {
        expect(tries).toBeLessThan(3);
        out = outcomeOf((await child(tag, "recover").done).stdout);
      }
      expect(out.output).toEqual(expected.output);
      const got = effects(tag);
      // Exactly once: one effect line per step, the same steps as the uninterrupted run...
      expect(got.lines.map((l) => l.split(" ")[1]).sort()).toEqual(refLabels);
      expect(new Set(got.lines.map((l) => l.split(" ")[0])).size).toBe(got.lines.length);
      // ...and a step is re-issued (same idempotency key) only when a kill interrupted it: at most
      // the calls in flight at the kill — 2 in this program (left ∥ right, the map's concurrency 2).
      expect(got.calls.length - got.lines.length).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    }
    // The kills really landed inside runs, not only before or after them.
    expect(killedMidRun).toBeGreaterThan(KILLS / 2);
    console.log(`reliability/crash: ${KILLS} SIGKILLs (seed ${SEED}), ${killedMidRun} inside a run; every side effect exactly once, every output equal`);
  }, 120_000 * SCALE);
});
