import type { CstNode, IRecognitionException, IToken, TokenType } from "./chevrotain.js";
import type * as A from "./ast.js";
import { diag, type Diagnostic } from "../diagnostics/diagnostic.js";
import { grammar } from "./grammar.js";
import { CstToAst } from "./cst-to-ast.js";
import * as T from "./lexer.js";

export interface ParseResult {
  module: A.Module;
  diagnostics: Diagnostic[];
}

const DECL_STARTS = new Set<TokenType>(T.declarationKeywords);

/**
 * Parses one file. Never throws on user input: a broken file yields a partial module and coded
 * diagnostics. The token stream is cut into declarations first (at a declaration keyword at brace
 * depth 0, or first on its line, followed by a name), so one broken declaration never takes
 * its neighbours down with it — the editor keeps symbols for the rest of the file.
 */
export function parse(file: string, text: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  // A file far beyond hand-written size is refused before the lexer spends seconds and the heap on it.
  if (text.length > MAX_SOURCE_CHARS) {
    const message = `this file has ${text.length.toLocaleString("en")} characters, over the limit of ${MAX_SOURCE_CHARS.toLocaleString("en")} for one source file; split it into modules joined by imports`;
    diagnostics.push(diag("AWR1006", file, { start: 0, end: 0 }, message));
    return { module: { kind: "Module", file, imports: [], decls: [], comments: [], span: { start: 0, end: text.length } }, diagnostics };
  }
  const lexed = T.lex(text);
  for (const e of lexed.errors) {
    const ch = text.slice(e.offset, e.offset + e.length);
    diagnostics.push(
      diag("AWR1001", file, { start: e.offset, end: e.offset + e.length }, `unexpected character${e.length > 1 ? "s" : ""} ${JSON.stringify(ch)}`),
    );
  }
  // An unterminated template swallows the rest of its declaration: errors after it are noise.
  const swallowed = lexed.tokens.filter((t) => t.tokenType === T.UnterminatedTemplate).map((t) => t.startOffset);
  const tokens = lexed.tokens.map((t) => normalizeUnterminated(t, file, diagnostics));
  const comments: A.Comment[] = lexed.comments.map((c) => {
    if (c.tokenType === T.UnterminatedComment) {
      diagnostics.push(diag("AWR1003", file, { start: c.startOffset, end: c.startOffset + 2 }, "block comment '/*' is never closed with '*/'"));
    }
    return {
      kind: c.tokenType === T.DocComment ? "doc" : c.tokenType === T.LineComment ? "line" : "block",
      text: c.image,
      span: { start: c.startOffset, end: c.startOffset + c.image.length },
    };
  });

  const builder = new CstToAst({
    file,
    text,
    diagnostics,
    parseHole: (holeText, offset) => parseExpressionAt(file, holeText, offset, diagnostics),
  });

  const module: A.Module = { kind: "Module", file, imports: [], decls: [], comments, span: { start: 0, end: text.length } };
  for (const seg of segments(tokens)) {
    if (!seg.decl) {
      const first = seg.tokens[0]!;
      const last = seg.tokens[seg.tokens.length - 1]!;
      diagnostics.push(
        diag(
          "AWR1002",
          file,
          { start: first.startOffset, end: last.startOffset + last.image.length },
          `expected a declaration (import, type, enum, model, tool, prompt, agent, context, policy, graph or test) but found ${describe(first)}`,
        ),
      );
      continue;
    }
    const tooDeep = deepestBracket(seg.tokens);
    if (tooDeep) {
      diagnostics.push(diag("AWR1002", file, tokSpan(tooDeep), `brackets nest more than ${MAX_NESTING} levels deep here; split the expression`));
      continue;
    }
    let node: A.ImportDecl | A.Decl | undefined;
    try {
      grammar.input = seg.tokens;
      const cst = grammar.declaration();
      const cut = swallowed.find((o) => o >= seg.tokens[0]!.startOffset && o <= seg.tokens[seg.tokens.length - 1]!.startOffset);
      reportParseErrors(grammar.errors, file, seg.tokens, diagnostics, "AWR1002", cut);
      node = cst ? builder.declaration(cst as CstNode) : undefined;
    } catch (err) {
      // Pathological nesting the bracket limit does not catch (list<list<...>> hundreds deep)
      // exhausts the stack; that is the user's input, not a crash.
      if (!(err instanceof RangeError)) throw err;
      diagnostics.push(diag("AWR1002", file, tokSpan(seg.tokens[0]!), "this declaration nests too deeply to parse; split it up"));
      continue;
    }
    if (!node) continue;
    // Every level of nesting takes at least one token: short declarations cannot be too deep.
    if (seg.tokens.length > MAX_DEPTH) limitDepth(node, file, diagnostics);
    if (node.kind === "Import") module.imports.push(node);
    else {
      attachDocs(node, comments, text);
      module.decls.push(node);
    }
  }
  return { module, diagnostics };
}

/** The largest source file the parser reads (2 MB of ASCII; hand-written files are far smaller). */
export const MAX_SOURCE_CHARS = 2_000_000;

/** Deepest bracket nesting a declaration may have (far beyond hand-written code). */
const MAX_NESTING = 64;
/** Deepest expression or type nesting (a chain `a.b.c...` or `1 + 1 + ...` counts one per link). */
const MAX_DEPTH = 256;

function tokSpan(t: IToken): A.Span {
  return { start: t.startOffset, end: t.startOffset + t.image.length };
}

/** The bracket that opens nesting level MAX_NESTING + 1, if any. */
function deepestBracket(tokens: IToken[]): IToken | undefined {
  let depth = 0;
  for (const t of tokens) {
    if (t.tokenType === T.LCurly || t.tokenType === T.LParen || t.tokenType === T.LSquare) {
      if (++depth > MAX_NESTING) return t;
    } else if (t.tokenType === T.RCurly || t.tokenType === T.RParen || t.tokenType === T.RSquare) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/**
 * Replaces expressions and types nested deeper than MAX_DEPTH by error nodes (with AWR1002), so
 * that every later pass — checker, lowering, plan validation — can recurse without exhausting the
 * stack. Iterative on purpose.
 */
function limitDepth(root: object, file: string, diagnostics: Diagnostic[]) {
  const isDeep = (k: unknown) => typeof k === "string" && (EXPR_KINDS.has(k) || TYPE_KINDS.has(k));
  const stack: { node: Record<string, unknown>; depth: number; parent?: Record<string, unknown> | unknown[]; key?: string | number }[] = [
    { node: root as Record<string, unknown>, depth: 0 },
  ];
  while (stack.length) {
    const { node, depth, parent, key } = stack.pop()!;
    const counts = isDeep(node["kind"]);
    const d = counts ? depth + 1 : 0;
    if (d > MAX_DEPTH && parent !== undefined && key !== undefined) {
      const span = node["span"] as A.Span;
      const replacement = TYPE_KINDS.has(node["kind"] as string)
        ? { kind: "NamedType", name: { kind: "Ident", name: "", span, recovered: true }, args: [], span, recovered: true }
        : { kind: "ErrorExpr", span, recovered: true };
      (parent as Record<string | number, unknown>)[key] = replacement;
      diagnostics.push(diag("AWR1002", file, span, `this nests more than ${MAX_DEPTH} levels deep; split it up`));
      continue;
    }
    for (const [k, v] of Object.entries(node)) {
      if (k === "span" || !v || typeof v !== "object") continue;
      if (Array.isArray(v)) v.forEach((x, i) => x && typeof x === "object" && stack.push({ node: x, depth: d, parent: v, key: i }));
      else stack.push({ node: v as Record<string, unknown>, depth: d, parent: node, key: k });
    }
  }
}

const EXPR_KINDS = new Set(["String", "Number", "Bool", "Null", "Duration", "Template", "Name", "Member", "Index", "NonNull", "Call", "Unary", "Binary", "Record", "List", "ErrorExpr", "Arg", "RecordField"]);
const TYPE_KINDS = new Set(["NamedType", "LiteralType", "UnionType", "OptionalType"]);

/** Parses a single expression (used for template holes); offsets are made absolute. */
export function parseExpressionAt(file: string, text: string, offset: number, diagnostics: Diagnostic[]): A.Expr {
  const lexed = T.lex(text);
  for (const e of lexed.errors) {
    diagnostics.push(diag("AWR1001", file, { start: offset + e.offset, end: offset + e.offset + e.length }, `unexpected character ${JSON.stringify(text.slice(e.offset, e.offset + e.length))}`));
  }
  const tokens = lexed.tokens.map((t) => shift(normalizeUnterminated(t, file, diagnostics, offset), offset));
  const fallback = { kind: "ErrorExpr" as const, span: { start: offset, end: offset + text.length }, recovered: true };
  if (tokens.length === 0) return fallback;
  grammar.input = tokens;
  const cst = grammar.expression();
  const errs = grammar.errors;
  reportParseErrors(errs, file, tokens, diagnostics, "AWR1004");
  if (!cst) return fallback;
  const builder = new CstToAst({ file, text, diagnostics, parseHole: () => fallback, syntaxCode: "AWR1004" });
  return builder.expr(cst as CstNode, offset);
}

function shift(t: IToken, by: number): IToken {
  if (by === 0) return t;
  return { ...t, startOffset: t.startOffset + by, endOffset: (t.endOffset ?? t.startOffset) + by };
}

/** Reports unterminated strings/templates once, then hands the parser a well-formed token. */
function normalizeUnterminated(t: IToken, file: string, diagnostics: Diagnostic[], offset = 0): IToken {
  if (t.tokenType === T.UnterminatedString) {
    diagnostics.push(diag("AWR1003", file, { start: offset + t.startOffset, end: offset + t.startOffset + t.image.length }, "string is never closed: add a '\"' before the end of the line"));
    return retype(t, T.StringLiteral);
  }
  if (t.tokenType === T.UnterminatedTemplate) {
    diagnostics.push(diag("AWR1003", file, { start: offset + t.startOffset, end: offset + t.startOffset + 2 }, "template string '#\"' is never closed with '\"#'"));
    return retype(t, T.Template);
  }
  // Reported by the AST builder as a malformed duration (AWR1005).
  if (t.tokenType === T.BadDuration) return retype(t, T.Duration);
  return t;
}

function retype(t: IToken, type: TokenType): IToken {
  return { ...t, tokenType: type, tokenTypeIdx: type.tokenTypeIdx! };
}

interface Segment {
  tokens: IToken[];
  /** False for tokens before the first declaration or between declarations that start none. */
  decl: boolean;
}

function startsDeclaration(tokens: IToken[], i: number): boolean {
  const t = tokens[i]!;
  if (!DECL_STARTS.has(t.tokenType)) return false;
  const next = tokens[i + 1];
  if (!next) return false;
  return t.tokenType === T.Import ? next.tokenType === T.StringLiteral : isName(next);
}

function isName(t: IToken): boolean {
  return t.tokenType === T.Identifier || T.keywordTokens.includes(t.tokenType);
}

function segments(tokens: IToken[]): Segment[] {
  const out: Segment[] = [];
  let current: Segment | undefined;
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const prev = tokens[i - 1];
    const atLineStart = !prev || (prev.endLine ?? prev.startLine ?? 0) < (t.startLine ?? 0);
    if ((depth <= 0 || atLineStart) && startsDeclaration(tokens, i)) {
      current = { tokens: [], decl: true };
      out.push(current);
      depth = 0;
    } else if (!current) {
      current = { tokens: [], decl: false };
      out.push(current);
    }
    current.tokens.push(t);
    if (t.tokenType === T.LCurly || t.tokenType === T.LParen || t.tokenType === T.LSquare) depth++;
    else if (t.tokenType === T.RCurly || t.tokenType === T.RParen || t.tokenType === T.RSquare) depth--;
    // A stray closing brace at top level ends the declaration; what follows needs a new keyword.
    if (depth < 0) {
      current = undefined;
      depth = 0;
    }
  }
  return out;
}

const RULE_WHAT: Record<string, string> = {
  declaration: "a declaration",
  primary: "an expression",
  unary: "an expression",
  postfix: "an expression",
  expression: "an expression",
  nodeStmt: "a node statement (run, map, await, set, retry, timeout, on error, compensate)",
  graphMember: "state, node, edge or return",
  testStmt: "a test statement (run, mock, expect)",
  policyRule: "a policy rule (deny, allow, approve, redact, transform)",
  policyHook: "'before' or 'after'",
  property: "a property value (':' value, a template #\"...\"# or a { ... } block)",
  primaryType: "a type",
  typeExpr: "a type",
  edgeEnds: "a node name or [a, b]",
  contextItem: "a source or a property",
  recordField: "a field name",
};

function describe(t: IToken | undefined): string {
  if (!t || t.tokenType.name === "EOF" || !Number.isFinite(t.startOffset)) return "the end of the declaration";
  const img = t.image.length > 24 ? t.image.slice(0, 21) + "..." : t.image;
  return `'${img.replace(/\n/g, "\\n")}'`;
}

function reportParseErrors(
  errors: IRecognitionException[],
  file: string,
  tokens: IToken[],
  diagnostics: Diagnostic[],
  code: "AWR1002" | "AWR1004" = "AWR1002",
  ignoreFrom = Infinity,
) {
  const last = tokens[tokens.length - 1];
  const endOffset = last ? (last.endOffset ?? last.startOffset) + 1 : 0;
  const seen = new Set<number>();
  for (const e of errors) {
    const t = e.token;
    const atEnd = !t || !Number.isFinite(t.startOffset) || t.tokenType.name === "EOF";
    const span = atEnd ? { start: endOffset, end: endOffset } : { start: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1 };
    if (seen.has(span.start) || span.start > ignoreFrom) continue; // one message per place: recovery can report a token twice
    seen.add(span.start);
    const message = messageFor(e);
    diagnostics.push(diag(code, file, span, code === "AWR1004" ? message.replace("the end of the declaration", "the end of the hole") : message));
  }
}

function messageFor(e: IRecognitionException): string {
  const found = describe(e.token);
  const rule = e.context?.ruleStack?.[e.context.ruleStack.length - 1] ?? "";
  switch (e.name) {
    case "MismatchedTokenException": {
      const m = /--> (.*?) <--/.exec(e.message);
      const expected = m ? m[1]! : "something else";
      return `expected ${expected} but found ${found}`;
    }
    case "NotAllInputParsedException":
      return `unexpected ${found}: the declaration ended before it`;
    case "NoViableAltException":
    case "EarlyExitException":
      return `expected ${RULE_WHAT[rule] ?? "something else"} but found ${found}`;
    default:
      return `syntax error at ${found}`;
  }
}

function attachDocs(decl: A.Decl, comments: A.Comment[], text: string) {
  const attach = (n: { span: A.Span; doc?: string }) => {
    const doc = docBefore(n.span.start, comments, text);
    if (doc !== undefined) n.doc = doc;
  };
  attach(decl);
  if (decl.kind === "TypeDecl") decl.fields.forEach(attach);
  if (decl.kind === "GraphDecl") {
    for (const m of decl.members) {
      if (m.kind === "Node") attach(m);
      if (m.kind === "State") m.fields.forEach(attach);
    }
  }
}

/** The `///` lines directly above an offset (no blank line between them), markers stripped. */
export function docBefore(offset: number, comments: A.Comment[], text: string): string | undefined {
  const lines = docCommentsBefore(offset, comments, text).map((c) => c.text.replace(/^\/\/\/ ?/, ""));
  return lines.length ? lines.join("\n") : undefined;
}

/** The `///` comments that make the doc of whatever starts at `offset` (see docBefore). */
export function docCommentsBefore(offset: number, comments: A.Comment[], text: string): A.Comment[] {
  let lo = 0;
  let hi = comments.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (comments[mid]!.span.end <= offset) lo = mid + 1;
    else hi = mid;
  }
  const out: A.Comment[] = [];
  let pos = offset;
  for (let i = lo - 1; i >= 0; i--) {
    const c = comments[i]!;
    const gap = text.slice(c.span.end, pos);
    // Only whitespace, and no blank line: a blank line ends a doc block (a file header stays apart).
    if (c.kind !== "doc" || gap.trim() !== "" || (gap.match(/\n/g)?.length ?? 0) > 1) break;
    out.unshift(c);
    pos = c.span.start;
  }
  return out;
}
