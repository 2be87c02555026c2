// Re-parsing one declaration: the parse of a file's new text from the parse of its previous text,
// so typing in a 2,000-line file does not re-parse all of it on every keystroke (the largest share
// of a re-check; `ReparseCache` in compiler/session.ts uses it). The region of declaration k is the
// gap after declaration k-1 (its `///` docs and comments) plus k itself; when an edit lies inside
// one region of a file that parsed cleanly, that region is parsed alone — its spans then moved to
// the region's offset — and spliced between the old declarations before it and the old
// declarations after it (their spans shifted by the edit's length). Anything else (imports, an edit
// across declarations, any diagnostic before or after) falls back to a full parse (undefined), so
// the result always equals `parse(file, text)`.
import type * as A from "./ast.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { parse } from "./parser.js";

/** One file's text and its parse. */
export interface Parsed {
  text: string;
  module: A.Module;
  diagnostics: Diagnostic[];
}

/** The parse of `text` from the parse of `prev.text`, or undefined when only a full parse will do. */
export function reparse(file: string, prev: Parsed, text: string): Parsed | undefined {
  const old = prev.text;
  const decls = prev.module.decls;
  if (prev.diagnostics.length > 0 || decls.length === 0) return undefined;
  const max = Math.min(old.length, text.length);
  let p = 0;
  while (p < max && old.charCodeAt(p) === text.charCodeAt(p)) p++;
  let s = 0;
  while (s < max - p && old.charCodeAt(old.length - 1 - s) === text.charCodeAt(text.length - 1 - s)) s++;
  const oldEnd = old.length - s;
  const delta = text.length - old.length;

  const importsEnd = prev.module.imports.reduce((m, i) => Math.max(m, i.span.end), 0);
  const k = decls.findIndex((d) => oldEnd <= d.span.end);
  const last = decls.length - 1;
  const idx = k < 0 ? last : k;
  const lo = idx > 0 ? decls[idx - 1]!.span.end : importsEnd;
  const hi = idx === last ? old.length : decls[idx]!.span.end;
  if (p < lo || oldEnd > hi || lo < importsEnd || (idx === 0 && p <= importsEnd && prev.module.imports.length > 0)) return undefined;
  const newHi = hi + delta;

  // The region alone, its spans moved to where it sits (the parser compares lines only between
  // tokens of the region, and a region never starts inside a token).
  const r = parse(file, text.slice(lo, newHi));
  if (r.diagnostics.length > 0) return undefined;
  const after = decls.slice(idx + 1).map((d) => shifted(d, delta));
  const module: A.Module = {
    ...prev.module,
    span: { start: 0, end: text.length },
    decls: [...decls.slice(0, idx), ...r.module.decls.map((d) => shifted(d, lo)), ...after],
    comments: [
      ...prev.module.comments.filter((c) => c.span.end <= lo),
      ...r.module.comments.map((c) => shifted(c, lo)),
      ...prev.module.comments.filter((c) => c.span.start >= hi && idx !== last).map((c) => shifted(c, delta)),
    ],
  };
  return { text, module, diagnostics: [] };
}

/** A deep copy of an AST value with every span (`span`, `*Span`) moved by `by`. */
function shifted<T>(v: T, by: number): T {
  if (by === 0) return v;
  if (Array.isArray(v)) return v.map((x: unknown) => shifted(x, by)) as T;
  if (!v || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if ((k === "span" || k.endsWith("Span")) && x && typeof x === "object" && "start" in x) {
      const sp = x as A.Span;
      out[k] = { start: sp.start + by, end: sp.end + by };
    } else out[k] = shifted(x, by);
  }
  return out as T;
}
