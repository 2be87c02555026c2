// Re-attaching comments to the AST for printing. The parser keeps every comment in `Module.comments`
// with its span; here each one is given to a node: the node it trails on the same line, the node it
// precedes, or (inside an empty construct) the enclosing node as a dangling comment. The printers
// then print a node's comments around it, so a comment stays where it was relative to its code.
import type { Comment, Module, Span } from "../syntax/ast.js";
import { docCommentsBefore } from "../syntax/parser.js";

/** Anything printed with comments around it: every AST node (they all carry a span). */
export interface Located {
  span: Span;
}

export interface Attached {
  leading: Comment[];
  trailing: Comment[];
  dangling: Comment[];
}

export type CommentMap = Map<Located, Attached> & {
  /**
   * `///` comments that document nothing (inside a declaration, after code). Printed directly above
   * a declaration, a field or a node they would become its doc and change the program, so they
   * are printed as leading comments followed by a blank line, which ends a doc block.
   */
  strayDocs?: Set<Comment>;
};

/** Gives every comment of `module` to one node; the result lists each comment exactly once. */
export function attachComments(module: Module, text: string): CommentMap {
  const map: CommentMap = new Map();
  const strayDocs = (map.strayDocs = strayDocComments(module, text));
  const add = (node: Located, where: keyof Attached, c: Comment) => {
    let a = map.get(node);
    if (!a) map.set(node, (a = { leading: [], trailing: [], dangling: [] }));
    a[where].push(c);
  };
  const gaps = new Gaps(text, module.comments);
  for (const c of module.comments) {
    const { enclosing, preceding, following } = locate(module, c.span);
    // `f(/* nothing */)`: a comment inside empty parentheses stays inside them.
    if (isEmptyCall(enclosing) && preceding && c.span.start >= preceding.span.end) {
      add(enclosing, "dangling", c);
      continue;
    }
    if (strayDocs.has(c)) {
      if (following) add(following, "leading", c);
      else if (preceding) add(preceding, "trailing", c);
      else add(enclosing, "dangling", c);
      continue;
    }
    const ownLine = /^[ \t]*$/.test(text.slice(lineStart(text, c.span.start), c.span.start));
    const endOfLine = c.kind !== "block" || /^[ \t]*(\r?\n|$)/.test(text.slice(c.span.end));
    // A neighbour is adjacent when only whitespace, other comments or parentheses separate it from
    // the comment. A keyword between them (`because // note` then the value on the next line) would
    // otherwise move the comment past the keyword on one run and back on the next: the printer puts
    // a comment right next to its node, so attaching to an adjacent node keeps it where it was, and
    // attaching to a non-adjacent one moves it once, after which it is adjacent and stays.
    // A separator comma counts as nothing before the comment (a trailing comment is printed after
    // it), and a comment on its own line is the first thing of the line after it, so a comma or an
    // opening bracket before that line's node counts as nothing either.
    const before = preceding && !gaps.hasCode(preceding.span.end, c.span.start, "),");
    const after = following && !gaps.hasCode(c.span.end, following.span.start, ownLine ? "(,{[" : "(");
    // `type T // note` then `{` on the next line: printed trailing, the comment would land after the
    // `{`, where it is the leading comment of the first item; so it is that from the start.
    if (before && !after && endOfLine && following && !gaps.hasCode(c.span.end, following.span.start, "([{")) {
      add(following, "leading", c);
    } else if (before && !after) add(preceding, "trailing", c);
    else if (after && !before) add(following, "leading", c);
    else if (ownLine) {
      if (following) add(following, "leading", c);
      else if (preceding) add(preceding, "trailing", c);
      else add(enclosing, "dangling", c);
    } else if (endOfLine) {
      if (preceding) add(preceding, "trailing", c);
      else if (following) add(following, "leading", c);
      else add(enclosing, "dangling", c);
    } else if (following && (!preceding || after)) {
      add(following, "leading", c);
    } else if (preceding) add(preceding, "trailing", c);
    else add(enclosing, "dangling", c);
  }
  return map;
}

/** Answers whether source text between two offsets holds code, comments and whitespace aside. */
class Gaps {
  constructor(
    private readonly text: string,
    private readonly comments: readonly Comment[],
  ) {}

  /** Whether [from, to) holds a character other than whitespace, comments and those in `allowed`. */
  hasCode(from: number, to: number, allowed: string): boolean {
    let k = this.firstCommentFrom(from);
    for (let i = from; i < to; i++) {
      while (k < this.comments.length && this.comments[k]!.span.end <= i) k++;
      const c = this.comments[k];
      if (c && c.span.start <= i) {
        i = c.span.end - 1;
        continue;
      }
      const ch = this.text[i]!;
      if (!allowed.includes(ch) && !/\s/.test(ch)) return true;
    }
    return false;
  }

  private firstCommentFrom(offset: number): number {
    let lo = 0;
    let hi = this.comments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.comments[mid]!.span.end <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The `///` comments of `module` that are not the doc of a declaration, a field or a node (parser.ts `attachDocs`). */
function strayDocComments(module: Module, text: string): Set<Comment> {
  const docs = module.comments.filter((c) => c.kind === "doc");
  if (docs.length === 0) return new Set();
  const documented: Located[] = [];
  for (const d of module.decls) {
    documented.push(d);
    if (d.kind === "TypeDecl") documented.push(...d.fields);
    if (d.kind === "GraphDecl") {
      for (const m of d.members) {
        if (m.kind === "Node") documented.push(m);
        if (m.kind === "State") documented.push(...m.fields);
      }
    }
  }
  const real = new Set(documented.flatMap((n) => docCommentsBefore(n.span.start, module.comments, text)));
  return new Set(docs.filter((c) => !real.has(c)));
}

function isEmptyCall(node: Located): boolean {
  const n = node as { kind?: string; args?: unknown[] };
  return n.kind === "Call" && n.args?.length === 0;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/** The innermost node containing `span`, and its children just before and just after it. */
function locate(root: Located, span: Span): { enclosing: Located; preceding?: Located; following?: Located } {
  let enclosing = root;
  for (;;) {
    const kids = children(enclosing);
    const inside = kids.find((k) => k.span.start <= span.start && span.end <= k.span.end && k.span.start < k.span.end);
    if (inside) {
      enclosing = inside;
      continue;
    }
    let preceding: Located | undefined;
    let following: Located | undefined;
    for (const k of kids) {
      if (k.span.end <= span.start) preceding = k;
      else if (k.span.start >= span.end && !following) following = k;
    }
    return { enclosing, ...(preceding ? { preceding } : {}), ...(following ? { following } : {}) };
  }
}

const SKIPPED_KEYS = new Set(["span", "pathSpan", "targetSpan", "comments", "parts"]);

/** The child nodes of an AST node in source order (template holes excluded: a template is one token). */
export function children(node: Located): Located[] {
  const out: Located[] = [];
  const visit = (value: unknown) => {
    if (!value || typeof value !== "object") return;
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    const v = value as Record<string, unknown>;
    if ("span" in v && "kind" in v) out.push(v as unknown as Located);
    else for (const [k, x] of Object.entries(v)) if (!SKIPPED_KEYS.has(k)) visit(x);
  };
  for (const [k, v] of Object.entries(node)) if (!SKIPPED_KEYS.has(k)) visit(v);
  return out.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
}
