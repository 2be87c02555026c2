// Reliability: corrupted plans and corrupted stores give clear errors, never a crash of another
// kind and never silently different data.
//
// - Plans: a real plan (the support-triage example) with seeded random damage — bytes flipped,
//   the file cut short, bytes inserted — must be refused with a PlanError (a code and one line),
//   whatever the damage.
// - Stores: a SQLite run store cut short at seeded random lengths must either be refused with a
//   StoreError naming the file, or read back exactly what was written: no run, journal entry or
//   field may be missing or different without an error (no silent loss).
// `npm run test:reliability` scales the number of cases (AWR_RELIABILITY_SCALE).
import { copyFileSync, readFileSync, statSync, truncateSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { decodePlan, encodePlan, PlanError } from "../../compiler/plan/index.js";
import { FileHost } from "../../host/source-host.js";
import { SqliteStore, StoreError } from "../../vm/store/index.js";
import type { LoadedRun } from "../../vm/types.js";
import { prng } from "../helpers/prng.js";
import { intent, outcome, run, tempDir } from "../vm/store/helpers.js";

const SCALE = Number(process.env["AWR_RELIABILITY_SCALE"] ?? 1);
const ROOT = resolve(import.meta.dirname, "..", "..");

describe("corrupted plans", () => {
  let bytes: Uint8Array;
  beforeAll(() => {
    const r = compile([join(ROOT, "examples/support-triage/main.awr")], new FileHost(), { plan: true });
    expect(r.plan).toBeDefined();
    bytes = encodePlan(r.plan!);
    expect(decodePlan(bytes)).toEqual(r.plan);
  });

  const CASES = Math.round(300 * SCALE);
  it(`${CASES} damaged copies of a plan: every one refused with a PlanError`, () => {
    const random = prng(0x9a4e);
    const codes = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const damaged = damage(bytes, random, i % 3);
      let err: unknown;
      try {
        decodePlan(damaged);
      } catch (e) {
        err = e;
      }
      expect(err, `case ${i} decoded without an error`).toBeInstanceOf(PlanError);
      const pe = err as PlanError;
      expect(pe.message.length).toBeGreaterThan(0);
      expect(pe.message).not.toContain("\n");
      codes.set(pe.code, (codes.get(pe.code) ?? 0) + 1);
    }
    console.log(`reliability/corruption plans: ${CASES} damaged plans, all refused: ${JSON.stringify(Object.fromEntries(codes))}`);
  });
});

/** 0: flip 1–4 random bytes; 1: cut the file at a random length; 2: insert 1–8 random bytes. */
function damage(bytes: Uint8Array, random: () => number, how: number): Uint8Array {
  const at = (n: number) => Math.floor(random() * n);
  if (how === 0) {
    const out = bytes.slice();
    const flips = 1 + at(4);
    for (let k = 0; k < flips; k++) out[at(out.length)] ^= 1 + at(255);
    return out;
  }
  if (how === 1) return bytes.slice(0, at(bytes.length));
  const pos = at(bytes.length + 1);
  const extra = Uint8Array.from({ length: 1 + at(8) }, () => at(256));
  const out = new Uint8Array(bytes.length + extra.length);
  out.set(bytes.subarray(0, pos), 0);
  out.set(extra, pos);
  out.set(bytes.subarray(pos), pos + extra.length);
  return out;
}

describe("truncated SQLite stores", () => {
  const tmp = tempDir();
  let original: string;
  let expected: Map<string, LoadedRun>;
  const RUNS = 60;

  beforeAll(() => {
    original = join(tmp.dir, "original.db");
    const s = new SqliteStore(original);
    for (let i = 0; i < RUNS; i++) {
      const id = `run-${i}`;
      s.create(run(id, { createdAt: 1_700_000_000_000 + i }));
      let v = 0;
      for (let k = 0; k < 5; k++) {
        v = s.commit({ runId: id, expectVersion: v, append: [intent(`step#${k}`, { q: "x".repeat(40 * k) })] });
        v = s.commit({ runId: id, expectVersion: v, append: [outcome(`step#${k}`, { a: "y".repeat(300 * k), i })] });
      }
      s.commit({ runId: id, expectVersion: v, append: [], update: { status: "completed", output: { i }, updatedAt: 1_700_000_001_000 } });
    }
    expected = new Map(s.list().map((r) => [r.runId, s.load(r.runId)!]));
    s.close(); // checkpoints: the whole store is in the main file
    expect(expected.size).toBe(RUNS);
  });
  afterAll(() => tmp.cleanup());

  const CASES = Math.round(40 * SCALE);
  it(`${CASES} truncations: refused with a StoreError, or read back unchanged`, () => {
    const size = statSync(original).size;
    const random = prng(0x7d0c);
    let refused = 0;
    let intact = 0;
    for (let i = 0; i < CASES; i++) {
      const path = join(tmp.dir, `cut-${i}.db`);
      copyFileSync(original, path);
      // Cut anywhere, including inside the header (first 100 bytes) and at page boundaries.
      const cut = i % 8 === 0 ? Math.floor(random() * 100) : i % 8 === 1 ? 4096 * (1 + Math.floor(random() * (size / 4096 - 1))) : Math.floor(random() * size);
      truncateSync(path, cut);
      let got: Map<string, LoadedRun> | undefined;
      try {
        const s = new SqliteStore(path);
        try {
          got = new Map(s.list().map((r) => [r.runId, s.load(r.runId)!]));
        } finally {
          s.close();
        }
      } catch (e) {
        expect(e, `cut at ${cut}: ${String(e)}`).toBeInstanceOf(StoreError);
        expect((e as StoreError).message).toContain(path);
        refused++;
        continue;
      }
      // Opened and read without an error: then nothing may be missing or different.
      expect(got.size, `cut at ${cut} of ${size}: runs silently lost`).toBe(RUNS);
      for (const [id, want] of expected) expect(got.get(id), `cut at ${cut}: run ${id} differs`).toEqual(want);
      intact++;
    }
    console.log(`reliability/corruption stores: ${CASES} truncations of a ${size}-byte store: ${refused} refused with a StoreError, ${intact} read back unchanged, 0 silent losses`);
    expect(readFileSync(original).length).toBe(size);
  });
});
