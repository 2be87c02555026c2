#!/usr/bin/env node
// Cold starts: the whole `awr` process, as a user's shell starts it, for three commands —
//   awr --version                      (the floor: Node, the CLI's entry, no command loaded)
//   awr check examples/support-triage  (the compiler)
//   awr run <the README's first line>  (compiler, VM, context, tools; offline: recorded answers, memory: store)
// beside a bare `node -e 0`. Each round runs every case once, in an order rotated every round (so
// a burst of load on the shared machine falls on each case in turn), after one warm-up round (the
// OS file cache). Reported per case: the median, min, max and spread (max/min - 1) of the wall
// times, and the modules the process loaded (counted once by a loader hook, bench/lib/module-count.mjs,
// in a separate run: the hook's own cost is not in the timings), and on Linux the median CPU time
// (user + system) of the process, which a loaded machine inflates far less than the wall time.
// Targets (issue 14): check ≤ 250 ms, run ≤ 600 ms (medians). Exits 1 on a miss, 2 if it cannot run.
//
//   npm run build && node bench/startup.mjs [--runs N] [--json]
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const BIN = join(ROOT, "bin", "awr.mjs");
const COUNTER = pathToFileURL(join(HERE, "lib", "module-count.mjs")).href;

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const RUNS = Number(opt("runs", 15));
const JSON_OUT = args.includes("--json");

if (!existsSync(join(ROOT, "dist", "cli", "main.js"))) {
  console.error("bench/startup.mjs: the built code is missing (dist/cli/main.js).\nRun `npm run build` first, then `node bench/startup.mjs`.");
  process.exit(2);
}

const EX = "examples/support-triage";
/** name, argv after `node`, target (ms, on the median) or undefined, a check of a good answer. */
const CASES = [
  { name: "node -e 0", argv: ["-e", "0"], check: () => true },
  { name: "awr --version", argv: [BIN, "--version"], check: (out) => /^\d+\.\d+\.\d+/.test(out) },
  { name: `awr check ${EX}`, argv: [BIN, "check", EX], targetMs: 250, check: (out, err) => /0 errors/.test(out + err) },
  {
    name: "awr run (README)",
    argv: [BIN, "run", `${EX}/main.awr`, "--input", `@${EX}/input.json`, "--models", `recorded:${EX}/recorded.jsonl`, "--store", "memory:"],
    targetMs: 600,
    check: (out) => /"receipt_id"/.test(out),
  },
];

// The user's environment minus what would change the work: no colours, no store or trust list from
// the environment, no live model keys (the run is offline by construction).
const env = { ...process.env, NO_COLOR: "1" };
for (const k of ["AWR_STORE", "AWR_TRUST", "OPENAI_API_KEY", "OPENAI_BASE_URL", "OTEL_EXPORTER_OTLP_ENDPOINT"]) delete env[k];

/**
 * CPU time (user + system, ms) of this process's waited-for children, from /proc/self/stat (Linux;
 * 10 ms ticks): on a loaded machine it moves far less than wall time. Undefined elsewhere.
 */
function childCpuMs() {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // cutime + cstime, USER_HZ = 100
  } catch {
    return undefined;
  }
}

function once(c, extra = []) {
  const cpu0 = childCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...extra, ...c.argv], { cwd: ROOT, env, encoding: "utf8", maxBuffer: 16 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpuMs = cpu0 === undefined ? undefined : childCpuMs() - cpu0;
  if (r.status !== 0 || !c.check(r.stdout ?? "", r.stderr ?? "")) {
    console.error(`bench/startup.mjs: "${c.name}" did not run cleanly (exit ${r.status ?? r.signal}):\n${(r.stderr ?? "").slice(-2000)}`);
    process.exit(2);
  }
  return { ms, cpuMs, stderr: r.stderr ?? "" };
}

// Module counts, in a run of their own.
for (const c of CASES) {
  if (c.argv[0] !== BIN) continue;
  const m = /\[awr-modules (\d+)\]/.exec(once(c, ["--import", COUNTER]).stderr);
  c.modules = m ? Number(m[1]) : undefined;
}

const samples = new Map(CASES.map((c) => [c.name, []]));
const cpuSamples = new Map(CASES.map((c) => [c.name, []]));
for (let round = -1; round < RUNS; round++) {
  const shift = ((round % CASES.length) + CASES.length) % CASES.length;
  for (const c of [...CASES.slice(shift), ...CASES.slice(0, shift)]) {
    const { ms, cpuMs } = once(c);
    if (round < 0) continue; // round -1 warms the file cache
    samples.get(c.name).push(ms);
    if (cpuMs !== undefined) cpuSamples.get(c.name).push(cpuMs);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const results = CASES.map((c) => {
  const xs = samples.get(c.name);
  const r = { name: c.name, median: median(xs), minMs: Math.min(...xs), maxMs: Math.max(...xs), spread: Math.max(...xs) / Math.min(...xs) - 1 };
  const cpu = cpuSamples.get(c.name);
  if (cpu.length) r.cpuMs = median(cpu);
  if (c.modules !== undefined) r.modules = c.modules;
  if (c.targetMs !== undefined) Object.assign(r, { targetMs: c.targetMs, pass: r.median <= c.targetMs });
  return r;
});
const pass = results.every((r) => r.pass !== false);

if (JSON_OUT) {
  console.log(JSON.stringify({ runs: RUNS, cases: results, pass }, null, 2));
} else {
  const cpu = os.cpus();
  console.log(`machine: node ${process.version}, ${os.platform()} ${os.arch()}, ${cpu.length} × ${cpu[0]?.model ?? "?"}, load ${os.loadavg()[0].toFixed(1)}`);
  console.log(`command: node bench/startup.mjs --runs ${RUNS}   (whole processes, rounds interleaved; wall time, CPU = user + system)`);
  console.log(`${"case".padEnd(36)}${"median".padStart(10)}${"min".padStart(9)}${"max".padStart(9)}${"spread".padStart(8)}${"CPU".padStart(9)}${"modules".padStart(9)}`);
  for (const r of results)
    console.log(
      `${r.name.padEnd(36)}${`${r.median.toFixed(0)} ms`.padStart(10)}${`${r.minMs.toFixed(0)}`.padStart(9)}${`${r.maxMs.toFixed(0)}`.padStart(9)}${`${(r.spread * 100).toFixed(0)}%`.padStart(8)}${(r.cpuMs === undefined ? "" : `${r.cpuMs.toFixed(0)} ms`).padStart(9)}${String(r.modules ?? "").padStart(9)}`,
    );
  for (const r of results.filter((x) => x.targetMs !== undefined))
    console.log(`${r.pass ? "PASS" : "FAIL"}: ${r.name} median ${r.median.toFixed(0)} ms (target ≤ ${r.targetMs} ms)`);
}
process.exitCode = pass ? 0 : 1;
