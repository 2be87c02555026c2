// Re-parsing the edited declarations only: the parse of a file's new text from the parse of its
// previous text, so typing in a 5,000-line file does not re-parse all of it on every keystroke (the
// largest share of a re-check; `IncrementalParseCache` in compiler/session.ts uses it) — also while
// the text has syntax errors, which is most keystrokes.
//
// Why it is sound. The parser cuts the token stream into segments and parses each alone
// (parser.ts): a declaration keyword that is first on its line and followed by a name ALWAYS
// starts a segment, whatever came before (an unclosed brace included). Call such a place a
// boundary. Take the last boundary A before the edit and the first boundary B after it (whose line
// the edit leaves alone), or the file's ends. If the new text between them lexes by itself without
// an open multi-line token (template, block comment, string) or a stray character, the lexer is
// between tokens at A and at B in the new text as in the old, so:
//   - everything before A lexes, cuts and parses as before (its last token's look-ahead sees a
//     declaration keyword at A, before and after);
//   - B still starts a segment, so everything from B on parses as before, moved by the edit's length;
//   - the region in between cuts and parses exactly as the region parsed alone — except that alone
//     its last token sees no next token: a region ending in a declaration keyword falls back.
// Diagnostics then split by position (each lies inside its segment or its token) and keep the
// parser's order: first the lexer's (stray characters AWR1001, then unclosed strings AWR1003), then
// the segments'. To tell the lexer's from the segments' (a template hole reports AWR1001 too),
// `Parsed.lexical` counts the former; a parse without it that has either code falls back, as do an
// unclosed template or block comment (they swallow what follows) and AWR1006.
// Docs attach across the cut: the `///` lines above A's declaration lie before A, and those above
// B's declaration inside the region, so both are computed again from the merged comments. Anything
// else falls back to a full parse (undefined), so the result always equals `parse(file, text)`
// (test/compiler/reparse.test.ts, test/lsp/reparse-errors.test.ts).
import type * as A from "./ast.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import * as T from "./lexer.js";
import { MAX_SOURCE_CHARS, docBefore, parse } from "./parser.js";

/** One file's text and its parse. */
export interface Parsed {
  text: string;
  module: A.Module;
  diagnostics: Diagnostic[];
  /**
   * How many of `diagnostics`, from the start, the lexer reported (AWR1001 stray characters, then
   * AWR1003 unclosed strings); undefined when not known (see `fullParse`).
   */
  lexical?: number;
}

/**
 * `parse`, knowing which diagnostics are the lexer's: 0 when none can be, else the text is lexed
 * again to count them (only for a text with stray characters or unclosed strings: rare, and a full
 * parse anyway); undefined when an unclosed template or comment makes reparse fall back regardless.
 */
export function fullParse(file: string, text: string): Parsed {
  const r = parse(file, text);
  const out: Parsed = { text, ...r };
  if (!r.diagnostics.some((d) => d.code === "AWR1001" || d.code === "AWR1003")) out.lexical = 0;
  else if (!r.diagnostics.some((d) => d.code === "AWR1006")) {
    const lexed = T.lex(text);
    if (!lexed.tokens.some((t) => t.tokenType === T.UnterminatedTemplate) && !lexed.comments.some((c) => c.tokenType === T.UnterminatedComment))
      out.lexical = lexed.errors.length + lexed.tokens.filter((t) => t.tokenType === T.UnterminatedString).length;
  }
  return out;
}

const DECL_STARTS = new Set(T.declarationKeywords);

/**
 * A declaration after the edit is a copy of the old one with its spans moved; this says of which,
 * and by how much. The copy is the same text at another offset, so an analysis that depends only on
 * the declaration's syntax and on what it read of the program can be reused moved (the session
 * does so for graph analyses). A copy whose docs changed has no origin.
 */
const origins = new WeakMap<A.Decl, { from: A.Decl; by: number }>();

/**
 * How many copies back an origin chain reaches. Each copy keeps the one it came from alive, so an
 * unbounded chain kept every past copy of the declarations after the cursor (0.6 MB a keystroke in
 * the middle of a 2,000-line file); a reuse that needs a copy further back checks again instead.
 */
export const MAX_ORIGINS = 8;

/** Records that `moved` is `from` moved by `by`, and cuts the chain behind it at MAX_ORIGINS. */
function setOrigin(moved: A.Decl, from: A.Decl, by: number): void {
  origins.set(moved, { from, by });
  let d = moved;
  for (let i = 0; i < MAX_ORIGINS; i++) {
    const o = origins.get(d);
    if (!o) return;
    d = o.from;
  }
  origins.delete(d);
}

/** The declaration `d` was moved from by a reparse, and by how much; undefined for a parsed one. */
export function originOf(d: A.Decl): { from: A.Decl; by: number } | undefined {
  return origins.get(d);
}

/** The parse of `text` from the parse of `prev.text`, or undefined when only a full parse will do. */
export function reparse(file: string, prev: Parsed, text: string): Parsed | undefined {
  const old = prev.text;
  const known = prev.lexical ?? (prev.diagnostics.some((d) => d.code === "AWR1001" || d.code === "AWR1003") ? undefined : 0);
  if (text.length > MAX_SOURCE_CHARS || known === undefined || prev.diagnostics.some((d) => d.code === "AWR1006")) return undefined;
  // The edit: old[p, oldEnd) became text[p, oldEnd + delta).
  const p = commonPrefix(old, text);
  const s = commonSuffix(old, text, Math.min(old.length, text.length) - p);
  const oldEnd = old.length - s;
  const delta = text.length - old.length;

  // Boundaries: the starts of declarations that are first on their line.
  let lo = 0;
  let hi = old.length;
  for (const d of prev.module.decls) {
    const at = d.span.start;
    const line = lineStart(old, at);
    if (line < 0) continue;
    if (at < p) lo = at;
    else if (line - 1 >= oldEnd) {
      hi = at;
      break;
    }
  }
  const newHi = hi + delta;
  const region = text.slice(lo, newHi);

  // The region must lex by itself as it lexes inside the file.
  const lexed = T.lex(region);
  if (lexed.tokens.some((t) => t.tokenType === T.UnterminatedTemplate)) return undefined;
  if (lexed.comments.some((c) => c.tokenType === T.UnterminatedComment)) return undefined;
  const regionLexical = lexed.errors.length + lexed.tokens.filter((t) => t.tokenType === T.UnterminatedString).length;
  const first = lexed.tokens[0];
  const last = lexed.tokens[lexed.tokens.length - 1];
  if (lo > 0 && !(first && first.startOffset === 0 && startsDeclaration(lexed.tokens))) return undefined;
  if (hi < old.length && last && DECL_STARTS.has(last.tokenType) && last.tokenType !== T.Import) return undefined;

  const r = parse(file, region);
  if (r.diagnostics.some((d) => d.code === "AWR1006")) return undefined;

  const before = <N extends { span: A.Span }>(n: N) => n.span.start < lo;
  const after = <N extends { span: A.Span }>(n: N) => n.span.start >= hi;
  const m = prev.module;
  // Every old node or diagnostic lies wholly before lo, wholly at or after hi, or in the region.
  if ([...m.decls, ...m.imports].some((n) => n.span.start < lo && n.span.end > lo)) return undefined;
  const comments = [...m.comments.filter(before), ...r.module.comments.map((c) => shifted(c, lo)), ...m.comments.filter(after).map((c) => shifted(c, delta))];
  const regionDecls = r.module.decls.map((d) => shifted(d, lo));
  // The first declaration of the region: its docs lie before the region.
  const head = regionDecls[0];
  if (lo > 0 && head && head.span.start === lo) {
    const doc = docBefore(lo, comments, text);
    if (doc !== undefined) head.doc = doc;
  }
  const tail = m.decls.filter(after).map((d) => {
    const moved = shifted(d, delta);
    if (moved !== d) setOrigin(moved, d, delta);
    return moved;
  });
  // The first declaration after the region: its docs lie inside the region.
  if (tail[0]) {
    const d = tail[0];
    const doc = docBefore(d.span.start, comments, text);
    if (doc !== d.doc) {
      const copy = { ...d };
      if (doc === undefined) delete copy.doc;
      else copy.doc = doc;
      tail[0] = copy;
    }
  }
  const module: A.Module = {
    ...m,
    span: { start: 0, end: text.length },
    imports: [...m.imports.filter(before), ...r.module.imports.map((i) => shifted(i, lo)), ...m.imports.filter(after).map((i) => shifted(i, delta))],
    decls: [...m.decls.filter(before), ...regionDecls, ...tail],
    comments,
  };
  // The lexer's diagnostics (stray characters, then unclosed strings), then the segments'.
  const oldLex = prev.diagnostics.slice(0, known);
  const oldSeg = prev.diagnostics.slice(known);
  const newLex = r.diagnostics.slice(0, regionLexical).map((d) => shiftedDiagnostic(d, lo));
  const newSeg = r.diagnostics.slice(regionLexical).map((d) => shiftedDiagnostic(d, lo));
  const merged = (old: Diagnostic[], region: Diagnostic[]) => [...old.filter(before), ...region, ...old.filter(after).map((d) => shiftedDiagnostic(d, delta))];
  const stray = (d: Diagnostic) => d.code === "AWR1001";
  const lexical = [...merged(oldLex.filter(stray), newLex.filter(stray)), ...merged(oldLex.filter((d) => !stray(d)), newLex.filter((d) => !stray(d)))];
  return { text, module, diagnostics: [...lexical, ...merged(oldSeg, newSeg)], lexical: lexical.length };
}

/**
 * The length of the longest common prefix of `a` and `b`. Compared by slices, coarse to fine: an
 * editor's text is a rope of the edit's pieces, and `charCodeAt` over one costs ~50 ns a character
 * (5 ms for the 80,000 characters before an edit at the end of a 2,000-line file); slices compare
 * at memory speed.
 */
export function commonPrefix(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let p = 0;
  for (let step = 4096; step >= 1; step >>= 3) while (p + step <= max && a.slice(p, p + step) === b.slice(p, p + step)) p += step;
  while (p < max && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  return p;
}

/** The length of the longest common suffix of `a` and `b`, at most `limit`; as `commonPrefix`. */
export function commonSuffix(a: string, b: string, limit: number): number {
  let s = 0;
  for (let step = 4096; step >= 1; step >>= 3)
    while (s + step <= limit && a.slice(a.length - s - step, a.length - s) === b.slice(b.length - s - step, b.length - s)) s += step;
  while (s < limit && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
  return s;
}

/** The start of the line of `at` when only spaces and tabs precede `at` on it, else -1. */
function lineStart(text: string, at: number): number {
  let i = at;
  while (i > 0) {
    const c = text.charCodeAt(i - 1);
    if (c === 10) return i;
    if (c !== 32 && c !== 9) return -1;
    i--;
  }
  return 0;
}

/** The parser's test for a segment start at the first token (parser.ts `startsDeclaration`). */
function startsDeclaration(tokens: { tokenType: unknown }[]): boolean {
  const [t, next] = tokens;
  if (!t || !next || !DECL_STARTS.has(t.tokenType as never)) return false;
  return t.tokenType === T.Import ? next.tokenType === T.StringLiteral : next.tokenType === T.Identifier || T.keywordTokens.includes(next.tokenType as never);
}

function shiftedDiagnostic(d: Diagnostic, by: number): Diagnostic {
  if (by === 0) return d;
  const out = { ...d, span: { start: d.span.start + by, end: d.span.end + by } };
  if (d.related) out.related = d.related.map((r) => (r.file === d.file ? { ...r, span: { start: r.span.start + by, end: r.span.end + by } } : r));
  if (d.fixes) out.fixes = d.fixes.map((f) => (f.kind === "insert" ? { ...f, offset: f.offset + by } : { ...f, span: { start: f.span.start + by, end: f.span.end + by } }));
  return out;
}

/** A deep copy of an AST value with every span (`span`, `*Span`) moved by `by`. */
function shifted<T>(v: T, by: number): T {
  return by === 0 || !v || typeof v !== "object" ? v : (shift(v as object, by) as T);
}

// Half a file's declarations are copied on an edit near its top: a plain loop, no entry arrays.
function shift(v: object, by: number): object {
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      out[i] = x && typeof x === "object" ? shift(x, by) : x;
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    if (!x || typeof x !== "object") out[k] = x;
    else if ((k === "span" || k.endsWith("Span")) && "start" in x) {
      const sp = x as A.Span;
      out[k] = { start: sp.start + by, end: sp.end + by };
    } else out[k] = shift(x, by);
  }
  return out;
}
