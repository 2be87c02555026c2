import { afterEach, describe, expect, it } from "vitest";
import type { Plan } from "../../compiler/plan/index.js";
import { createContextAssembler, modelSummarizer } from "../../vm/context/assembler.js";
import { LocalEmbedder, type Embedder } from "../../vm/context/embed.js";
import { countTokens } from "../../vm/context/tokens.js";
import { VmFailure, type ContextProvider, type ModelProvider, type ModelRequest } from "../../vm/types.js";
import { contexts, signal, source, tempDir, type TempDir } from "./helpers.js";

/** Counts what it embeds, so tests can see what a refresh re-embedded. */
class CountingEmbedder implements Embedder {
  readonly inner = new LocalEmbedder(64);
  readonly id = this.inner.id;
  texts: string[] = [];
  embed(texts: string[], s: AbortSignal) {
    this.texts.push(...texts);
    return this.inner.embed(texts, s);
  }
}

const KB = {
  "kb/billing.md":
    "# Billing\n\nInvoices are issued on the 1st of each month and collected by direct debit on the 10th.\n\nThe first invoice after a plan change is prorated to the day.",
  "kb/roaming.md": "# Roaming\n\nEU roaming is included in every plan. Switzerland and the UK cost 2 EUR per day on postpaid plans.",
  "kb/signal.md": "# No signal\n\nSwitch flight mode on and off, check that mobile data is enabled, then restart the phone.",
  "kb/faq.jsonl": [
    JSON.stringify({ q: "When is my invoice collected?", a: "Invoices are collected by direct debit on the 10th of each month." }),
    JSON.stringify({ q: "How much is roaming in Switzerland?", a: "2 EUR per day on postpaid plans." }),
    JSON.stringify({ q: "How do I get a new SIM?", a: "Order a replacement SIM in the app." }),
  ].join("\n"),
};

let tmp: TempDir | undefined;
afterEach(() => {
  tmp?.cleanup();
  tmp = undefined;
});

describe("the assembler", () => {
  it("retrieves from a vector and a keyword source, fused by reciprocal rank", async () => {
    tmp = tempDir(KB);
    const plan = contexts({
      kb: { sources: [source("docs", "vector", "./kb/*.md", { chunk: 200, overlap: 20 }), source("faq", "keyword", "./kb/faq.jsonl")], top: 3 },
    });
    const a = createContextAssembler({ plan, root: tmp.dir });
    const r = await a.assemble("kb", "when is my invoice collected by direct debit", signal);
    expect(r.items.length).toBe(3);
    // Both sources put their invoice passage first: those two lead, each with one rank.
    expect(
      r.items
        .slice(0, 2)
        .map((i) => i.id)
        .sort(),
    ).toEqual(["kb/billing.md#0", "kb/faq.jsonl:1"]);
    expect(r.items[0]!.score).toBeCloseTo(1 / 61, 10);
    expect(r.text).toContain("[faq: kb/faq.jsonl:1]\nq: When is my invoice collected?");
    expect(r.tokens).toBe(countTokens(r.text));
    expect(r.sources.map((s) => [s.name, s.kind, s.documents])).toEqual([
      ["docs", "vector", 3],
      ["faq", "keyword", 3],
    ]);
    expect(r.dropped.filter((d) => d.stage === "top").length).toBeGreaterThan(0);
    expect(r.dropped.every((d) => d.why.startsWith("top: fused rank"))).toBe(true);
  });

  it("serves a repeated query from the cache and misses after a source changes", async () => {
    tmp = tempDir(KB);
    let now = 1_000;
    const plan = contexts({ kb: { sources: [source("docs", "vector", "./kb/*.md"), source("faq", "keyword", "./kb/faq.jsonl")], cache_ms: 60_000 } });
    const embedder = new CountingEmbedder();
    const a = createContextAssembler({ plan, root: tmp.dir, embedder, now: () => now });
    const first = await a.assemble("kb", "roaming in Switzerland", signal);
    expect(first.cacheHit).toBe(false);
    const embedded = embedder.texts.length;
    const second = await a.assemble("kb", "roaming in Switzerland", signal);
    expect(second.cacheHit).toBe(true);
    expect(second.text).toBe(first.text);
    expect(embedder.texts.length).toBe(embedded); // nothing embedded, not even the query
    // Another query is another key.
    expect((await a.assemble("kb", "no signal", signal)).cacheHit).toBe(false);
    // An edit of one source invalidates.
    tmp.write("kb/roaming.md", "# Roaming\n\nSwitzerland now costs 3 EUR per day on postpaid plans.");
    const third = await a.assemble("kb", "roaming in Switzerland", signal);
    expect(third.cacheHit).toBe(false);
    expect(third.text).toContain("3 EUR per day");
    expect((await a.assemble("kb", "roaming in Switzerland", signal)).cacheHit).toBe(true);
    // A keyword source edit invalidates too.
    tmp.write("kb/faq.jsonl", `${KB["kb/faq.jsonl"]}\n${JSON.stringify({ q: "Roaming in Switzerland?", a: "See the roaming page." })}`);
    expect((await a.assemble("kb", "roaming in Switzerland", signal)).cacheHit).toBe(false);
    // The TTL expires.
    expect((await a.assemble("kb", "roaming in Switzerland", signal)).cacheHit).toBe(true);
    now += 60_001;
    expect((await a.assemble("kb", "roaming in Switzerland", signal)).cacheHit).toBe(false);
  });

  it("does not cache without cache_ms", async () => {
    tmp = tempDir(KB);
    const a = createContextAssembler({ plan: contexts({ kb: { sources: [source("faq", "keyword", "./kb/faq.jsonl")] } }), root: tmp.dir });
    await a.assemble("kb", "roaming", signal);
    expect((await a.assemble("kb", "roaming", signal)).cacheHit).toBe(false);
  });

  it("removes planted near-duplicates and says which item each duplicates", async () => {
    const base = "Refunds reach the original payment method within five to seven business days after the returned item arrives at our warehouse.";
    tmp = tempDir({
      "kb/refunds.md": base,
      // Planted: the same text with different case, spacing and one changed word; and a verbatim copy.
      "kb/refunds-copy.md": base.replace("five", "5").toUpperCase(),
      "kb/refunds-again.md": `  ${base.replace(/ /g, "  ")}`,
      "kb/exchange.md": "Exchanges for another size are free within 30 days of delivery, from the order page.",
      "faq.jsonl": JSON.stringify({ q: "How long does a refund take?", a: base }),
    });
    const plan = contexts({ kb: { sources: [source("docs", "vector", "./kb/*.md"), source("faq", "keyword", "./faq.jsonl")], dedup: 0.9 } });
    const a = createContextAssembler({ plan, root: tmp.dir });
    const r = await a.assemble("kb", "how long do refunds take", signal);
    const refundItems = r.items.filter((i) => /refund/i.test(i.text) && i.text.toLowerCase().includes("warehouse") && !i.text.startsWith("q:"));
    expect(refundItems.length).toBe(1);
    const why = Object.fromEntries(r.dropped.filter((d) => d.stage === "dedup").map((d) => [d.id, d.why]));
    // The copy that differs only in spacing is the same text; the edited one is a near-duplicate; the
    // FAQ answer quoting the article is one too.
    const kept = refundItems[0]!.id;
    const others = ["kb/refunds.md#0", "kb/refunds-again.md#0", "kb/refunds-copy.md#0"].filter((id) => id !== kept);
    // The two copies that differ only in spacing are one text; the edited, upper-cased copy is a near-duplicate.
    const whys = others.map((id) => why[id]!);
    expect(whys.filter((w) => /^dedup: the same text as kb\/refunds(-again)?\.md#0$/.test(w)).length).toBe(1);
    expect(whys.filter((w) => /^dedup: 0\.9\d\d similar to kb\/refunds[\w-]*\.md#0 \(threshold 0\.9\)$/.test(w)).length).toBe(1);
    expect(r.items.map((i) => i.id)).toContain("kb/exchange.md#0");
    // Without dedup, all copies are there.
    const b = createContextAssembler({ plan: contexts({ kb: { sources: [source("docs", "vector", "./kb/*.md")] } }), root: tmp.dir });
    const all = await b.assemble("kb", "how long do refunds take", signal);
    expect(all.items.filter((i) => i.text.toLowerCase().includes("warehouse")).length).toBe(2);
    expect(all.dropped.map((d) => d.why)).toEqual([expect.stringMatching(/^dedup: the same text as kb\/refunds/)]);
  });

  it("never exceeds the budget and says what the budget dropped", async () => {
    tmp = tempDir(KB);
    const plan = contexts({ kb: { sources: [source("docs", "vector", "./kb/*.md"), source("faq", "keyword", "./kb/faq.jsonl")], budget: 60 } });
    const a = createContextAssembler({ plan, root: tmp.dir });
    const r = await a.assemble("kb", "invoice roaming signal", signal);
    expect(r.tokens).toBeLessThanOrEqual(60);
    expect(countTokens(r.text)).toBe(r.tokens);
    const budget = r.dropped.filter((d) => d.stage === "budget");
    expect(budget.length).toBeGreaterThan(0);
    expect(budget[0]!.why).toMatch(/^budget: needs \d+ tokens, \d+ of 60 left$/);
    // truncateLast fills what is left with the start of the first item that did not fit.
    const t = createContextAssembler({ plan, root: tmp.dir, truncateLast: true });
    const rt = await t.assemble("kb", "invoice roaming signal", signal);
    expect(rt.tokens).toBeLessThanOrEqual(60);
    expect(rt.tokens).toBeGreaterThanOrEqual(r.tokens);
    expect(rt.items.filter((i) => i.truncated).length).toBeLessThanOrEqual(1);
  });

  it("summarises instead of dropping when a summariser is given", async () => {
    tmp = tempDir(KB);
    const plan = contexts({ kb: { sources: [source("docs", "vector", "./kb/*.md")], budget: 30 } });
    const seen: string[] = [];
    const a = createContextAssembler({
      plan,
      root: tmp.dir,
      summarize: async ({ text, budget }) => {
        seen.push(text);
        return `Summary in ${budget} tokens: invoices on the 1st, debit on the 10th; roaming 2 EUR per day in Switzerland; restart the phone. `.repeat(5);
      },
    });
    const r = await a.assemble("kb", "invoice roaming", signal);
    expect(r.summarized).toBe(true);
    expect(seen[0]).toContain("[docs: kb/billing.md#0]");
    expect(r.text.startsWith("Summary in 30 tokens")).toBe(true);
    expect(r.tokens).toBeLessThanOrEqual(30);
    expect(r.items.length).toBe(3);
    expect(r.dropped.filter((d) => d.stage === "budget")).toEqual([]);
  });

  it("modelSummarizer asks the model through the VM's ModelProvider", async () => {
    tmp = tempDir(KB);
    const calls: ModelRequest[] = [];
    const models: ModelProvider = {
      async call(req) {
        calls.push(req);
        return { output: "Invoices: 1st, debit on the 10th [docs: kb/billing.md#0].", usage: { input: 100, output: 12 }, costUsd: 0 };
      },
    };
    const modelPlan = { name: "gpt-4o-mini" } as unknown as Plan["models"][string];
    const plan = contexts({ kb: { sources: [source("docs", "vector", "./kb/*.md")], budget: 40 } });
    const r = await createContextAssembler({ plan, root: tmp.dir, summarize: modelSummarizer(models, "fast", modelPlan) }).assemble(
      "kb",
      "invoice dates",
      signal,
    );
    expect(r.text).toBe("Invoices: 1st, debit on the 10th [docs: kb/billing.md#0].");
    expect(calls.length).toBe(1);
    expect(calls[0]!.model).toBe("fast");
    expect(calls[0]!.caller).toBe("context kb");
    expect(calls[0]!.schema).toBeNull();
    expect(calls[0]!.messages[0]!.content).toContain("at most 40 tokens");
    expect(calls[0]!.messages[1]!.content).toMatch(/^Query: invoice dates\n\nPassages:\n\n\[docs: kb\//);
  });

  it("selects structured records by key and by field filters", async () => {
    tmp = tempDir({
      "orders.jsonl": [
        { id: "A-1001", status: "shipped", customer: "ada@example.com", total: 42 },
        { id: "A-1002", status: "open", customer: "bob@example.com", total: 13 },
        { id: "A-1003", status: "open", customer: "ada@example.com", total: 99 },
      ]
        .map((r) => JSON.stringify(r))
        .join("\n"),
    });
    const plan = contexts({ orders: { sources: [source("orders", "structured", "./orders.jsonl", { key: "id" })] } });
    const a = createContextAssembler({ plan, root: tmp.dir });
    const byKey = await a.assemble("orders", "where is order A-1002?", signal);
    expect(byKey.items.map((i) => i.id)).toEqual(["orders.jsonl:2"]);
    expect(byKey.items[0]!.text).toBe("id: A-1002\nstatus: open\ncustomer: bob@example.com\ntotal: 13");
    const byFilter = await a.assemble("orders", 'status=open customer:"ada@example.com"', signal);
    expect(byFilter.items.map((i) => i.id)).toEqual(["orders.jsonl:3"]);
    expect((await a.assemble("orders", "status=cancelled", signal)).items).toEqual([]);
    expect((await a.assemble("orders", "A-10", signal)).items).toEqual([]);
  });

  it("keyword sources search only the declared fields but show whole records", async () => {
    tmp = tempDir({
      "faq.jsonl": [
        JSON.stringify({ q: "Roaming prices", a: "Invoices are paid on the 10th." }),
        JSON.stringify({ q: "Invoice dates", a: "On the 1st." }),
      ].join("\n"),
    });
    const plan = contexts({ faq: { sources: [source("faq", "keyword", "./faq.jsonl", { fields: ["q"] })] } });
    const r = await createContextAssembler({ plan, root: tmp.dir }).assemble("faq", "invoices", signal);
    expect(r.items.map((i) => i.id)).toEqual([]);
    const r2 = await createContextAssembler({ plan, root: tmp.dir }).assemble("faq", "invoice", signal);
    expect(r2.items.map((i) => [i.id, i.text])).toEqual([["faq.jsonl:2", "q: Invoice dates\na: On the 1st."]]);
  });

  it("reports an unknown context, a bad file and a source matching nothing clearly", async () => {
    tmp = tempDir({ "bad.jsonl": "{not json}\n" });
    const plan = contexts({
      bad: { sources: [source("rows", "keyword", "./bad.jsonl")] },
      empty: { sources: [source("docs", "vector", "./nothing/*.md")] },
    });
    const a = createContextAssembler({ plan, root: tmp.dir });
    await expect(a.assemble("nope", "q", signal)).rejects.toThrow(/^context nope: no such context \(the plan has bad, empty\)$/);
    const err = await a.assemble("bad", "q", signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VmFailure);
    expect((err as VmFailure).message).toMatch(/^context bad: source rows: bad\.jsonl:1 is not valid JSON/);
    const r = await a.assemble("empty", "q", signal);
    expect(r.items).toEqual([]);
    expect(r.warnings).toEqual([`source docs: ./nothing/*.md matches no file (relative to ${tmp.dir})`]);
  });

  it("resolves sources against the directory of the file that declares the context", async () => {
    tmp = tempDir({ "lib/kb/a.md": "Alpha document about invoices." });
    const plan = contexts({ kb: { sources: [{ ...source("docs", "vector", "./kb/*.md"), loc: { file: "lib/agents.awr", line: 1, column: 1 } }] } });
    const r = await createContextAssembler({ plan, root: tmp.dir }).assemble("kb", "invoices", signal);
    expect(r.items.map((i) => i.id)).toEqual(["kb/a.md#0"]);
  });

  it("implements the VM's ContextProvider", async () => {
    tmp = tempDir(KB);
    const provider: ContextProvider = createContextAssembler({
      plan: contexts({ kb: { sources: [source("faq", "keyword", "./kb/faq.jsonl")], budget: 100 } }),
      root: tmp.dir,
    });
    const r = await provider.assemble("kb", "new SIM", signal);
    expect(r.text).toContain("replacement SIM");
    expect(r.tokens).toBe(countTokens(r.text));
  });
});
