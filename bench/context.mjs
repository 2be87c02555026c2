#!/usr/bin/env node
// Context assembly: HNSW index build rate and query latency, and budget trimming throughput.
//
//   npm run build && node bench/context.mjs [--vectors N] [--dims D] [--queries N] [--recall-queries N]
//                                           [--candidates N] [--M N] [--ef-construction N] [--ef-search N] [--json]
//
// 1. Index: N (default 100,000) vectors of D (384) dimensions added one by one to the VM's
//    `VectorIndex` (hnswlib-node, cosine, the defaults the context sources use: M 16,
//    efConstruction 100, efSearch 100). The vectors are synthetic but shaped like embeddings:
//    points of a random 24-dimensional subspace plus small noise (uniform random vectors in 384
//    dimensions have no near neighbours at all, which no embedding model produces). Build rate =
//    vectors / wall time of the adds. Then `--queries` (1,000) top-10 searches for fresh points of
//    the same distribution: p50/p99 latency; and recall@10 against exact search on
//    `--recall-queries` (50) of them.
// 2. Budget trimming: `--candidates` (2,000) passages of ~150–450 tokens, packed by `fitBudget`
//    into a 4,000-token budget in chunks of 40 candidates (what one assembly sees), repeated;
//    tokens/s = candidate tokens processed / wall time. It includes the exact cl100k_base counts
//    (each block, the separator and the joined text).
//
// Informational: no target is asserted (exit 0 unless the bench cannot run).
import { existsSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { prng } from "./lib/prng.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const DIST = join(HERE, "..", "dist", "vm", "context", "index.js");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
};
const N = opt("vectors", 100_000);
const D = opt("dims", 384);
const QUERIES = opt("queries", 1000);
const RECALL_QUERIES = opt("recall-queries", 50);
const CANDIDATES = opt("candidates", 2000);
const JSON_OUT = args.includes("--json");
const LATENT = 24;

if (!existsSync(DIST)) {
  console.error(`bench/context.mjs: the built VM is missing (${DIST}).\nRun \`npm run build\` first, then \`node bench/context.mjs\`.`);
  process.exit(2);
}
const { VectorIndex, DEFAULT_HNSW, exactSearch, fitBudget, countTokens } = await import(pathToFileURL(DIST).href);
const HNSW = {
  M: opt("M", DEFAULT_HNSW.M),
  efConstruction: opt("ef-construction", DEFAULT_HNSW.efConstruction),
  efSearch: opt("ef-search", DEFAULT_HNSW.efSearch),
};

const rnd = prng(7);
const basis = Array.from({ length: LATENT }, () => Array.from({ length: D }, () => rnd() - 0.5));
function point() {
  const v = new Array(D).fill(0);
  for (let l = 0; l < LATENT; l++) {
    const c = rnd() - 0.5;
    const b = basis[l];
    for (let j = 0; j < D; j++) v[j] += c * b[j];
  }
  for (let j = 0; j < D; j++) v[j] += (rnd() - 0.5) * 0.05;
  return v;
}
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

const log = (s) => {
  if (!JSON_OUT) console.log(s);
};
log(
  `node ${process.version}, ${os.platform()} ${os.arch()}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
);
log(`command: node bench/context.mjs ${args.join(" ")}`.trimEnd());

// ---------------------------------------------------------------- index
log(`\nindex: ${N.toLocaleString("en")} vectors × ${D} dims, ${JSON.stringify(HNSW)}`);
const vectors = Array.from({ length: N }, point);
const index = new VectorIndex(HNSW);
let t0 = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < N; i++) index.add(i, vectors[i]);
const buildMs = performance.now() - t0;
const buildCpu = process.cpuUsage(cpu0);
const buildRate = N / (buildMs / 1000);
log(
  `  build        ${(buildMs / 1000).toFixed(1)} s  →  ${Math.round(buildRate).toLocaleString("en")} vectors/s  (CPU ${((buildCpu.user + buildCpu.system) / 1e6).toFixed(1)} s: ${Math.round(N / ((buildCpu.user + buildCpu.system) / 1e6)).toLocaleString("en")} vectors per CPU-second)`,
);

const queries = Array.from({ length: QUERIES }, point);
for (let i = 0; i < Math.min(50, QUERIES); i++) index.search(queries[i], 10); // warm-up
const lat = [];
const results = [];
for (const q of queries) {
  const s = performance.now();
  results.push(index.search(q, 10));
  lat.push(performance.now() - s);
}
lat.sort((a, b) => a - b);
log(`  query top-10 p50 ${pct(lat, 50).toFixed(3)} ms, p99 ${pct(lat, 99).toFixed(3)} ms, max ${lat.at(-1).toFixed(3)} ms  (${QUERIES} queries)`);
let found = 0;
for (let i = 0; i < RECALL_QUERIES; i++) {
  const exact = new Set(exactSearch(vectors, queries[i], 10));
  for (const h of results[i]) if (exact.has(h.label)) found++;
}
const recall = found / (RECALL_QUERIES * 10);
log(`  recall@10    ${recall.toFixed(3)} against exact search (${RECALL_QUERIES} queries)`);

// ---------------------------------------------------------------- budget
const WORDS =
  "invoice refund roaming Switzerland direct debit prorated the a of customer plan SIM swap verification outage credit 10th 1st EUR manager policy shipping warranty — Zürich 2026 ✓".split(
    " ",
  );
const trng = prng(11);
const passage = () => {
  const n = 100 + Math.floor(trng() * 300);
  const ws = [];
  for (let i = 0; i < n; i++) ws.push(WORDS[Math.floor(trng() * WORDS.length)]);
  return ws.join(" ");
};
const cands = Array.from({ length: CANDIDATES }, (_, i) => ({
  key: String(i),
  source: "docs",
  id: `doc${i}.md#0`,
  text: passage(),
  score: 1 / (61 + i),
  ranks: { docs: i + 1 },
  scores: {},
}));
const candTokens = cands.reduce((s, c) => s + countTokens(c.text), 0);
fitBudget(cands.slice(0, 40), 4000); // warm-up
t0 = performance.now();
let kept = 0;
for (let i = 0; i < cands.length; i += 40) kept += fitBudget(cands.slice(i, i + 40), 4000).items.length;
const trimMs = performance.now() - t0;
const tokRate = candTokens / (trimMs / 1000);
log(`\nbudget trimming: ${CANDIDATES} candidates, ${candTokens.toLocaleString("en")} tokens, groups of 40 into 4,000 tokens (${kept} kept)`);
log(`  ${(trimMs / 1000).toFixed(2)} s  →  ${Math.round(tokRate).toLocaleString("en")} tokens/s (cl100k_base)`);

if (JSON_OUT)
  console.log(
    JSON.stringify({
      vectors: N,
      dims: D,
      hnsw: HNSW,
      buildSeconds: buildMs / 1000,
      buildVectorsPerSecond: buildRate,
      queryP50Ms: pct(lat, 50),
      queryP99Ms: pct(lat, 99),
      recallAt10: recall,
      trimTokens: candTokens,
      trimTokensPerSecond: tokRate,
    }),
  );
