// An architecture invariant (ARCHITECTURE.md) checked on the source: effect keys — a stored format —
// are spelled only in vm/keys.ts. (Import directions, vm/ never importing ops/ among them, are
// test/architecture/imports.test.ts.)
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(join(ROOT, dir))) {
    const p = join(dir, f);
    if (statSync(join(ROOT, p)).isDirectory()) out.push(...sources(p));
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** The text without comments (so a comment may show a key). Strings and templates are kept. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

// A production of the key grammar spelled in a template (`…/turn${n}`) or a regular expression
// (`/graph:([^/]+)/`) outside the keys module is a second copy of the stored format.
const IN_TEMPLATE = /(graph:|node:|stmt:|superstep:|snapshot:|classify:|\/turn|\/call)\$\{|\}\/(undo|compensate|approval|session|context|memory|summary|handoff|turn|call|output)\b/;
const IN_REGEX = /graph:|node:|stmt:|superstep:|snapshot:|classify:|turn\\d|\\\/(context|memory|turn|call|undo|compensate|approval|session|summary|handoff)/;
const TEMPLATE = /`[^`]*\$\{[^`]*`/g;
const REGEX = /(?<![\w)\]])\/(?![/*\s])(?:\\.|\[(?:\\.|[^\]\n])*\]|[^/\n\\[])+\/[dgimsuy]*/g;

function keySpellings(file: string): string[] {
  const text = code(readFileSync(join(ROOT, file), "utf8"));
  return [...(text.match(TEMPLATE) ?? []).filter((s) => IN_TEMPLATE.test(s)), ...(text.match(REGEX) ?? []).filter((s) => IN_REGEX.test(s))].map((s) => `${file}: ${s}`);
}

describe("effect keys are spelled in vm/keys.ts only", () => {
  it("no template or regular expression elsewhere in vm/, ops/, host/ or cli/ builds or reads a key production", () => {
    const files = [...sources("vm"), ...sources("ops"), ...sources("host"), ...sources("cli")].filter((f) => f !== join("vm", "keys.ts"));
    expect(files.flatMap(keySpellings)).toEqual([]);
  });

  it("the scan finds the spellings in vm/keys.ts (it is not vacuous)", () => {
    expect(keySpellings(join("vm", "keys.ts")).length).toBeGreaterThan(10);
  });
});
