// vm/context/tokens.ts builds its own cl100k encoder (fast to build: docs/performance.md § Cold
// starts) over js-tiktoken's ranks. Budgets depend on its counts being exactly js-tiktoken's: every
// encode and decode here is compared with js-tiktoken's own Tiktoken on the same text.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { Tiktoken } from "js-tiktoken/lite";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import { describe, expect, it } from "vitest";
import { countTokens, decode, encode, truncateToTokens } from "../../vm/context/tokens.js";

const reference = new Tiktoken(cl100k);
const ref = (text: string) => reference.encode(text, [], []);

const ROOT = join(import.meta.dirname, "..", "..");
/** Every markdown and .awr file of the examples and docs: real prose, code, tables, unicode. */
const corpus = ["examples", "docs"].flatMap((dir) =>
  readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".md") || f.endsWith(".awr"))
    .map((f) => readFileSync(join(ROOT, dir, f), "utf8")),
);

describe("the cl100k encoder equals js-tiktoken", () => {
  it("on every example and doc file, whole and paragraph by paragraph", () => {
    expect(corpus.length).toBeGreaterThan(20);
    let paragraphs = 0;
    for (const text of corpus) {
      expect(encode(text)).toEqual(ref(text));
      for (const p of text.split(/\n\s*\n/)) {
        expect(encode(p)).toEqual(ref(p));
        paragraphs++;
      }
    }
    expect(paragraphs).toBeGreaterThan(500);
  });

  it("on edge cases: empty, special-token text, lone surrogates, emoji, CJK, long runs", () => {
    const cases = ["", " ", "\n\n\n", "<|endoftext|> and <|fim_prefix|>", "a\uD800b", "\uDC00", "👩‍👩‍👧‍👦 family", "日本語のテキストと中文", "x".repeat(600), " ".repeat(300) + "y", "1234567890123", "don't I'LL we've"];
    for (const text of cases) {
      expect(encode(text), JSON.stringify(text.slice(0, 40))).toEqual(ref(text));
      expect(decode(encode(text))).toBe(reference.decode(ref(text)));
    }
  });

  it("on random strings (full unicode), encode and decode", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), fc.string({ unit: "binary", maxLength: 60 }), (a, b) => {
        const text = a + b;
        const tokens = ref(text);
        expect(encode(text)).toEqual(tokens);
        expect(countTokens(text)).toBe(tokens.length);
        // Decoding any slice, including one that cuts a character, gives the same text.
        const cut = Math.floor(tokens.length / 2);
        expect(decode(tokens.slice(cut))).toBe(reference.decode(tokens.slice(cut)));
      }),
      { numRuns: 300 },
    );
  });

  it("truncates at a token boundary within the budget", () => {
    const text = corpus.find((t) => t.length > 2000)!;
    const cut = truncateToTokens(text, 100);
    expect(ref(cut).length).toBeLessThanOrEqual(100);
    expect(text.startsWith(cut)).toBe(true);
    expect(ref(cut).length).toBeGreaterThan(90);
  });
});
