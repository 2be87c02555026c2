#!/usr/bin/env node
// 10,000 concurrent runs, each one model call that takes 100 ms (a mocked model: a timer, no
// network), on AWR (MemoryStore, the real interpreter, journal and events) and on LangGraph.js
// (one node awaiting the same 100 ms, no checkpointer), each measured in its own fresh Node
// process so neither inherits the other's heap. Prints wall time (ideal: ~100 ms), runs/s and
// the peak RSS of the process (baseline before the runs and peak during them).
//
//   npm run build && node bench/scale.mjs [--runs N] [--latency MS] [--json]
//
// Target (issue 6): all 10,000 runs finish; AWR's wall time and peak RSS are printed next to
// LangGraph's with the ratio. Exits 1 if a run does not complete or outputs differ from expected,
// 2 if it cannot run (dist/ missing).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { memoryHost } from "./lib/memory-host.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const DIST_VM = join(ROOT, "dist", "vm", "index.js");
const DIST_COMPILER = join(ROOT, "dist", "compiler", "index.js");

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const RUNS = Number(opt("runs", 10_000));
const LATENCY = Number(opt("latency", 100));
const ONLY = opt("only", "");
const JSON_OUT = args.includes("--json");

if (!existsSync(DIST_VM)) {
  console.error(`bench/scale.mjs: the built VM is missing (${DIST_VM}).\nRun \`npm run build\` first, then \`node bench/scale.mjs\`.`);
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `body` while sampling RSS every 10 ms; returns wall ms, peak RSS and the baseline. */
async function measure(body) {
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const t0 = performance.now();
  const result = await body();
  const wall = performance.now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { wall, peakMb: peak / 2 ** 20, baselineMb: baseline / 2 ** 20, result };
}

async function awr() {
  const { compile, hasErrors } = await import(pathToFileURL(DIST_COMPILER).href);
  const { createRuntime, MemoryStore } = await import(pathToFileURL(DIST_VM).href);
  const source = `
type Answer { label: string }
model m { provider: "openai" name: "mock" timeout: 5s }
prompt ask(q: string) -> Answer { model: m user #"{{ q }}"# }
graph main(q: string) -> string {
  state { a: Answer? }
  node call { run ask(q: q) -> a }
  edge start -> call
  edge call -> end
  return a!.label
}`;
  const r = compile(["main.awr"], memoryHost({ "main.awr": source }), { plan: true });
  if (hasErrors(r.diagnostics) || !r.plan) throw new Error(`bench/scale.mjs: the program does not compile: ${JSON.stringify(r.diagnostics)}`);
  const models = {
    call: async () => {
      await sleep(LATENCY);
      return { output: { label: "ok" }, usage: { input: 10, output: 2 }, costUsd: 0 };
    },
  };
  const tools = { call: async () => { throw new Error("no tools"); } };
  const rt = createRuntime({ plan: r.plan, store: new MemoryStore(), models, tools, instant: true });
  // Warm-up: a few runs so the JIT has seen the path.
  await Promise.all(Array.from({ length: 50 }, (_, i) => rt.start("main", { q: `w${i}` })));
  return measure(async () => {
    const outs = await Promise.all(Array.from({ length: RUNS }, (_, i) => rt.start("main", { q: `q${i}` })));
    return outs.filter((o) => o.status === "completed" && o.output === "ok").length;
  });
}

async function langgraph() {
  const lg = await import("@langchain/langgraph");
  const { StateGraph, Annotation, START, END } = lg;
  const State = Annotation.Root({ q: Annotation(), a: Annotation() });
  const graph = new StateGraph(State)
    .addNode("call", async () => {
      await sleep(LATENCY);
      return { a: "ok" };
    })
    .addEdge(START, "call")
    .addEdge("call", END)
    .compile();
  await Promise.all(Array.from({ length: 50 }, (_, i) => graph.invoke({ q: `w${i}` })));
  return measure(async () => {
    const outs = await Promise.all(Array.from({ length: RUNS }, (_, i) => graph.invoke({ q: `q${i}` })));
    return outs.filter((o) => o.a === "ok").length;
  });
}

if (ONLY) {
  const m = ONLY === "awr" ? await awr() : await langgraph();
  process.stdout.write(JSON.stringify(m) + "\n");
  process.exit(0);
}

function child(which) {
  const r = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--only", which, "--runs", String(RUNS), "--latency", String(LATENCY)], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) {
    console.error(`bench/scale.mjs: the ${which} process failed (${r.signal ?? `exit ${r.status}`}):\n${r.stderr}`);
    process.exit(1);
  }
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

const LG_VERSION = JSON.parse(readFileSync(join(ROOT, "node_modules", "@langchain", "langgraph", "package.json"), "utf8")).version;
const a = child("awr");
const l = child("langgraph");
const ok = a.result === RUNS && l.result === RUNS;
const report = { runs: RUNS, latencyMs: LATENCY, awr: a, langgraph: { ...l, version: LG_VERSION }, ratioWall: l.wall / a.wall, ratioPeakRss: l.peakMb / a.peakMb };
if (JSON_OUT) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const cpu = os.cpus();
  console.log(`machine: node ${process.version}, ${os.platform()} ${os.arch()}, ${cpu.length} × ${cpu[0]?.model ?? "?"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`);
  console.log(`command: node bench/scale.mjs --runs ${RUNS} --latency ${LATENCY}`);
  console.log(`${RUNS} concurrent runs, one ${LATENCY} ms mocked model call each (ideal wall time ≈ ${LATENCY} ms)`);
  const row = (name, m) =>
    `  ${name.padEnd(24)} wall ${m.wall.toFixed(0).padStart(6)} ms   ${(RUNS / (m.wall / 1000)).toFixed(0).padStart(7)} runs/s   RSS ${m.baselineMb.toFixed(0)} → peak ${m.peakMb.toFixed(0)} MiB   completed ${m.result}/${RUNS}`;
  console.log(row("AWR (MemoryStore)", a));
  console.log(row(`LangGraph.js ${LG_VERSION}`, l));
  console.log(`  ratio LangGraph / AWR: wall ${report.ratioWall.toFixed(2)}×, peak RSS ${report.ratioPeakRss.toFixed(2)}×`);
  console.log(ok ? `PASS: all ${RUNS} runs completed on both runtimes` : `FAIL: completed AWR ${a.result}, LangGraph ${l.result} of ${RUNS}`);
}
process.exitCode = ok ? 0 : 1;
