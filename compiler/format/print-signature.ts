// The signature printer shared by tools, prompts, agents (print-decls.ts) and graphs (print-graph.ts):
// its own module so that neither of those printers imports the other.
import type * as A from "../syntax/ast.js";
import { type Doc, type PrintContext, group } from "./doc.js";
import { printParams, printType } from "./print-types.js";

/** `(params) -> Type`; empty parentheses are kept when they were written (`graph g() { ... }`). */
export function printSignature(ctx: PrintContext, d: { name: A.Ident; params: A.Field[]; returns?: A.TypeExpr }): Doc {
  const parts: Doc[] = [];
  if (d.params.length > 0 || /^\s*\(/.test(ctx.text.slice(d.name.span.end))) parts.push(printParams(ctx, d.params));
  if (d.returns) parts.push(" -> ", printType(ctx, d.returns));
  return group(parts);
}
