// The context assembler: what an agent's `context:` (and `awr context query`) turns a query into.
//
//   sources (vector / keyword / structured, each a ranked list)
//     → fuse (reciprocal rank fusion, k = 60, or concat) → dedup (cosine ≥ `dedup`)
//     → top (`top`) → budget (`budget` tokens, exact cl100k count) → [summarise] → text
//
// Results are cached for `cache_ms` under the query and the sources' content versions. The
// assembler does file IO (it is a VM provider): it reads the sources' files on every call (to
// notice edits) and keeps vector indexes in `indexDir`.
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { ContextPlan, ContextSourcePlan, Plan } from "../../compiler/plan/index.js";
import { VmFailure, type ChatMessage, type ContextProvider, type ModelProvider } from "../types.js";
import { TtlCache } from "./cache.js";
import { DEFAULT_CHUNK } from "./chunk.js";
import { SourceError, loadDocuments, sha256, sourceBase, type Doc } from "./documents.js";
import { LocalEmbedder, type Embedder } from "./embed.js";
import { KeywordSource } from "./keyword.js";
import { RRF_K, cutTop, dedup, fitBudget, fuse, renderBlock, SEPARATOR, type Candidate, type Dropped, type Item, type RankedList } from "./rank.js";
import { structuredSearch } from "./structured.js";
import { countTokens, truncateToTokens } from "./tokens.js";
import { DEFAULT_HNSW, VectorSource, type BuildReport, type HnswParams } from "./vector.js";

/** Condenses `text` (the candidates that did not all fit) into at most `budget` tokens. */
export type Summarizer = (input: { context: string; query: string; text: string; budget: number }, signal: AbortSignal) => Promise<string>;

export interface ContextAssemblerOptions {
  /** The plan (only its `contexts` are read). */
  plan: Pick<Plan, "contexts">;
  /** The program root: the directory plan file ids are relative to (the entry's directory). */
  root: string;
  /** Where vector indexes are kept (e.g. `.awr/index` beside the run store); in memory when omitted. */
  indexDir?: string;
  /** Default: the local deterministic embedder (384 dimensions). */
  embedder?: Embedder;
  /** The clock of the cache (tests pass their own). */
  now?: () => number;
  /** RRF's k (default 60). */
  rrfK?: number;
  /** Hits asked of each source (default max(2 × top, 20)). */
  perSource?: number;
  /** Cut the first candidate that does not fit the budget instead of dropping it. */
  truncateLast?: boolean;
  /**
   * Called when candidates were dropped for the budget: the assembled text becomes its summary of
   * all candidates (cut to the budget). The plan has no field for a context's `summarize` prompt
   * yet, so this is wired by the embedder of the VM; `modelSummarizer` builds one from a model.
   */
  summarize?: Summarizer;
  hnsw?: Partial<HnswParams>;
}

export interface SourceReport {
  name: string;
  kind: ContextSourcePlan["kind"];
  /** Documents read (records count one each). */
  documents: number;
  /** Hits this source returned for the query. */
  hits: number;
  /** First 12 hex digits of the source's content version. */
  version: string;
  /** Vector sources: what refreshing the index did. */
  build?: BuildReport;
}

export interface Assembly {
  context: string;
  query: string;
  /** The assembled text: the kept items' blocks (`[source: id]` + text) joined by blank lines. */
  text: string;
  /** cl100k_base tokens of `text`; never above `budget`. */
  tokens: number;
  budget: number | null;
  items: Item[];
  dropped: Dropped[];
  cacheHit: boolean;
  /** True when `text` is the summariser's condensation of `items`. */
  summarized: boolean;
  sources: SourceReport[];
  /** Non-fatal findings (a source matching no file...). */
  warnings: string[];
}

export interface ContextAssembler extends ContextProvider {
  assemble(name: string, query: string, signal: AbortSignal): Promise<Assembly>;
  /** Brings the context's vector indexes up to date without querying. */
  build(name: string, signal: AbortSignal): Promise<BuildReport[]>;
}

interface SourceState {
  plan: ContextSourcePlan;
  base: string;
  pattern: string;
  vector?: VectorSource;
  keyword?: KeywordSource;
}

export function createContextAssembler(opts: ContextAssemblerOptions): ContextAssembler {
  return new Assembler(opts);
}

function contextFailure(context: string, message: string): VmFailure {
  return new VmFailure({ kind: "tool", message: `context ${context}: ${message}`, retryable: false });
}

function intOption(s: ContextSourcePlan, name: string): number | undefined {
  const v = s.options[name];
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined;
}

class Assembler implements ContextAssembler {
  private readonly embedder: Embedder;
  private readonly cache: TtlCache<Assembly>;
  private readonly states = new Map<string, SourceState[]>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly embedMemo = new Map<string, number[]>();
  private readonly hnsw: HnswParams;

  constructor(private readonly opts: ContextAssemblerOptions) {
    this.embedder = opts.embedder ?? new LocalEmbedder();
    this.cache = new TtlCache(opts.now ?? Date.now);
    this.hnsw = { ...DEFAULT_HNSW, ...opts.hnsw };
  }

  assemble(name: string, query: string, signal: AbortSignal): Promise<Assembly> {
    return this.locked(name, () => this.run(name, query, signal));
  }

  build(name: string, signal: AbortSignal): Promise<BuildReport[]> {
    return this.locked(name, async () => {
      const ctx = this.context(name);
      const reports: BuildReport[] = [];
      for (const s of this.sourcesOf(name, ctx)) {
        if (!s.vector) continue;
        reports.push(await s.vector.refresh(this.read(name, s).docs, signal));
      }
      return reports;
    });
  }

  /** One assembly at a time per context: refreshing an index is not reentrant. */
  private locked<T>(name: string, f: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const next = prev.then(f, f);
    this.locks.set(
      name,
      next.catch(() => undefined),
    );
    return next;
  }

  private context(name: string): ContextPlan {
    const ctx = this.opts.plan.contexts[name];
    if (!ctx) {
      const names = Object.keys(this.opts.plan.contexts);
      throw contextFailure(name, `no such context (the plan has ${names.length === 0 ? "none" : names.join(", ")})`);
    }
    return ctx;
  }

  private sourcesOf(name: string, ctx: ContextPlan): SourceState[] {
    let states = this.states.get(name);
    if (states) return states;
    states = ctx.sources.map((plan) => {
      const pattern = typeof plan.args[0] === "string" ? plan.args[0] : "";
      if (pattern === "") throw contextFailure(name, `source ${plan.name} names no file`);
      const base = sourceBase(this.opts.root, plan.loc.file);
      const s: SourceState = { plan, base, pattern };
      if (plan.kind === "vector") {
        const chunk = { maxTokens: intOption(plan, "chunk") ?? DEFAULT_CHUNK.maxTokens, overlap: intOption(plan, "overlap") ?? DEFAULT_CHUNK.overlap };
        const prefix = this.opts.indexDir ? join(this.opts.indexDir, `${safe(name)}-${safe(plan.name)}`) : undefined;
        s.vector = new VectorSource(plan.name, { pattern, base, chunk }, this.embedder, prefix, this.hnsw);
      } else if (plan.kind === "keyword") {
        const fields = plan.options["fields"];
        s.keyword = new KeywordSource(plan.name, Array.isArray(fields) ? fields.filter((f): f is string => typeof f === "string") : undefined);
      }
      return s;
    });
    this.states.set(name, states);
    return states;
  }

  private read(name: string, s: SourceState): { docs: Doc[]; version: string } {
    let docs: Doc[];
    try {
      docs = loadDocuments(s.base, s.pattern);
    } catch (e) {
      if (e instanceof SourceError) throw contextFailure(name, `source ${s.plan.name}: ${e.message}`);
      throw e;
    }
    const version = sha256(JSON.stringify([s.plan.kind, s.pattern, s.plan.options, docs.map((d) => [d.id, d.hash])]));
    return { docs, version };
  }

  private async run(name: string, query: string, signal: AbortSignal): Promise<Assembly> {
    const ctx = this.context(name);
    const states = this.sourcesOf(name, ctx);
    const read = states.map((s) => this.read(name, s));
    const cacheKey = sha256(JSON.stringify([name, query, read.map((r) => r.version)]));
    if (ctx.cache_ms) {
      const hit = this.cache.get(cacheKey);
      if (hit) return { ...structuredClone(hit), cacheHit: true };
    }
    const warnings: string[] = [];
    const reports: SourceReport[] = [];
    const lists: RankedList[] = [];
    const top = ctx.top;
    const perSource = this.opts.perSource ?? Math.max(2 * (top ?? 10), 20);
    let queryVector: number[] | undefined;
    for (let i = 0; i < states.length; i++) {
      const s = states[i]!;
      const { docs, version } = read[i]!;
      if (docs.length === 0) warnings.push(`source ${s.plan.name}: ${s.pattern} matches no file (relative to ${s.base})`);
      const report: SourceReport = { name: s.plan.name, kind: s.plan.kind, documents: docs.length, hits: 0, version: version.slice(0, 12) };
      let list: RankedList = { source: s.plan.name, hits: [] };
      if (s.vector) {
        report.build = await s.vector.refresh(docs, signal);
        if (s.vector.size > 0) {
          queryVector ??= (await this.embedder.embed([query], signal))[0]!;
          const hits = await s.vector.search(queryVector, perSource);
          list = { source: s.plan.name, hits: hits.map((h) => ({ id: h.chunk.id, text: h.chunk.text, score: h.score, vector: s.vector!.vector(h.label)! })) };
        }
      } else if (s.keyword) {
        s.keyword.refresh(docs, version);
        list = { source: s.plan.name, hits: s.keyword.search(query, perSource).map((h) => ({ id: h.unit.id, text: h.unit.text, score: h.score })) };
      } else {
        const key = s.plan.options["key"];
        if (docs.length > 0 && docs.every((d) => !d.record))
          warnings.push(`source ${s.plan.name}: structured sources read JSON or JSONL records; ${s.pattern} has none`);
        const hits = structuredSearch(docs, query, typeof key === "string" ? key : undefined, perSource);
        list = { source: s.plan.name, hits: hits.map((h) => ({ id: h.doc.id, text: h.doc.text, score: h.score })) };
      }
      report.hits = list.hits.length;
      reports.push(report);
      lists.push(list);
    }

    const fused = fuse(lists, ctx.fuse === "concat" ? "concat" : "rrf", this.opts.rrfK ?? RRF_K);
    let cands = fused.candidates;
    const dropped: Dropped[] = [...fused.duplicates];
    if (ctx.dedup !== null) {
      await this.embedMissing(cands, signal);
      const d = dedup(cands, ctx.dedup, (c) => c.vector ?? this.embedMemo.get(c.key)!);
      cands = d.kept;
      dropped.push(...d.dropped);
    }
    const t = cutTop(cands, top);
    dropped.push(...t.dropped);
    const fitted = fitBudget(t.kept, ctx.budget, { truncateLast: this.opts.truncateLast ?? false });
    let { items, text, tokens } = fitted;
    let summarized = false;
    const overBudget = fitted.dropped.length > 0 || items.some((i) => i.truncated);
    if (this.opts.summarize && ctx.budget !== null && overBudget) {
      const full = t.kept.map(renderBlock).join(SEPARATOR);
      const summary = await this.opts.summarize({ context: name, query, text: full, budget: ctx.budget }, signal);
      text = truncateToTokens(summary.trim(), ctx.budget);
      tokens = countTokens(text);
      items = t.kept.map((c) => ({
        source: c.source,
        id: c.id,
        score: c.score,
        ranks: c.ranks,
        scores: c.scores,
        tokens: countTokens(renderBlock(c)),
        text: c.text,
      }));
      summarized = true;
    } else dropped.push(...fitted.dropped);

    const assembly: Assembly = {
      context: name,
      query,
      text,
      tokens,
      budget: ctx.budget,
      items,
      dropped,
      cacheHit: false,
      summarized,
      sources: reports,
      warnings,
    };
    if (ctx.cache_ms) this.cache.set(cacheKey, structuredClone(assembly), ctx.cache_ms);
    return assembly;
  }

  /** Embeddings for dedup of candidates that came without one (keyword and structured hits). */
  private async embedMissing(cands: Candidate[], signal: AbortSignal): Promise<void> {
    const missing = cands.filter((c) => !c.vector && !this.embedMemo.has(c.key));
    if (missing.length === 0) return;
    const vectors = await this.embedder.embed(
      missing.map((c) => c.text),
      signal,
    );
    missing.forEach((c, i) => this.embedMemo.set(c.key, vectors[i]!));
    // Bounded: the memo only saves re-embedding popular texts.
    while (this.embedMemo.size > 10_000) this.embedMemo.delete(this.embedMemo.keys().next().value!);
  }
}

function safe(name: string): string {
  return name.replace(/[^\w.-]/g, "_");
}

/** A summariser that asks a model (through the VM's ModelProvider) to condense the candidates. */
export function modelSummarizer(models: ModelProvider, model: string, plan: Plan["models"][string]): Summarizer {
  return async ({ context, query, text, budget }, signal) => {
    const messages: ChatMessage[] = [
      {
        role: "system",
        content: `Condense the retrieved passages into at most ${budget} tokens of plain text. Keep every fact relevant to the query, with its [source: id] citation; drop the rest. Do not add facts.`,
      },
      { role: "user", content: `Query: ${query}\n\nPassages:\n\n${text}` },
    ];
    const r = await models.call({ model, plan, messages, schema: null, caller: `context ${context}` }, signal);
    return typeof r.output === "string" ? r.output : JSON.stringify(r.output);
  };
}
