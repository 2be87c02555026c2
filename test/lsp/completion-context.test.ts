// Completion lexes only from the declaration before the cursor to the one after it; the slot it
// finds must be the one a lexing of the whole file finds, at any offset of any example.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "../../compiler/syntax/parser.js";
import { completionContext } from "../../lsp/completion-context.js";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const files = readdirSync(EXAMPLES, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".awr"))
  .map((f) => join(EXAMPLES, f));

describe("completion context", () => {
  it("is the same lexing one declaration as lexing the whole file, at 800 offsets (some in broken text)", () => {
    let seed = 5;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % Math.max(1, n);
    };
    let cut = 0;
    for (const f of files) {
      let text = readFileSync(f, "utf8");
      let module = parse(f, text).module;
      for (let i = 0; i < 800 / files.length; i++) {
        // Now and then, break the text a little (half-written code is what completion sees).
        if (i % 10 === 9) {
          const a = rand(text.length);
          text = text.slice(0, a) + ["{", "}", "(", ".", "type ", '"', "#\"", "\n"][rand(8)] + text.slice(a);
          module = parse(f, text).module;
        }
        const offset = rand(text.length + 1);
        const before = module.decls.filter((d) => d.span.start < offset && d.name.name !== "").pop();
        const after = module.decls.find((d) => d.span.start > offset);
        const from = before?.span.start ?? 0;
        const to = after?.span.start ?? text.length;
        if (from > 0 || to < text.length) cut++;
        const whole = completionContext(text, offset);
        const part = completionContext(text, offset, from, to);
        expect(JSON.stringify({ ...part, slot: part.slot }), `${f} at ${offset}`).toBe(JSON.stringify({ ...whole, slot: whole.slot }));
      }
    }
    expect(cut).toBeGreaterThan(600);
  });
});
