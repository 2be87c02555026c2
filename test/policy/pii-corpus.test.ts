// Recall and false positives of PII detection on the labelled corpus (test/policy/corpus/).
// A PII value counts as found when a match of the same kind covers exactly its text; any match in
// a negative text, or a match in a positive text that covers no labelled value, is a false positive.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PII_KINDS, findPii, type PiiKind } from "../../vm/policy/pii.js";
import { redact } from "../../vm/policy/redact.js";

const DIR = join(import.meta.dirname, "corpus");
const positives = JSON.parse(readFileSync(join(DIR, "positives.json"), "utf8")) as { text: string; labels: { kind: PiiKind; value: string }[] }[];
const negatives = JSON.parse(readFileSync(join(DIR, "negatives.json"), "utf8")) as string[];

describe("PII corpus", () => {
  it("is large enough and covers every kind", () => {
    expect(positives.reduce((n, p) => n + p.labels.length, 0)).toBeGreaterThanOrEqual(200);
    expect(negatives.length).toBeGreaterThanOrEqual(200);
    for (const k of PII_KINDS) expect(positives.filter((p) => p.labels.some((l) => l.kind === k)).length, k).toBeGreaterThanOrEqual(20);
  });

  it("recall ≥ 99% and no false positives", () => {
    const perKind = new Map<string, { total: number; found: number }>();
    const missed: string[] = [];
    const falsePositives: string[] = [];
    for (const p of positives) {
      const found = findPii(p.text);
      for (const l of p.labels) {
        const k = perKind.get(l.kind) ?? { total: 0, found: 0 };
        k.total++;
        if (found.some((m) => m.kind === l.kind && m.text === l.value)) k.found++;
        else missed.push(`${l.kind} ${JSON.stringify(l.value)} in ${JSON.stringify(p.text)} → ${JSON.stringify(found)}`);
        perKind.set(l.kind, k);
      }
      for (const m of found) if (!p.labels.some((l) => l.kind === m.kind && l.value === m.text)) falsePositives.push(`${m.kind} ${JSON.stringify(m.text)} in ${JSON.stringify(p.text)}`);
    }
    for (const n of negatives) for (const m of findPii(n)) falsePositives.push(`${m.kind} ${JSON.stringify(m.text)} in ${JSON.stringify(n)}`);
    const total = [...perKind.values()].reduce((a, k) => a + k.total, 0);
    const foundAll = [...perKind.values()].reduce((a, k) => a + k.found, 0);
    const recall = foundAll / total;
    const lines = [...perKind].map(([k, v]) => `  ${k.padEnd(6)} ${v.found}/${v.total}`);
    console.log(
      `PII corpus: recall ${(recall * 100).toFixed(2)}% (${foundAll}/${total} values in ${positives.length} texts), ` +
        `false positives ${falsePositives.length} (${negatives.length} negative texts)\n${lines.join("\n")}`,
    );
    if (missed.length) console.log(`missed:\n${missed.join("\n")}`);
    if (falsePositives.length) console.log(`false positives:\n${falsePositives.join("\n")}`);
    expect(recall).toBeGreaterThanOrEqual(0.99);
    expect(falsePositives).toEqual([]);
  });

  it("fresh samples of the generator (other seeds, never used to tune the patterns) score the same", () => {
    // The committed corpus and these share templates; the values (numbers, names, formats) differ.
    const dir = mkdtempSync(join(tmpdir(), "awr-pii-"));
    try {
      let total = 0;
      let found = 0;
      let fp = 0;
      let negs = 0;
      for (const seed of [101, 102, 103, 104, 105]) {
        execFileSync(process.execPath, [join(DIR, "generate.mjs")], { env: { ...process.env, PII_CORPUS_SEED: String(seed), PII_CORPUS_OUT: dir } });
        const pos = JSON.parse(readFileSync(join(dir, "positives.json"), "utf8")) as typeof positives;
        const neg = JSON.parse(readFileSync(join(dir, "negatives.json"), "utf8")) as string[];
        negs += neg.length;
        for (const p of pos) {
          const m = findPii(p.text);
          for (const l of p.labels) {
            total++;
            if (m.some((x) => x.kind === l.kind && x.text === l.value)) found++;
          }
          fp += m.filter((x) => !p.labels.some((l) => l.kind === x.kind && l.value === x.text)).length;
        }
        for (const n of neg) fp += findPii(n).length;
      }
      console.log(`PII fresh samples (seeds 101–105): recall ${((found / total) * 100).toFixed(2)}% (${found}/${total}), false positives ${fp} (${negs} negative texts)`);
      expect(found / total).toBeGreaterThanOrEqual(0.99);
      expect(fp).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("redaction removes every labelled value from the positives and leaves the negatives unchanged", () => {
    for (const p of positives) {
      const out = redact(p.text, ["pii"]).value as string;
      for (const l of p.labels) expect(out, p.text).not.toContain(l.value);
    }
    for (const n of negatives) expect(redact(n, ["pii"]).value).toBe(n);
  });

  it("scans large and adversarial texts in roughly linear time", () => {
    let text = "";
    while (text.length < 1_000_000) text += [...positives.map((p) => p.text), ...negatives].join("\n") + "\n";
    const time = (t: string) => {
      const t0 = performance.now();
      redact(t, ["pii"]);
      return performance.now() - t0;
    };
    const dense = time(text);
    console.log(`PII redaction of ${(text.length / 1e6).toFixed(2)} MB of dense PII text: ${dense.toFixed(0)} ms`);
    // Generous bounds (a loaded CI machine): a quadratic scan would take minutes.
    expect(dense).toBeLessThan(15_000);
    expect(time("ABCD ".repeat(20_000) + "1234 5678")).toBeLessThan(3_000);
    expect(time("1 ".repeat(50_000))).toBeLessThan(3_000);
    expect(time("a@".repeat(50_000))).toBeLessThan(3_000);
    expect(time("1.".repeat(50_000))).toBeLessThan(3_000);
    expect(time(":".repeat(100_000))).toBeLessThan(3_000);
  });
});
