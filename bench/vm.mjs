#!/usr/bin/env node
// Per-step overhead of the VM, next to LangGraph.js on the same graphs with no-op nodes.
//
//   npm run build && node bench/vm.mjs [--warmup N] [--runs N] [--iterations N] [--fanout N]
//                                      [--journaled N] [--dir DIR] [--json]
//
// Three graphs, each built for both runtimes from the same shape, in one process:
//   loop     one node looping back to itself N times (default 1,000) through a conditional edge,
//            a `@reduce(sum)` counter (LangGraph: a reducer channel, `recursionLimit` raised);
//   fan-out  `start -> [n0 … n99]`, then the join `[n0 … n99] -> done` (LangGraph: 100 nodes from
//            START, one waiting edge from all of them into `done`), each writing 1 into a sum field;
//   journaled (AWR only) the loop whose node also calls the builtin tool `std.time.now` (a no-op
//            idempotent effect: its intent and outcome are one commit per node), on the SQLite store
//            in a temp file — and, to split the cost, on the memory store.
// AWR runs on `createRuntime` with `instant: true`, models and tools providers that are never
// called (the journaled graph uses the real `Tools` provider) and, for the first two graphs, a
// `MemoryStore` (no journal effect happens for `set`). LangGraph runs with no checkpointer (the
// fair peer of the memory store: the target's comparison) and, as information, with `MemorySaver`.
//
// Per-step overhead = wall time of one run (`start`/`invoke` to its result) / node executions of
// that run (checked before timing: both runtimes must execute the same number of nodes and return
// the same value). After warm-up, each case is timed over --runs runs (default 15); the bench
// prints the median and p95 µs per step and the ratio LangGraph / AWR of the medians.
// Targets: AWR's per-step overhead in memory ≥ 30× lower than LangGraph.js's (no checkpointer) on
// both graphs, and the SQLite journal ≤ 100 µs per journaled effect: the time the run spends in
// the SQLite store's `commit` per effect (the effect's journal entries, the run's version bump, and
// the events and audit records that ride on the commit), measured inside the timed runs of the
// journaled loop. The whole step (interpreter, tool router and journal) is printed beside it with
// its split; it is not the target's figure. Exit 0 when both pass, 1 when one is missed (or the
// graphs do not behave as expected), 2 when the bench cannot run.
import { setMaxListeners } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { memoryHost } from "./lib/memory-host.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const DIST_COMPILER = join(ROOT, "dist", "compiler", "index.js");
const DIST_VM = join(ROOT, "dist", "vm", "index.js");
const TARGET_RATIO = 30;
const TARGET_JOURNALED_US = 100;

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const WARMUP = Number(opt("warmup", 3));
const RUNS = Number(opt("runs", 15));
const ITER = Number(opt("iterations", 1000));
const FAN = Number(opt("fanout", 100));
const JITER = Number(opt("journaled", 1000));
const BASE = opt("dir", os.tmpdir());
const JSON_OUT = args.includes("--json");

for (const [f, what] of [
  [DIST_COMPILER, "compiler"],
  [DIST_VM, "VM"],
]) {
  if (!existsSync(f)) {
    console.error(`bench/vm.mjs: the built ${what} is missing (${f}).\nRun \`npm run build\` first, then \`node bench/vm.mjs\`.`);
    process.exit(2);
  }
}
const { compile, hasErrors } = await import(pathToFileURL(DIST_COMPILER).href);
const { createRuntime, MemoryStore, SqliteStore, Tools } = await import(pathToFileURL(DIST_VM).href);
let lg;
try {
  lg = await import("@langchain/langgraph");
} catch (e) {
  console.error(`bench/vm.mjs: @langchain/langgraph cannot be loaded (${e.message}).\nIt is a devDependency: run \`npm ci\`.`);
  process.exit(2);
}
const { StateGraph, Annotation, START, END, MemorySaver } = lg;
// LangGraph's fan-out adds one abort listener per parallel task to the run's signal; above 10, Node
// prints a MaxListenersExceededWarning per run. Raise the default limit of new AbortSignals (a
// warning threshold only: it changes no behaviour and costs nothing).
setMaxListeners(FAN + 16);
const LG_VERSION = JSON.parse(readFileSync(join(ROOT, "node_modules", "@langchain", "langgraph", "package.json"), "utf8")).version;
const SQLITE_SAVER = existsSync(join(ROOT, "node_modules", "@langchain", "langgraph-checkpoint-sqlite"));

// ---------------------------------------------------------------------------------------------
// The AWR program, generated and compiled in memory.

const names = Array.from({ length: FAN }, (_, i) => `n${i}`);
const SOURCE = `import "std/time"

graph loop() -> int {
  state { n: int @reduce(sum) = 0 }
  node step { set n = 1 }
  edge start -> step
  edge step -> step when n < ${ITER} max ${ITER}
  edge step -> end otherwise
  return n
}

graph fan() -> int {
  state { x: int @reduce(sum) = 0 }
${names.map((n) => `  node ${n} { set x = 1 }`).join("\n")}
  node done { set x = 0 }
  edge start -> [${names.join(", ")}]
  edge [${names.join(", ")}] -> done
  edge done -> end
  return x
}

graph journaled() -> int {
  state { n: int @reduce(sum) = 0, t: string? }
  node step { run time_now() -> t  set n = 1 }
  edge start -> step
  edge step -> step when n < ${JITER} max ${JITER}
  edge step -> end otherwise
  return n
}
`;

const host = memoryHost({ "main.awr": SOURCE });
const compiled = compile(["main.awr"], host, { plan: true });
if (hasErrors(compiled.diagnostics) || !compiled.plan) {
  console.error("bench/vm.mjs: the generated AWR program does not compile:");
  for (const d of compiled.diagnostics.filter((x) => x.severity === "error").slice(0, 8)) console.error(`  ${d.file}:${d.span.start}: ${d.code} ${d.message}`);
  process.exit(1);
}
const plan = compiled.plan;

const never = { call: async () => { throw new Error("bench/vm.mjs: this provider must never be called"); } };
const awrMemory = createRuntime({ plan, store: new MemoryStore(), models: never, tools: never, instant: true });
const tmp = mkdtempSync(join(BASE, "awr-bench-vm-"));
const sqlite = new SqliteStore(join(tmp, "runs.db"));
// Time spent in the store's commit (hrtime around each call: ~0.1 µs of its own per commit).
const commitClock = { ns: 0, commits: 0, on: false };
{
  const commit = sqlite.commit.bind(sqlite);
  sqlite.commit = (req) => {
    if (!commitClock.on) return commit(req);
    const t0 = process.hrtime.bigint();
    try {
      return commit(req);
    } finally {
      commitClock.ns += Number(process.hrtime.bigint() - t0);
      commitClock.commits++;
    }
  };
}
const tools = new Tools({ baseDir: tmp });
const awrSqlite = createRuntime({ plan, store: sqlite, models: never, tools, instant: true });
const awrMemoryTools = createRuntime({ plan, store: new MemoryStore(), models: never, tools, instant: true });
const cleanup = () => {
  try {
    sqlite.close();
  } catch {}
  rmSync(tmp, { recursive: true, force: true });
};

// ---------------------------------------------------------------------------------------------
// The LangGraph graphs: the same shapes, no-op nodes (each returns its write).

let lgSteps = 0; // node executions, counted for the pre-flight check only (one increment: noise)
const sum = (a, b) => a + b;
function lgLoop(checkpointer) {
  const S = Annotation.Root({ n: Annotation({ reducer: sum, default: () => 0 }) });
  return new StateGraph(S)
    .addNode("step", () => (lgSteps++, { n: 1 }))
    .addEdge(START, "step")
    .addConditionalEdges("step", (s) => (s.n < ITER ? "step" : END), ["step", END])
    .compile(checkpointer ? { checkpointer } : {});
}
function lgFan(checkpointer) {
  const S = Annotation.Root({ x: Annotation({ reducer: sum, default: () => 0 }) });
  let g = new StateGraph(S);
  for (const n of names) g = g.addNode(n, () => (lgSteps++, { x: 1 }));
  g = g.addNode("done", () => (lgSteps++, { x: 0 }));
  for (const n of names) g = g.addEdge(START, n);
  return g.addEdge(names, "done").addEdge("done", END).compile(checkpointer ? { checkpointer } : {});
}
const lgConfig = { recursionLimit: ITER + 10 };
let thread = 0;
const lgInvoke = (graph, input, saver) => graph.invoke(input, saver ? { ...lgConfig, configurable: { thread_id: `t${thread++}` } } : lgConfig);

// ---------------------------------------------------------------------------------------------
// The cases. `run` returns the run's result value; `steps` is the node executions of one run.

const awrRun = (rt, graph) => async () => {
  const r = await rt.start(graph, {});
  if (r.status !== "completed") throw new Error(`AWR ${graph}: ${r.status} ${JSON.stringify(r.error ?? r.pending)}`);
  return r.output;
};
const lgRun = (graph, key, input, saver) => async () => (await lgInvoke(graph, input, saver))[key];

const loopNoCp = lgLoop(null);
const loopCp = lgLoop(new MemorySaver());
const fanNoCp = lgFan(null);
const fanCp = lgFan(new MemorySaver());

const cases = [
  { id: "awr.loop", graph: "loop", runtime: "AWR", variant: "memory store", steps: ITER, expect: ITER, run: awrRun(awrMemory, "loop") },
  { id: "lg.loop", graph: "loop", runtime: "LangGraph", variant: "no checkpointer", steps: ITER, expect: ITER, run: lgRun(loopNoCp, "n", { n: 0 }, false) },
  { id: "lgcp.loop", graph: "loop", runtime: "LangGraph", variant: "MemorySaver", steps: ITER, expect: ITER, run: lgRun(loopCp, "n", { n: 0 }, true) },
  { id: "awr.fan", graph: "fan-out", runtime: "AWR", variant: "memory store", steps: FAN + 1, expect: FAN, run: awrRun(awrMemory, "fan") },
  { id: "lg.fan", graph: "fan-out", runtime: "LangGraph", variant: "no checkpointer", steps: FAN + 1, expect: FAN, run: lgRun(fanNoCp, "x", { x: 0 }, false) },
  { id: "lgcp.fan", graph: "fan-out", runtime: "LangGraph", variant: "MemorySaver", steps: FAN + 1, expect: FAN, run: lgRun(fanCp, "x", { x: 0 }, true) },
  { id: "awr.journaled.sqlite", graph: "journaled loop", runtime: "AWR", variant: "SQLite store", steps: JITER, expect: JITER, run: awrRun(awrSqlite, "journaled"), clock: commitClock },
  { id: "awr.journaled.memory", graph: "journaled loop", runtime: "AWR", variant: "memory store", steps: JITER, expect: JITER, run: awrRun(awrMemoryTools, "journaled") },
];

// Pre-flight: every case returns the expected value, and both runtimes execute the same number of
// nodes (AWR's from its step.finished events, LangGraph's from the counter). Never timed.
async function preflight() {
  let awrSteps = 0;
  const counting = (store, t) => createRuntime({ plan, store, models: never, tools: t, instant: true, onEvent: (e) => e.type === "step.finished" && awrSteps++ });
  const count = { loop: counting(new MemoryStore(), never), fan: counting(new MemoryStore(), never), journaled: counting(new MemoryStore(), tools) };
  for (const c of cases) {
    const out = await c.run();
    if (out !== c.expect) throw new Error(`${c.runtime} ${c.graph} (${c.variant}) returned ${JSON.stringify(out)}, expected ${c.expect}`);
    let n;
    if (c.runtime === "AWR") {
      awrSteps = 0;
      await count[c.id.split(".")[1]].start(c.id.split(".")[1], {});
      n = awrSteps;
    } else {
      lgSteps = 0;
      await c.run();
      n = lgSteps;
    }
    if (n !== c.steps) throw new Error(`${c.runtime} ${c.graph} (${c.variant}) executed ${n} nodes per run, expected ${c.steps}`);
  }
}

const q = (xs, p) => xs[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)];
async function measure(c) {
  for (let i = 0; i < WARMUP; i++) await c.run();
  const per = [];
  const cpu = [];
  const commitUs = [];
  for (let i = 0; i < RUNS; i++) {
    if (c.clock) Object.assign(c.clock, { ns: 0, commits: 0, on: true });
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const out = await c.run();
    const ns = Number(process.hrtime.bigint() - t0);
    const cu = process.cpuUsage(c0);
    if (c.clock) {
      c.clock.on = false;
      commitUs.push(c.clock.ns / 1000 / c.steps);
    }
    if (out !== c.expect) throw new Error(`${c.id}: returned ${out}`);
    per.push(ns / 1000 / c.steps);
    cpu.push((cu.user + cu.system) / c.steps);
  }
  per.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  commitUs.sort((a, b) => a - b);
  const journal = c.clock ? { commitMedianUs: q(commitUs, 0.5), commitP95Us: q(commitUs, 0.95), commitsPerRun: c.clock.commits } : {};
  return { ...c, run: undefined, clock: undefined, median: q(per, 0.5), p95: q(per, 0.95), min: per[0], cpuMedian: q(cpu, 0.5), ...journal };
}

let results;
try {
  await preflight();
  results = [];
  for (const c of cases) results.push(await measure(c));
} catch (e) {
  cleanup();
  console.error(`bench/vm.mjs: ${e.message}`);
  process.exit(1);
}
cleanup();

const by = Object.fromEntries(results.map((r) => [r.id, r]));
const ratio = (a, b) => by[a].median / by[b].median;
const ratios = {
  loop: ratio("lg.loop", "awr.loop"),
  loopMemorySaver: ratio("lgcp.loop", "awr.loop"),
  fan: ratio("lg.fan", "awr.fan"),
  fanMemorySaver: ratio("lgcp.fan", "awr.fan"),
};
const passRatio = ratios.loop >= TARGET_RATIO && ratios.fan >= TARGET_RATIO;
const journaled = by["awr.journaled.sqlite"];
// One effect per node execution in the journaled loop: the commit time per step is per effect.
const journalUs = journaled.commitMedianUs;
const passJournal = journalUs <= TARGET_JOURNALED_US;
const storeShare = journaled.median - by["awr.journaled.memory"].median;
const pass = passRatio && passJournal;

const machine = {
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown"}`,
  memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
  langgraph: LG_VERSION,
};
const command = `node bench/vm.mjs${args.length ? ` ${args.join(" ")}` : ""}`;

if (JSON_OUT) {
  console.log(JSON.stringify({ command, machine, warmup: WARMUP, runs: RUNS, iterations: ITER, fanout: FAN, journaled: JITER, dir: BASE, results, ratios, storeShareUs: storeShare, journalPerEffectUs: journalUs, targets: { ratio: TARGET_RATIO, journaledUs: TARGET_JOURNALED_US }, passRatio, passJournal, pass }, null, 2));
} else {
  const f = (n) => n.toFixed(1).padStart(9);
  console.log(`AWR VM bench vs LangGraph.js ${LG_VERSION} — ${command}`);
  console.log(`machine: node ${machine.node}, ${machine.platform}, ${machine.cpus}, ${machine.memory}`);
  console.log(`${WARMUP} warm-up + ${RUNS} timed runs per case; µs per node execution (= wall time of a run / nodes it executed)\n`);
  console.log(`${"graph".padEnd(16)}${"runtime".padEnd(11)}${"variant".padEnd(17)}${"nodes".padStart(6)}${"median µs".padStart(11)}${"p95 µs".padStart(9)}${"min µs".padStart(9)}${"cpu µs".padStart(9)}`);
  for (const r of results) console.log(`${r.graph.padEnd(16)}${r.runtime.padEnd(11)}${r.variant.padEnd(17)}${String(r.steps).padStart(6)}${f(r.median).padStart(11)}${f(r.p95)}${f(r.min)}${f(r.cpuMedian)}`);
  console.log(`\nratio LangGraph / AWR (medians per step, AWR on the memory store):`);
  console.log(`  loop      ${ratios.loop.toFixed(1).padStart(6)}×  no checkpointer   (${ratios.loopMemorySaver.toFixed(1)}× with MemorySaver)`);
  console.log(`  fan-out   ${ratios.fan.toFixed(1).padStart(6)}×  no checkpointer   (${ratios.fanMemorySaver.toFixed(1)}× with MemorySaver)`);
  console.log(
    `journaled step on SQLite (${BASE}): ${journaled.median.toFixed(1)} µs median, p95 ${journaled.p95.toFixed(1)} µs = ` +
      `SQLite commit ${journalUs.toFixed(1)} µs (p95 ${journaled.commitP95Us.toFixed(1)}, ${journaled.commitsPerRun} commits per ${JITER}-effect run) + ` +
      `interpreter, tool router and journal bookkeeping ${(journaled.median - journalUs).toFixed(1)} µs; SQLite minus memory store on the same graph: ${storeShare.toFixed(1)} µs`,
  );
  if (!SQLITE_SAVER) console.log(`info: @langchain/langgraph-checkpoint-sqlite is not installed, so LangGraph has no journaled-on-SQLite peer here`);
  console.log(
    `\n${passRatio ? "PASS" : "FAIL"}: AWR per-step overhead ${ratios.loop.toFixed(1)}× (loop) and ${ratios.fan.toFixed(1)}× (fan-out) lower than LangGraph.js in memory (target ≥ ${TARGET_RATIO}×)`,
  );
  console.log(`${passJournal ? "PASS" : "FAIL"}: the SQLite journal costs ${journalUs.toFixed(1)} µs per journaled effect inside a run (target ≤ ${TARGET_JOURNALED_US} µs; the whole step: ${journaled.median.toFixed(1)} µs)`);
}
process.exitCode = pass ? 0 : 1;
