// The incremental re-parse (compiler/syntax/reparse.ts, used by the session's IncrementalParseCache) must give exactly what a full parse gives (spans, docs, comments,
// diagnostics) for any edit: random edits of the examples, each compared with `parse`.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "../../compiler/syntax/parser.js";
import { MAX_ORIGINS, commonPrefix, commonSuffix, fullParse, originOf, reparse } from "../../compiler/syntax/reparse.js";
import { IncrementalParseCache } from "../../compiler/session.js";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const files = readdirSync(EXAMPLES, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".awr"))
  .map((f) => join(EXAMPLES, f));

const SNIPPETS = ["x", " ", "\n", "}", "{", "/// doc\n", "// c\n", '"', "#\"", "\"#", "type T { a: int }\n", "node", ".", "->", "é", "\r\n", ""];

describe("incremental parse", () => {
  it("equals a full parse after every one of 1,000 random edits, hundreds of them re-parsing one declaration", () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % Math.max(1, n);
    };
    let partial = 0;
    for (const f of files) {
      const cache = new IncrementalParseCache();
      const original = readFileSync(f, "utf8");
      let prev = { text: original, ...parse(f, original) };
      for (let i = 0; i < 1000 / files.length; i++) {
        const a = rand(prev.text.length + 1);
        const b = Math.min(prev.text.length, a + rand(4));
        const ins = rand(3) === 0 ? "" : SNIPPETS[rand(SNIPPETS.length)]!;
        const text = prev.text.slice(0, a) + ins + prev.text.slice(b);
        const want = parse(f, text);
        const direct = reparse(f, prev, text);
        if (direct) {
          partial++;
          expect(JSON.stringify(direct.module)).toBe(JSON.stringify(want.module));
          expect(direct.diagnostics).toEqual(want.diagnostics);
        }
        cache.get(f, prev.text);
        const got = cache.get(f, text);
        expect(JSON.stringify(got.module)).toBe(JSON.stringify(want.module));
        expect(JSON.stringify(got.diagnostics)).toBe(JSON.stringify(want.diagnostics));
        // Keep editing clean text (where the fast path applies); go back to the original otherwise.
        prev = want.diagnostics.length === 0 ? { text, ...want } : { text: original, ...parse(f, original) };
      }
    }
    expect(partial).toBeGreaterThan(300);
  });
});

describe("moved declarations", () => {
  // Each copy keeps the one it was moved from alive: an unbounded chain kept every past copy of the
  // declarations after the cursor, and the language server's heap grew with every keystroke.
  it("remember at most MAX_ORIGINS copies back, however many edits moved them", () => {
    const file = "/virtual/origins.awr";
    let prev = fullParse(file, "type A { a: int }\n\ntype B { b: int }\n\ntype C { c: int }\n");
    for (let i = 0; i < 50; i++) {
      const text = i % 2 ? prev.text.replace("ax: int", "a: int") : prev.text.replace("a: int", "ax: int");
      const next = reparse(file, prev, text);
      expect(next).toBeDefined();
      prev = next!;
    }
    const last = prev.module.decls[2]!;
    expect(last.name.name).toBe("C");
    expect(JSON.stringify(last)).toBe(JSON.stringify(parse(file, prev.text).module.decls[2]));
    let chain = 0;
    for (let d = originOf(last); d; d = originOf(d.from)) chain++;
    expect(chain).toBeGreaterThan(0);
    expect(chain).toBeLessThanOrEqual(MAX_ORIGINS);
  });
});

describe("commonPrefix and commonSuffix", () => {
  it("agree with a character-by-character comparison on random strings and ropes", () => {
    let seed = 3;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % Math.max(1, n);
    };
    const naivePrefix = (a: string, b: string) => {
      let p = 0;
      while (p < Math.min(a.length, b.length) && a[p] === b[p]) p++;
      return p;
    };
    const naiveSuffix = (a: string, b: string, limit: number) => {
      let s = 0;
      while (s < limit && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
      return s;
    };
    for (let i = 0; i < 500; i++) {
      const base = Array.from({ length: rand(20_000) }, () => "ab\n"[rand(3)]).join("");
      const at = rand(base.length + 1);
      const other = base.slice(0, at) + "xyz".slice(0, rand(4)) + base.slice(Math.min(base.length, at + rand(3)));
      const p = commonPrefix(base, other);
      expect(p).toBe(naivePrefix(base, other));
      const limit = Math.min(base.length, other.length) - p;
      expect(commonSuffix(base, other, limit)).toBe(naiveSuffix(base, other, limit));
    }
  });
});
