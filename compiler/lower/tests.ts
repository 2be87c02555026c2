// `test` blocks → a run, its principal, mocks and expectations. Expectations run after the graph with `status`,
// `output`, `state`, `error` bound; `calls(x)`/`audit(x)` receive declaration names as strings.

import { toolCallsTurn, type TestDecl } from "../syntax/ast.js";
import type { MockValue, TestPlan } from "../plan/types.js";
import { expectId } from "../plan/ids.js";
import { constString } from "./const.js";
import type { LowerCtx } from "./context.js";
import { argsToIR, calleeName, exprToIR } from "./expr.js";

const TEST_LOCALS: ReadonlySet<string> = new Set(["status", "output", "state", "error"]);

export function lowerTest(ctx: LowerCtx, d: TestDecl): TestPlan {
  const test: TestPlan = { run: null, principal: null, mocks: [], expects: [], loc: ctx.loc(d.name.span) };
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
          values: s.values.map((v): MockValue => {
            if (v.kind === "Call" && calleeName(v.callee) === "fail") return { fail: constString(v.args[0]?.value) ?? "error" };
            // An agent's model turn that calls tools: `{ tool_calls: [{ name: "t", args: {...} }] }`.
            const calls = ctx.decl(s.target.name, "AgentDecl") ? toolCallsTurn(v) : undefined;
            if (calls?.kind === "List") {
              return {
                tool_calls: calls.items.map((c) => {
                  const fields = c.kind === "Record" ? c.fields : [];
                  const args = fields.find((f) => f.key.name === "args")?.value;
                  return { name: constString(fields.find((f) => f.key.name === "name")?.value) ?? "", args: args ? exprToIR(ctx, args, new Set()) : { k: "lit", v: {} } };
                }),
              };
            }
            return { value: exprToIR(ctx, v, new Set()) };
          }),
          loc: ctx.loc(s.span),
        });
        break;
      case "TestPrincipal":
        test.principal ??= exprToIR(ctx, s.value, new Set());
        break;
      case "TestExpect":
        test.expects.push({ id: expectId(d.name.name, test.expects.length), expr: exprToIR(ctx, s.expr, TEST_LOCALS), loc: ctx.loc(s.span) });
        break;
    }
  }
  return test;
}
