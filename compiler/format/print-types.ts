// The type-expression printer: `string`, `list<T>`, `"a" | "b"`, `T?`, and fields (`name: T @attr(x) = default`).
// Parentheses are re-derived: a union inside a union member or under `?` keeps them, and so does `(T?)?`
// (written `T??` it would lex as the `??` operator).
import type * as A from "../syntax/ast.js";
import { type Doc, type PrintContext, group, indent, join, line, softline } from "./doc.js";
import { numberLiteral, printExpr, printIdent, stringLiteral } from "./print-exprs.js";

export function printType(ctx: PrintContext, t: A.TypeExpr): Doc {
  return ctx.withComments(t, printBare(ctx, t));
}

function printBare(ctx: PrintContext, t: A.TypeExpr): Doc {
  switch (t.kind) {
    case "NamedType":
      return t.args.length === 0
        ? printIdent(ctx, t.name)
        : [printIdent(ctx, t.name), "<", join(", ", t.args.map((a) => printType(ctx, a))), ">"];
    case "LiteralType":
      if (typeof t.value === "string") return stringLiteral(ctx, t.span, t.value);
      if (typeof t.value === "number") return numberLiteral(ctx, t.span, t.value);
      return t.value ? "true" : "false";
    case "UnionType":
      return join(
        " | ",
        t.members.map((m) => (m.kind === "UnionType" ? ["(", printType(ctx, m), ")"] : printType(ctx, m))),
      );
    case "OptionalType": {
      const inner = printType(ctx, t.inner);
      return [t.inner.kind === "UnionType" || t.inner.kind === "OptionalType" ? ["(", inner, ")"] : inner, "?"];
    }
  }
}

/** `name: Type @attr(args) = default` — a type's field, a state field or a parameter. */
export function printField(ctx: PrintContext, f: A.Field): Doc {
  const parts: Doc[] = [printIdent(ctx, f.name), ": "];
  if (f.type) parts.push(printType(ctx, f.type));
  for (const a of f.attrs) parts.push(" ", printAttribute(ctx, a));
  if (f.default) parts.push(" = ", printExpr(ctx, f.default));
  return ctx.withComments(f, parts);
}

function printAttribute(ctx: PrintContext, a: A.Attribute): Doc {
  const name = ["@", printIdent(ctx, a.name)];
  // `@x()` keeps its empty parentheses; the AST has no trace of them, the source does.
  const hasParens = a.args.length > 0 || ctx.source(a.span).includes("(");
  if (!hasParens) return ctx.withComments(a, name);
  const args = a.args.map((x) => printExpr(ctx, x));
  return ctx.withComments(a, group([name, "(", indent([softline, join([",", line], args)]), softline, ")"]));
}

/** `(a: T, b: U)`: on one line, or one parameter per line past the width. */
export function printParams(ctx: PrintContext, params: A.Field[]): Doc {
  if (params.length === 0) return "()";
  return group(["(", indent([softline, join([",", line], params.map((p) => printField(ctx, p)))]), softline, ")"]);
}
