#!/usr/bin/env node
// The cost of durability: microseconds per journaled effect on the SQLite run store.
//
//   npm run build && node bench/store.mjs [--effects N] [--rounds N] [--dir DIR] [--full] [--json]
//
// A journaled effect is what the VM does around every model/tool call: one commit appending the
// intent (the request), then one commit appending the outcome (the result), each a separate
// transaction with its version check — the pair the interpreter writes. Values are realistic
// (a ~300-byte request, a ~700-byte result, both inline: under the 8 KiB blob threshold).
//
// Each round opens a fresh database in DIR (default: the OS temp dir; pass --dir to measure the
// disk the runs will really live on), creates one run, warms up, then times N effects (default
// 5000) on it, so the journal grows to 2N entries while being measured. The figure is the median
// over the rounds (default 5). Target: ≤ 100 µs per journaled effect with the default settings
// (WAL, synchronous = NORMAL). Informational lines (never part of PASS/FAIL): the same with a
// large (blob) outcome, the same with each commit also carrying a run's trace (its events and audit
// records, as the runtime writes them), a 50-entry run loaded back, and, with --full,
// synchronous = FULL (one fsync per commit).
//
// Latest (2-core VM, back to back): schema 2 84.6 µs per effect (CPU 67.3 µs), schema 1 99.9 µs
// (CPU 78.1 µs); with a run's trace ~150–170 µs. Figures and method in bench/README.md.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const DIST = join(HERE, "..", "dist", "vm", "store", "index.js");
const TARGET_US = 100;

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const EFFECTS = Number(opt("effects", 5000));
const ROUNDS = Number(opt("rounds", 5));
const WARMUP = 500;
const BASE = opt("dir", tmpdir());
const JSON_OUT = args.includes("--json");
const FULL = args.includes("--full");

if (!existsSync(DIST)) {
  console.error(`bench/store.mjs: the built store is missing (${DIST}).\nRun \`npm run build\` first, then \`node bench/store.mjs\`.`);
  process.exit(2);
}
const { SqliteStore } = await import(pathToFileURL(DIST).href);
// Through the store port (vm/ports/store.ts) when the build has one, as the VM calls it: commits as
// steps of one fiber (the journal's commits are steps of the run's fiber). An older build: its engine.
const { Effect } = await import("effect");
const ported = (store) => store.log !== undefined;

const request = {
  tool: "lookup_order",
  args: { orderId: "ORD-2024-000123", include: ["items", "shipping", "payments"], locale: "en-GB" },
  messages: [{ role: "user", content: "Where is my parcel? It was due on Tuesday and the tracking page has not moved since." }],
};
const result = {
  order: {
    id: "ORD-2024-000123",
    status: "in_transit",
    items: Array.from({ length: 4 }, (_, i) => ({ sku: `SKU-${1000 + i}`, qty: i + 1, price: 12.5 * (i + 1), title: `Item number ${i} with a name` })),
    shipping: { carrier: "DHL", tracking: "JD014600006281234567", eta: "2024-06-14", lastScan: "Leipzig hub" },
    payments: [{ method: "card", amount: 125, currency: "EUR", at: "2024-06-09T10:11:12Z" }],
  },
};
const bigResult = { rows: Array.from({ length: 300 }, (_, i) => ({ i, text: `a longer search hit number ${i}, with some text` })) };

const runRecord = (runId) => ({
  runId,
  graph: "support",
  planHash: "ab".repeat(32),
  input: { ticket: { id: 7, text: "Where is my parcel?" } },
  principal: { user: "ada" },
  status: "running",
  createdAt: Date.now(),
  updatedAt: Date.now(),
});

/**
 * What a run's commits also carry (`--trace` rows): the events and audit records buffered since the
 * previous commit — with the intent, the step's start, the effect request and the before-tool
 * policy decision; with the outcome, the previous effect's completion and its tool-call record.
 */
const principal = { id: "ada", roles: ["agent"], attrs: {} };
function traceOf(runId, key, phase) {
  const at = Date.now();
  const audit = (kind) =>
    kind === "policy"
      ? { runId, step: key, principal, kind, hook: "before tool", target: "lookup_order", policy: "pii", rule: null, outcome: "allow", reason: "no rule matched", at }
      : { runId, step: key, principal, kind, hook: "call", target: "lookup_order", policy: null, rule: null, outcome: "ok", at };
  return phase === "intent"
    ? {
        events: [
          { type: "step.started", runId, step: key, node: "lookup", at },
          { type: "effect.requested", runId, key, kind: "tool", name: "lookup_order", at, replayed: false },
        ],
        audit: [audit("policy")],
      }
    : { events: [{ type: "effect.completed", runId, key, kind: "tool", name: "lookup_order", at, durationMs: 3, replayed: false, ok: true }], audit: [audit("tool")] };
}

/** Times `n` intent+outcome commit pairs on one run; returns wall µs per effect (CPU µs in cpu). */
let lastCpu = 0;
function effects(store, runId, n, from, out, trace = false) {
  if (ported(store)) return effectsPort(store, runId, n, from, out, trace);
  let v = store.load(runId).version;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = from; i < from + n; i++) {
    const key = `support/lookup#${i}`;
    const a = trace ? traceOf(runId, key, "intent") : {};
    v = store.commit({ runId, expectVersion: v, append: [{ key, step: "support/lookup", kind: "tool", phase: "intent", hash: "h", at: Date.now(), value: request }], ...a });
    const b = trace ? traceOf(runId, key, "outcome") : {};
    v = store.commit({ runId, expectVersion: v, append: [{ key, step: "support/lookup", kind: "tool", phase: "outcome", hash: "h", at: Date.now(), value: out }], ...b });
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1000 / n;
  const c = process.cpuUsage(c0);
  lastCpu = (c.user + c.system) / n;
  return wall;
}

function effectsPort(store, runId, n, from, out, trace) {
  return Effect.runSync(
    Effect.gen(function* () {
      let v = (yield* store.log.load(runId)).version;
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let i = from; i < from + n; i++) {
        const key = `support/lookup#${i}`;
        const a = trace ? traceOf(runId, key, "intent") : {};
        v = yield* store.log.commit({ runId, expectVersion: v, append: [{ key, step: "support/lookup", kind: "tool", phase: "intent", hash: "h", at: Date.now(), value: request }], ...a });
        const b = trace ? traceOf(runId, key, "outcome") : {};
        v = yield* store.log.commit({ runId, expectVersion: v, append: [{ key, step: "support/lookup", kind: "tool", phase: "outcome", hash: "h", at: Date.now(), value: out }], ...b });
      }
      const wall = Number(process.hrtime.bigint() - t0) / 1000 / n;
      const c = process.cpuUsage(c0);
      lastCpu = (c.user + c.system) / n;
      return wall;
    }),
  );
}

function round(opts, out, n, trace = false) {
  const dir = mkdtempSync(join(BASE, "awr-bench-store-"));
  const store = new SqliteStore(join(dir, "runs.db"), opts);
  try {
    store.create(runRecord("r"));
    effects(store, "r", WARMUP, 0, out, trace);
    const wall = effects(store, "r", n, WARMUP, out, trace);
    cpus.push(lastCpu);
    return wall;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function loadUs() {
  const dir = mkdtempSync(join(BASE, "awr-bench-store-"));
  const store = new SqliteStore(join(dir, "runs.db"));
  try {
    store.create(runRecord("r"));
    effects(store, "r", 25, 0, result);
    // A load is one call of its own (a resume loads once): through the port, run to a value each.
    const load = ported(store) ? () => Effect.runSync(store.log.load("r")) : () => store.load("r");
    for (let i = 0; i < 200; i++) load();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) load();
    return Number(process.hrtime.bigint() - t0) / 1000 / 1000;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

let cpus = [];
const main = stats(Array.from({ length: ROUNDS }, () => round({}, result, EFFECTS)));
const cpu = median(cpus);
const blob = stats(Array.from({ length: ROUNDS }, () => round({}, bigResult, Math.ceil(EFFECTS / 5))));
const traceCpus = (cpus = []);
const traced = stats(Array.from({ length: Math.min(ROUNDS, 3) }, () => round({}, result, Math.ceil(EFFECTS / 2), true)));
const tracedCpu = median(traceCpus);
const load = loadUs();
const full = FULL ? stats(Array.from({ length: 3 }, () => round({ synchronous: "full" }, result, 300))) : undefined;
const pass = main.median <= TARGET_US;

if (JSON_OUT) {
  console.log(JSON.stringify({ effects: EFFECTS, rounds: ROUNDS, dir: BASE, usPerEffect: main, cpuUsPerEffect: cpu, blobOutcome: blob, withTrace: traced, withTraceCpu: tracedCpu, load50: load, full, targetUs: TARGET_US, pass }));
} else {
  const f = (s) => `median ${s.median.toFixed(1)} µs  (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)})`;
  console.log(`SQLite run store in ${BASE}: ${EFFECTS} journaled effects (intent + outcome commits) per round, ${ROUNDS} rounds`);
  console.log(`  journaled effect, WAL + synchronous=NORMAL   ${f(main)}`);
  console.log(`  info: CPU time (user + system) per effect    median ${cpu.toFixed(1)} µs  (excludes time blocked on I/O or waiting for a CPU)`);
  console.log(`  info: with a ${JSON.stringify(bigResult).length}-byte outcome (blob)   ${f(blob)}`);
  console.log(`  info: with a run's trace (3 events + 2 audit records per effect)  ${f(traced)}, CPU ${tracedCpu.toFixed(1)} µs`);
  console.log(`  info: load of a 50-entry run                  ${load.toFixed(1)} µs`);
  if (full) console.log(`  info: synchronous=FULL (fsync per commit)    ${f(full)}`);
  console.log(`${pass ? "PASS" : "FAIL"}: ${main.median.toFixed(1)} µs per journaled effect (target ≤ ${TARGET_US} µs)`);
}
process.exitCode = pass ? 0 : 1;
