// The expression printer. Parentheses are not in the AST, so they are re-derived from precedence:
// an operand is parenthesised when it binds looser than its position requires (grammar.ts levels,
// loosest first: || && (== !=) (< <= > >= in) ?? (+ -) (* / %) unary postfix). Binary operators
// are left-associative, so a right operand of the same level keeps its parentheses.
// Lists, records and call arguments break onto one item per line past the width (the layout depends
// on the AST alone, never on how it was written); a trailing record or list argument hugs the call's
// parentheses.
import type * as A from "../syntax/ast.js";
import { BINARY_PRECEDENCE, POSTFIX_PRECEDENCE, UNARY_PRECEDENCE } from "../plan/precedence.js";
import { unquote } from "../syntax/cst-to-ast.js";
import { type Doc, type PrintContext, conditionalGroup, group, indent, join, line, lineSuffixBoundary, softline, verbatim, willBreak } from "./doc.js";

const BINARY_PREC = BINARY_PRECEDENCE;
const UNARY = UNARY_PRECEDENCE;
const POSTFIX = POSTFIX_PRECEDENCE;
const ATOM = 10;

function precedence(e: A.Expr): number {
  switch (e.kind) {
    case "Binary":
      return BINARY_PREC[e.op];
    case "Unary":
      return UNARY;
    case "Member":
    case "Index":
    case "NonNull":
    case "Call":
      return POSTFIX;
    default:
      return ATOM;
  }
}

export interface ExprOptions {
  /** Break the outermost record or list even if it fits (a hugged last argument). */
  forceBreak?: boolean;
}

/** Prints `e`, parenthesised when it binds looser than `minPrec`. */
export function printExpr(ctx: PrintContext, e: A.Expr, minPrec = 0, opts: ExprOptions = {}): Doc {
  const inner = printBare(ctx, e, opts);
  return ctx.withComments(e, precedence(e) < minPrec ? ["(", inner, ")"] : inner);
}

function printBare(ctx: PrintContext, e: A.Expr, opts: ExprOptions): Doc {
  switch (e.kind) {
    case "String":
      return stringLiteral(ctx, e.span, e.value);
    case "Number":
      return numberLiteral(ctx, e.span, e.value);
    case "Bool":
      return e.value ? "true" : "false";
    case "Null":
      return "null";
    case "Duration":
      return e.text;
    case "Template":
      // A line comment waiting for the end of the line (`system // note`) must not end up inside a
      // multi-line template, which holds the first line break: it is printed before the template.
      return [e.raw.includes("\n") ? lineSuffixBoundary : "", '#"', verbatim(e.raw, false), '"#'];
    case "Name":
      return e.name;
    case "Member":
      return [printExpr(ctx, e.object, POSTFIX), e.optional ? "?." : ".", printIdent(ctx, e.name)];
    case "Index":
      return [printExpr(ctx, e.object, POSTFIX), "[", printExpr(ctx, e.index), "]"];
    case "NonNull":
      return [printExpr(ctx, e.expr, POSTFIX), "!"];
    case "Call":
      return printCall(ctx, e);
    case "Unary": {
      const operand = printExpr(ctx, e.operand, UNARY);
      // `- -a`, not `--a`: clearer, and the same tokens
      const space = e.op === "-" && e.operand.kind === "Unary" && e.operand.op === "-" ? " " : "";
      return [e.op, space, operand];
    }
    case "Binary":
      // A rate reads as one unit: `20/s` (unless a comment sits inside: `20//* c */s` would be a line comment).
      if (isRate(e) && !ctx.hasCommentIn(e.span)) return [printExpr(ctx, e.left, ATOM), "/", printExpr(ctx, e.right, ATOM)];
      // `type in xs` at the start of a line would read as a declaration: `(type) in xs` cannot.
      if (e.op === "in" && e.left.kind === "Name" && DECLARATION_KEYWORDS.has(e.left.name)) {
        return ["(", printExpr(ctx, e.left), ") in ", printExpr(ctx, e.right, BINARY_PREC.in + 1)];
      }
      return [printExpr(ctx, e.left, BINARY_PREC[e.op]), " ", e.op, " ", printExpr(ctx, e.right, BINARY_PREC[e.op] + 1)];
    case "Record":
      return printRecord(ctx, e, opts.forceBreak === true);
    case "List":
      return printList(ctx, e, opts.forceBreak === true);
    case "ErrorExpr":
      // Only in files with syntax errors, which are never formatted.
      return ctx.source(e.span);
  }
}

function isRate(e: A.BinaryExpr): boolean {
  return e.op === "/" && e.left.kind === "Number" && e.right.kind === "Name" && ["s", "m", "h"].includes(e.right.name);
}

export function printIdent(ctx: PrintContext, id: A.Ident): Doc {
  return ctx.withComments(id, id.name);
}

/** A record: `{}`, `{ a: 1, b: 2 }`, or one field per line when it does not fit. */
export function printRecord(ctx: PrintContext, r: A.RecordExpr, forceBreak = false): Doc {
  if (r.fields.length === 0) return empty(ctx, r, "{", "}");
  const fields = r.fields.map((f) => ctx.withComments(f, [recordKey(ctx, f.key), ": ", printExpr(ctx, f.value)]));
  return group(["{", indent([line, join([",", line], fields)]), line, "}"], { shouldBreak: forceBreak });
}

function printList(ctx: PrintContext, l: A.ListExpr, forceBreak: boolean): Doc {
  if (l.items.length === 0) return empty(ctx, l, "[", "]");
  const items = l.items.map((x) => printExpr(ctx, x));
  return group(["[", indent([softline, join([",", line], items)]), softline, "]"], { shouldBreak: forceBreak });
}

/** `{}` or `[]`, with the comments written inside it. */
function empty(ctx: PrintContext, node: A.Expr, open: string, close: string): Doc {
  const inside = ctx.dangling(node);
  const space = open === "{" ? line : softline;
  return inside ? group([open, indent([space, inside]), space, close]) : open + close;
}

function recordKey(ctx: PrintContext, key: A.Ident): Doc {
  const written = ctx.source(key.span);
  const text = written.startsWith('"') && unquote(written) === key.name ? written : isName(key.name) ? key.name : quote(key.name);
  return ctx.withComments(key, text);
}

/** `f(a, b)`; past the width one argument per line, or a trailing record/list hugging the parentheses. */
export function printCall(ctx: PrintContext, call: A.CallExpr): Doc {
  const callee = printExpr(ctx, call.callee, POSTFIX);
  if (call.args.length === 0) {
    const inside = ctx.dangling(call);
    if (inside) return [callee, group(["(", indent([softline, inside]), softline, ")"])];
  }
  return [callee, printArgs(ctx, call.args)];
}

export function printArgs(ctx: PrintContext, args: A.Arg[]): Doc {
  if (args.length === 0) return "()";
  const docs = args.map((a) => printArg(ctx, a));
  const broken = (shouldBreak: boolean) => group(["(", indent([softline, join([",", line], docs)]), softline, ")"], { shouldBreak });
  if (docs.slice(0, -1).some(willBreak)) return broken(true);
  const last = args[args.length - 1]!;
  const huggable = (last.value.kind === "Record" && last.value.fields.length > 0) || (last.value.kind === "List" && last.value.items.length > 0);
  if (!huggable || ctx.hasCommentIn({ start: last.span.start, end: last.value.span.start })) return broken(false);
  const head = docs.slice(0, -1).map((d) => [d, ", "]);
  const hugged = ["(", ...head, printArg(ctx, last, true), ")"];
  if (willBreak(docs[docs.length - 1]!)) return conditionalGroup([hugged, broken(true)]);
  return conditionalGroup([["(", join(", ", docs), ")"], hugged, broken(true)]);
}

function printArg(ctx: PrintContext, a: A.Arg, forceBreak = false): Doc {
  const value = printExpr(ctx, a.value, 0, { forceBreak });
  return ctx.withComments(a, a.name ? [printIdent(ctx, a.name), ": ", value] : value);
}

// ---------------------------------------------------------------- literals

/** A string literal as written (escapes kept), or re-quoted when the source does not hold it. */
export function stringLiteral(ctx: PrintContext, span: A.Span, value: string): string {
  const written = ctx.source(span);
  return written.length >= 2 && written.startsWith('"') && written.endsWith('"') && unquote(written) === value ? written : quote(value);
}

/** A number as written (`0.60` stays `0.60`), or its canonical form when the source does not hold it. */
export function numberLiteral(ctx: PrintContext, span: A.Span, value: number): string {
  const written = ctx.source(span);
  return /^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(written) && Number(written) === value ? written : String(value);
}

const ESCAPES: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0" };

export function quote(value: string): string {
  const body = value.replace(/[\\"\u0000-\u001f\u007f]/g, (ch) => ESCAPES[ch] ?? `\\u{${ch.codePointAt(0)!.toString(16)}}`);
  return `"${body}"`;
}

const DECLARATION_KEYWORDS = new Set(["import", "type", "enum", "model", "tool", "prompt", "agent", "context", "policy", "graph", "test"]);
const RESERVED = new Set(["true", "false", "null"]);

export function isName(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) && !RESERVED.has(s);
}
