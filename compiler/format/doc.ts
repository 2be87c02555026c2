// What every printer shares: prettier's document builders, the source text and the attached comments.
// Printers turn AST nodes into prettier `Doc`s; prettier's doc printer lays them out to a width.
import { builders, utils } from "prettier/doc";
import type { Comment, Span } from "../syntax/ast.js";
import type { CommentMap, Located } from "./comments.js";

export type Doc = builders.Doc;
export const { group, indent, line, softline, hardline, join, lineSuffix, lineSuffixBoundary, breakParent, conditionalGroup, literalline, literallineWithoutBreakParent } =
  builders;
export const { willBreak } = utils;

export class PrintContext {
  /** Comments already printed: formatSource checks that none is left out. */
  readonly printed = new Set<Comment>();

  constructor(
    readonly text: string,
    private readonly comments: CommentMap,
  ) {}

  /** `doc` (the printed `node`) surrounded by the node's leading and trailing comments. */
  withComments(node: Located, doc: Doc): Doc {
    const a = this.comments.get(node);
    if (!a) return doc;
    const parts: Doc[] = [];
    a.leading.forEach((c, i) => {
      parts.push(this.comment(c));
      const next = a.leading[i + 1]?.span.start ?? node.span.start;
      const gap = next >= c.span.end ? this.text.slice(c.span.end, next) : "\n";
      const newlines = countNewlines(gap);
      // A stray `///` directly above the node (or above more `///`) would become its doc.
      const after = a.leading[i + 1];
      if (this.comments.strayDocs?.has(c) && (!after || after.kind === "doc")) parts.push(hardline, hardline);
      else if (c.kind === "block" && newlines === 0) parts.push(" ");
      else parts.push(hardline, newlines > 1 ? hardline : "");
    });
    parts.push(doc);
    let end = node.span.end;
    for (const c of [...a.trailing, ...a.dangling]) {
      const gap = c.span.start >= end ? this.text.slice(end, c.span.start) : "";
      const newlines = countNewlines(gap);
      if (newlines === 0) parts.push(c.kind === "block" ? [" ", this.comment(c)] : [lineSuffix([" ", this.comment(c)]), breakParent]);
      // A stray `///` on a line of its own after the node would become the doc of what follows (the
      // next field or node): a blank line after it ends the doc block.
      else parts.push(lineSuffix([hardline, newlines > 1 ? hardline : "", this.comment(c), this.comments.strayDocs?.has(c) ? hardline : ""]), breakParent);
      end = Math.max(end, c.span.end);
    }
    return parts;
  }

  /** The dangling comments of an empty construct, one per line (the caller prints them inside it). */
  dangling(node: Located): Doc | undefined {
    const a = this.comments.get(node);
    if (!a || a.dangling.length === 0) return undefined;
    const docs = a.dangling.map((c) => this.comment(c));
    const inline = a.dangling.every((c) => c.kind === "block" && !c.text.includes("\n"));
    a.dangling = [];
    return inline ? join(" ", docs) : [join(hardline, docs), breakParent];
  }

  /**
   * The comments between two adjacent nodes (trailing `a` or leading `b`), in source order, taken
   * out of both so that the caller prints them itself.
   */
  takeBetween(a: Located, b: Located): Comment[] {
    const ta = this.comments.get(a);
    const lb = this.comments.get(b);
    const out = [...(ta?.trailing ?? []), ...(lb?.leading ?? [])].sort((x, y) => x.span.start - y.span.start);
    if (ta) ta.trailing = [];
    if (lb) lb.leading = [];
    return out;
  }

  /** Prints comments taken with `takeBetween` after code and before more code: a line comment ends its line. */
  commentsBetween(comments: Comment[], next: Doc): Doc {
    const parts: Doc[] = [];
    let broke = false;
    for (const c of comments) {
      parts.push(broke ? "" : " ", this.comment(c));
      broke = c.kind !== "block" || c.text.includes("\n");
      if (broke) parts.push(hardline);
    }
    parts.push(broke ? "" : " ", next);
    return parts;
  }

  /** Whether any comment lies inside `span` (a construct with comments never collapses onto one line). */
  hasCommentIn(span: Span): boolean {
    for (const a of this.comments.values()) {
      for (const c of [...a.leading, ...a.trailing, ...a.dangling]) if (c.span.start >= span.start && c.span.end <= span.end) return true;
    }
    return false;
  }

  /** Where a node starts and ends once its leading and trailing comments are counted. */
  extent(node: Located): Span {
    const a = this.comments.get(node);
    const start = Math.min(node.span.start, ...(a?.leading.map((c) => c.span.start) ?? []));
    const end = Math.max(node.span.end, ...(a?.trailing.map((c) => c.span.end) ?? []));
    return { start, end };
  }

  /** Whether the source had an empty line between two offsets. */
  blankLineBetween(from: number, to: number): boolean {
    return to > from && countNewlines(this.text.slice(from, to)) > 1;
  }

  source(span: Span): string {
    return this.text.slice(span.start, span.end);
  }

  private comment(c: Comment): Doc {
    this.printed.add(c);
    const text = c.kind === "block" ? c.text : c.text.trimEnd();
    // A pending end-of-line comment goes before a multi-line block comment, not into it.
    return text.includes("\n") ? [lineSuffixBoundary, verbatim(text)] : verbatim(text);
  }
}

/**
 * Text printed exactly as written, even across lines (templates, block comments). A template's line
 * breaks are its own text, so they do not force the surrounding list or call to break (`breaks: false`).
 */
export function verbatim(text: string, breaks = true): Doc {
  const lines = text.split("\n");
  return lines.length === 1 ? text : join(breaks ? literalline : literallineWithoutBreakParent, lines);
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}
