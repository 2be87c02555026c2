// Per-call overhead of sandboxed js tools vs in-process ones (docs/tools.md § js tools).
// Run after `npm run build`: node test/vm/tools/bench-overhead.mjs
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
const root = resolve(import.meta.dirname, "..", "..", "..");
const { Tools } = await import(pathToFileURL(resolve(root, "dist/vm/tools/index.js")).href);
const baseDir = resolve(root, "test/vm");
const plan = () => ({ params: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] }, returns: { type: "number" }, description: null,
  impl: { kind: "js", module: "./fixtures/math.mjs", export: "add" }, tags: [], timeout_ms: 5000, rate: null, idempotent: false, compensate: null, loc: { file: "tools/main.awr", line: 1, column: 1 } });
const never = new AbortController().signal;
async function measure(iso, n) {
  const t = new Tools({ baseDir, js: { isolation: iso } });
  const c0 = performance.now();
  await t.call({ tool: "add", plan: plan(), args: { a: 1, b: 2 }, idempotencyKey: "k" }, never);
  const cold = performance.now() - c0;
  for (let i = 0; i < 200; i++) await t.call({ tool: "add", plan: plan(), args: { a: i, b: 2 }, idempotencyKey: "k" }, never);
  const ts = [];
  for (let i = 0; i < n; i++) { const s = performance.now(); await t.call({ tool: "add", plan: plan(), args: { a: i, b: 2 }, idempotencyKey: "k" }, never); ts.push(performance.now() - s); }
  ts.sort((a, b) => a - b);
  await t.close();
  return { iso, cold: cold.toFixed(1), p50: ts[n >> 1].toFixed(3), p99: ts[Math.floor(n * 0.99)].toFixed(3), mean: (ts.reduce((a, b) => a + b) / n).toFixed(3) };
}
console.log(await measure("inline", 2000));
console.log(await measure("process", 2000));
// `cold` is the first call of a fresh pool: what a process per call would pay on every call.
