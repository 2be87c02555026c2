#!/usr/bin/env node
// PII detection on disguised values: recall and precision per class of the labelled corpus, and
// throughput of detection, redaction and the content filters.
//
//   npm run build && node bench/pii.mjs [--corpus FILE] [--rounds N] [--json]
//
// The corpus is test/policy/corpus/pii-corpus.jsonl (made by make-pii-corpus.mjs, seeded): one
// line per text, class `documented` (the formats docs/policies.md lists), `evasive` (the same
// values behind NBSP / dots / dashes, zero-width characters, soft hyphens, full-width and
// Arabic-Indic digits, homoglyphs, lower-case IBANs, `a [at] b [dot] co`, ...) or `negative` (hard
// negatives: bad Luhn and mod-97, versions, dates, ids, prices, UUIDs, prose with @ signs). A value
// is found when a match of its kind covers exactly its text; every other match is a false positive.
//
// Targets (PASS/FAIL lines, the exit code follows them): recall 100% on documented values, ≥ 90% on
// evasive ones, precision ≥ 95% over all lines, and no partial redaction (a match touching a value
// covers all of it). Throughput (values per second = corpus lines through `findPii` per second, the
// best of --rounds (15) passes after 10 warm-up passes; also redaction with `redactText`, and
// `contains_any` / `matches` over the same texts) is informational.
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const DIST = join(HERE, "..", "dist", "vm", "policy");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const CORPUS = opt("corpus", join(HERE, "..", "test", "policy", "corpus", "pii-corpus.jsonl"));
const ROUNDS = Number(opt("rounds", 15));
const JSON_OUT = args.includes("--json");

if (!existsSync(join(DIST, "pii.js"))) {
  console.error(`bench/pii.mjs: the built VM is missing (${DIST}).\nRun \`npm run build\` first, then \`node bench/pii.mjs\`.`);
  process.exit(2);
}
const { findPii, redactText, PII_KINDS } = await import(pathToFileURL(join(DIST, "pii.js")).href);
const { policyIntrinsic } = await import(pathToFileURL(join(DIST, "filters.js")).href);

const lines = readFileSync(CORPUS, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const CLASSES = ["documented", "evasive", "negative"];

// ------------------------------------------------------------------ quality

const per = Object.fromEntries(CLASSES.map((c) => [c, { lines: 0, values: 0, found: 0, tp: 0, fp: 0, byKind: {} }]));
const partial = [];
const missed = [];
const wrong = [];
for (const l of lines) {
  const s = per[l.class];
  s.lines++;
  const found = findPii(l.text);
  if (l.kind) {
    s.values++;
    const k = (s.byKind[l.kind] ??= { values: 0, found: 0 });
    k.values++;
    if (found.some((m) => m.kind === l.kind && m.text === l.value)) {
      s.found++;
      k.found++;
    } else missed.push(`${l.class} ${l.kind} ${JSON.stringify(l.value)}`);
    const vs = l.text.indexOf(l.value);
    const ve = vs + l.value.length;
    for (const m of found) if (m.start < ve && m.end > vs && (m.start > vs || m.end < ve)) partial.push(`${m.kind} ${JSON.stringify(m.text)} of ${JSON.stringify(l.value)}`);
  }
  for (const m of found) {
    if (l.kind && m.kind === l.kind && m.text === l.value) s.tp++;
    else {
      s.fp++;
      wrong.push(`${m.kind} ${JSON.stringify(m.text)} in ${JSON.stringify(l.text)}`);
    }
  }
}
const tp = CLASSES.reduce((n, c) => n + per[c].tp, 0);
const fp = CLASSES.reduce((n, c) => n + per[c].fp, 0);
const precision = tp / (tp + fp);

// ------------------------------------------------------------------ throughput

const texts = lines.map((l) => l.text);
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
function rate(fn) {
  for (let i = 0; i < 10; i++) for (const t of texts) fn(t); // warm-up
  const runs = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (const t of texts) fn(t);
    runs.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  // The best round: on a shared machine the median mostly measures the other processes.
  const best = Math.min(...runs);
  return { perSecond: texts.length / best, mbPerSecond: bytes / 1e6 / best, usPerText: (best / texts.length) * 1e6 };
}
const ascii = texts.filter((t) => /^[\x00-\x7f]*$/.test(t));
const throughput = {
  detect: rate((t) => findPii(t)),
  redact: rate((t) => redactText(t, PII_KINDS)),
  contains_any: rate((t) => policyIntrinsic("contains_any", [t, ["gift card", "wire transfer", "bitcoin", "password"]])),
  matches: rate((t) => policyIntrinsic("matches", [t, "acct-\\d{6}", "i"])),
};

// ------------------------------------------------------------------ report

const pct = (a, b) => (b ? `${((a / b) * 100).toFixed(1)}%` : "-");
const checks = [
  ["recall on documented formats = 100%", per.documented.found === per.documented.values],
  ["recall on evasive formats ≥ 90%", per.evasive.found / per.evasive.values >= 0.9],
  ["precision over all lines ≥ 95%", precision >= 0.95],
  ["no partial redaction", partial.length === 0],
];
if (JSON_OUT) {
  console.log(JSON.stringify({ corpus: CORPUS, lines: lines.length, per, precision, partial, throughput, checks: Object.fromEntries(checks) }, null, 2));
} else {
  console.log(`PII corpus ${CORPUS.replace(join(HERE, ".."), ".")}: ${lines.length} lines (${ascii.length} pure ASCII), node ${process.version}, ${os.cpus().length} CPUs`);
  console.log("");
  console.log("class        lines  values  recall            false positives  precision");
  for (const c of CLASSES) {
    const s = per[c];
    console.log(`${c.padEnd(11)} ${String(s.lines).padStart(6)} ${String(s.values).padStart(7)}  ${`${pct(s.found, s.values)} (${s.found}/${s.values})`.padEnd(17)} ${String(s.fp).padStart(15)}  ${pct(s.tp, s.tp + s.fp)}`);
  }
  console.log(`${"all".padEnd(11)} ${String(lines.length).padStart(6)} ${String(per.documented.values + per.evasive.values).padStart(7)}  ${" ".repeat(17)} ${String(fp).padStart(15)}  ${pct(tp, tp + fp)}`);
  for (const c of ["documented", "evasive"]) {
    console.log(`  ${c} by kind: ${Object.entries(per[c].byKind).map(([k, v]) => `${k} ${v.found}/${v.values}`).join("  ")}`);
  }
  console.log("");
  for (const [name, r] of Object.entries(throughput)) {
    console.log(`${name.padEnd(13)} ${Math.round(r.perSecond).toLocaleString("en-US").padStart(9)} values/s  ${r.mbPerSecond.toFixed(2).padStart(6)} MB/s  ${r.usPerText.toFixed(1).padStart(6)} µs/text`);
  }
  if (missed.length) console.log(`\nmissed:\n  ${missed.join("\n  ")}`);
  if (wrong.length) console.log(`\nfalse positives:\n  ${wrong.join("\n  ")}`);
  if (partial.length) console.log(`\npartial matches:\n  ${partial.join("\n  ")}`);
  console.log("");
  for (const [name, ok] of checks) console.log(`${ok ? "PASS" : "FAIL"} ${name}`);
}
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
