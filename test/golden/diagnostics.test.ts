// Golden diagnostics: each fixture under diagnostics/ is a small program named after the code it
// triggers (`AWR2001-unknown-name.awr`, or a directory `AWR2004-import-cycle/` with `main.awr`);
// `NAME.expected` beside it holds every diagnostic compile returns, rendered as `awr check` prints
// them without colour. `UPDATE_EXPECT=1 npx vitest run test/golden` rewrites the expected files.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CODES, type Code } from "../../compiler/diagnostics/codes.js";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import { expectGolden } from "../helpers/golden.js";
import { GOLDEN_DIR, compileFixture, fixtures, renderAll } from "./fixtures.js";

const DIR = join(GOLDEN_DIR, "diagnostics");

const cases = fixtures(DIR, "expected");
// A crash is a compiler bug: it fails that fixture's test, not the whole file.
const outcomes = new Map<string, Diagnostic[] | Error>(
  cases.map((c): [string, Diagnostic[] | Error] => {
    try {
      return [c.name, compileFixture(c.files)];
    } catch (err) {
      return [c.name, err as Error];
    }
  }),
);
const results = new Map([...outcomes].map(([name, r]) => [name, r instanceof Error ? [] : r]));

describe("golden diagnostics", () => {
  test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const r = outcomes.get(c.name)!;
    if (r instanceof Error) throw r;
    expectGolden(c.expected, renderAll(results.get(c.name)!, c.files));
  });
});

describe("diagnostic fixtures", () => {
  test("each fixture is named after a registered code that its output contains", () => {
    const wrong: string[] = [];
    for (const c of cases) {
      const code = /^(AWR\d{4})-[a-z0-9-]+$/.exec(c.name)?.[1];
      if (!code || !(code in CODES)) {
        wrong.push(`${c.name}: the name must be AWRnnnn-short-name with a code of CODES`);
        continue;
      }
      const got = results.get(c.name)!.map((d) => d.code);
      if (!got.includes(code as Code)) wrong.push(`${c.name}: produces ${got.length ? got.join(", ") : "no diagnostics"}, not ${code}`);
    }
    expect(wrong).toEqual([]);
  });

  test("every code in CODES is produced by at least one fixture", () => {
    const seen = new Set([...results.values()].flatMap((ds) => ds.map((d) => d.code)));
    const missing = Object.keys(CODES).filter((code) => !seen.has(code as Code));
    expect(missing, `add a fixture test/golden/diagnostics/CODE-short-name.awr for each`).toEqual([]);
  });

  test("every diagnostic carries the severity its code registers", () => {
    const wrong = [...results.entries()].flatMap(([name, ds]) =>
      ds.filter((d) => d.severity !== CODES[d.code].severity).map((d) => `${name}: ${d.code} is ${d.severity}, registered as ${CODES[d.code].severity}`),
    );
    expect(wrong).toEqual([]);
  });
});
