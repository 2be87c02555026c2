// A query of the analysis, for editors: what an expression at a position can see — the values in
// scope (parameters, state fields, map variables, the built-in names) with their semantic types —
// and the types of expressions there, computed by a throwaway checker against them. The built-in
// names and their types are the checker's own (language/scopes.ts). The language server asks this
// (through index.ts) instead of driving the checker's internals (CheckContext, ExprChecker) itself;
// a checker's diagnostics of these passes are thrown away.
import * as A from "./syntax/ast.js";
import * as S from "./language/scopes.js";
import * as Ty from "./semantic/types.js";
import { CheckContext } from "./semantic/scope.js";
import { ExprChecker, type Env } from "./semantic/expr.js";
import type { Program } from "./semantic/program.js";

/** A node of the path from a module to a position (the LSP's `pathAt`): anything with a `kind`. */
type AnyNode = { kind: string };

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
  program: Program;
  /** The type of an expression in this scope. */
  typeOf(e: A.Expr): Ty.Ty;
  /** A type with `?` and named types resolved (a record's fields, a list's items). */
  resolve(t: Ty.Ty): Ty.Ty;
}

/** The scope at the end of `path` (from the LSP's `pathAt`), or of `decl` when no finer path is known. */
export function scopeAt(program: Program, file: string, decl: A.Decl | undefined, path: readonly AnyNode[] = []): Scope {
  const ctx = new CheckContext(program);
  const locals = new Map<string, Local>();
  const add = (l: Local) => {
    if (l.name !== "") locals.set(l.name, l);
  };
  const params = (owner: string, fs: A.Field[]) => {
    for (const f of fs) add({ name: f.name.name, ty: ctx.fieldTy(file, f, false).ty, decl: f, role: "parameter", owner });
  };
  const builtins = (bs: readonly S.Binding[]) => {
    for (const [name, ty] of bs) add({ name, ty, role: "builtin" });
  };
  switch (decl?.kind) {
    case "ToolDecl": {
      params(decl.name.name, decl.params);
      const inCompensate = path.some((n) => n.kind === "Property" && (n as unknown as A.Property).key.name === "compensate");
      if (inCompensate) builtins(S.compensateBindings(decl.returns ? ctx.typeOf(file, decl.returns, false) : Ty.ANY));
      break;
    }
    case "PromptDecl":
      params(decl.name.name, decl.params);
      builtins(S.promptBindings(A.prop(decl.props, "context") !== undefined));
      break;
    case "AgentDecl":
      params(decl.name.name, decl.params);
      builtins(S.AGENT_BINDINGS);
      break;
    case "GraphDecl": {
      params(decl.name.name, decl.params);
      for (const f of A.graphState(decl)) add({ name: f.name.name, ty: ctx.fieldTy(file, f, false).ty, decl: f, role: "state", owner: decl.name.name });
      // A node reached through `on error` sees the failure (as the checker types it).
      const node = path.find((n): n is AnyNode & A.NodeDecl => n.kind === "Node") as A.NodeDecl | undefined;
      const via = node ? A.onErrorHandlers(decl).get(node.name.name) : undefined;
      if (via && !locals.has("error")) builtins(S.onErrorBindings(via));
      const map = path.find((n): n is AnyNode & A.MapStmt => n.kind === "Map") as A.MapStmt | undefined;
      if (map && !path.includes(map.source as unknown as AnyNode)) {
        const env: Env = { file, vars: new Map([...locals].map(([k, v]) => [k, v.ty])) };
        const src = ctx.resolve(Ty.nonNull(new ExprChecker(ctx).check(map.source, env), ctx));
        ctx.diagnostics.length = 0;
        add({ name: map.variable.name, ty: src.k === "list" ? src.of : Ty.ANY, decl: map.variable, role: "variable" });
      }
      break;
    }
    case "PolicyDecl": {
      // Inside a hook, its names as the checker types them; elsewhere in the policy, every name a hook may see.
      const hook = decl.hooks.find((h) => path.includes(h as unknown as AnyNode));
      if (hook) {
        const sel = hook.selector?.kind === "name" ? program.scopes.get(file)?.get(hook.selector.name.name) : undefined;
        builtins(S.hookBindings(ctx, hook, sel?.decl, sel?.file ?? file).bindings);
      } else {
        for (const name of ["input", "principal", "output"]) add({ name, ty: Ty.ANY, role: "builtin" });
        add({ name: "tool", ty: Ty.record([{ name: "name", ty: Ty.STRING, optional: false }, { name: "tags", ty: Ty.list(Ty.STRING), optional: false }]), role: "builtin" });
      }
      break;
    }
    case "TestDecl": {
      const run = decl.stmts.find((s): s is A.TestRun => s.kind === "TestRun");
      const callee = run?.call.callee.kind === "Name" ? program.scopes.get(file)?.get(run.call.callee.name) : undefined;
      const graph = callee?.decl.kind === "GraphDecl" ? callee : undefined;
      builtins(S.testBindings(ctx, graph && { decl: graph.decl as A.GraphDecl, file: graph.file }));
      break;
    }
    default:
      break;
  }
  const env: Env = { file, vars: new Map([...locals].map(([k, v]) => [k, v.ty])) };
  return {
    file,
    decl,
    locals,
    program,
    typeOf(e) {
      const before = ctx.diagnostics.length;
      const t = new ExprChecker(ctx).check(e, env);
      ctx.diagnostics.length = before;
      return t;
    },
    resolve: (t) => ctx.resolve(Ty.nonNull(t, ctx)),
  };
}
