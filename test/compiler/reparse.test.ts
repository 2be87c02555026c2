// The incremental re-parse (compiler/syntax/reparse.ts, used by the session's IncrementalParseCache) must give exactly what a full parse gives (spans, docs, comments,
// diagnostics) for any edit: random edits of the examples, each compared with `parse`.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "../../compiler/syntax/parser.js";
import { reparse } from "../../compiler/syntax/reparse.js";
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
