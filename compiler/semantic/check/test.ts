// `test` blocks: the run, mocks (answers, failures, agent tool-call turns), the principal and the
// expectations (typed against the test's names in scope, compiler/language/scopes.ts).
import * as A from "../../syntax/ast.js";
import * as Ty from "../types.js";
import { AUDIT_RECORD, TEST_PRINCIPAL, testBindings } from "../../language/scopes.js";
import { AWAITS, FAILURE_KINDS, type TestIntrinsic } from "../../plan/vocabulary.js";
import type { Env } from "../expr.js";
import { article } from "../scope.js";
import type { Checker } from "./checker.js";
import { calleeReturn, checkArgs, type Callable, CALLABLE } from "./calls.js";
import { declFile } from "./props.js";

export function testDecl(cx: Checker, file: string, t: A.TestDecl) {
  const ctx = cx.ctx;
  const runs = t.stmts.filter((s): s is A.TestRun => s.kind === "TestRun");
  if (runs.length !== 1 && t.name.name !== "") {
    ctx.report("AWR5005", file, runs[1]?.span ?? t.name.span, runs.length === 0 ? `test "${t.name.name}" runs nothing: add run graph_name(args)` : "a test has exactly one run");
  }
  let graph: A.GraphDecl | undefined;
  const empty: Env = { file, vars: new Map() };
  for (const r of runs.slice(0, 1)) {
    const c = r.call;
    if (c.callee.kind !== "Name") continue;
    graph = ctx.expectDecl(file, { kind: "Ident", name: c.callee.name, span: c.callee.span }, ["GraphDecl"], "graph");
    if (graph) checkArgs(cx, graph, declFile(cx, graph), c, empty);
  }
  const mocked = new Set<string>();
  for (const m of t.stmts) {
    if (m.kind !== "TestMock") continue;
    if (mocked.has(m.target.name)) ctx.report("AWR5005", file, m.target.span, `"${m.target.name}" is mocked twice; chain answers with then`);
    mocked.add(m.target.name);
    let ret: Ty.Ty = Ty.ANY;
    let agent: A.AgentDecl | undefined;
    if (!(AWAITS as readonly string[]).includes(m.target.name)) {
      const d = ctx.expectDecl(file, m.target, CALLABLE, "prompt, agent, tool or graph") as Callable | undefined;
      if (!d) continue;
      ret = calleeReturn(cx, d);
      if (d.kind === "AgentDecl") agent = d;
    }
    for (const v of m.values) {
      if (v.kind === "Call" && v.callee.kind === "Name" && v.callee.name === "fail") {
        const k = v.args[0]?.value;
        if (v.args.length !== 1 || k?.kind !== "String" || !(FAILURE_KINDS as readonly string[]).includes(k.value)) {
          ctx.report("AWR5005", file, v.span, `fail takes a failure kind: ${FAILURE_KINDS.map((x) => `"${x}"`).join(", ")}`);
        }
        continue;
      }
      const calls = agent ? A.toolCallsTurn(v) : undefined;
      if (agent && calls) {
        toolCallsTurn(cx, file, agent, calls, empty);
        continue;
      }
      const vt = cx.ex.check(v, empty, ret);
      cx.ex.expect(vt, ret, v, empty, `a mocked answer of ${m.target.name}`);
    }
  }
  const principals = t.stmts.filter((s): s is A.TestPrincipal => s.kind === "TestPrincipal");
  if (principals.length > 1) ctx.report("AWR5005", file, principals[1]!.span, "a test has one principal");
  for (const p of principals.slice(0, 1)) {
    const pt = cx.ex.check(p.value, empty, TEST_PRINCIPAL);
    cx.ex.expect(pt, TEST_PRINCIPAL, p.value, empty, "the principal of a test");
  }
  const nameArg = (what: A.DeclKind[], label: string) => (c: A.CallExpr, env: Env): Ty.Ty => {
    const a = c.args[0]?.value;
    if (c.args.length !== 1 || a?.kind !== "Name") {
      ctx.report("AWR3002", file, c.span, `${c.callee.kind === "Name" ? c.callee.name : ""}() takes the name of ${article(label)}`);
      return Ty.ERROR;
    }
    ctx.expectDecl(env.file, { kind: "Ident", name: a.name, span: a.span }, what, label);
    return label === "policy" ? Ty.list(AUDIT_RECORD) : Ty.INT;
  };
  const expectIntrinsics: Record<Exclude<TestIntrinsic, "fail">, (c: A.CallExpr, env: Env) => Ty.Ty> = {
    calls: nameArg(CALLABLE, "prompt, agent, tool or graph"),
    audit: nameArg(["PolicyDecl"], "policy"),
  };
  const env: Env = {
    file,
    vars: new Map<string, Ty.Ty>(testBindings(ctx, graph && { decl: graph, file: declFile(cx, graph) })),
    intrinsics: new Map(Object.entries(expectIntrinsics)),
    hint: "expect sees status, output, state, error, calls(name) and audit(policy)",
  };
  for (const s of t.stmts) if (s.kind === "TestExpect") cx.ex.requireBool(s.expr, env, "an expectation");
}

/**
 * A mocked agent turn `{ tool_calls: [{ name: "lookup", args: { ... } }] }`: each name is one of
 * the agent's tools (args typed by the tool's parameters) or `transfer_to_<handoff>`.
 */
export function toolCallsTurn(cx: Checker, file: string, agent: A.AgentDecl, calls: A.Expr, env: Env) {
  const ctx = cx.ctx;
  const names = (key: string) => {
    const p = agent.props.find((x) => x.key.name === key);
    return p?.value.kind === "List" ? p.value.items.flatMap((i) => (i.kind === "Name" ? [i.name] : [])) : [];
  };
  const tools = names("tools");
  const handoffs = names("handoffs");
  const allowed = [...tools, ...handoffs.map((h) => `transfer_to_${h}`)];
  const shape = 'a turn that calls tools is { tool_calls: [{ name: "tool", args: { ... } }] }';
  if (calls.kind !== "List" || calls.items.length === 0) {
    ctx.report("AWR5005", file, calls.span, `tool_calls takes a non-empty list of calls: ${shape}`);
    return;
  }
  for (const c of calls.items) {
    const name = c.kind === "Record" ? c.fields.find((f) => f.key.name === "name") : undefined;
    const args = c.kind === "Record" ? c.fields.find((f) => f.key.name === "args") : undefined;
    const extra = c.kind === "Record" ? c.fields.find((f) => f.key.name !== "name" && f.key.name !== "args") : undefined;
    if (!name || name.value.kind !== "String" || extra) {
      ctx.report("AWR5005", file, (extra ?? c).span, `a mocked tool call is { name: "tool", args: { ... } } with a literal name: ${shape}`);
      continue;
    }
    const n = name.value.value;
    if (!allowed.includes(n)) {
      ctx.report("AWR5005", file, name.value.span, `agent "${agent.name.name}" cannot call "${n}": its tools are ${allowed.map((x) => `"${x}"`).join(", ") || "none"}`);
      if (args) cx.ex.check(args.value, env);
      continue;
    }
    const tool = tools.includes(n) ? ctx.program.globals.get(n)?.decl : undefined;
    if (tool?.kind === "ToolDecl") {
      const f = declFile(cx, tool);
      const want = Ty.record(tool.params.map((p) => ctx.fieldTy(f, p, false)));
      const given = args?.value ?? ({ kind: "Record", fields: [], span: name.span } as A.RecordExpr);
      const at = cx.ex.check(given, env, want);
      cx.ex.expect(at, want, given, env, `the arguments of ${n}`);
    } else if (args) {
      // A handoff: its arguments complete the current agent's same-named ones (checked at run time).
      const at = cx.ex.check(args.value, env);
      if (ctx.resolve(at).k !== "record" && ctx.resolve(at).k !== "error") ctx.report("AWR5005", file, args.value.span, `the arguments of ${n} must be a record`);
    }
  }
}
