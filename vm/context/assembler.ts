// The context assembler: what an agent's `context:` (and `awr context query`) turns a query into.
//
//   sources (vector / keyword / structured, each a ranked list)
//     → fuse (reciprocal rank fusion, k = 60, or concat) → dedup (cosine ≥ `dedup`)
//     → top (`top`) → budget (`budget` tokens, exact cl100k count) → [summarise] → text
//
// Results are cached for `cache_ms` under the query and the sources' content versions. The
// assembler does file IO (it is a VM provider): it reads the sources' files (and, for `sessions()`
// sources, the run store's sessions) on every call, to notice edits, and keeps vector indexes in
// `indexDir`.
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { ContextPlan, ContextSourcePlan, Plan } from "../../compiler/plan/index.js";
import { modelChain } from "../exec/model.js";
import { renderSegments } from "../template.js";
import { VmFailure, type AssembleOptions, type ChatMessage, type ContextProvider, type ModelProvider, type SummaryRequest } from "../types.js";
import { TtlCache } from "./cache.js";
import { DEFAULT_CHUNK } from "./chunk.js";
import { PathScope } from "../project-paths.js";
import { SourceError, loadDocuments, sha256, sourceBase, type Doc } from "./documents.js";
import { LocalEmbedder, cosine, type Embedder } from "./embed.js";
import { KeywordSource } from "./keyword.js";
import { RRF_K, cutTop, dedup, fitBudget, fuse, renderBlock, SEPARATOR, type Candidate, type Dropped, type Item, type RankedList } from "./rank.js";
import { askerId, sessionDocuments, sessionsSpec, type SessionStore, type SessionsSpec } from "./sessions.js";
import { structuredSearch } from "./structured.js";
import { fitSummary, summaryArgs, type Summarizer } from "./summary.js";
import { countTokens } from "./tokens.js";
import { DEFAULT_HNSW, VectorSource, exactSearch, type BuildReport, type HnswParams } from "./vector.js";

export type { Summarizer } from "./summary.js";

export interface ContextAssemblerOptions {
  /** The plan: its `contexts`, and its `prompts` and `models` for `summarize` prompts called in place (`models`). */
  plan: Pick<Plan, "contexts"> & Partial<Pick<Plan, "prompts" | "models">>;
  /** The program root: the directory plan file ids are relative to (the entry's directory). */
  root: string;
  /**
   * The project root source files must resolve inside (after realpath); default: the nearest
   * directory at or above `root` holding package.json or .git, else `root` (vm/project-paths.ts).
   */
  projectRoot?: string;
  /** Further directories sources may read (default: `AWR_ALLOW_PATHS`). */
  allowPaths?: string[];
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
   * all candidates (cut to the budget). Overrides the contexts' `summarize` prompts;
   * `modelSummarizer` builds one from a model.
   */
  summarize?: Summarizer;
  /**
   * Calls a context's `summarize` prompt in place when an assembly is not deferred to the caller
   * (`awr context query --models`). Without it (and without `summarize`) such an assembly is
   * trimmed to the budget, with a warning.
   */
  models?: ModelProvider;
  /** The run store `sessions()` sources search (cross-session memory); without it they find nothing, with a warning. */
  store?: SessionStore;
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
  /**
   * With `deferSummary`: the assembly went over its budget and the context has a `summarize`
   * prompt; `text` is trimmed to the budget, and the caller condenses this instead.
   */
  summarize?: SummaryRequest;
}

export interface ContextAssembler extends ContextProvider {
  assemble(name: string, query: string, signal: AbortSignal, opts?: AssembleOptions): Promise<Assembly>;
  /** Brings the context's vector indexes up to date without querying. */
  build(name: string, signal: AbortSignal): Promise<BuildReport[]>;
}

interface SourceState {
  plan: ContextSourcePlan;
  base: string;
  pattern: string;
  vector?: VectorSource;
  keyword?: KeywordSource;
  sessions?: SessionsSpec;
  /** `sessions()` with `search: "vector"`: embeddings of its documents by content hash. */
  embedded?: Map<string, number[]>;
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
  /** Where source files may be read from (built on first use). */
  private scope: PathScope | undefined;
  private readonly embedMemo = new Map<string, number[]>();
  private readonly hnsw: HnswParams;

  constructor(private readonly opts: ContextAssemblerOptions) {
    this.embedder = opts.embedder ?? new LocalEmbedder();
    this.cache = new TtlCache(opts.now ?? Date.now);
    this.hnsw = { ...DEFAULT_HNSW, ...opts.hnsw };
  }

  assemble(name: string, query: string, signal: AbortSignal, opts: AssembleOptions = {}): Promise<Assembly> {
    return this.locked(name, () => this.run(name, query, signal, opts));
  }

  build(name: string, signal: AbortSignal): Promise<BuildReport[]> {
    return this.locked(name, async () => {
      const ctx = this.context(name);
      const reports: BuildReport[] = [];
      for (const s of this.sourcesOf(name, ctx)) {
        if (!s.vector) continue;
        reports.push(await s.vector.refresh((await this.read(name, s, {})).docs, signal));
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
      const base = sourceBase(this.opts.root, plan.loc.file);
      if (plan.kind === "sessions") {
        const spec = sessionsSpec(plan);
        return { plan, base, pattern: "", sessions: spec, ...(spec.search === "vector" ? { embedded: new Map<string, number[]>() } : {}) };
      }
      const pattern = typeof plan.args[0] === "string" ? plan.args[0] : "";
      if (pattern === "") throw contextFailure(name, `source ${plan.name} names no file`);
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

  private async read(name: string, s: SourceState, who: AssembleOptions): Promise<{ docs: Doc[]; version: string }> {
    let docs: Doc[];
    try {
      if (s.sessions) docs = this.opts.store ? await sessionDocuments(this.opts.store, s.sessions, who) : [];
      else docs = loadDocuments(s.base, s.pattern, (this.scope ??= PathScope.of(this.opts.root, this.opts)));
    } catch (e) {
      if (e instanceof SourceError || s.sessions) throw contextFailure(name, `source ${s.plan.name}: ${(e as Error).message}`);
      throw e;
    }
    // A sessions source's documents depend on who asks: the scope is part of its version.
    const scope = s.sessions ? [s.sessions.scope === "principal" ? askerId(who) : "*", s.sessions.excludeCurrent ? (who.sessionId ?? null) : null] : [];
    const version = sha256(JSON.stringify([s.plan.kind, s.pattern, s.plan.options, ...scope, docs.map((d) => [d.id, d.hash])]));
    return { docs, version };
  }

  private async run(name: string, query: string, signal: AbortSignal, who: AssembleOptions): Promise<Assembly> {
    const ctx = this.context(name);
    const states = this.sourcesOf(name, ctx);
    const read = await Promise.all(states.map((s) => this.read(name, s, who)));
    const cacheKey = sha256(JSON.stringify([name, query, read.map((r) => r.version), who.deferSummary === true]));
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
      if (s.sessions && !this.opts.store) warnings.push(`source ${s.plan.name}: no run store to search (createContextAssembler({ store }))`);
      else if (docs.length === 0 && !s.sessions) warnings.push(`source ${s.plan.name}: ${s.pattern} matches no file (relative to ${s.base})`);
      const report: SourceReport = { name: s.plan.name, kind: s.plan.kind, documents: docs.length, hits: 0, version: version.slice(0, 12) };
      let list: RankedList = { source: s.plan.name, hits: [] };
      if (s.embedded) {
        if (docs.length > 0) {
          queryVector ??= (await this.embedder.embed([query], signal))[0]!;
          list = { source: s.plan.name, hits: await this.similar(s.embedded, docs, queryVector, perSource, signal) };
        }
      } else if (s.sessions) {
        s.keyword ??= new KeywordSource(s.plan.name, ["text"]);
        s.keyword.refresh(docs, version);
        list = { source: s.plan.name, hits: s.keyword.search(query, perSource).map((h) => ({ id: h.unit.id, text: h.unit.text, score: h.score })) };
      } else if (s.vector) {
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
    let deferred: SummaryRequest | undefined;
    const overBudget = fitted.dropped.length > 0 || items.some((i) => i.truncated);
    const prompt = ctx.summarize ?? null;
    // The API's summariser first; else the context's prompt: the caller's (the VM's) to call, or
    // called in place with `models`, or not at all (a warning; the text stays trimmed).
    let summarizer = this.opts.summarize;
    if (!summarizer && prompt !== null && ctx.budget !== null && overBudget) {
      if (who.deferSummary) deferred = { prompt, query, text: t.kept.map(renderBlock).join(SEPARATOR), budget: ctx.budget };
      else if (this.opts.models) summarizer = promptSummarizer(this.opts.plan, this.opts.models, prompt);
      else warnings.push(`summarize: prompt ${prompt} was not called: no model provider (awr context query --models); the text is trimmed to the budget`);
    }
    if (summarizer && ctx.budget !== null && overBudget) {
      const full = t.kept.map(renderBlock).join(SEPARATOR);
      const summary = await summarizer({ context: name, query, text: full, budget: ctx.budget }, signal);
      ({ text, tokens } = fitSummary(summary, ctx.budget));
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
      ...(deferred ? { summarize: deferred } : {}),
    };
    if (ctx.cache_ms) this.cache.set(cacheKey, structuredClone(assembly), ctx.cache_ms);
    return assembly;
  }

  /**
   * A `sessions()` source searched by embeddings: its documents embedded once (by content hash,
   * those no longer visible forgotten), ranked by cosine similarity to the query, exactly.
   */
  private async similar(memo: Map<string, number[]>, docs: Doc[], query: number[], k: number, signal: AbortSignal): Promise<RankedList["hits"]> {
    const missing = docs.filter((d) => !memo.has(d.hash));
    if (missing.length > 0) {
      const vectors = await this.embedder.embed(
        missing.map((d) => d.text),
        signal,
      );
      missing.forEach((d, i) => memo.set(d.hash, vectors[i]!));
    }
    const live = new Set(docs.map((d) => d.hash));
    for (const h of memo.keys()) if (!live.has(h)) memo.delete(h);
    const vectors = docs.map((d) => memo.get(d.hash)!);
    return exactSearch(vectors, query, k).map((i) => ({ id: docs[i]!.id, text: docs[i]!.text, score: cosine(vectors[i]!, query), vector: vectors[i]! }));
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

/**
 * A summariser that renders the plan's `summarize` prompt and asks its model (then its fallbacks,
 * in order) through `models` directly — no policies, journal or retries: for previews outside a
 * run (`awr context query --models`). In a run the VM calls the prompt (vm/exec/agent.ts).
 */
export function promptSummarizer(plan: Partial<Pick<Plan, "prompts" | "models">>, models: ModelProvider, name: string): Summarizer {
  return async ({ query, text, budget }, signal) => {
    const prompt = plan.prompts?.[name];
    if (!prompt) throw new VmFailure({ kind: "tool", retryable: false, message: `summarize: the plan has no prompt "${name}"` });
    const args = summaryArgs(prompt, { query, text, budget });
    const messages: ChatMessage[] = prompt.messages.map((m) => ({ role: m.role, content: renderSegments(m.segments, { get: (n) => args[n] }) }));
    const chain = modelChain({ models: plan.models ?? {} } as Plan, prompt.model);
    if (chain.length === 0) throw new VmFailure({ kind: "transport", retryable: false, message: `summarize: prompt ${name} has no model` });
    let failure: unknown;
    for (const model of chain) {
      try {
        const r = await models.call({ model, plan: plan.models![model]!, messages, schema: null, caller: name }, signal);
        return typeof r.output === "string" ? r.output : JSON.stringify(r.output);
      } catch (e) {
        failure = e;
      }
    }
    throw failure;
  };
}
