// `test` blocks → a run, mocks and expectations. Expectations run after the graph with `status`,
// `output`, `state`, `error` bound; `calls(x)`/`audit(x)` receive declaration names as strings.

import type { TestDecl } from "../syntax/ast.js";
import type { MockValue, TestPlan } from "../plan/types.js";
import { expectId } from "../plan/ids.js";
import { constString } from "./const.js";
import type { LowerCtx } from "./context.js";
import { argsToIR, calleeName, exprToIR } from "./expr.js";

const TEST_LOCALS: ReadonlySet<string> = new Set(["status", "output", "state", "error"]);

export function lowerTest(ctx: LowerCtx, d: TestDecl): TestPlan {
  const test: TestPlan = { run: null, mocks: [], expects: [], loc: ctx.loc(d.name.span) };
  for (const s of d.stmts) {
    switch (s.kind) {
      case "TestRun": {
        const graph = calleeName(s.call.callee);
        test.run ??= { graph, args: argsToIR(ctx, s.call.args, ctx.decl(graph, "GraphDecl")?.params, new Set()) };
        break;
      }
      case "TestMock":
        test.mocks.push({
          name: s.target.name,
          values: s.values.map((v): MockValue =>
            v.kind === "Call" && calleeName(v.callee) === "fail"
              ? { fail: constString(v.args[0]?.value) ?? "error" }
              : { value: exprToIR(ctx, v, new Set()) },
          ),
          loc: ctx.loc(s.span),
        });
        break;
      case "TestExpect":
        test.expects.push({ id: expectId(d.name.name, test.expects.length), expr: exprToIR(ctx, s.expr, TEST_LOCALS), loc: ctx.loc(s.span) });
        break;
    }
  }
  return test;
}
