#!/usr/bin/env node
// Two checkouts side by side: runs each bench of both, interleaved, in its own Node process, and
// compares the medians. This is how a change proves "no figure worse by more than N %" on a
// shared, noisy machine: both sides see the same load, in alternating order, round after round.
//
//   node bench/compare.mjs --base DIR [--head DIR] [--rounds N] [--max-regress PCT]
//                          [--bench store,vm,...] [-- args passed to every bench]
//
// DIR is a checkout with `dist/` built (`git worktree add /tmp/base <commit> && cd /tmp/base &&
// npm ci && npm run build`). --head defaults to this checkout. Each round runs base then head,
// the next round head then base. A bench is run with --json; its timings (`median`, `p50`, `p95`,
// `…Ms`, `…Us`, `…Seconds`) and rates (`…PerSecond`, compared inverted) are the figures; figures
// of peers (LangGraph) are left out. For each figure it
// prints the median over rounds of each side, the ratio head/base and the spread (max/min - 1
// over rounds, the larger side's), and PASS or FAIL against --max-regress (default 10 %).
// Exits 1 when a figure is worse by more than that, 2 when a bench gave no JSON (e.g. an old
// checkout's bench without --json).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const own = dash < 0 ? argv : argv.slice(0, dash);
const passThrough = dash < 0 ? [] : argv.slice(dash + 1);
const opt = (name, fallback) => {
  const i = own.indexOf(name);
  return i < 0 ? fallback : own[i + 1];
};
if (own.includes("--help") || !opt("--base")) {
  console.log(
    "usage: node bench/compare.mjs --base DIR [--head DIR] [--rounds N] [--max-regress PCT] [--bench a,b] [-- bench args]",
  );
  process.exit(own.includes("--help") ? 0 : 2);
}
const base = resolve(opt("--base"));
const head = resolve(opt("--head", "."));
const rounds = Number(opt("--rounds", "3"));
const maxRegress = Number(opt("--max-regress", "10"));
// Benches without timing medians (pii prints recall/precision) or that compare against a peer only.
const NOT_TIMED = new Set(["pii.mjs", "run.mjs", "compare.mjs"]);
const wanted = opt("--bench")?.split(",").map((b) => (b.endsWith(".mjs") ? b : `${b}.mjs`));
const benches = readdirSync(join(head, "bench"))
  .filter((f) => f.endsWith(".mjs") && !NOT_TIMED.has(f))
  .filter((f) => !wanted || wanted.includes(f))
  .sort();

for (const dir of [base, head]) {
  if (!existsSync(join(dir, "dist"))) {
    console.error(`bench/compare.mjs: ${dir} has no dist/ — run npm run build there first`);
    process.exit(2);
  }
}

// Timings (lower is better) and rates (higher is better: compared as their inverse, so a ratio
// above 1 is always worse). Other numbers (sizes, counts, targets, min/max) are not figures.
const LOWER_IS_BETTER = /^(median|p50|p95)$|(Ms|Us|Seconds)$/;
const HIGHER_IS_BETTER = /PerSecond$/;

/** The figures of a bench's JSON, by a path that names array elements by their string fields. */
function figures(value, path = "", out = new Map()) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      const label =
        v && typeof v === "object" && !Array.isArray(v)
          ? Object.values(v).filter((x) => typeof x === "string").join("/") || String(i)
          : String(i);
      figures(v, `${path}[${label}]`, out);
    });
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const at = path ? `${path}.${k}` : k;
      if (typeof v === "number" && LOWER_IS_BETTER.test(k)) out.set(at, v);
      else if (typeof v === "number" && HIGHER_IS_BETTER.test(k)) out.set(`${at} (inverted)`, 1 / v);
      else figures(v, at, out);
    }
  }
  return out;
}

function runOnce(dir, bench) {
  const r = spawnSync(process.execPath, [join(dir, "bench", bench), "--json", ...passThrough], {
    cwd: dir,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  const text = r.stdout ?? "";
  const start = text.indexOf("{");
  try {
    return figures(JSON.parse(text.slice(start)));
  } catch {
    console.error(`bench/compare.mjs: ${dir}/bench/${bench} gave no JSON (exit ${r.status}):\n${r.stderr?.slice(-2000)}`);
    return undefined;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (xs) => Math.max(...xs) / Math.min(...xs) - 1;

let worse = 0;
const unusable = [];
for (const bench of benches) {
  if (!existsSync(join(base, "bench", bench))) {
    console.log(`\n=== ${bench}: not in the base checkout, skipped`);
    continue;
  }
  const samples = { base: new Map(), head: new Map() };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ["base", "head"] : ["head", "base"];
    for (const side of order) {
      process.stderr.write(`${bench} round ${r + 1}/${rounds} ${side}\n`);
      const got = runOnce(side === "base" ? base : head, bench);
      if (!got) {
        unusable.push(`${bench} (${side})`);
        continue;
      }
      for (const [k, v] of got) {
        if (/langgraph/i.test(k)) continue;
        samples[side].set(k, [...(samples[side].get(k) ?? []), v]);
      }
    }
  }
  console.log(`\n=== ${bench} (${rounds} rounds, medians; lower is better)`);
  console.log(`${"figure".padEnd(58)}${"base".padStart(12)}${"head".padStart(12)}${"head/base".padStart(11)}${"spread".padStart(9)}`);
  for (const [k, hs] of samples.head) {
    const bs = samples.base.get(k);
    if (!bs) continue;
    const b = median(bs);
    const h = median(hs);
    const ratio = h / b;
    const bad = ratio > 1 + maxRegress / 100;
    if (bad) worse++;
    const sp = Math.max(spread(bs), spread(hs));
    console.log(
      `${k.slice(-58).padEnd(58)}${b.toFixed(2).padStart(12)}${h.toFixed(2).padStart(12)}${ratio.toFixed(3).padStart(11)}${`${(sp * 100).toFixed(0)}%`.padStart(9)}  ${bad ? "FAIL" : "PASS"}`,
    );
  }
}
if (unusable.length) console.log(`\nno figures from: ${[...new Set(unusable)].join(", ")}`);
console.log(`\n${worse === 0 ? "PASS" : "FAIL"}: ${worse} figure(s) worse than the base by more than ${maxRegress}%`);
process.exitCode = worse ? 1 : unusable.length ? 2 : 0;
