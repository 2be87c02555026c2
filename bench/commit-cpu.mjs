#!/usr/bin/env node
// CPU time per SQLite commit, for checkouts side by side in ONE process: the way to see a few µs
// on a shared machine, where wall-time figures (bench/compare.mjs) spread 50–200 % under load.
//
//   npm run build && node bench/commit-cpu.mjs [DIR …] [--rounds N] [--json]
//
// DIR is a checkout with `dist/` built (default: this one). Two commit shapes, as the benches
// write them: `vm` — the journaled loop of bench/vm.mjs (one commit per effect: its intent and
// outcome entries, small values), `store` — bench/store.mjs (an intent commit, then an outcome
// commit, ~300 and ~700-byte values). Each round, every checkout's store (a fresh file each) gets
// one run of 1,000 effects, in alternating order; the figure is `process.cpuUsage` (user + system)
// per commit, median and p10 over the rounds (default 30, after 3 warm-up rounds). No target.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const rounds = Number(args.includes("--rounds") ? args[args.indexOf("--rounds") + 1] : 30);
const JSON_OUT = args.includes("--json");
const dirs = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--rounds").map((d) => resolve(d));
if (dirs.length === 0) dirs.push(resolve(fileURLToPath(new URL("..", import.meta.url))));
for (const d of dirs) {
  if (!existsSync(join(d, "dist", "vm", "store", "index.js"))) {
    console.error(`bench/commit-cpu.mjs: ${d} has no built store (dist/vm/store/index.js) — run npm run build there first`);
    process.exit(2);
  }
}

const EFFECTS = 1000;
const request = { tool: "lookup_order", args: { orderId: "ORD-2024-000123", include: ["items", "shipping", "payments"], locale: "en-GB" }, messages: [{ role: "user", content: "Where is my parcel? It was due on Tuesday and the tracking page has not moved since." }] };
const result = { order: { id: "ORD-2024-000123", status: "in_transit", items: Array.from({ length: 4 }, (_, i) => ({ sku: `SKU-${1000 + i}`, qty: i + 1, price: 12.5 * (i + 1), title: `Item number ${i} with a name` })), shipping: { carrier: "DHL", tracking: "JD014600006281234567", eta: "2024-06-14", lastScan: "Leipzig hub" }, payments: [{ method: "card", amount: 125, currency: "EUR", at: "2024-06-09T10:11:12Z" }] } };
const entry = (key, step, phase, value, at) => ({ key, step, kind: "tool", phase, hash: "8626af15a21a222ff07b7218412a78ec", at, value });
/** The commits of one run of each shape (appends only, versions from 0). */
const SHAPES = {
  vm: (runId) =>
    Array.from({ length: EFFECTS }, (_, i) => {
      const step = "graph:journaled/node:step/stmt:0";
      return { runId, expectVersion: i, append: [entry(`${step}#${i}`, step, "intent", { tool: "time_now", args: {} }, 1_796_623_713_828 + i), entry(`${step}#${i}`, step, "outcome", new Date(1_796_623_713_828 + i).toISOString(), 1_796_623_713_829 + i)] };
    }),
  store: (runId) =>
    Array.from({ length: 2 * EFFECTS }, (_, v) => {
      const key = `support/lookup#${v >> 1}`;
      return { runId, expectVersion: v, append: [v % 2 ? entry(key, "support/lookup", "outcome", result, 1_796_623_713_829 + v) : entry(key, "support/lookup", "intent", request, 1_796_623_713_828 + v)] };
    }),
};

const tmp = mkdtempSync(join(tmpdir(), "awr-bench-commit-cpu-"));
const sides = [];
for (const [i, dir] of dirs.entries()) {
  const { SqliteStore } = await import(pathToFileURL(join(dir, "dist", "vm", "store", "index.js")).href);
  for (const shape of Object.keys(SHAPES)) sides.push({ dir, shape, store: new SqliteStore(join(tmp, `${i}-${shape}.db`)), cpu: [] });
}
let n = 0;
try {
  for (let r = 0; r < rounds + 3; r++) {
    for (const s of r % 2 ? [...sides].reverse() : sides) {
      const runId = `run-${n++}`;
      const commits = SHAPES[s.shape](runId);
      s.store.create({ runId, graph: "g", planHash: "ab".repeat(32), input: {}, principal: { id: "ada" }, status: "running", createdAt: 1, updatedAt: 1 });
      const c0 = process.cpuUsage();
      for (const c of commits) s.store.commit(c);
      const c = process.cpuUsage(c0);
      if (r >= 3) s.cpu.push((c.user + c.system) / commits.length);
    }
  }
} finally {
  for (const s of sides) s.store.close();
  rmSync(tmp, { recursive: true, force: true });
}

const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];
const results = sides.map((s) => ({ dir: s.dir, shape: s.shape, cpuMedianUs: q(s.cpu, 0.5), cpuP10Us: q(s.cpu, 0.1) }));
if (JSON_OUT) console.log(JSON.stringify({ command: "node bench/commit-cpu.mjs --json", rounds, effects: EFFECTS, results }, null, 2));
else {
  console.log(`CPU µs per SQLite commit (${rounds} rounds of ${EFFECTS} effects, interleaved in one process)`);
  for (const r of results) console.log(`  ${r.shape.padEnd(6)} median ${r.cpuMedianUs.toFixed(1).padStart(6)}  p10 ${r.cpuP10Us.toFixed(1).padStart(6)}  ${r.dir}`);
}
