// Runs (or recovers) RUNS runs of a plan at once against one SQLite store, in its own process, so the
// concurrent crash test can SIGKILL it while their commits are grouped (vm/store/sqlite.ts).
// argv: <dist dir> <plan.awrp> <store.db> <baseDir> <tag> <runs> start|recover
// Prints one JSON line per run: { runId, status, output }.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [dist, planFile, storeFile, baseDir, tag, count, mode] = process.argv.slice(2);
const load = (p) => import(pathToFileURL(join(dist, p)).href);
const { decodePlan } = await load("compiler/plan/index.js");
const { createRuntime } = await load("vm/runtime.js");
const { SqliteStore } = await load("vm/store/index.js");
const { Tools } = await load("vm/tools/index.js");

const plan = decodePlan(readFileSync(planFile));
const store = new SqliteStore(storeFile);
const models = { async call() { throw new Error("no models in the crash test"); } };
// The tool runs in this process (no sandbox): 100 runs' calls interleave in one event loop.
const tools = new Tools({ baseDir, js: { isolation: "inline" } });
const rt = createRuntime({ plan, store, models, tools, instant: true, snapshots: { every: 2 } });
process.stdout.write("ready\n");
const ids = Array.from({ length: Number(count) }, (_, i) => `run-${tag}-${i}`);
const outcomes = await Promise.all(
  ids.map(async (runId) => {
    if (mode === "start") return rt.start("g", { n: 3 }, { runId });
    const stored = store.load(runId);
    // A kill can land before `start` created the run: recovering it means starting it.
    if (!stored) return rt.start("g", { n: 3 }, { runId });
    if (stored.snapshot.status === "completed") return { runId, status: "completed", output: stored.snapshot.output };
    return rt.recover(runId);
  }),
);
for (const o of outcomes) process.stdout.write(JSON.stringify({ runId: o.runId, status: o.status, output: o.output }) + "\n");
process.stdout.write(`groups ${JSON.stringify(store.commitStats)}\n`);
store.close();
await tools.close();
