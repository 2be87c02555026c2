// Folding ranges: declarations and every multi-line body or block inside them (state, nodes, hooks,
// records, lists, argument lists, multi-line templates), runs of comments and of imports, from the
// module's parse in the workspace (shared with diagnostics, so folding after an edit costs no extra
// parse). A closing `}`/`]`/`)`/`"#` alone at the start of its line stays visible.
import type { FoldingRange, FoldingRangeParams } from "vscode-languageserver/node";
import { FoldingRangeKind } from "vscode-languageserver/node";
import type { ast as A } from "../../compiler/index.js";
import { type AnyNode, descendants } from "../ast-path.js";
import { uriToPath } from "../convert.js";
import type { Workspace } from "../workspace.js";

const FOLDABLE = new Set(["State", "Node", "Property", "ContextSource", "PolicyHook", "Record", "List", "Call", "Template", "Edge", "Return", "TestMock", "TestRun", "TestExpect", "Field"]);

export function foldingRanges(ws: Workspace, params: FoldingRangeParams): FoldingRange[] | null {
  const info = ws.module(uriToPath(params.textDocument.uri));
  if (!info) return null;
  const { ast: module, text } = info;
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const byStart = new Map<number, FoldingRange>();
  const add = (startLine: number, endLine: number, kind?: FoldingRangeKind) => {
    if (endLine <= startLine) return;
    const had = byStart.get(startLine);
    if (had && had.endLine >= endLine) return; // one range per start line: the outermost
    byStart.set(startLine, kind ? { startLine, endLine, kind } : { startLine, endLine });
  };
  const span = (s: A.Span) => {
    const startLine = lineOf(s.start);
    let endLine = lineOf(Math.max(s.start, s.end - 1));
    const closing = text.slice(lineStarts[endLine]!, s.end).trim();
    if (/^(\}|\]|\)|"#)/.test(closing)) endLine--;
    add(startLine, endLine);
  };

  for (const d of module.decls) {
    span(d.span);
    for (const n of descendants(d as unknown as AnyNode)) if (FOLDABLE.has(n.kind)) span(n.span);
  }

  // Runs of consecutive comment lines (and each multi-line block comment).
  let run: { start: number; end: number; doc: boolean } | undefined;
  const flush = () => {
    if (run) add(run.start, run.end, FoldingRangeKind.Comment);
    run = undefined;
  };
  for (const c of module.comments) {
    const s = lineOf(c.span.start);
    const e = lineOf(Math.max(c.span.start, c.span.end - 1));
    const alone = text.slice(lineStarts[s]!, c.span.start).trim() === "";
    if (!alone || c.kind === "block") {
      flush();
      if (c.kind === "block") add(s, e, FoldingRangeKind.Comment);
      continue;
    }
    if (run && s === run.end + 1 && run.doc === (c.kind === "doc")) run.end = e;
    else {
      flush();
      run = { start: s, end: e, doc: c.kind === "doc" };
    }
  }
  flush();

  // Runs of imports (a declaration between two imports ends a run).
  const imports = module.imports;
  if (imports.length > 1) {
    let first = imports[0]!;
    let prev = first;
    for (const i of imports.slice(1)) {
      if (module.decls.some((d) => d.span.start > prev.span.end && d.span.start < i.span.start)) {
        add(lineOf(first.span.start), lineOf(prev.span.end), FoldingRangeKind.Imports);
        first = i;
      }
      prev = i;
    }
    add(lineOf(first.span.start), lineOf(prev.span.end), FoldingRangeKind.Imports);
  }
  return [...byStart.values()].sort((a, b) => a.startLine - b.startLine);
}
