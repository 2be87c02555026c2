// The test printer: `test name { run g(args)  principal {...}  mock f => a then b  expect cond }`, one statement per line.
import type * as A from "../syntax/ast.js";
import { type Doc, type PrintContext, group, indent, line } from "./doc.js";
import { printBody } from "./print-body.js";
import { printCall, printExpr, printIdent } from "./print-exprs.js";

export function printTest(ctx: PrintContext, t: A.TestDecl): Doc {
  return ["test ", printIdent(ctx, t.name), " ", printBody(ctx, t, t.stmts, (s) => printTestStmt(ctx, s))];
}

function printTestStmt(ctx: PrintContext, s: A.TestStmt): Doc {
  switch (s.kind) {
    case "TestRun":
      return ctx.withComments(s, ["run ", ctx.withComments(s.call, printCall(ctx, s.call))]);
    case "TestMock": {
      // Past the width, every further answer goes on its own line: `then value`.
      const [first, ...rest] = s.values.map((v) => printExpr(ctx, v));
      const then = rest.map((v) => [line, "then ", v]);
      return ctx.withComments(s, group(["mock ", printIdent(ctx, s.target), " => ", first ?? "", indent(then)]));
    }
    case "TestExpect":
      return ctx.withComments(s, ["expect ", printExpr(ctx, s.expr)]);
    case "TestPrincipal":
      return ctx.withComments(s, ["principal ", printExpr(ctx, s.value)]);
  }
}
