#!/usr/bin/env node
// Runs every bench script in bench/ (every *.mjs but this one and compare.mjs, which compares two
// checkouts and needs --base: commit-cpu, compile, concurrent, context, lsp, pii, plan-load, replay,
// scale, serve, startup, store, vm), one after the other, each in its own Node process so one bench's JIT state
// and heap never colour another's numbers.
//
//   npm run build && node bench/run.mjs [args passed to every bench]
//
// Exits non-zero when any bench fails (misses its target, or cannot run).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const benches = readdirSync(HERE)
  .filter((f) => f.endsWith(".mjs") && f !== "run.mjs" && f !== "compare.mjs")
  .sort();

const failed = [];
for (const b of benches) {
  console.log(`\n=== bench/${b} ===`);
  const r = spawnSync(process.execPath, [join(HERE, b), ...process.argv.slice(2)], { stdio: "inherit" });
  if (r.status !== 0) failed.push(`${b} (${r.signal ?? `exit ${r.status}`})`);
}
console.log(`\n${benches.length - failed.length}/${benches.length} benches passed${failed.length ? `; failed: ${failed.join(", ")}` : ""}`);
process.exitCode = failed.length ? 1 : 0;
