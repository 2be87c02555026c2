// What an expression at a cursor can see: the values in scope (parameters, state fields, map
// variables, the builtin holes) with their semantic types, built the way the checker builds them,
// and a throwaway checker to type expressions against them.
import * as A from "../compiler/syntax/ast.js";
import type { Program } from "../compiler/semantic/program.js";
import { FAILURE_RECORD } from "../compiler/semantic/check.js";
import { CheckContext } from "../compiler/semantic/scope.js";
import { ExprChecker, type Env } from "../compiler/semantic/expr.js";
import * as Ty from "../compiler/semantic/types.js";
import type { AnyNode } from "./ast-path.js";

/** A value in scope and, when it has one, the field or name that declares it. */
export interface Local {
  name: string;
  ty: Ty.Ty;
  /** The declaring field (parameter, state field) or identifier (map variable). */
  decl?: A.Field | A.Ident;
  role: "parameter" | "state" | "variable" | "builtin";
  /** Where it is declared: the declaration's name (for `(state) support.triage`). */
  owner?: string;
}

export interface Scope {
  file: string;
  decl: A.Decl | undefined;
  locals: Map<string, Local>;
  ctx: CheckContext;
  env: Env;
}

/** Types an expression in a scope; diagnostics of this pass are thrown away. */
export function typeOf(scope: Scope, e: A.Expr): Ty.Ty {
  const before = scope.ctx.diagnostics.length;
  const t = new ExprChecker(scope.ctx).check(e, scope.env);
  scope.ctx.diagnostics.length = before;
  return t;
}

/** The scope at the end of `path` (from `pathAt`), or of `decl` when no finer path is known. */
export function scopeAt(program: Program, file: string, decl: A.Decl | undefined, path: AnyNode[] = []): Scope {
  const ctx = new CheckContext(program);
  const locals = new Map<string, Local>();
  const add = (l: Local) => {
    if (l.name !== "") locals.set(l.name, l);
  };
  const params = (owner: string, fs: A.Field[]) => {
    for (const f of fs) add({ name: f.name.name, ty: ctx.fieldTy(file, f, false).ty, decl: f, role: "parameter", owner });
  };
  switch (decl?.kind) {
    case "ToolDecl": {
      params(decl.name.name, decl.params);
      const inCompensate = path.some((n) => n.kind === "Property" && (n as unknown as A.Property).key.name === "compensate");
      if (inCompensate) add({ name: "result", ty: decl.returns ? ctx.typeOf(file, decl.returns, false) : Ty.ANY, role: "builtin" });
      break;
    }
    case "PromptDecl":
      params(decl.name.name, decl.params);
      add({ name: "output_format", ty: Ty.STRING, role: "builtin" });
      if (A.prop(decl.props, "context")) add({ name: "context", ty: Ty.STRING, role: "builtin" });
      break;
    case "AgentDecl":
      params(decl.name.name, decl.params);
      add({ name: "output_format", ty: Ty.STRING, role: "builtin" });
      break;
    case "GraphDecl": {
      params(decl.name.name, decl.params);
      for (const f of A.graphState(decl)) add({ name: f.name.name, ty: ctx.fieldTy(file, f, false).ty, decl: f, role: "state", owner: decl.name.name });
      // A node reached through `on error` sees the failure (as the checker types it).
      const node = path.find((n): n is AnyNode & A.NodeDecl => n.kind === "Node") as A.NodeDecl | undefined;
      const via = node ? A.onErrorHandlers(decl).get(node.name.name) : undefined;
      if (via && !locals.has("error")) add({ name: "error", ty: via === "only" ? FAILURE_RECORD : Ty.optional(FAILURE_RECORD), role: "builtin" });
      const map = path.find((n): n is AnyNode & A.MapStmt => n.kind === "Map") as A.MapStmt | undefined;
      if (map && !path.includes(map.source as unknown as AnyNode)) {
        const env: Env = { file, vars: new Map([...locals].map(([k, v]) => [k, v.ty])) };
        const src = ctx.resolve(Ty.nonNull(new ExprChecker(ctx).check(map.source, env), ctx));
        ctx.diagnostics.length = 0;
        add({ name: map.variable.name, ty: src.k === "list" ? src.of : Ty.ANY, decl: map.variable, role: "variable" });
      }
      break;
    }
    case "PolicyDecl":
      for (const name of ["input", "principal", "output"]) add({ name, ty: Ty.ANY, role: "builtin" });
      add({ name: "tool", ty: Ty.record([{ name: "name", ty: Ty.STRING, optional: false }, { name: "tags", ty: Ty.list(Ty.STRING), optional: false }]), role: "builtin" });
      break;
    case "TestDecl": {
      const run = decl.stmts.find((s): s is A.TestRun => s.kind === "TestRun");
      const callee = run?.call.callee.kind === "Name" ? program.scopes.get(file)?.get(run.call.callee.name) : undefined;
      const graph = callee?.decl.kind === "GraphDecl" ? callee : undefined;
      const status: Ty.Ty = { k: "union", members: ["completed", "failed", "suspended", "needs_attention"].map((value) => ({ k: "literal", value }) as Ty.Ty) };
      add({ name: "status", ty: status, role: "builtin" });
      add({ name: "output", ty: graph && (graph.decl as A.GraphDecl).returns ? ctx.typeOf(graph.file, (graph.decl as A.GraphDecl).returns!, false) : Ty.ANY, role: "builtin" });
      add({
        name: "state",
        ty: graph ? Ty.record(A.graphState(graph.decl as A.GraphDecl).map((f) => ctx.fieldTy(graph.file, f, false))) : Ty.ANY,
        role: "builtin",
      });
      add({ name: "error", ty: FAILURE_RECORD, role: "builtin" });
      break;
    }
    default:
      break;
  }
  const env: Env = { file, vars: new Map([...locals].map(([k, v]) => [k, v.ty])) };
  return { file, decl, locals, ctx, env };
}
