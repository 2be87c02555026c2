#!/usr/bin/env node
// Durable steps per second with many runs at once: one run alone vs RUNS runs advancing together
// in one process on one SQLite store (group commit, vm/store/sqlite.ts).
//
//   npm run build && node bench/concurrent.mjs [--runs N] [--steps N] [--solo-steps N] [--rounds N] [--dir DIR] [--json]
//
// Every step is durable: a node that calls the builtin `std.time.now` (a journaled idempotent
// effect: its intent and outcome committed before the next step). "solo": one run of SOLO_STEPS
// steps (default 2000); "concurrent": RUNS runs (default 1000) of STEPS steps each (default 20)
// started together. The figure is steps per second of wall time (all runs' steps / the time until
// the last run completed); rounds alternate solo and concurrent after a warm-up of each, medians over
// the rounds (default 3). Target (issue 14): the concurrent rate ≥ 5× one run's rate. Every run must
// complete with its expected output, or the bench fails without figures.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { memoryHost } from "./lib/memory-host.mjs";

const ROOT = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const DIST = join(ROOT, "dist");
const TARGET = 5;

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const RUNS = Number(opt("runs", 1000));
const STEPS = Number(opt("steps", 20));
const SOLO = Number(opt("solo-steps", 2000));
const ROUNDS = Number(opt("rounds", 3));
const BASE = opt("dir", os.tmpdir());
const JSON_OUT = args.includes("--json");
if (!existsSync(join(DIST, "vm", "index.js"))) {
  console.error("bench/concurrent.mjs: dist/ is missing. Run `npm run build` first.");
  process.exit(2);
}
const { compile, hasErrors } = await import(pathToFileURL(join(DIST, "compiler", "index.js")).href);
const { createRuntime, SqliteStore, Tools } = await import(pathToFileURL(join(DIST, "vm", "index.js")).href);

const loop = (name, n) => `graph ${name}() -> int {
  state { n: int @reduce(sum) = 0, t: string? }
  node step { run time_now() -> t  set n = 1 }
  edge start -> step
  edge step -> step when n < ${n} max ${n}
  edge step -> end otherwise
  return n
}
`;
const compiled = compile(["main.awr"], memoryHost({ "main.awr": `import "std/time"\n${loop("solo", SOLO)}${loop("many", STEPS)}` }), { plan: true });
if (hasErrors(compiled.diagnostics) || !compiled.plan) {
  console.error("bench/concurrent.mjs: the generated program does not compile");
  process.exit(1);
}
const tmp = mkdtempSync(join(BASE, "awr-bench-concurrent-"));
const store = new SqliteStore(join(tmp, "runs.db"));
const tools = new Tools({ baseDir: tmp });
const never = { call: async () => { throw new Error("bench/concurrent.mjs: no model is called"); } };
const rt = createRuntime({ plan: compiled.plan, store, models: never, tools, instant: true });

async function solo() {
  const t0 = process.hrtime.bigint();
  const r = await rt.start("solo", {});
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== "completed" || r.output !== SOLO) throw new Error(`solo run: ${r.status} ${JSON.stringify(r.output ?? r.error)}`);
  return SOLO / s;
}
async function concurrent() {
  const before = { ...store.commitStats };
  const t0 = process.hrtime.bigint();
  const rs = await Promise.all(Array.from({ length: RUNS }, () => rt.start("many", {})));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const bad = rs.find((r) => r.status !== "completed" || r.output !== STEPS);
  if (bad) throw new Error(`a concurrent run: ${bad.status} ${JSON.stringify(bad.output ?? bad.error)}`);
  const groups = store.commitStats.groups - before.groups;
  const grouped = store.commitStats.grouped - before.grouped;
  return { rate: (RUNS * STEPS) / s, groups, meanGroup: groups ? grouped / groups : 0, inline: store.commitStats.inline - before.inline };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs) => Math.max(...xs) / Math.min(...xs) - 1;
let soloRates = [];
let many = [];
try {
  await solo();
  await concurrent();
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2 === 0) soloRates.push(await solo()), many.push(await concurrent());
    else many.push(await concurrent()), soloRates.push(await solo());
  }
} catch (e) {
  console.error(`bench/concurrent.mjs: ${e.message}`);
  process.exitCode = 1;
} finally {
  store.close();
  await tools.close();
  rmSync(tmp, { recursive: true, force: true });
}
if (process.exitCode) process.exit(process.exitCode);

const soloRate = median(soloRates);
const manyRate = median(many.map((m) => m.rate));
const ratio = manyRate / soloRate;
const pass = ratio >= TARGET;
const last = many[many.length - 1];
if (JSON_OUT) {
  console.log(
    JSON.stringify(
      {
        command: `node bench/concurrent.mjs${args.length ? ` ${args.join(" ")}` : ""}`,
        runs: RUNS,
        steps: STEPS,
        soloSteps: SOLO,
        rounds: ROUNDS,
        results: [
          { id: "solo", stepsPerSecond: soloRate, spread: spread(soloRates) },
          { id: "concurrent", stepsPerSecond: manyRate, spread: spread(many.map((m) => m.rate)), groupsPerRound: last.groups, meanGroup: last.meanGroup },
        ],
        ratio,
        target: TARGET,
        pass,
      },
      null,
      2,
    ),
  );
} else {
  console.log(`AWR durable steps per second on SQLite (${BASE}): one run vs ${RUNS} runs at once; ${ROUNDS} rounds, medians`);
  console.log(`  one run (${SOLO} steps)              ${soloRate.toFixed(0).padStart(8)} steps/s  (spread ${(spread(soloRates) * 100).toFixed(0)} %)`);
  console.log(
    `  ${RUNS} runs × ${STEPS} steps at once     ${manyRate.toFixed(0).padStart(8)} steps/s  (spread ${(spread(many.map((m) => m.rate)) * 100).toFixed(0)} %; ` +
      `${last.groups} group transactions of ${last.meanGroup.toFixed(1)} commits on average, ${last.inline} commits in line)`,
  );
  console.log(`\n${pass ? "PASS" : "FAIL"}: ${RUNS} concurrent runs advance ${ratio.toFixed(1)}× one run's durable steps per second (target ≥ ${TARGET}×)`);
}
process.exitCode = pass ? 0 : 1;
