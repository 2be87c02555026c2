// From ranked lists to the assembled text: fusion, near-duplicate removal, the `top` cut and the
// token budget. Each stage says why it dropped what it dropped.
import { cosine } from "./embed.js";
import { countTokens, truncateToTokens } from "./tokens.js";

/** One hit of one source, best first within its list. */
export interface SourceHit {
  id: string;
  text: string;
  /** The source's own score (cosine similarity, BM25+, matched conditions). */
  score: number;
  /** The stored embedding, when the source has one (vector sources). */
  vector?: number[];
}

export interface RankedList {
  source: string;
  hits: SourceHit[];
}

export interface Candidate {
  /** The text's identity: the same text found by two sources is one candidate. */
  key: string;
  /** The source that ranked it best, and its id there. */
  source: string;
  id: string;
  text: string;
  /** The fused score (RRF: Σ 1/(k + rank)); for `concat`, the best source's own score. */
  score: number;
  /** 1-based rank in each source that found it. */
  ranks: Record<string, number>;
  /** Each source's own score. */
  scores: Record<string, number>;
  vector?: number[];
}

export interface Dropped {
  id: string;
  source: string;
  stage: "dedup" | "top" | "budget";
  why: string;
}

export const RRF_K = 60;

function keyOf(text: string): string {
  return text.normalize("NFKC").replace(/\s+/g, " ").trim().toLowerCase();
}

/**
 * Reciprocal rank fusion (Cormack et al.): score = Σ over the sources that found a text of
 * 1 / (k + rank). `concat` keeps the sources' order, each list in its own order. Ties: best single
 * rank, then source order, then id — the result never depends on hash or insertion order.
 */
export function fuse(lists: readonly RankedList[], mode: "rrf" | "concat", k = RRF_K): { candidates: Candidate[]; duplicates: Dropped[] } {
  const byKey = new Map<string, Candidate & { order: number; best: number }>();
  const duplicates: Dropped[] = [];
  lists.forEach((list, order) => {
    list.hits.forEach((hit, i) => {
      const rank = i + 1;
      const key = keyOf(hit.text);
      let c = byKey.get(key);
      if (!c) {
        c = { key, source: list.source, id: hit.id, text: hit.text, score: 0, ranks: {}, scores: {}, order, best: rank };
        if (hit.vector) c.vector = hit.vector;
        byKey.set(key, c);
      } else if (c.ranks[list.source] !== undefined) {
        // The same text twice in one source (a copied file): one of them is enough.
        duplicates.push({ id: hit.id, source: list.source, stage: "dedup", why: `dedup: the same text as ${c.id}` });
        return;
      } else if (rank < c.best) {
        c.best = rank;
        c.source = list.source;
        c.id = hit.id;
        c.order = order;
      }
      c.ranks[list.source] = rank;
      c.scores[list.source] = hit.score;
      if (!c.vector && hit.vector) c.vector = hit.vector;
      c.score = mode === "rrf" ? c.score + 1 / (k + rank) : Math.max(c.score, hit.score);
    });
  });
  const all = [...byKey.values()];
  if (mode === "rrf") all.sort((a, b) => b.score - a.score || a.best - b.best || a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  else all.sort((a, b) => a.order - b.order || a.best - b.best);
  return { candidates: all.map(({ order: _o, best: _b, ...c }) => c), duplicates };
}

/**
 * Drops every candidate whose cosine similarity to a better-ranked kept one is ≥ `threshold`.
 * `vectorOf` gives each candidate's embedding.
 */
export function dedup(cands: readonly Candidate[], threshold: number, vectorOf: (c: Candidate) => number[]): { kept: Candidate[]; dropped: Dropped[] } {
  const kept: Candidate[] = [];
  const vectors: number[][] = [];
  const dropped: Dropped[] = [];
  for (const c of cands) {
    const v = vectorOf(c);
    let best = -1;
    let twin = -1;
    vectors.forEach((w, i) => {
      const s = cosine(v, w);
      if (s > best) {
        best = s;
        twin = i;
      }
    });
    if (twin >= 0 && best >= threshold) {
      dropped.push({ id: c.id, source: c.source, stage: "dedup", why: `dedup: ${best.toFixed(3)} similar to ${kept[twin]!.id} (threshold ${threshold})` });
      continue;
    }
    kept.push(c);
    vectors.push(v);
  }
  return { kept, dropped };
}

export function cutTop(cands: readonly Candidate[], top: number | null): { kept: Candidate[]; dropped: Dropped[] } {
  if (top === null || cands.length <= top) return { kept: [...cands], dropped: [] };
  return {
    kept: cands.slice(0, top),
    dropped: cands.slice(top).map((c, i) => ({ id: c.id, source: c.source, stage: "top", why: `top: fused rank ${top + i + 1}, top is ${top}` })),
  };
}

export interface Item {
  source: string;
  id: string;
  score: number;
  ranks: Record<string, number>;
  scores: Record<string, number>;
  /** Tokens of this item's block in the assembled text (header line included). */
  tokens: number;
  text: string;
  /** The text was cut to fit the budget (`truncateLast`). */
  truncated?: boolean;
}

export const SEPARATOR = "\n\n";

/** The block an item contributes to the assembled text: a citation line, then its text. */
export function renderBlock(c: { source: string; id: string; text: string }): string {
  return `[${c.source}: ${c.id}]\n${c.text}`;
}

export interface BudgetOptions {
  /** Cut the first candidate that does not fit to the tokens left, then stop (default: skip it). */
  truncateLast?: boolean;
  /** The smallest truncated text worth keeping, in tokens (default 32). */
  minTruncated?: number;
}

/**
 * Packs candidates, best first, into at most `budget` tokens of assembled text. A candidate that
 * does not fit is dropped (later, smaller ones may still fit) — or, with `truncateLast`, cut to the
 * tokens left. The count is exact: the joined text is re-counted, and the last item dropped until
 * it fits, so the result never exceeds the budget even when BPE merges across the separators.
 */
export function fitBudget(
  cands: readonly Candidate[],
  budget: number | null,
  opts: BudgetOptions = {},
): { items: Item[]; dropped: Dropped[]; text: string; tokens: number } {
  const items: Item[] = [];
  const dropped: Dropped[] = [];
  const sep = countTokens(SEPARATOR);
  let used = 0;
  let truncatedOnce = false;
  const item = (c: Candidate, text: string, tokens: number): Item => ({
    source: c.source,
    id: c.id,
    score: c.score,
    ranks: c.ranks,
    scores: c.scores,
    tokens,
    text,
  });
  for (const c of cands) {
    const block = renderBlock(c);
    const t = countTokens(block);
    const extra = items.length > 0 ? sep : 0;
    if (budget === null || used + extra + t <= budget) {
      items.push(item(c, c.text, t));
      used += extra + t;
      continue;
    }
    const left = budget - used - extra;
    if (opts.truncateLast && !truncatedOnce && left >= (opts.minTruncated ?? 32)) {
      truncatedOnce = true;
      const header = countTokens(renderBlock({ ...c, text: "" }));
      const text = truncateToTokens(c.text, left - header);
      const bt = countTokens(renderBlock({ ...c, text }));
      if (text !== "" && bt <= left) {
        items.push({ ...item(c, text, bt), truncated: true });
        used += extra + bt;
        continue;
      }
    }
    dropped.push({ id: c.id, source: c.source, stage: "budget", why: `budget: needs ${t + extra} tokens, ${Math.max(0, budget - used)} of ${budget} left` });
  }
  let text = items.map(renderBlock).join(SEPARATOR);
  let tokens = countTokens(text);
  while (budget !== null && tokens > budget && items.length > 0) {
    const last = items.pop()!;
    dropped.push({ id: last.id, source: last.source, stage: "budget", why: `budget: the joined text came to ${tokens} tokens, over ${budget}` });
    text = items.map(renderBlock).join(SEPARATOR);
    tokens = countTokens(text);
  }
  return { items, dropped, text, tokens };
}
