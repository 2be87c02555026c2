import type { CstNode, IToken } from "./chevrotain.js";
import type * as A from "./ast.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { diag } from "../diagnostics/diagnostic.js";

// CST → AST. Total: every child may be missing (error recovery), in which case the AST gets an
// empty name, an ErrorExpr or `recovered: true`, never an exception.

type Child = CstNode | IToken;

export interface AstContext {
  file: string;
  text: string;
  diagnostics: Diagnostic[];
  /** Parses the expression inside a template hole; offsets are absolute in the file. */
  parseHole(text: string, offset: number): A.Expr;
  /** The code of syntax errors found while building (AWR1004 inside template holes). */
  syntaxCode?: "AWR1002" | "AWR1004";
}

const isToken = (c: Child | undefined): c is IToken => c !== undefined && "image" in c;
const isNode = (c: Child | undefined): c is CstNode => c !== undefined && "children" in c;

function tok(n: CstNode | undefined, key: string, i = 0): IToken | undefined {
  const c = n?.children[key]?.[i];
  return isToken(c) && !c.isInsertedInRecovery && Number.isFinite(c.startOffset) ? c : undefined;
}
function toks(n: CstNode | undefined, key: string): IToken[] {
  return (n?.children[key] ?? []).filter(
    (c): c is IToken => isToken(c) && !c.isInsertedInRecovery && Number.isFinite(c.startOffset),
  );
}
function sub(n: CstNode | undefined, key: string, i = 0): CstNode | undefined {
  const c = n?.children[key]?.[i];
  return isNode(c) ? c : undefined;
}
function subs(n: CstNode | undefined, key: string): CstNode[] {
  return (n?.children[key] ?? []).filter(isNode);
}
function tokSpan(t: IToken): A.Span {
  return { start: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1 };
}

/** The span of a CST node; recovered nodes may lack a location, then their tokens decide. */
function nodeSpan(n: CstNode | undefined, fallback: number): A.Span {
  if (!n) return { start: fallback, end: fallback };
  const loc = n.location;
  if (loc && Number.isFinite(loc.startOffset) && Number.isFinite(loc.endOffset ?? NaN)) {
    return { start: loc.startOffset, end: (loc.endOffset as number) + 1 };
  }
  let start = Infinity;
  let end = -Infinity;
  const walk = (c: CstNode) => {
    for (const list of Object.values(c.children)) {
      for (const x of list) {
        if (isToken(x)) {
          if (x.isInsertedInRecovery || !Number.isFinite(x.startOffset)) continue;
          start = Math.min(start, x.startOffset);
          end = Math.max(end, (x.endOffset ?? x.startOffset) + 1);
        } else walk(x);
      }
    }
  };
  walk(n);
  return Number.isFinite(start) ? { start, end } : { start: fallback, end: fallback };
}

export class CstToAst {
  constructor(private readonly ctx: AstContext) {}

  private recovered(n: CstNode | undefined): boolean {
    return !n || n.recoveredNode === true;
  }

  private base(n: CstNode | undefined, fallback: number): { span: A.Span; recovered?: boolean } {
    const span = nodeSpan(n, fallback);
    return this.recovered(n) ? { span, recovered: true } : { span };
  }

  name(n: CstNode | undefined, fallback: number): A.Ident {
    const t = tok(n, "AnyName");
    if (!t) return { kind: "Ident", name: "", span: { start: fallback, end: fallback }, recovered: true };
    return { kind: "Ident", name: t.image, span: tokSpan(t) };
  }

  // ------------------------------------------------------------ declarations

  /** Returns an import or a declaration (undefined when nothing could be recovered). */
  declaration(n: CstNode): A.ImportDecl | A.Decl | undefined {
    const at = nodeSpan(n, 0).start;
    const imp = sub(n, "importDecl");
    if (imp) {
      const s = tok(imp, "StringLiteral");
      return {
        kind: "Import",
        path: s ? unquote(s.image) : "",
        pathSpan: s ? tokSpan(s) : nodeSpan(imp, at),
        ...this.base(imp, at),
      };
    }
    const td = sub(n, "typeDecl");
    if (td) {
      const decl: A.TypeDecl = {
        kind: "TypeDecl",
        name: this.name(sub(td, "name"), at),
        fields: this.fields(sub(td, "fieldBody"), at),
        ...this.base(td, at),
      };
      const alias = sub(td, "typeExpr");
      if (alias) decl.alias = this.typeExpr(alias, at);
      return decl;
    }
    const en = sub(n, "enumDecl");
    if (en) {
      return {
        kind: "EnumDecl",
        name: this.name(sub(en, "name"), at),
        members: subs(en, "member").map((m) => this.name(m, at)),
        ...this.base(en, at),
      };
    }
    const pd = sub(n, "propsDecl");
    if (pd) {
      const kw = tok(pd, "kw")?.image ?? "model";
      const name = this.name(sub(pd, "name"), at);
      const props = subs(pd, "property").map((p) => this.property(p, at));
      const b = this.base(pd, at);
      if (kw === "model") return { kind: "ModelDecl", name, props, ...b };
      const sig = sub(pd, "signature");
      const params = this.params(sub(sig, "params"), at);
      const rt = sub(sig, "typeExpr");
      const returns = rt ? this.typeExpr(rt, at) : undefined;
      const kind = kw === "tool" ? "ToolDecl" : kw === "prompt" ? "PromptDecl" : "AgentDecl";
      return { kind, name, params, ...(returns ? { returns } : {}), props, ...b } as A.ToolDecl | A.PromptDecl | A.AgentDecl;
    }
    const cd = sub(n, "contextDecl");
    if (cd) {
      const sources: A.ContextSource[] = [];
      const props: A.Property[] = [];
      for (const item of subs(cd, "contextItem")) {
        const src = sub(item, "contextSource");
        const p = sub(item, "property");
        if (src) {
          const opts = sub(src, "recordExpr");
          const s: A.ContextSource = {
            kind: "ContextSource",
            name: this.name(sub(src, "name"), at),
            value: this.expr(sub(src, "expression"), at),
            ...this.base(src, at),
          };
          if (opts) s.options = this.record(opts, at);
          sources.push(s);
        } else if (p) props.push(this.property(p, at));
      }
      return { kind: "ContextDecl", name: this.name(sub(cd, "name"), at), sources, props, ...this.base(cd, at) };
    }
    const po = sub(n, "policyDecl");
    if (po) {
      return {
        kind: "PolicyDecl",
        name: this.name(sub(po, "name"), at),
        hooks: subs(po, "policyHook").map((h) => this.hook(h, at)),
        ...this.base(po, at),
      };
    }
    const gd = sub(n, "graphDecl");
    if (gd) {
      const sig = sub(gd, "signature");
      const rt = sub(sig, "typeExpr");
      const g: A.GraphDecl = {
        kind: "GraphDecl",
        name: this.name(sub(gd, "name"), at),
        params: this.params(sub(sig, "params"), at),
        members: subs(gd, "graphMember").flatMap((m) => this.graphMember(m, at)),
        ...this.base(gd, at),
      };
      if (rt) g.returns = this.typeExpr(rt, at);
      return g;
    }
    const te = sub(n, "testDecl");
    if (te) {
      return {
        kind: "TestDecl",
        name: this.name(sub(te, "name"), at),
        stmts: subs(te, "testStmt").flatMap((s) => this.testStmt(s, at)),
        ...this.base(te, at),
      };
    }
    return undefined;
  }

  private params(n: CstNode | undefined, at: number): A.Field[] {
    return subs(n, "field").map((f) => this.field(f, at));
  }

  private fields(n: CstNode | undefined, at: number): A.Field[] {
    return subs(n, "field").map((f) => this.field(f, at));
  }

  field(n: CstNode, at: number): A.Field {
    const te = sub(n, "typeExpr");
    const f: A.Field = {
      kind: "Field",
      name: this.name(sub(n, "name"), at),
      type: te ? this.typeExpr(te, at) : undefined,
      attrs: subs(n, "attribute").map((a) => this.attribute(a, at)),
      ...this.base(n, at),
    };
    const d = sub(n, "default");
    if (d) f.default = this.expr(d, at);
    return f;
  }

  private attribute(n: CstNode, at: number): A.Attribute {
    return {
      kind: "Attribute",
      name: this.name(sub(n, "name"), at),
      args: this.args(sub(n, "argList"), at).map((a) => a.value),
      ...this.base(n, at),
    };
  }

  private property(n: CstNode, at: number): A.Property {
    const b = this.base(n, at);
    const key = this.name(sub(n, "name"), at);
    const t = tok(n, "Template");
    const rec = sub(n, "recordExpr");
    const value = t ? this.template(t) : rec ? this.record(rec, at) : this.expr(sub(n, "expression"), key.span.end);
    return { kind: "Property", key, value, ...b };
  }

  private hook(n: CstNode, at: number): A.PolicyHook {
    const phase = (tok(n, "phase")?.image ?? "before") as A.HookPhase;
    const target = this.name(sub(n, "target"), at);
    const h: A.PolicyHook = {
      kind: "PolicyHook",
      phase,
      target: target.name as A.HookTarget,
      targetSpan: target.span,
      rules: subs(n, "policyRule").map((r) => this.rule(r, at)),
      ...this.base(n, at),
    };
    const dn = sub(n, "dottedName");
    const sel = sub(n, "selector");
    if (dn) {
      h.selector = {
        kind: "tagged",
        tag: { kind: "DottedName", parts: subs(dn, "name").map((x) => this.name(x, at).name), ...this.base(dn, at) },
      };
    } else if (sel) h.selector = { kind: "name", name: this.name(sel, at) };
    return h;
  }

  private rule(n: CstNode, at: number): A.PolicyRule {
    const r: A.PolicyRule = {
      kind: "PolicyRule",
      action: (tok(n, "action")?.image ?? "deny") as A.RuleAction,
      kinds: subs(n, "kind").map((k) => this.name(k, at)),
      ...this.base(n, at),
    };
    const path = sub(n, "path");
    if (path) r.path = { kind: "DottedName", parts: subs(path, "name").map((x) => this.name(x, at).name), ...this.base(path, at) };
    if (r.action === "transform") r.value = this.expr(sub(n, "value"), nodeSpan(path ?? n, at).end);
    const w = sub(n, "when");
    if (w) r.when = this.expr(w, at);
    const b = sub(n, "because");
    if (b) r.because = this.expr(b, at);
    return r;
  }

  private graphMember(n: CstNode, at: number): A.GraphMember[] {
    const st = sub(n, "stateBlock");
    if (st) {
      const state: A.StateBlock = { kind: "State", fields: this.fields(st, at), ...this.base(st, at) };
      return [state, ...this.strays(st, "the state block", at)];
    }
    const nd = sub(n, "nodeDecl");
    if (nd) {
      const node: A.NodeDecl = {
        kind: "Node",
        name: this.name(sub(nd, "name"), at),
        stmts: subs(nd, "nodeStmt").flatMap((s) => this.nodeStmt(s, at)),
        ...this.base(nd, at),
      };
      const strays = this.strays(nd, `node "${node.name.name}"`, at);
      for (const h of subs(nd, "strayNodeHead")) {
        const name = this.name(sub(h, "name"), at);
        this.ctx.diagnostics.push(
          diag(
            "AWR1002",
            this.ctx.file,
            { start: nodeSpan(h, at).start, end: name.span.end },
            `node "${name.name}" is inside node "${node.name.name}" and has no body: a node holds only statements; move it after the '}' that closes "${node.name.name}" and give it a body { ... }`,
          ),
        );
      }
      return [node, ...strays];
    }
    const ed = sub(n, "edgeDecl");
    if (ed) {
      const ends = (e: CstNode | undefined) => ({
        names: subs(e, "name").map((x) => this.name(x, at)),
        list: tok(e, "LSquare") !== undefined,
      });
      const from = ends(sub(ed, "from"));
      const to = ends(sub(ed, "to"));
      const e: A.EdgeDecl = {
        kind: "Edge",
        from: from.names,
        to: to.names,
        fromList: from.list,
        toList: to.list,
        otherwise: tok(ed, "Otherwise") !== undefined,
        ...this.base(ed, at),
      };
      const w = sub(ed, "when");
      if (w) e.when = this.expr(w, at);
      const m = sub(ed, "max");
      if (m) e.max = this.expr(m, at);
      return [e];
    }
    const rs = sub(n, "returnStmt");
    if (rs) return [{ kind: "Return", value: this.expr(sub(rs, "expression"), at), ...this.base(rs, at) }];
    return [];
  }

  /**
   * The graph members written inside a node or the state block (grammar.ts `nodeDecl`): one
   * diagnostic each, and each joins the graph after its container, so what it declares is still
   * known (no second cascade).
   */
  private strays(n: CstNode, container: string, at: number): A.GraphMember[] {
    const strays = subs(n, "stray").flatMap((m) => this.graphMember(m, at));
    const holds = container === "the state block" ? "the state block holds only fields" : "a node holds only statements (run, map, await, set, retry, timeout, on error, compensate)";
    for (const m of strays) {
      const what = m.kind === "Node" ? `node "${m.name.name}"` : m.kind === "Edge" ? "an edge" : m.kind === "State" ? "the state block" : "the graph's return";
      const keyword = m.kind === "State" ? "state" : m.kind.toLowerCase();
      this.ctx.diagnostics.push(
        diag(
          "AWR1002",
          this.ctx.file,
          { start: m.span.start, end: m.span.start + keyword.length },
          `${what} is inside ${container}: ${holds}; move it after the '}' that closes ${container}`,
        ),
      );
    }
    return strays;
  }

  private call(n: CstNode | undefined, at: number, what: string): A.CallExpr {
    const e = this.expr(n, at);
    if (e.kind === "Call") return e;
    if (e.kind !== "ErrorExpr") {
      this.ctx.diagnostics.push(diag("AWR4009", this.ctx.file, e.span, `expected a call after '${what}', like ${what} name(args)`));
    }
    return { kind: "Call", callee: e, args: [], span: e.span, recovered: true };
  }

  private target(n: CstNode | undefined, at: number): A.Ident | undefined {
    const w = sub(n, "writeTarget");
    return w ? this.name(sub(w, "name"), at) : undefined;
  }

  private nodeStmt(n: CstNode, at: number): A.NodeStmt[] {
    const b = this.base(n, at);
    const withTarget = <S extends A.NodeStmt>(s: S, t: A.Ident | undefined): S => (t ? { ...s, target: t } : s);
    if (tok(n, "Map") || sub(n, "variable")) {
      const m: A.MapStmt = {
        kind: "Map",
        variable: this.name(sub(n, "variable"), at),
        source: this.expr(sub(n, "source"), at),
        call: this.call(sub(n, "call"), at, "run"),
        ...b,
      };
      const c = sub(n, "concurrency");
      if (c) m.concurrency = this.expr(c, at);
      return [withTarget(m, this.target(n, at))];
    }
    if (tok(n, "Run")) {
      return [withTarget<A.RunStmt>({ kind: "Run", call: this.call(sub(n, "call"), at, "run"), ...b }, this.target(n, at))];
    }
    if (tok(n, "Await")) {
      return [withTarget<A.AwaitStmt>({ kind: "Await", call: this.call(sub(n, "call"), at, "await"), ...b }, this.target(n, at))];
    }
    if (tok(n, "Set")) {
      return [{ kind: "Set", target: this.name(sub(n, "target"), at), value: this.expr(sub(n, "value"), at), ...b }];
    }
    if (tok(n, "Retry")) return [{ kind: "Retry", value: this.expr(sub(n, "value"), at), ...b }];
    if (tok(n, "Timeout")) return [{ kind: "Timeout", value: this.expr(sub(n, "value"), at), ...b }];
    if (tok(n, "On")) return [{ kind: "OnError", target: this.name(sub(n, "target"), at), ...b }];
    if (tok(n, "Compensate")) return [{ kind: "Compensate", call: this.call(sub(n, "call"), at, "compensate"), ...b }];
    return [];
  }

  private testStmt(n: CstNode, at: number): A.TestStmt[] {
    const b = this.base(n, at);
    if (tok(n, "Run")) return [{ kind: "TestRun", call: this.call(sub(n, "call"), at, "run"), ...b }];
    if (tok(n, "Mock") || sub(n, "target")) {
      return [
        {
          kind: "TestMock",
          target: this.name(sub(n, "target"), at),
          values: subs(n, "value").map((v) => this.expr(v, at)),
          ...b,
        },
      ];
    }
    if (tok(n, "Expect")) return [{ kind: "TestExpect", expr: this.expr(sub(n, "expect"), at), ...b }];
    if (tok(n, "principalKw")) return [{ kind: "TestPrincipal", value: this.expr(sub(n, "principal"), at), ...b }];
    return [];
  }

  // ------------------------------------------------------------ types

  typeExpr(n: CstNode, at: number): A.TypeExpr {
    const members = subs(n, "optionalType").map((o) => this.optionalType(o, at));
    if (members.length === 1) return members[0]!;
    if (members.length === 0) {
      return { kind: "NamedType", name: { kind: "Ident", name: "", span: nodeSpan(n, at), recovered: true }, args: [], ...this.base(n, at), recovered: true };
    }
    return { kind: "UnionType", members, ...this.base(n, at) };
  }

  private optionalType(n: CstNode, at: number): A.TypeExpr {
    let t = this.primaryType(sub(n, "primaryType"), at);
    for (const q of toks(n, "Question")) {
      t = { kind: "OptionalType", inner: t, span: { start: t.span.start, end: tokSpan(q).end } };
    }
    return t;
  }

  private primaryType(n: CstNode | undefined, at: number): A.TypeExpr {
    const b = this.base(n, at);
    const nm = sub(n, "name");
    if (nm) return { kind: "NamedType", name: this.name(nm, at), args: subs(n, "typeExpr").map((t) => this.typeExpr(t, at)), ...b };
    const s = tok(n, "StringLiteral");
    if (s) return { kind: "LiteralType", value: unquote(s.image), ...b };
    const num = tok(n, "NumberLiteral");
    if (num) return { kind: "LiteralType", value: Number(num.image), ...b };
    if (tok(n, "True")) return { kind: "LiteralType", value: true, ...b };
    if (tok(n, "False")) return { kind: "LiteralType", value: false, ...b };
    const inner = sub(n, "typeExpr");
    if (inner) return { ...this.typeExpr(inner, at), span: b.span };
    return { kind: "NamedType", name: { kind: "Ident", name: "", span: b.span, recovered: true }, args: [], span: b.span, recovered: true };
  }

  // ------------------------------------------------------------ expressions

  expr(n: CstNode | undefined, at: number): A.Expr {
    if (!n) return { kind: "ErrorExpr", span: { start: at, end: at }, recovered: true };
    switch (n.name) {
      case "expression":
        return this.expr(sub(n, "orExpr"), nodeSpan(n, at).start);
      case "coalesceExpr":
      case "orExpr":
      case "andExpr":
      case "eqExpr":
      case "relExpr":
      case "addExpr":
      case "mulExpr": {
        const operands = subs(n, "operand");
        const ops = toks(n, "op");
        let left = this.expr(operands[0], nodeSpan(n, at).start);
        for (let i = 0; i < ops.length; i++) {
          const right = this.expr(operands[i + 1], tokSpan(ops[i]!).end);
          left = {
            kind: "Binary",
            op: ops[i]!.image as A.BinaryOp,
            left,
            right,
            span: { start: left.span.start, end: Math.max(right.span.end, tokSpan(ops[i]!).end) },
          };
        }
        return left;
      }
      case "unary": {
        const op = tok(n, "op");
        const inner = sub(n, "unary");
        if (op) {
          const operand = this.expr(inner, tokSpan(op).end);
          return { kind: "Unary", op: op.image as A.UnaryOp, operand, span: { start: op.startOffset, end: Math.max(operand.span.end, tokSpan(op).end) } };
        }
        return this.postfix(sub(n, "postfix"), at);
      }
      default:
        return { kind: "ErrorExpr", ...this.base(n, at), recovered: true };
    }
  }

  private postfix(n: CstNode | undefined, at: number): A.Expr {
    let e = this.primary(sub(n, "primary"), nodeSpan(n, at).start);
    for (const op of subs(n, "postfixOp")) {
      const opSpan = nodeSpan(op, e.span.end);
      const end = Math.max(opSpan.end, e.span.end);
      const span = { start: e.span.start, end };
      if (tok(op, "Dot") || tok(op, "QDot")) {
        const name = this.name(sub(op, "name"), end);
        if (name.recovered && !sub(op, "name")) {
          this.ctx.diagnostics.push(diag(this.ctx.syntaxCode ?? "AWR1002", this.ctx.file, { start: end - 1, end }, "expected a field name after '.'"));
        }
        e = { kind: "Member", object: e, name, optional: tok(op, "QDot") !== undefined, span };
      } else if (tok(op, "LSquare")) {
        e = { kind: "Index", object: e, index: this.expr(sub(op, "expression"), end), span };
      } else if (tok(op, "LParen")) {
        e = { kind: "Call", callee: e, args: this.args(sub(op, "argList"), end), span };
      } else if (tok(op, "Bang")) {
        e = { kind: "NonNull", expr: e, span };
      }
    }
    return e;
  }

  private args(n: CstNode | undefined, at: number): A.Arg[] {
    return subs(n, "arg").map((a) => {
      const nm = sub(a, "name");
      const arg: A.Arg = { kind: "Arg", value: this.expr(sub(a, "expression"), at), ...this.base(a, at) };
      if (nm) arg.name = this.name(nm, at);
      return arg;
    });
  }

  private primary(n: CstNode | undefined, at: number): A.Expr {
    const b = this.base(n, at);
    if (!n) return { kind: "ErrorExpr", ...b, recovered: true };
    let t: IToken | undefined;
    if ((t = tok(n, "StringLiteral"))) return { kind: "String", value: unquote(t.image), ...b };
    if ((t = tok(n, "NumberLiteral"))) {
      const value = Number(t.image);
      if (!Number.isFinite(value) || (!/[.eE]/.test(t.image) && !Number.isSafeInteger(value))) {
        this.ctx.diagnostics.push(diag("AWR1005", this.ctx.file, tokSpan(t), `number ${t.image} is too large to represent exactly`));
      }
      return { kind: "Number", value, integer: !t.image.includes(".") && Number.isInteger(value), ...b };
    }
    if ((t = tok(n, "Duration"))) {
      const ms = durationMs(t.image);
      if (Number.isNaN(ms)) {
        this.ctx.diagnostics.push(diag("AWR1005", this.ctx.file, tokSpan(t), `malformed duration "${t.image}": write a number followed by ms, s, m or h (250ms, 5s, 10m, 1h)`));
      } else if (!Number.isSafeInteger(ms)) this.ctx.diagnostics.push(diag("AWR1005", this.ctx.file, tokSpan(t), `duration ${t.image} is too long`));
      return { kind: "Duration", ms, text: t.image, ...b };
    }
    if (tok(n, "True")) return { kind: "Bool", value: true, ...b };
    if (tok(n, "False")) return { kind: "Bool", value: false, ...b };
    if (tok(n, "Null")) return { kind: "Null", ...b };
    if ((t = tok(n, "Template"))) return this.template(t);
    const nm = sub(n, "name");
    if (nm) {
      const id = this.name(nm, at);
      return id.recovered ? { kind: "ErrorExpr", span: id.span, recovered: true } : { kind: "Name", name: id.name, span: id.span };
    }
    const inner = sub(n, "expression");
    if (inner) return this.expr(inner, at);
    const l = sub(n, "listExpr");
    if (l) return { kind: "List", items: subs(l, "expression").map((x) => this.expr(x, at)), ...this.base(l, at) };
    const r = sub(n, "recordExpr");
    if (r) return this.record(r, at);
    return { kind: "ErrorExpr", ...b, recovered: true };
  }

  record(n: CstNode, at: number): A.RecordExpr {
    return {
      kind: "Record",
      fields: subs(n, "recordField").map((f) => {
        const s = tok(f, "StringLiteral");
        const key: A.Ident = s ? { kind: "Ident", name: unquote(s.image), span: tokSpan(s) } : this.name(sub(f, "name"), at);
        return { kind: "RecordField", key, value: this.expr(sub(f, "expression"), key.span.end), ...this.base(f, at) };
      }),
      ...this.base(n, at),
    };
  }

  template(t: IToken): A.TemplateLit {
    const raw = t.image.slice(2, t.image.endsWith('"#') && t.image.length >= 4 ? -2 : undefined);
    const base = t.startOffset + 2;
    const parts: A.TemplatePart[] = [];
    let i = 0;
    while (i <= raw.length) {
      const open = raw.indexOf("{{", i);
      if (open < 0) {
        if (i < raw.length) parts.push({ kind: "Text", text: raw.slice(i), span: { start: base + i, end: base + raw.length } });
        break;
      }
      if (open > i) parts.push({ kind: "Text", text: raw.slice(i, open), span: { start: base + i, end: base + open } });
      const close = raw.indexOf("}}", open + 2);
      if (close < 0) {
        this.ctx.diagnostics.push(
          diag("AWR1004", this.ctx.file, { start: base + open, end: base + raw.length }, "template hole '{{' is never closed with '}}'"),
        );
        parts.push({ kind: "Text", text: raw.slice(open), span: { start: base + open, end: base + raw.length } });
        break;
      }
      const inner = raw.slice(open + 2, close);
      const span = { start: base + open, end: base + close + 2 };
      if (inner.trim() === "") {
        this.ctx.diagnostics.push(diag("AWR1004", this.ctx.file, span, "empty template hole: write an expression between '{{' and '}}'"));
        parts.push({ kind: "Hole", expr: { kind: "ErrorExpr", span, recovered: true }, span });
      } else {
        parts.push({ kind: "Hole", expr: this.ctx.parseHole(inner, base + open + 2), span });
      }
      i = close + 2;
    }
    return { kind: "Template", parts, raw, span: tokSpan(t) };
  }
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "0": "\0", '"': '"', "\\": "\\", "'": "'" };

export function unquote(image: string): string {
  const body = image.length >= 2 && image.endsWith('"') ? image.slice(1, -1) : image.slice(1);
  return body.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e[0] === "u" && e.length > 1) {
      const hex = e[1] === "{" ? e.slice(2, -1) : e.slice(1);
      const cp = parseInt(hex, 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : "\ufffd";
    }
    return ESCAPES[e] ?? e;
  });
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function durationMs(image: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(image);
  return m ? Math.round(Number(m[1]) * UNIT_MS[m[2]!]!) : NaN;
}
