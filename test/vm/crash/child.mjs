// Runs (or recovers) one run of a plan against a SQLite store, in its own process, so the crash
// test can SIGKILL it at any moment. argv: <dist dir> <plan.awrp> <store.db> <baseDir> <runId> start|recover
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [dist, planFile, storeFile, baseDir, runId, mode] = process.argv.slice(2);
const load = (p) => import(pathToFileURL(join(dist, p)).href);
const { decodePlan } = await load("compiler/plan/index.js");
const { createRuntime } = await load("vm/runtime.js");
const { openStore } = await load("vm/store/index.js");
const { Tools } = await load("vm/tools/index.js");

const plan = decodePlan(readFileSync(planFile));
const store = openStore(storeFile);
const models = { async call() { throw new Error("no models in the crash test"); } };
// A snapshot every 2 supersteps (the default is 100): recoveries then start from snapshots too.
const rt = createRuntime({ plan, store, models, tools: new Tools({ baseDir }), instant: true, snapshots: { every: 2 } });
process.stdout.write("ready\n");
// A kill can land before `start` created the run: recovering it then means starting it (what a
// service retrying the request would do).
const outcome = mode === "start" || !store.load(runId) ? await rt.start("g", { n: 3 }, { runId }) : await rt.recover(runId);
process.stdout.write(JSON.stringify(outcome) + "\n");
store.close();
