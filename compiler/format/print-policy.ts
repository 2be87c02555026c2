// The policy printer: `policy name { before tool x { rules } ... }`. A hook with one rule written
// on one line stays on one line (`after model { redact pii }`); a long rule puts `because` on its own line.
import type * as A from "../syntax/ast.js";
import { type Doc, type PrintContext, group, indent, join, line } from "./doc.js";
import { printBody } from "./print-body.js";
import { printExpr, printIdent } from "./print-exprs.js";

export function printPolicy(ctx: PrintContext, p: A.PolicyDecl): Doc {
  return ["policy ", printIdent(ctx, p.name), " ", printBody(ctx, p, p.hooks, (h) => printHook(ctx, h))];
}

function printHook(ctx: PrintContext, h: A.PolicyHook): Doc {
  const parts: Doc[] = [h.phase, " ", h.target];
  if (h.selector?.kind === "name") parts.push(" ", printIdent(ctx, h.selector.name));
  if (h.selector?.kind === "tagged") parts.push(" tagged ", ctx.withComments(h.selector.tag, h.selector.tag.parts.join(".")));
  parts.push(" ", printBody(ctx, h, h.rules, (r) => printRule(ctx, r), { inline: true }));
  return ctx.withComments(h, parts);
}

function printRule(ctx: PrintContext, r: A.PolicyRule): Doc {
  const parts: Doc[] = [r.action];
  if (r.action === "redact") parts.push(" ", join(", ", r.kinds.map((k) => printIdent(ctx, k))));
  if (r.action === "transform") parts.push(" ", r.path ? ctx.withComments(r.path, r.path.parts.join(".")) : "", " = ", r.value ? printExpr(ctx, r.value) : "");
  if (r.when) parts.push(" when ", printExpr(ctx, r.when));
  // Past the width the reason moves to its own line, before the condition's arguments break.
  if (r.because) parts.push(indent([line, "because ", printExpr(ctx, r.because)]));
  return ctx.withComments(r, group(parts));
}
