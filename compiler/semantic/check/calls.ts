// Calls of declarations (`run f(...)`, compensations, classifiers, test runs): arguments against
// parameters, and what the call returns.
import * as A from "../../syntax/ast.js";
import * as Ty from "../types.js";
import type { Env } from "../expr.js";
import { kindWord } from "../scope.js";
import type { Checker } from "./checker.js";
import { declFile } from "./props.js";

export const CALLABLE: A.DeclKind[] = ["PromptDecl", "AgentDecl", "ToolDecl", "GraphDecl"];
export type Callable = A.PromptDecl | A.AgentDecl | A.ToolDecl | A.GraphDecl;

export function calleeReturn(cx: Checker, d: Callable): Ty.Ty {
  const f = declFile(cx, d);
  if (d.returns) return cx.ctx.typeOf(f, d.returns, false);
  return d.kind === "PromptDecl" || d.kind === "AgentDecl" ? Ty.STRING : Ty.ANY;
}

/** Checks a call's arguments against a declaration's parameters: positional first, then named. */
export function checkArgs(cx: Checker, d: Callable, declFile: string, call: A.CallExpr, env: Env) {
  const params = d.params;
  const given = new Map<string, A.Arg>();
  let positional = 0;
  let named = false;
  for (const a of call.args) {
    if (a.name) {
      named = true;
      const p = params.find((x) => x.name.name === a.name!.name);
      if (!p) {
        cx.ctx.unknown(env.file, a.name, params.map((x) => x.name.name), "parameter", "AWR3002", `${kindWord(d.kind)} "${d.name.name}"`);
        cx.ex.check(a.value, env);
        continue;
      }
      if (given.has(p.name.name)) cx.ctx.report("AWR3002", env.file, a.name.span, `"${p.name.name}" is given twice`);
      given.set(p.name.name, a);
    } else {
      if (named) cx.ctx.report("AWR3002", env.file, a.span, "positional arguments must come before named ones");
      const p = params[positional++];
      if (!p) {
        cx.ctx.report("AWR3002", env.file, a.span, `${d.name.name} takes ${params.length} argument${params.length === 1 ? "" : "s"}, got ${call.args.length}`);
        cx.ex.check(a.value, env);
        continue;
      }
      given.set(p.name.name, a);
    }
  }
  for (const p of params) {
    const pt = cx.ctx.fieldTy(declFile, p, false);
    const a = given.get(p.name.name);
    if (!a) {
      if (!pt.optional && p.name.name !== "") {
        cx.ctx.report("AWR3002", env.file, call.span, `missing argument "${p.name.name}" (${Ty.show(pt.ty)}) for ${d.name.name}`);
      }
      continue;
    }
    const at = cx.ex.check(a.value, env, pt.ty);
    cx.ex.expect(at, pt.ty, a.value, env, `argument "${p.name.name}" of ${d.name.name}`);
  }
}
