import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chunkText } from "../../vm/context/chunk.js";
import { SEPARATOR, cutTop, fitBudget, fuse, renderBlock, type Candidate } from "../../vm/context/rank.js";
import { countTokens, truncateToTokens } from "../../vm/context/tokens.js";

const hit = (id: string, text = `text of ${id}`, score = 1) => ({ id, text, score });

describe("reciprocal rank fusion", () => {
  it("orders a hand-made example by Σ 1/(60 + rank)", () => {
    // vector: A B C D; keyword: C E A; structured: E
    const { candidates } = fuse(
      [
        { source: "vector", hits: [hit("A"), hit("B"), hit("C"), hit("D")] },
        { source: "keyword", hits: [hit("C"), hit("E"), hit("A")] },
        { source: "structured", hits: [hit("E")] },
      ],
      "rrf",
    );
    // A: 1/61 + 1/63 = .032266   C: 1/63 + 1/61 = .032266 (tie: best rank 1 for both; vector first)
    // E: 1/62 + 1/61 = .032522   B: 1/62 = .016129   D: 1/64 = .015625
    expect(candidates.map((c) => c.id)).toEqual(["E", "A", "C", "B", "D"]);
    const byId = Object.fromEntries(candidates.map((c) => [c.id, c]));
    expect(byId.E!.score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(byId.A!.ranks).toEqual({ vector: 1, keyword: 3 });
    expect(byId.C!.ranks).toEqual({ vector: 3, keyword: 1 });
    expect(byId.C!.source).toBe("keyword"); // shown under the source that ranked it best
    expect(byId.D!.score).toBeCloseTo(1 / 64, 12);
  });

  it("a text found by two sources beats one found first by one, whatever k", () => {
    const lists = [
      { source: "s1", hits: [hit("X"), hit("Y")] },
      { source: "s2", hits: [hit("Z"), hit("Y")] },
    ];
    // Y is second in both lists: 2/(k+2) beats 1/(k+1) for every k > 0.
    expect(fuse(lists, "rrf", 60).candidates.map((c) => c.id)).toEqual(["Y", "X", "Z"]);
    expect(fuse(lists, "rrf", 1).candidates[0]!.id).toBe("Y");
    expect(fuse(lists, "rrf", 1).candidates[0]!.score).toBeCloseTo(2 / 3, 12);
  });

  it("concat keeps source order, then each list's order", () => {
    const { candidates } = fuse(
      [
        { source: "a", hits: [hit("A1", undefined, 0.9), hit("A2", undefined, 0.8)] },
        { source: "b", hits: [hit("B1", undefined, 12)] },
      ],
      "concat",
    );
    expect(candidates.map((c) => [c.id, c.score])).toEqual([
      ["A1", 0.9],
      ["A2", 0.8],
      ["B1", 12],
    ]);
  });

  it("cuts at top and says where", () => {
    const { candidates } = fuse([{ source: "s", hits: ["a", "b", "c", "d"].map((x) => hit(x)) }], "rrf");
    const t = cutTop(candidates, 2);
    expect(t.kept.map((c) => c.id)).toEqual(["a", "b"]);
    expect(t.dropped.map((d) => d.why)).toEqual(["top: fused rank 3, top is 2", "top: fused rank 4, top is 2"]);
  });
});

const word = fc.constantFrom(
  "invoice",
  "roaming",
  "refund",
  "the",
  "a",
  "Zürich",
  "naïve",
  "🙂",
  "2026-11-24",
  "x",
  "\n",
  "\n\n",
  "# Title\n\n",
  "—",
  "日本語",
  "<|endoftext|>",
  "  ",
  "é",
);
const text = fc.array(word, { minLength: 0, maxLength: 200 }).map((ws) => ws.join(" "));

function candidates(texts: string[]): Candidate[] {
  return texts.map((t, i) => ({ key: `${i}`, source: i % 2 ? "kw" : "vec", id: `doc${i}.md#0`, text: t, score: 1 / (60 + i), ranks: {}, scores: {} }));
}

describe("the token budget", () => {
  it("is never exceeded, and the reported count is the exact count of the text (property)", () => {
    fc.assert(
      fc.property(fc.array(text, { maxLength: 12 }), fc.integer({ min: 0, max: 400 }), fc.boolean(), (texts, budget, truncateLast) => {
        const r = fitBudget(candidates(texts), budget, { truncateLast, minTruncated: 4 });
        expect(r.tokens).toBe(countTokens(r.text));
        expect(r.tokens).toBeLessThanOrEqual(budget);
        // Every candidate is either kept or dropped with a reason.
        expect(r.items.length + r.dropped.length).toBe(texts.length);
        for (const d of r.dropped) expect(d.why).toMatch(/^budget: /);
        // Kept items keep their order.
        const ids = r.items.map((i) => Number(i.id.slice(3, -2)));
        expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps everything when the budget allows it, and drops whole items otherwise", () => {
    const cands = candidates(["alpha beta gamma", "delta epsilon", "zeta eta theta iota kappa lambda mu nu xi omicron pi rho"]);
    const all = fitBudget(cands, null);
    expect(all.items.length).toBe(3);
    const sizes = cands.map((c) => countTokens(renderBlock(c)));
    const sep = countTokens(SEPARATOR);
    const r = fitBudget(cands, sizes[0]! + sep + sizes[1]!);
    expect(r.items.map((i) => i.id)).toEqual(["doc0.md#0", "doc1.md#0"]);
    expect(r.dropped).toEqual([{ id: "doc2.md#0", source: "vec", stage: "budget", why: `budget: needs ${sizes[2]! + sep} tokens, 0 of ${r.tokens} left` }]);
    // A smaller later item still fits where a larger earlier one did not.
    const skip = fitBudget(candidates(["one two three four five six seven eight nine ten eleven twelve", "short"]), 12);
    expect(skip.items.map((i) => i.id)).toEqual(["doc1.md#0"]);
  });

  it("truncates to a token prefix", () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 50 }), (t, n) => {
        const cut = truncateToTokens(t, n);
        expect(countTokens(cut)).toBeLessThanOrEqual(n);
        expect(t.startsWith(cut)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("chunking", () => {
  it("never makes a chunk longer than the chunk size, and without overlap loses only whitespace (property)", () => {
    const squash = (s: string) => s.replace(/\s+/g, "");
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 6 }), fc.integer({ min: 16, max: 200 }), fc.integer({ min: 0, max: 60 }), (paras, max, overlap) => {
        const doc = paras.join("\n\n");
        for (const c of chunkText(doc, { maxTokens: max, overlap })) {
          expect(c.tokens).toBeLessThanOrEqual(max);
          expect(c.tokens).toBe(countTokens(c.text));
        }
        const plain = chunkText(doc, { maxTokens: max, overlap: 0 });
        expect(squash(plain.map((c) => c.text).join(""))).toBe(squash(doc));
      }),
      { numRuns: 150 },
    );
  });

  it("starts a chunk at each heading and carries the overlap within a section", () => {
    const para = (n: number) => `Sentence ${n} about the billing rules of the company and its customers.`;
    const doc = `# One\n\n${[1, 2, 3, 4, 5, 6].map(para).join("\n\n")}\n\n# Two\n\nShort section.`;
    const chunks = chunkText(doc, { maxTokens: 40, overlap: 8 });
    expect(chunks[0]!.text.startsWith("# One")).toBe(true);
    expect(chunks.at(-1)!.text).toBe("# Two\n\nShort section.");
    // The second chunk begins with the end of the first.
    const tail = chunks[0]!.text.slice(-12);
    expect(chunks[1]!.text).toContain(tail.trim().split(" ").at(-1)!);
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
  });
});
