import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createContextAssembler } from "../../vm/context/assembler.js";
import { loadDocuments } from "../../vm/context/documents.js";
import { LocalEmbedder, type Embedder } from "../../vm/context/embed.js";
import { DEFAULT_HNSW, VectorIndex, VectorSource, exactSearch } from "../../vm/context/vector.js";
import { VmFailure } from "../../vm/types.js";
import { contexts, prng, signal, source, tempDir, type TempDir } from "./helpers.js";

class CountingEmbedder implements Embedder {
  readonly inner = new LocalEmbedder(64);
  readonly id = this.inner.id;
  texts: string[] = [];
  embed(texts: string[], s: AbortSignal) {
    this.texts.push(...texts);
    return this.inner.embed(texts, s);
  }
}

let tmp: TempDir | undefined;
afterEach(() => {
  tmp?.cleanup();
  tmp = undefined;
});

describe("the HNSW index", () => {
  it("has recall@10 ≥ 0.95 against exact search on 20,000 random vectors", () => {
    const rnd = prng(42);
    const D = 32;
    const vec = () => Array.from({ length: D }, () => rnd() - 0.5);
    const vectors = Array.from({ length: 20_000 }, vec);
    const index = new VectorIndex(DEFAULT_HNSW);
    vectors.forEach((v, i) => index.add(i, v));
    expect(index.size).toBe(20_000);
    let found = 0;
    const Q = 100;
    for (let q = 0; q < Q; q++) {
      const query = vec();
      const exact = new Set(exactSearch(vectors, query, 10));
      for (const h of index.search(query, 10)) if (exact.has(h.label)) found++;
    }
    const recall = found / (Q * 10);
    console.log(`recall@10 = ${recall.toFixed(3)} (20,000 × ${D}, ${JSON.stringify(DEFAULT_HNSW)})`);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });

  it("scores by cosine, forgets removed labels and reuses their slots", () => {
    const index = new VectorIndex();
    index.add(1, [1, 0, 0]);
    index.add(2, [0, 1, 0]);
    index.add(3, [1, 1, 0]);
    const hits = index.search([1, 0, 0], 3);
    expect(hits.map((h) => h.label)).toEqual([1, 3, 2]);
    expect(hits[0]!.score).toBeCloseTo(1, 6);
    expect(hits[1]!.score).toBeCloseTo(Math.SQRT1_2, 6);
    index.remove(1);
    expect(index.search([1, 0, 0], 3).map((h) => h.label)).toEqual([3, 2]);
    index.add(4, [1, 0, 0.1]);
    expect(index.size).toBe(3);
    expect(index.search([1, 0, 0], 1).map((h) => h.label)).toEqual([4]);
    // More points than the initial capacity: the index grows.
    for (let i = 10; i < 2100; i++) index.add(i, [Math.cos(i), Math.sin(i), 0.5]);
    expect(index.size).toBe(2093);
  });
});

describe("incremental builds", () => {
  const files = {
    "kb/a.md": "# Alpha\n\nInvoices are issued on the first day of the month.",
    "kb/b.md": "# Beta\n\nRoaming in Switzerland costs two euros per day.",
    "kb/c.md": "# Gamma\n\nRestart the phone when there is no signal.",
  };

  it("embeds only new and changed documents, forgets removed ones, and reloads the persisted index", async () => {
    tmp = tempDir(files);
    const indexDir = join(tmp.dir, ".awr", "index");
    const plan = contexts({ kb: { sources: [source("docs", "vector", "./kb/*.md")] } });
    const e1 = new CountingEmbedder();
    const a1 = createContextAssembler({ plan, root: tmp.dir, indexDir, embedder: e1 });
    const [first] = await a1.build("kb", signal);
    expect(first).toMatchObject({ source: "docs", documents: 3, chunks: 3, embedded: 3, added: 3, changed: 0, removed: 0, loaded: false });
    expect(existsSync(join(indexDir, "kb-docs.hnsw"))).toBe(true);
    const sidecar = JSON.parse(readFileSync(join(indexDir, "kb-docs.json"), "utf8"));
    expect(Object.keys(sidecar.docs).sort()).toEqual(["kb/a.md", "kb/b.md", "kb/c.md"]);
    expect(sidecar.docs["kb/a.md"].hash).toMatch(/^[0-9a-f]{64}$/);

    // Unchanged: nothing embedded.
    expect((await a1.build("kb", signal))[0]).toMatchObject({ embedded: 0, added: 0, changed: 0, removed: 0 });

    // One edit, one removal, one new file.
    tmp.write("kb/b.md", "# Beta\n\nRoaming in Switzerland now costs three euros per day.");
    tmp.remove("kb/c.md");
    tmp.write("kb/d.md", "# Delta\n\nRefunds take five to seven business days.");
    e1.texts = [];
    const [second] = await a1.build("kb", signal);
    expect(second).toMatchObject({ documents: 3, chunks: 3, embedded: 2, added: 1, changed: 1, removed: 1 });
    expect(e1.texts.sort()).toEqual([
      "# Beta\n\nRoaming in Switzerland now costs three euros per day.",
      "# Delta\n\nRefunds take five to seven business days.",
    ]);
    const r = await a1.assemble("kb", "restart phone no signal", signal);
    expect(r.items.map((i) => i.id)).not.toContain("kb/c.md#0");

    // A new assembler (a new process) reads the index from disk and embeds only the query.
    const e2 = new CountingEmbedder();
    const a2 = createContextAssembler({ plan, root: tmp.dir, indexDir, embedder: e2 });
    const again = await a2.assemble("kb", "roaming switzerland", signal);
    expect(again.sources[0]!.build).toMatchObject({ loaded: true, embedded: 0, chunks: 3 });
    expect(e2.texts).toEqual(["roaming switzerland"]);
    expect(again.items[0]!.id).toBe("kb/b.md#0");
    expect(again.items[0]!.text).toContain("three euros");

    // Another embedder (another space): the index is rebuilt, not mixed.
    const a3 = createContextAssembler({ plan, root: tmp.dir, indexDir, embedder: new LocalEmbedder(32) });
    const [rebuilt] = await a3.build("kb", signal);
    expect(rebuilt).toMatchObject({ embedded: 3, loaded: false, rebuilt: "the source, its chunking or the embedder changed" });
  });

  it("refuses vectors of the wrong dimension with a classified failure", async () => {
    tmp = tempDir(files);
    let dims = 8;
    const shifty: Embedder = { id: "shifty", embed: async (texts) => texts.map(() => Array.from({ length: dims }, (_, i) => i + 1)) };
    const a = createContextAssembler({ plan: contexts({ kb: { sources: [source("docs", "vector", "./kb/*.md")] } }), root: tmp.dir, embedder: shifty });
    await a.build("kb", signal);
    dims = 4;
    const err = await a.assemble("kb", "x", signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VmFailure);
    expect((err as VmFailure).info).toMatchObject({
      kind: "transport",
      message: "embedder shifty returned a query vector of dimension 4 for an index of dimension 8",
    });
  });

  it("rebuilds an index that cannot be read", async () => {
    tmp = tempDir(files);
    const indexDir = join(tmp.dir, "idx");
    const plan = contexts({ kb: { sources: [source("docs", "vector", "./kb/*.md")] } });
    await createContextAssembler({ plan, root: tmp.dir, indexDir }).build("kb", signal);
    tmp.write("idx/kb-docs.hnsw", "garbage");
    const [r] = await createContextAssembler({ plan, root: tmp.dir, indexDir }).build("kb", signal);
    expect(r!.rebuilt).toMatch(/^the index could not be read/);
    expect(r!.embedded).toBe(3);
  });

  it("chunks with the source's chunk and overlap options", async () => {
    tmp = tempDir({ "long.md": Array.from({ length: 40 }, (_, i) => `Paragraph ${i} says something about topic ${i} in a sentence or two.`).join("\n\n") });
    const vs = new VectorSource("docs", { pattern: "long.md", base: tmp.dir, chunk: { maxTokens: 60, overlap: 10 } }, new LocalEmbedder(), undefined);
    const report = await vs.refresh(loadDocuments(tmp.dir, "long.md"), signal);
    expect(report.chunks).toBeGreaterThan(8);
    const hits = await vs.search(new LocalEmbedder().embedOne("Paragraph 17 topic 17"), 1);
    expect(hits[0]!.chunk.text).toContain("Paragraph 17");
    expect(hits[0]!.chunk.tokens).toBeLessThanOrEqual(60);
  });
});
