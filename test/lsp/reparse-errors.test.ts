// The incremental re-parse while the text is broken (compiler/syntax/reparse.ts): random edits of
// every example, applied one after another WITHOUT going back to clean text, each compared with a
// full parse (module, spans, docs, comments, diagnostics in order). Most keystrokes leave a syntax
// error somewhere; the editor must still re-parse only the edited declarations then.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "../../compiler/syntax/parser.js";
import { fullParse, reparse, type Parsed } from "../../compiler/syntax/reparse.js";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const files = readdirSync(EXAMPLES, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".awr"))
  .map((f) => join(EXAMPLES, f));

// Edits that make and mend errors: braces, brackets, half-typed statements, stray declaration
// lines, comments, docs, templates, strings.
const SNIPPETS = ["x", " ", "\n", "}", "{", "(", ")", "[", "]", ":", ",", "/// doc\n", "// c\n", "/*", "*/", '"', '#"', '"#', "{{", "}}", "->", ".", "node", "\nnode n {\n", "\ngraph\n", "\ntype T { a: int }\n", "\nprompt p(\n", "edge a ->", "@", "é", "\r\n", "\t", ""];

describe("incremental parse of broken text", () => {
  it("equals a full parse after each of 1,000 edits that make and mend errors, and re-parses only a region for most of them", () => {
    // mulberry32: the low bits of a plain LCG repeat every few draws, which made every edit alike.
    let seed = 23;
    const rand = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (((t ^ (t >>> 14)) >>> 0) % Math.max(1, n));
    };
    let partialBroken = 0;
    let broken = 0;
    for (const f of files) {
      const original = readFileSync(f, "utf8");
      let prev: Parsed = fullParse(f, original);
      const edits: [number, number, string][] = [];
      for (let i = 0; i < 1000 / files.length; i++) {
        let text: string;
        if (edits.length && rand(4) === 0) {
          // Mend: undo the last edit (what typing on past an error, or deleting it, does).
          const [a, len, removed] = edits.pop()!;
          text = prev.text.slice(0, a) + removed + prev.text.slice(a + len);
        } else {
          const a = rand(prev.text.length + 1);
          const b = Math.min(prev.text.length, a + rand(4));
          const ins = rand(4) === 0 ? "" : SNIPPETS[rand(SNIPPETS.length)]!;
          edits.push([a, ins.length, prev.text.slice(a, b)]);
          text = prev.text.slice(0, a) + ins + prev.text.slice(b);
        }
        const want = parse(f, text);
        const got = reparse(f, prev, text);
        const isBroken = want.diagnostics.length > 0 || prev.diagnostics.length > 0;
        if (isBroken) broken++;
        if (got) {
          if (isBroken) partialBroken++;
          expect(JSON.stringify(got.module)).toBe(JSON.stringify(want.module));
          expect(JSON.stringify(got.diagnostics)).toBe(JSON.stringify(want.diagnostics));
        }
        // Go on from the reparse when there is one (errors compound), else from a full parse, as the session does.
        prev = got ?? fullParse(f, text);
      }
    }
    expect(broken).toBeGreaterThan(800);
    // Most edits around an error re-parse a region only.
    expect(partialBroken / broken).toBeGreaterThan(0.5);
  });

  const GRAPHS = Array.from({ length: 40 }, (_, i) => `/// Flow ${i}.\ngraph g${i}(x: int) -> int {\n  state { y: int = 0 }\n  node a { set y = x }\n  edge start -> a\n  edge a -> end\n  return y\n}\n`).join("\n");
  const cases: [string, (t: string) => string][] = [
    ["a closing brace deleted", (t) => t.replace("  return y\n}\n\n/// Flow 21.", "  return y\n\n/// Flow 21.")],
    ["a half-typed node statement", (t) => t.replace("node a { set y = x }\n  edge start -> a\n  edge a -> end\n  return y\n}\n\n/// Flow 21.", "node a { set y = }\n  edge start -> a\n  edge a -> end\n  return y\n}\n\n/// Flow 21.")],
    ["a stray node line pasted inside another node", (t) => t.replace("  node a { set y = x }\n  edge start -> a\n  edge a -> end\n  return y\n}\n\n/// Flow 21.", "  node a { set y = x\n  node b { set y = 1 }\n  }\n  edge start -> a\n  edge a -> end\n  return y\n}\n\n/// Flow 21.")],
    ["an unclosed call", (t) => t.replace("graph g20(x: int)", "graph g20(x: int")],
    ["a doc line of the next declaration edited", (t) => t.replace("/// Flow 21.", "/// Flow twenty-one.")],
  ];
  for (const [what, edit] of cases) {
    it(`re-parses one region for ${what}, and mends back in one region`, () => {
      const clean: Parsed = { text: GRAPHS, ...parse("f.awr", GRAPHS) };
      expect(clean.diagnostics).toEqual([]);
      const text = edit(GRAPHS);
      expect(text).not.toBe(GRAPHS);
      const got = reparse("f.awr", clean, text);
      expect(got).toBeDefined();
      const want = parse("f.awr", text);
      expect(JSON.stringify(got!.module)).toBe(JSON.stringify(want.module));
      expect(JSON.stringify(got!.diagnostics)).toBe(JSON.stringify(want.diagnostics));
      // The declarations before the edit are the same objects (the checker reuses their results).
      expect(got!.module.decls[0]).toBe(clean.module.decls[0]);
      const mended = reparse("f.awr", got!, GRAPHS);
      expect(mended).toBeDefined();
      expect(JSON.stringify(mended!.module)).toBe(JSON.stringify(clean.module));
      expect(mended!.diagnostics).toEqual([]);
    });
  }
});
