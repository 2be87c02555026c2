#!/usr/bin/env node
// The cost of resuming a long run: a run of N journaled steps (a loop calling std.time.now) that then
// waits for a person; `resume` continues it. With snapshots (the default: every 100 supersteps) it
// starts from the latest one and re-executes only what came after; without (`snapshots: false`) it
// re-executes all N steps from the journal. Either way it reads the journal and recognises the
// stored trace. SQLite store in a temp dir; both variants side by side.
//
//   npm run build && node bench/replay.mjs [--steps 1000,10000]
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { memoryHost } from "./lib/memory-host.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist");
if (!existsSync(join(DIST, "vm", "index.js"))) {
  console.error("bench/replay.mjs: the build is missing. Run `npm run build` first.");
  process.exit(2);
}
const { compile } = await import(pathToFileURL(join(DIST, "compiler", "index.js")).href);
const { createRuntime, SqliteStore, Tools } = await import(pathToFileURL(join(DIST, "vm", "index.js")).href);
const i = process.argv.indexOf("--steps");
const STEPS = (i > 0 ? process.argv[i + 1] : "1000,10000").split(",").map(Number);
for (const N of STEPS) for (const snapshots of [undefined, false]) {
const SOURCE = `import "std/time"
graph long() -> string {
  state { n: int @reduce(sum) = 0, t: string?, ok: string? }
  node step { run time_now() -> t  set n = 1 }
  node ask { await human("go on?") -> ok }
  edge start -> step
  edge step -> step when n < ${N} max ${N}
  edge step -> ask otherwise
  edge ask -> end
  return ok!
}`;
const plan = compile(["main.awr"], memoryHost({ "main.awr": SOURCE }), { plan: true }).plan;
const tmp = mkdtempSync(join(os.tmpdir(), "awr-bench-replay-"));
const store = new SqliteStore(join(tmp, "runs.db"));
const rt = createRuntime({ plan, store, models: { call: async () => { throw new Error(); } }, tools: new Tools({ baseDir: tmp }), instant: true, ...(snapshots === false ? { snapshots } : {}) });
const t0 = performance.now();
const r = await rt.start("long", {});
const t1 = performance.now();
const done = await rt.resume(r.runId, "yes");
const t2 = performance.now();
if (r.status !== "suspended" || done.status !== "completed") throw new Error(`unexpected: ${r.status} then ${done.status}`);
console.log(
  `${String(N).padStart(6)} journaled steps, ${snapshots === false ? "no snapshots     " : "snapshots (every 100)"}: first execution ${(t1 - t0).toFixed(0).padStart(5)} ms; resume ${(t2 - t1).toFixed(0).padStart(5)} ms (${(((t2 - t1) * 1000) / N).toFixed(0)} µs per step of the run)`,
);
store.close();
rmSync(tmp, { recursive: true, force: true });
}
