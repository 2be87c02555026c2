#!/usr/bin/env node
// Plan load time for a 1,000-node plan: what a service pays to start serving a plan.
//
//   npm run build && node bench/plan-load.mjs [--nodes N] [--runs N] [--json]
//
// Generates (deterministically) a graph of N nodes (default 1,000) — a chain where every tenth
// node calls a prompt, a tool or a sub-graph and the rest `set` state through reducers, with
// conditional edges — compiles it, encodes the plan, then times over --runs rounds (after 5
// warm-ups): `loadPlan(bytes)` (header check, sha256, msgpack decode, zod validation of the body)
// and `createRuntime({ plan, store })` (which stores the plan as a content-addressed blob).
// Target: loadPlan median ≤ 100 ms. Exits 1 on a miss, 2 if it cannot run.
import { existsSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { memoryHost } from "./lib/memory-host.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const DIST_VM = join(ROOT, "dist", "vm", "index.js");
const DIST_COMPILER = join(ROOT, "dist", "compiler", "index.js");
const TARGET_MS = 100;

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const NODES = Number(opt("nodes", 1000));
const RUNS = Number(opt("runs", 20));
const JSON_OUT = args.includes("--json");

if (!existsSync(DIST_VM)) {
  console.error(`bench/plan-load.mjs: the built code is missing (${DIST_VM}).\nRun \`npm run build\` first, then \`node bench/plan-load.mjs\`.`);
  process.exit(2);
}
const { compile, hasErrors, encodePlan } = await import(pathToFileURL(DIST_COMPILER).href);
const { loadPlan, createRuntime, MemoryStore } = await import(pathToFileURL(DIST_VM).href);

const lines = [
  `type Item { id: string, score: float }`,
  `model m { provider: "openai" name: "x" timeout: 5s price { input: 0.15, output: 0.6 } }`,
  `prompt rate(text: string) -> Item { model: m user #"Rate {{ text }}"# }`,
  `tool fetch(id: string) -> Item { impl: js("./t.mjs#fetch") timeout: 2s }`,
  `graph sub(id: string) -> Item {`,
  `  state { it: Item? }`,
  `  node get { run fetch(id: id) -> it }`,
  `  edge start -> get`,
  `  edge get -> end`,
  `  return it!`,
  `}`,
  `graph big(text: string) -> int {`,
  `  state { n: int @reduce(sum) = 0, best: float @reduce(max) = 0, items: list<Item> @reduce(append) = [], last: Item? }`,
];
for (let i = 0; i < NODES; i++) {
  const kind = i % 10;
  const body =
    kind === 3 ? `run rate(text: text) -> last` : kind === 6 ? `run fetch(id: "n${i}") -> last` : kind === 9 ? `run sub(id: "n${i}") -> last` : `set n = ${i % 7}  set best = ${(i % 13) / 10}`;
  lines.push(`  node n${i} { ${body} }`);
}
lines.push(`  edge start -> n0`);
for (let i = 0; i + 1 < NODES; i++) {
  if (i % 25 === 24) lines.push(`  edge n${i} -> n${i + 1} when n > ${i}`, `  edge n${i} -> end otherwise`);
  else lines.push(`  edge n${i} -> n${i + 1}`);
}
lines.push(`  edge n${NODES - 1} -> end`, `  return n`, `}`);
const source = lines.join("\n");

const r = compile(["main.awr"], memoryHost({ "main.awr": source }), { plan: true });
if (hasErrors(r.diagnostics) || !r.plan) {
  console.error(`bench/plan-load.mjs: the generated program does not compile:\n${r.diagnostics.slice(0, 5).map((d) => `${d.code} ${d.message}`).join("\n")}`);
  process.exit(1);
}
const bytes = encodePlan(r.plan);
const nodes = Object.values(r.plan.graphs).reduce((a, g) => a + g.nodes.length, 0);

const time = (f) => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))], min: s[0] };
};
const never = { call: async () => { throw new Error("never called"); } };
for (let i = 0; i < 5; i++) {
  loadPlan(bytes);
  createRuntime({ plan: r.plan, store: new MemoryStore(), models: never, tools: never });
}
const load = stats(Array.from({ length: RUNS }, () => time(() => loadPlan(bytes))));
const plan = loadPlan(bytes);
const runtime = stats(Array.from({ length: RUNS }, () => time(() => createRuntime({ plan, store: new MemoryStore(), models: never, tools: never }))));
const pass = load.median <= TARGET_MS;

if (JSON_OUT) {
  console.log(JSON.stringify({ nodes, lines: lines.length, bytes: bytes.length, loadPlanMs: load, createRuntimeMs: runtime, targetMs: TARGET_MS, pass }, null, 2));
} else {
  const cpu = os.cpus();
  console.log(`machine: node ${process.version}, ${os.platform()} ${os.arch()}, ${cpu.length} × ${cpu[0]?.model ?? "?"}`);
  console.log(`command: node bench/plan-load.mjs --nodes ${NODES} --runs ${RUNS}`);
  console.log(`plan: ${nodes} nodes (${lines.length} source lines), ${(bytes.length / 1024).toFixed(0)} KiB encoded`);
  const f = (s) => `median ${s.median.toFixed(2)} ms (p95 ${s.p95.toFixed(2)}, min ${s.min.toFixed(2)})`;
  console.log(`  loadPlan(bytes)          ${f(load)}   header + sha256 + msgpack + zod validation`);
  console.log(`  createRuntime({ plan })  ${f(runtime)}   encodes and stores the plan blob`);
  console.log(`${pass ? "PASS" : "FAIL"}: loadPlan median ${load.median.toFixed(2)} ms (target ≤ ${TARGET_MS} ms)`);
}
process.exitCode = pass ? 0 : 1;
