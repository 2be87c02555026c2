// The vector source: documents chunked, embedded and searched by cosine similarity in an HNSW
// index (hnswlib-node), persisted as two files per source in the index directory:
//   <context>-<source>.hnsw   the graph (hnswlib's own format)
//   <context>-<source>.json   the sidecar: the spec the index was built for, each document's content
//                             hash and labels, each label's chunk (id, text, tokens)
// Builds are incremental: only documents whose hash changed (or that are new) are chunked and
// embedded; the labels of changed and removed documents are marked deleted and their slots reused.
// A sidecar built for another spec (pattern, base directory, chunking, embedder) is ignored and the
// index rebuilt from scratch.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import hnswlib from "hnswlib-node";
import { chunkText, type ChunkOptions } from "./chunk.js";
import type { Doc } from "./documents.js";
import type { Embedder } from "./embed.js";
import { VmFailure } from "../types.js";

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

export interface HnswParams {
  /** Graph degree (default 16). */
  M: number;
  /** Candidate list while building (default 100). */
  efConstruction: number;
  /** Candidate list while searching; raised to k when smaller (default 100). */
  efSearch: number;
}

export const DEFAULT_HNSW: HnswParams = { M: 16, efConstruction: 100, efSearch: 100 };

export interface Hit {
  label: number;
  /** Cosine similarity. */
  score: number;
}

/**
 * An HNSW index over cosine similarity with integer labels: grows as needed, reuses the slots of
 * deleted points. The brute-force twin (`exactSearch`) is what tests compare its recall with.
 */
export class VectorIndex {
  private index: Hnsw | undefined;
  private live = new Set<number>();
  private capacity = 0;

  constructor(
    readonly params: HnswParams = DEFAULT_HNSW,
    private dims = 0,
  ) {}

  get size(): number {
    return this.live.size;
  }

  get dimensions(): number {
    return this.dims;
  }

  add(label: number, vector: number[]): void {
    if (this.live.has(label)) throw new Error(`label ${label} is already in the index`);
    const index = this.ensure(vector.length);
    const used = index.getCurrentCount();
    const reusable = used - this.live.size;
    if (reusable === 0 && used >= this.capacity) {
      this.capacity = Math.max(1024, this.capacity * 2);
      index.resizeIndex(this.capacity);
    }
    index.addPoint(vector, label, true);
    this.live.add(label);
  }

  remove(label: number): void {
    if (!this.live.delete(label)) return;
    this.index!.markDelete(label);
  }

  search(vector: number[], k: number): Hit[] {
    const n = Math.min(k, this.live.size);
    if (n <= 0 || !this.index) return [];
    this.index.setEf(Math.max(this.params.efSearch, n));
    const r = this.index.searchKnn(vector, n);
    return r.neighbors.map((label, i) => ({ label, score: 1 - r.distances[i]! }));
  }

  /** The stored (normalised) vector of a live label. */
  vector(label: number): number[] | undefined {
    return this.live.has(label) && this.index ? this.index.getPoint(label) : undefined;
  }

  save(path: string): void {
    if (!this.index) return;
    const tmp = `${path}.tmp-${process.pid}`;
    this.index.writeIndexSync(tmp);
    renameSync(tmp, path);
  }

  /** Loads a saved graph; `labels` are the live labels recorded beside it. */
  static load(path: string, params: HnswParams, dims: number, labels: Iterable<number>): VectorIndex {
    const v = new VectorIndex(params, dims);
    const index = new HierarchicalNSW("cosine", dims);
    index.readIndexSync(path, true);
    v.index = index;
    v.capacity = index.getMaxElements();
    v.live = new Set(labels);
    const stored = new Set(index.getIdsList());
    for (const l of v.live) if (!stored.has(l)) throw new Error(`label ${l} is missing from ${path}`);
    return v;
  }

  private ensure(dims: number): Hnsw {
    if (this.index) {
      if (dims !== this.dims) throw new Error(`vector of dimension ${dims} added to an index of dimension ${this.dims}`);
      return this.index;
    }
    this.dims = dims;
    this.capacity = 1024;
    this.index = new HierarchicalNSW("cosine", dims);
    this.index.initIndex(this.capacity, this.params.M, this.params.efConstruction, 100, true);
    return this.index;
  }
}

/** Exact top-k labels (indexes into `vectors`) by cosine similarity: the reference for recall. */
export function exactSearch(vectors: readonly (readonly number[])[], query: readonly number[], k: number): number[] {
  let nq = 0;
  for (const x of query) nq += x * x;
  nq = Math.sqrt(nq) || 1;
  // The best k so far, worst last (k is small: insertion beats sorting every score).
  const best: { i: number; s: number }[] = [];
  vectors.forEach((v, i) => {
    let dot = 0;
    let nv = 0;
    for (let j = 0; j < v.length; j++) {
      dot += v[j]! * query[j]!;
      nv += v[j]! * v[j]!;
    }
    const s = dot / (nq * (Math.sqrt(nv) || 1));
    if (best.length === k && s <= best[k - 1]!.s) return;
    let at = best.length;
    while (at > 0 && best[at - 1]!.s < s) at--;
    best.splice(at, 0, { i, s });
    if (best.length > k) best.pop();
  });
  return best.map((b) => b.i);
}

// ---------------------------------------------------------------- the source

function embedderFault(embedder: Embedder, what: string): VmFailure {
  return new VmFailure({ kind: "transport", message: `embedder ${embedder.id} returned ${what}`, retryable: false });
}

export interface StoredChunk {
  doc: string;
  /** `DOCID#N`. */
  id: string;
  text: string;
  tokens: number;
}

interface Sidecar {
  format: 1;
  spec: string;
  dims: number;
  nextLabel: number;
  docs: Record<string, { hash: string; labels: number[] }>;
  chunks: Record<string, StoredChunk>;
}

export interface BuildReport {
  source: string;
  documents: number;
  chunks: number;
  /** Chunks embedded by this refresh (0 when nothing changed). */
  embedded: number;
  added: number;
  changed: number;
  removed: number;
  /** The index was read from the index directory (rather than built in this process). */
  loaded: boolean;
  /** Why an index on disk was not used, if one was there. */
  rebuilt?: string;
}

export interface VectorHit {
  chunk: StoredChunk;
  label: number;
  score: number;
}

export class VectorSource {
  private index: VectorIndex;
  private sidecar: Sidecar;
  private opened = false;

  constructor(
    readonly name: string,
    private readonly spec: { pattern: string; base: string; chunk: ChunkOptions },
    private readonly embedder: Embedder,
    /** `<indexDir>/<context>-<source>` without extension, or undefined for an in-memory index. */
    private readonly filePrefix: string | undefined,
    private readonly params: HnswParams = DEFAULT_HNSW,
  ) {
    this.index = new VectorIndex(params);
    this.sidecar = this.empty();
  }

  private specKey(): string {
    return JSON.stringify({ ...this.spec, embedder: this.embedder.id, M: this.params.M, efConstruction: this.params.efConstruction });
  }

  private empty(): Sidecar {
    return { format: 1, spec: this.specKey(), dims: 0, nextLabel: 0, docs: {}, chunks: {} };
  }

  /** Brings the index up to date with `docs` (embedding only what changed) and saves it. */
  async refresh(docs: Doc[], signal: AbortSignal): Promise<BuildReport> {
    const report: BuildReport = { source: this.name, documents: docs.length, chunks: 0, embedded: 0, added: 0, changed: 0, removed: 0, loaded: false };
    if (!this.opened) {
      this.opened = true;
      const why = this.open();
      if (why === undefined) report.loaded = this.filePrefix !== undefined && existsSync(`${this.filePrefix}.json`);
      else if (why !== "") report.rebuilt = why;
    }
    const sc = this.sidecar;
    const seen = new Set<string>();
    const pending: { doc: Doc; chunks: { text: string; tokens: number; index: number }[] }[] = [];
    for (const doc of docs) {
      seen.add(doc.id);
      const old = sc.docs[doc.id];
      if (old && old.hash === doc.hash) continue;
      if (old) {
        this.drop(doc.id);
        report.changed++;
      } else report.added++;
      pending.push({ doc, chunks: chunkText(doc.text, this.spec.chunk) });
    }
    for (const id of Object.keys(sc.docs)) {
      if (!seen.has(id)) {
        this.drop(id);
        report.removed++;
      }
    }
    const texts = pending.flatMap((p) => p.chunks.map((c) => c.text));
    if (texts.length > 0) {
      const vectors = await this.embedder.embed(texts, signal);
      if (vectors.length !== texts.length) throw embedderFault(this.embedder, `${vectors.length} vectors for ${texts.length} texts`);
      const dims = this.index.dimensions || vectors[0]!.length;
      for (const v of vectors)
        if (v.length !== dims || dims === 0) throw embedderFault(this.embedder, `a vector of dimension ${v.length} for an index of dimension ${dims}`);
      let v = 0;
      for (const p of pending) {
        const labels: number[] = [];
        for (const c of p.chunks) {
          const label = sc.nextLabel++;
          this.index.add(label, vectors[v++]!);
          sc.chunks[label] = { doc: p.doc.id, id: `${p.doc.id}#${c.index}`, text: c.text, tokens: c.tokens };
          labels.push(label);
        }
        sc.docs[p.doc.id] = { hash: p.doc.hash, labels };
      }
      sc.dims = this.index.dimensions;
      report.embedded = texts.length;
    } else {
      for (const p of pending) sc.docs[p.doc.id] = { hash: p.doc.hash, labels: [] };
    }
    report.chunks = this.index.size;
    if (pending.length > 0 || report.removed > 0) this.save();
    return report;
  }

  async search(query: number[], k: number): Promise<VectorHit[]> {
    if (this.index.size > 0 && query.length !== this.index.dimensions)
      throw embedderFault(this.embedder, `a query vector of dimension ${query.length} for an index of dimension ${this.index.dimensions}`);
    return this.index.search(query, k).map((h) => ({ label: h.label, score: h.score, chunk: this.sidecar.chunks[h.label]! }));
  }

  vector(label: number): number[] | undefined {
    return this.index.vector(label);
  }

  get size(): number {
    return this.index.size;
  }

  private drop(docId: string): void {
    const d = this.sidecar.docs[docId];
    if (!d) return;
    for (const l of d.labels) {
      this.index.remove(l);
      delete this.sidecar.chunks[l];
    }
    delete this.sidecar.docs[docId];
  }

  /** Loads the persisted index; returns undefined when loaded (or none), else why it was not used. */
  private open(): string | undefined {
    if (!this.filePrefix || !existsSync(`${this.filePrefix}.json`)) return undefined;
    try {
      const sc = JSON.parse(readFileSync(`${this.filePrefix}.json`, "utf8")) as Sidecar;
      if (sc.format !== 1) return "the index was written by another version";
      if (sc.spec !== this.specKey()) return "the source, its chunking or the embedder changed";
      const labels = Object.values(sc.docs).flatMap((d) => d.labels);
      if (labels.length > 0) this.index = VectorIndex.load(`${this.filePrefix}.hnsw`, this.params, sc.dims, labels);
      this.sidecar = sc;
      return undefined;
    } catch (e) {
      this.index = new VectorIndex(this.params);
      this.sidecar = this.empty();
      return `the index could not be read (${(e as Error).message})`;
    }
  }

  private save(): void {
    if (!this.filePrefix) return;
    mkdirSync(join(this.filePrefix, ".."), { recursive: true });
    if (this.index.size > 0) this.index.save(`${this.filePrefix}.hnsw`);
    else rmSync(`${this.filePrefix}.hnsw`, { force: true });
    const tmp = `${this.filePrefix}.json.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(this.sidecar));
    renameSync(tmp, `${this.filePrefix}.json`);
  }
}
