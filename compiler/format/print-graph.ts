// The graph printer: `graph name(params) -> T { state { ... } node ... edge ... return ... }`,
// members in source order. A node with one statement written on one line stays on one line.
import type * as A from "../syntax/ast.js";
import type { Doc, PrintContext } from "./doc.js";
import { printBody } from "./print-body.js";
import { printSignature } from "./print-signature.js";
import { printCall, printExpr, printIdent } from "./print-exprs.js";
import { printField } from "./print-types.js";
import { join } from "./doc.js";

export function printGraph(ctx: PrintContext, g: A.GraphDecl): Doc {
  return ["graph ", printIdent(ctx, g.name), printSignature(ctx, g), " ", printBody(ctx, g, g.members, (m) => printMember(ctx, m))];
}

function printMember(ctx: PrintContext, m: A.GraphMember): Doc {
  switch (m.kind) {
    case "State":
      return ctx.withComments(m, ["state ", printBody(ctx, m, m.fields, (f) => printField(ctx, f))]);
    case "Node":
      return ctx.withComments(m, ["node ", printIdent(ctx, m.name), " ", printBody(ctx, m, m.stmts, (s) => printStmt(ctx, s), { inline: true })]);
    case "Edge":
      return ctx.withComments(m, printEdge(ctx, m));
    case "Return":
      return ctx.withComments(m, ["return ", printExpr(ctx, m.value)]);
  }
}

function printEdge(ctx: PrintContext, e: A.EdgeDecl): Doc {
  const ends = (names: A.Ident[], list: boolean): Doc => {
    const docs = names.map((n) => printIdent(ctx, n));
    return list ? ["[", join(", ", docs), "]"] : docs;
  };
  const parts: Doc[] = ["edge ", ends(e.from, e.fromList), " -> ", ends(e.to, e.toList)];
  if (e.when) parts.push(" when ", printExpr(ctx, e.when));
  if (e.otherwise) parts.push(" otherwise");
  if (e.max) parts.push(" max ", printExpr(ctx, e.max));
  return parts;
}

function printStmt(ctx: PrintContext, s: A.NodeStmt): Doc {
  const target = (t: A.Ident | undefined): Doc => (t ? [" -> ", printIdent(ctx, t)] : "");
  const call = (c: A.CallExpr): Doc => ctx.withComments(c, printCall(ctx, c));
  let doc: Doc;
  switch (s.kind) {
    case "Run":
      doc = ["run ", call(s.call), target(s.target)];
      break;
    case "Map": {
      const concurrency: Doc = s.concurrency ? [" concurrency ", printExpr(ctx, s.concurrency)] : "";
      doc = ["map ", printIdent(ctx, s.variable), " in ", printExpr(ctx, s.source), concurrency, " run ", call(s.call), target(s.target)];
      break;
    }
    case "Await":
      doc = ["await ", call(s.call), target(s.target)];
      break;
    case "Set":
      doc = ["set ", printIdent(ctx, s.target), " = ", printExpr(ctx, s.value)];
      break;
    case "Retry":
      doc = ["retry ", printExpr(ctx, s.value)];
      break;
    case "Timeout":
      doc = ["timeout ", printExpr(ctx, s.value)];
      break;
    case "OnError":
      doc = ["on error -> ", printIdent(ctx, s.target)];
      break;
    case "Compensate":
      doc = ["compensate ", call(s.call)];
      break;
  }
  return ctx.withComments(s, doc);
}
