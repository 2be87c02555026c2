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
const rt = createRuntime({ plan, store, models, tools: new Tools({ baseDir }), instant: true });
process.stdout.write("ready\n");
const outcome = mode === "start" ? await rt.start("g", { n: 3 }, { runId }) : await rt.recover(runId);
process.stdout.write(JSON.stringify(outcome) + "\n");
store.close();
