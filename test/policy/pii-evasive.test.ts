// PII detection on disguised values (test/policy/corpus/pii-corpus.jsonl, made by
// make-pii-corpus.mjs): 100% recall on the documented formats, ≥ 90% on evasive ones (NBSP and
// dotted card numbers, lower-case and dashed IBANs, digits of other scripts, zero-width characters,
// homoglyphs, bracketed e-mail obfuscation, ...), ≥ 95% precision over every line, and never a
// partial redaction: a match touching a labelled value covers all of it, and redacting the text
// replaces exactly that value's original span.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PII_KINDS, findPii, redactText, type PiiKind, type PiiMatch } from "../../vm/policy/pii.js";
import { redact } from "../../vm/policy/redact.js";

interface Line {
  class: "documented" | "evasive" | "negative";
  kind: PiiKind | null;
  value?: string;
  text: string;
}
const CORPUS = join(import.meta.dirname, "corpus");
const load = (dir: string) =>
  readFileSync(join(dir, "pii-corpus.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
const lines = load(CORPUS);

const CLASSES = ["documented", "evasive", "negative"] as const;

function score(lines: Line[]) {
  const per = Object.fromEntries(CLASSES.map((c) => [c, { values: 0, found: 0, tp: 0, fp: 0, missed: [] as string[], wrong: [] as string[] }]));
  for (const l of lines) {
    const s = per[l.class]!;
    const found = findPii(l.text);
    if (l.kind) {
      s.values++;
      if (found.some((m) => m.kind === l.kind && m.text === l.value)) s.found++;
      else s.missed.push(`${l.kind} ${JSON.stringify(l.value)} → ${JSON.stringify(found.map((m) => [m.kind, m.text]))}`);
    }
    for (const m of found) {
      if (l.kind && m.kind === l.kind && m.text === l.value) s.tp++;
      else {
        s.fp++;
        s.wrong.push(`${m.kind} ${JSON.stringify(m.text)} in ${JSON.stringify(l.text)}`);
      }
    }
  }
  return per;
}

describe("PII detection on disguised values", () => {
  const per = score(lines);
  const pct = (a: number, b: number) => (b ? ((a / b) * 100).toFixed(1) : "-");
  console.log(
    CLASSES.map((c) => {
      const s = per[c]!;
      return `${c.padEnd(10)} recall ${pct(s.found, s.values)}% (${s.found}/${s.values})  false positives ${s.fp}`;
    }).join("\n"),
  );

  it("the corpus has ≥ 300 lines, every kind in the documented and evasive classes, and hard negatives", () => {
    expect(lines.length).toBeGreaterThanOrEqual(300);
    for (const c of ["documented", "evasive"] as const) for (const k of PII_KINDS) expect(lines.filter((l) => l.class === c && l.kind === k).length, `${c} ${k}`).toBeGreaterThanOrEqual(15);
    expect(lines.filter((l) => l.class === "negative").length).toBeGreaterThanOrEqual(150);
  });

  it("finds every documented value", () => {
    expect(per.documented!.missed).toEqual([]);
  });

  it("finds ≥ 90% of the evasive values", () => {
    const s = per.evasive!;
    if (s.found / s.values < 0.9) console.log(`missed:\n${s.missed.join("\n")}`);
    expect(s.found / s.values).toBeGreaterThanOrEqual(0.9);
  });

  it("keeps precision ≥ 95% over every class (the hard negatives included)", () => {
    const tp = CLASSES.reduce((n, c) => n + per[c]!.tp, 0);
    const fp = CLASSES.reduce((n, c) => n + per[c]!.fp, 0);
    if (fp) console.log(`false positives:\n${CLASSES.flatMap((c) => per[c]!.wrong).join("\n")}`);
    expect(tp / (tp + fp)).toBeGreaterThanOrEqual(0.95);
  });

  it("fresh samples (other seeds of the generator, same disguises, new values) meet the same targets", () => {
    const dir = mkdtempSync(join(tmpdir(), "awr-pii-evasive-"));
    try {
      for (const seed of [7, 8, 9]) {
        execFileSync(process.execPath, [join(CORPUS, "make-pii-corpus.mjs")], { env: { ...process.env, PII_CORPUS_SEED: String(seed), PII_CORPUS_OUT: dir } });
        const s = score(load(dir));
        const tp = CLASSES.reduce((n, c) => n + s[c]!.tp, 0);
        const fp = CLASSES.reduce((n, c) => n + s[c]!.fp, 0);
        expect(s.documented!.missed, `seed ${seed}`).toEqual([]);
        expect(s.evasive!.found / s.evasive!.values, `seed ${seed}: ${s.evasive!.missed.join("; ")}`).toBeGreaterThanOrEqual(0.9);
        expect(tp / (tp + fp), `seed ${seed}: ${CLASSES.flatMap((c) => s[c]!.wrong).join("; ")}`).toBeGreaterThanOrEqual(0.95);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never redacts part of a value: a match touching it covers it, and redaction replaces its whole original span", () => {
    const partial: string[] = [];
    for (const l of lines) {
      if (!l.kind) continue;
      const vs = l.text.indexOf(l.value!);
      const ve = vs + l.value!.length;
      const touching = findPii(l.text).filter((m: PiiMatch) => m.start < ve && m.end > vs);
      for (const m of touching) if (m.start > vs || m.end < ve) partial.push(`${m.kind} ${JSON.stringify(m.text)} of ${JSON.stringify(l.value)}`);
      const exact = touching.find((m) => m.start === vs && m.end === ve);
      if (exact) {
        const expected = `${l.text.slice(0, vs)}[REDACTED:${exact.kind}]${l.text.slice(ve)}`;
        expect(redactText(l.text, [exact.kind]).text, l.text).toBe(expected);
        expect(redact({ note: l.text }, ["pii"]).value, l.text).toEqual({ note: expected });
      }
    }
    expect(partial).toEqual([]);
  });
});
