// What the name under a cursor denotes: a top-level declaration (through the checker's references
// or a declaration's own name), a field (type field, state field, parameter; a record literal's key
// through the checker's field references), a graph node, an enum
// member, a property key or attribute (docs only), or an expression (its type). Hover, definition
// and references all start here.
import { ast as A, props as P, types as Ty, BUILTIN_FUNCTIONS, POLICY_FUNCTIONS, builtinForm, builtinSignature, scopeAt, type CompileResult, type Local, type Scope, type Sym } from "../compiler/index.js";
import { type AnyNode, pathAt } from "./ast-path.js";

const EXPRESSION_BUILTINS: ReadonlySet<string> = new Set([...BUILTIN_FUNCTIONS, ...POLICY_FUNCTIONS]);

/** Where a symbol is declared: the file and the span of its declaring name. */
export interface Def {
  file: string;
  span: A.Span;
}

export type Target =
  | { kind: "decl"; sym: Sym; at: A.Span }
  | { kind: "field"; field: A.Field; owner: string; role: "field" | "state" | "parameter"; file: string; at: A.Span }
  | { kind: "variable"; ident: A.Ident; ty: Ty.Ty; file: string; at: A.Span }
  | { kind: "builtin"; name: string; ty: Ty.Ty; at: A.Span }
  | { kind: "node"; node: A.NodeDecl; graph: string; file: string; at: A.Span }
  | { kind: "member"; decl: A.EnumDecl; member: A.Ident; file: string; at: A.Span }
  | { kind: "property"; key: string; spec: P.PropSpec; declKind: string; at: A.Span }
  | { kind: "attribute"; name: string; doc: string; at: A.Span }
  | { kind: "function"; signature: string; doc: string | undefined; at: A.Span }
  | { kind: "expr"; expr: A.Expr; ty: Ty.Ty; at: A.Span };

export function defOf(t: Target): Def | undefined {
  switch (t.kind) {
    case "decl":
      return { file: t.sym.file, span: t.sym.decl.name.span };
    case "field":
      return { file: t.file, span: t.field.name.span };
    case "variable":
      return { file: t.file, span: t.ident.span };
    case "node":
      return { file: t.file, span: t.node.name.span };
    case "member":
      return { file: t.file, span: t.member.span };
    default:
      return undefined;
  }
}

export function defKey(d: Def): string {
  return `${d.file}\0${d.span.start}`;
}

const PROPS_OF: Partial<Record<A.DeclKind, Record<string, P.PropSpec>>> = {
  ModelDecl: P.MODEL_PROPS,
  ToolDecl: P.TOOL_PROPS,
  PromptDecl: P.PROMPT_PROPS,
  AgentDecl: P.AGENT_PROPS,
  ContextDecl: P.CONTEXT_PROPS,
};

export function propsOf(kind: A.DeclKind): Record<string, P.PropSpec> | undefined {
  return PROPS_OF[kind];
}


const within = (s: A.Span, o: number) => s.start <= o && o <= s.end;

/** The symbol at `offset` of `file`, resolved in `result`'s program. */
export function targetAt(result: CompileResult, file: string, offset: number): Target | undefined {
  const program = result.program;
  const module = program.modules.get(file);
  if (!module) return undefined;

  // 1. A use the checker resolved to a top-level declaration.
  const ref = result.check.references.find((r) => r.file === file && within(r.span, offset));
  if (ref) {
    const sym = program.scopes.get(file)?.get(ref.name) ?? program.globals.get(ref.name);
    if (sym) return { kind: "decl", sym, at: ref.span };
  }

  const path = pathAt(module.ast, offset);
  const node = path[path.length - 1];
  const parent = path[path.length - 2];
  const decl = path[1] as unknown as A.Decl | undefined;
  if (!node || !decl || path.length < 2 || (decl.kind as string) === "Import") return undefined;
  const scope = () => scopeAt(program, file, decl, path);
  const graph = decl.kind === "GraphDecl" ? decl : undefined;
  const nodeNamed = (name: string) => (graph ? A.graphNodes(graph).find((n) => n.name.name === name) : undefined);
  const stateField = (name: string) => (graph ? A.graphState(graph).find((f) => f.name.name === name) : undefined);

  if (node.kind === "Ident" && parent) {
    const id = node as unknown as A.Ident;
    if (id.name === "") return undefined;
    // 2. Declaring names.
    if (parent === (decl as unknown as AnyNode) && decl.name === id) {
      const sym = program.globals.get(id.name);
      return { kind: "decl", sym: sym && sym.decl === decl ? sym : { name: id.name, decl, file }, at: id.span };
    }
    if (parent.kind === "Field" && (parent as unknown as A.Field).name === id) {
      const f = parent as unknown as A.Field;
      const grand = path[path.length - 3];
      const role = grand?.kind === "State" ? "state" : grand?.kind === "TypeDecl" ? "field" : "parameter";
      return { kind: "field", field: f, owner: decl.name.name, role, file, at: id.span };
    }
    if (parent.kind === "Node" && (parent as unknown as A.NodeDecl).name === id) {
      return { kind: "node", node: parent as unknown as A.NodeDecl, graph: decl.name.name, file, at: id.span };
    }
    if (decl.kind === "EnumDecl" && parent === (decl as unknown as AnyNode)) {
      return { kind: "member", decl, member: id, file, at: id.span };
    }
    // 3. Graph-local uses: edges and `on error` name nodes; writes name state fields.
    if (parent.kind === "Edge" || parent.kind === "OnError") {
      const n = nodeNamed(id.name);
      return n ? { kind: "node", node: n, graph: decl.name.name, file, at: id.span } : undefined;
    }
    if (parent.kind === "Run" || parent.kind === "Map" || parent.kind === "Await" || parent.kind === "Set") {
      const s = parent as unknown as A.RunStmt | A.MapStmt | A.AwaitStmt | A.SetStmt;
      if (s.target === id) {
        const f = stateField(id.name);
        return f ? { kind: "field", field: f, owner: decl.name.name, role: "state", file, at: id.span } : undefined;
      }
      if (s.kind === "Map" && s.variable === id) return { kind: "variable", ident: id, ty: scopeAt(program, file, decl, [...path, s.call as unknown as AnyNode]).locals.get(id.name)?.ty ?? Ty.ANY, file, at: id.span };
    }
    // 4. Keys: properties and attributes show their docs.
    if (parent.kind === "Property" && (parent as unknown as A.Property).key === id) {
      const table = propsOf(decl.kind);
      const spec = table?.[id.name];
      return spec ? { kind: "property", key: id.name, spec, declKind: decl.kind, at: id.span } : undefined;
    }
    if (parent.kind === "Attribute" && (parent as unknown as A.Attribute).name === id) {
      const doc = P.ATTRIBUTES[id.name];
      return doc ? { kind: "attribute", name: id.name, doc, at: id.span } : undefined;
    }
    // 5. A key of a record literal whose expected type the checker knew (`{ id: "1" }` passed
    // where a Ticket is expected): that type's field.
    if (parent.kind === "RecordField" && (parent as unknown as A.RecordField).key === id) {
      const use = result.check.fieldReferences.find((r) => r.file === file && r.span.start === id.span.start && r.span.end === id.span.end);
      const sym = use ? program.globals.get(use.type) : undefined;
      const field = sym?.decl.kind === "TypeDecl" ? sym.decl.fields.find((f) => f.name.name === use!.field) : undefined;
      return field ? { kind: "field", field, owner: use!.type, role: "field", file: sym!.file, at: id.span } : undefined;
    }
    // 6. `a.b`: the field of a's record type. In a test, `state.x` is the tested graph's state
    // field x (the checker types `state` as an anonymous record of those fields).
    if (parent.kind === "Member" && (parent as unknown as A.MemberExpr).name === id) {
      const m = parent as unknown as A.MemberExpr;
      const s = scope();
      const tested = decl.kind === "TestDecl" && m.object.kind === "Name" && m.object.name === "state" && s.locals.get("state")?.role === "builtin" ? testedGraph(program, file, decl) : undefined;
      const f = tested && A.graphState(tested.decl).find((x) => x.name.name === id.name);
      if (f && tested) return { kind: "field", field: f, owner: tested.name, role: "state", file: tested.file, at: id.span };
      const field = fieldOf(s, s.typeOf(m.object), id.name);
      if (field) return field.decl ? { kind: "field", field: field.decl, owner: field.owner, role: "field", file: field.file, at: id.span } : { kind: "expr", expr: m, ty: field.ty, at: id.span };
      return undefined;
    }
    // 7. A named argument: the callee's parameter.
    if (parent.kind === "Arg" && (parent as unknown as A.Arg).name === id) {
      const call = path[path.length - 3] as unknown as A.CallExpr | undefined;
      const callee = call?.kind === "Call" && call.callee.kind === "Name" ? program.scopes.get(file)?.get(call.callee.name) : undefined;
      const params = callee && "params" in callee.decl ? (callee.decl.params as A.Field[]) : undefined;
      const p = params?.find((f) => f.name.name === id.name);
      return p && callee ? { kind: "field", field: p, owner: callee.name, role: "parameter", file: callee.file, at: id.span } : undefined;
    }
    return undefined;
  }

  // 8. A bare name in an expression: a local value, an enum member, or (via references) a declaration.
  if (node.kind === "Name") {
    const e = node as unknown as A.NameExpr;
    const s = scope();
    const local = s.locals.get(e.name);
    if (local) return localTarget(local, file, e.span);
    const fn = EXPRESSION_BUILTINS.has(e.name) ? builtinSignature(e.name) : undefined;
    if (fn && parent?.kind === "Call" && (parent as unknown as A.CallExpr).callee === e) return { kind: "function", signature: fn, doc: builtinForm(e.name)?.doc, at: e.span };
    for (const sym of program.scopes.get(file)?.values() ?? []) {
      if (sym.decl.kind !== "EnumDecl") continue;
      const member = sym.decl.members.find((m) => m.name === e.name);
      if (member) return { kind: "member", decl: sym.decl, member, file: sym.file, at: e.span };
    }
    return undefined;
  }

  // 9. Any other expression: its type.
  if (isExpr(node)) {
    const s = scope();
    return { kind: "expr", expr: node as unknown as A.Expr, ty: s.typeOf(node as unknown as A.Expr), at: node.span };
  }
  return undefined;
}

/** The graph a test block runs (`run g(...)`), as the checker finds it: through the test's module scope. */
function testedGraph(program: CompileResult["program"], file: string, test: A.TestDecl): { decl: A.GraphDecl; name: string; file: string } | undefined {
  const run = test.stmts.find((s): s is A.TestRun => s.kind === "TestRun");
  const callee = run?.call.callee.kind === "Name" ? program.scopes.get(file)?.get(run.call.callee.name) : undefined;
  return callee?.decl.kind === "GraphDecl" ? { decl: callee.decl, name: callee.name, file: callee.file } : undefined;
}

function localTarget(l: Local, file: string, at: A.Span): Target {
  if (l.decl?.kind === "Field") return { kind: "field", field: l.decl, owner: l.owner ?? "", role: l.role === "state" ? "state" : "parameter", file, at };
  if (l.decl?.kind === "Ident") return { kind: "variable", ident: l.decl, ty: l.ty, file, at };
  return { kind: "builtin", name: l.name, ty: l.ty, at };
}

const EXPR_KINDS = new Set(["String", "Number", "Bool", "Null", "Duration", "Template", "Member", "Index", "NonNull", "Call", "Unary", "Binary", "Record", "List"]);
function isExpr(n: AnyNode): boolean {
  return EXPR_KINDS.has(n.kind);
}

/** The field `name` of a value of type `t` (through `?`), with its declaration when it has one. */
export function fieldOf(scope: Scope, t: Ty.Ty, name: string): { ty: Ty.Ty; decl?: A.Field; owner: string; file: string } | undefined {
  const r = scope.resolve(t);
  if (r.k !== "record") return undefined;
  const f = r.fields.find((x) => x.name === name);
  if (!f) return undefined;
  const sym = r.name ? scope.program.globals.get(r.name) : undefined;
  const decl = sym?.decl.kind === "TypeDecl" ? sym.decl.fields.find((x) => x.name.name === name) : undefined;
  return { ty: f.ty, owner: r.name ?? "", file: sym?.file ?? scope.file, ...(decl ? { decl } : {}) };
}

/** Fields of a record type (through `?`), each with its declaration when it has one. */
export function fieldsOf(scope: Scope, t: Ty.Ty): { name: string; ty: Ty.Ty; decl?: A.Field; file: string }[] {
  const r = scope.resolve(t);
  if (r.k !== "record") return [];
  const sym = r.name ? scope.program.globals.get(r.name) : undefined;
  return r.fields.map((f) => {
    const decl = sym?.decl.kind === "TypeDecl" ? sym.decl.fields.find((x) => x.name.name === f.name) : undefined;
    return { name: f.name, ty: f.ty, file: sym?.file ?? scope.file, ...(decl ? { decl } : {}) };
  });
}
