import type { Span } from "../span.js";
import { CODES, type Code, type Severity } from "./codes.js";

/** Data a code action can apply without re-deriving it (e.g. a did-you-mean replacement). */
export type FixData =
  | { kind: "replace"; span: Span; text: string; title: string }
  | { kind: "insert"; offset: number; text: string; title: string };

export interface Related {
  file: string;
  span: Span;
  message: string;
}

/** A diagnostic is data: code, severity, where, what, and optional fixes. Never an exception. */
export interface Diagnostic {
  code: Code;
  severity: Severity;
  file: string;
  span: Span;
  message: string;
  related?: Related[];
  fixes?: FixData[];
}

export function diag(
  code: Code,
  file: string,
  span: Span,
  message: string,
  extra?: { related?: Related[]; fixes?: FixData[]; severity?: Severity },
): Diagnostic {
  const d: Diagnostic = { code, severity: extra?.severity ?? CODES[code].severity, file, span, message };
  if (extra?.related?.length) d.related = extra.related;
  if (extra?.fixes?.length) d.fixes = extra.fixes;
  return d;
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === "error");
}

/** One diagnostic per file, span, code and message (a module shared by two programs is reported once). */
export function dedupeDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.file}\0${d.span.start}\0${d.span.end}\0${d.code}\0${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Stable order: file, position, code. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return ds.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.span.start - b.span.start ||
      a.span.end - b.span.end ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}
