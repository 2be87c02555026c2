// Crash test: a child process runs a graph of side-effecting idempotent tools against a SQLite
// store and is killed with SIGKILL at many points; after recovery every side effect happened
// exactly once and the output equals an uninterrupted run's. Uses the built code (npm test builds).
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { encodePlan } from "../../compiler/plan/index.js";
import { FileHost } from "../../host/source-host.js";
import { prng } from "../helpers/prng.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const DIST = join(ROOT, "dist");
const HERE = join(import.meta.dirname, "crash");
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
  dir = mkdtempSync(join(tmpdir(), "awr-crash-"));
  for (const f of ["program.awr", "effects.mjs"]) copyFileSync(join(HERE, f), join(dir, f));
  const r = compile([join(dir, "program.awr")], new FileHost(), { plan: true });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  planFile = join(dir, "program.awrp");
  writeFileSync(planFile, encodePlan(r.plan!));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Child {
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>;
  ready: Promise<void>;
  kill(): void;
}

function child(tag: string, mode: "start" | "recover"): Child {
  const p = spawn(process.execPath, [join(HERE, "child.mjs"), DIST, planFile, join(dir, `${tag}.db`), dir, `run-${tag}`, mode], {
    env: { ...process.env, AWR_CRASH_EFFECTS: join(dir, `${tag}.effects`) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  p.stdout.setEncoding("utf8").on("data", (t: string) => {
    stdout += t;
    if (stdout.includes("ready\n")) onReady();
  });
  p.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
  // A child that fails rejects (the test fails at once) instead of throwing inside the handler,
  // which would leave the test waiting for its timeout.
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((res, rej) =>
    p.on("close", (code, signal) => {
      onReady();
      if (code !== 0 && signal === null) rej(new Error(`child ${tag} ${mode} exited ${code}: ${stderr}`));
      else res({ code, signal, stdout });
    }),
  );
  return { done, ready, kill: () => p.kill("SIGKILL") };
}

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
