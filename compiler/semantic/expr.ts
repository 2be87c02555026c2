import type * as A from "../syntax/ast.js";
import type { CheckContext } from "./scope.js";
import { article, kindWord } from "./scope.js";
import * as Ty from "./types.js";
import { BUILTIN_FUNCTIONS, assertNever } from "../plan/vocabulary.js";

/** Values in scope for an expression, plus call-like intrinsics of the slot (e.g. `calls` in tests). */
export interface Env {
  file: string;
  vars: Map<string, Ty.Ty>;
  intrinsics?: Map<string, (call: A.CallExpr, env: Env) => Ty.Ty>;
  /** Extra text for unknown names, e.g. "template holes can use the prompt's parameters". */
  hint?: string;
  /** The code of an unknown bare name (template holes use AWR3003). */
  unknownCode?: "AWR2001" | "AWR3003";
}


/** Literal types widen to their base type where a value is computed or collected. */
export function widen(t: Ty.Ty): Ty.Ty {
  if (t.k !== "literal") return t;
  return typeof t.value === "string" ? Ty.STRING : typeof t.value === "boolean" ? Ty.BOOL : Number.isInteger(t.value) ? Ty.INT : Ty.FLOAT;
}

export class ExprChecker {
  constructor(private readonly ctx: CheckContext) {}

  /** Types an expression; `expected` lets bare enum members (`urgent`) and nested literals resolve. */
  check(e: A.Expr, env: Env, expected?: Ty.Ty): Ty.Ty {
    const ctx = this.ctx;
    switch (e.kind) {
      case "String":
        return { k: "literal", value: e.value };
      case "Number":
        return { k: "literal", value: e.value };
      case "Bool":
        return Ty.BOOL;
      case "Null":
        return Ty.NULL;
      case "Duration":
        return Ty.DURATION;
      case "Template":
        this.template(e, env);
        return Ty.STRING;
      case "ErrorExpr":
        return Ty.ERROR;
      case "Name":
        return this.name(e, env, expected);
      case "Member": {
        const objT = this.check(e.object, env);
        return this.member(e, objT, env);
      }
      case "Index": {
        const objT = ctx.resolve(this.check(e.object, env));
        const idxT = this.check(e.index, env);
        if (objT.k === "list") {
          this.expect(idxT, Ty.INT, e.index, env, "a list index");
          return objT.of;
        }
        if (objT.k === "map") {
          this.expect(idxT, Ty.STRING, e.index, env, "a map key");
          return Ty.optional(objT.of);
        }
        if (objT.k === "optional") {
          ctx.report("AWR3001", env.file, e.object.span, `${this.text(e.object, env)} may be null: use ${this.text(e.object, env)}! first`);
          return Ty.ERROR;
        }
        if (objT.k !== "any" && objT.k !== "error") ctx.report("AWR3001", env.file, e.span, `cannot index a value of type ${Ty.show(objT)}`);
        return objT.k === "any" ? Ty.ANY : Ty.ERROR;
      }
      case "NonNull": {
        const t = this.check(e.expr, env);
        return Ty.nonNull(t, ctx);
      }
      case "Call":
        return this.call(e, env);
      case "Unary": {
        const t = this.check(e.operand, env);
        if (e.op === "!") {
          this.expect(t, Ty.BOOL, e.operand, env, "the operand of '!'");
          return Ty.BOOL;
        }
        if (!Ty.isNumeric(t, ctx)) ctx.report("AWR3001", env.file, e.operand.span, `'-' needs a number, found ${Ty.show(t)}`);
        return widen(ctx.resolve(t));
      }
      case "Binary":
        return this.binary(e, env);
      case "Record": {
        const exp = expected ? ctx.resolve(Ty.nonNull(expected, ctx)) : undefined;
        const seen = new Set<string>();
        const fields: Ty.TyField[] = [];
        for (const f of e.fields) {
          if (seen.has(f.key.name)) ctx.report("AWR2009", env.file, f.key.span, `field "${f.key.name}" is given twice`);
          seen.add(f.key.name);
          const ef = exp?.k === "record" ? exp.fields.find((x) => x.name === f.key.name) : undefined;
          if (ef && exp?.k === "record" && exp.name) ctx.fieldReferences.push({ file: env.file, span: f.key.span, type: exp.name, field: ef.name });
          const fe = ef ? ef.ty : exp?.k === "map" ? exp.of : undefined;
          fields.push({ name: f.key.name, ty: this.check(f.value, env, fe), optional: false });
        }
        return Ty.record(fields);
      }
      case "List": {
        const exp = expected ? ctx.resolve(Ty.nonNull(expected, ctx)) : undefined;
        const elemExp = exp?.k === "list" ? exp.of : undefined;
        const items = e.items.map((i) => this.check(i, env, elemExp));
        if (elemExp) {
          // The list has the expected type only if every item fits; else the first misfit shows.
          const misfit = items.find((t) => !Ty.assignable(t, elemExp, ctx));
          return Ty.list(misfit ?? elemExp);
        }
        if (items.length === 0) return Ty.list(Ty.ANY);
        const first = widen(items[0]!);
        const all = items.every((t) => Ty.assignable(t, first, ctx));
        return Ty.list(all ? first : Ty.ANY);
      }
    }
  }

  /** Reports when `actual` does not fit `expected`. Returns whether it fits. */
  expect(actual: Ty.Ty, expected: Ty.Ty, at: A.Expr, env: Env, what: string): boolean {
    if (Ty.assignable(actual, expected, this.ctx)) return true;
    const text = this.text(at, env);
    const want = this.ctx.resolve(Ty.nonNull(expected, this.ctx));
    if (actual.k === "literal" && typeof actual.value === "string" && want.k === "enum") {
      const best = Ty.closest(actual.value, want.members);
      this.ctx.report("AWR3010", env.file, at.span, `${what}: ${text} is not one of ${want.name} (${want.members.join(", ")})${best ? `; did you mean "${best}"?` : ""}`);
      return false;
    }
    // `"3" is "3"` says nothing: name the literal's type instead.
    const shown = Ty.show(actual) === text ? Ty.show(widen(actual)) : Ty.show(actual);
    const r = this.ctx.resolve(actual);
    const but = r.k === "record" && !r.name && at.kind === "Record" ? "the record does not fit" : `${text} is ${shown}`;
    this.ctx.report("AWR3001", env.file, at.span, `${what} must be ${Ty.show(expected)}, but ${but}${this.whyNot(actual, expected)}`);
    return false;
  }

  /** For a record, map or list that does not fit: name the first part that is missing or wrong. */
  whyNot(actual: Ty.Ty, expected: Ty.Ty): string {
    const a = this.ctx.resolve(actual);
    const x = this.ctx.resolve(Ty.nonNull(expected, this.ctx));
    if (a.k === "record" && x.k === "record") {
      for (const f of x.fields) {
        const af = a.fields.find((y) => y.name === f.name);
        if (!af && !f.optional) return ` (field "${f.name}" is missing)`;
        if (af && !Ty.assignable(af.ty, f.ty, this.ctx)) {
          const want = this.ctx.resolve(Ty.nonNull(f.ty, this.ctx));
          if (af.ty.k === "literal" && want.k === "enum") return ` (field "${f.name}": ${Ty.show(af.ty)} is not one of ${want.name} (${want.members.join(", ")}))`;
          return ` (field "${f.name}" is ${Ty.show(af.ty)}, expected ${Ty.show(f.ty)}${this.whyNot(af.ty, f.ty).replace(/^ \((.*)\)$/, ": $1")})`;
        }
      }
      if (!a.name) {
        const extra = a.fields.find((y) => !x.fields.some((f) => f.name === y.name));
        if (extra) return ` (${x.name ?? "the record"} has no field "${extra.name}")`;
      }
    }
    if (a.k === "record" && !a.name && x.k === "map") {
      const bad = a.fields.find((f) => !Ty.assignable(f.ty, x.of, this.ctx));
      if (bad) return ` (entry "${bad.name}"${this.whyNot(bad.ty, x.of).replace(/^ \((.*)\)$/, ": $1")})`;
    }
    if (a.k === "list" && x.k === "list") return this.whyNot(a.of, x.of);
    return "";
  }

  requireBool(e: A.Expr, env: Env, what: string) {
    const t = this.check(e, env);
    this.expect(t, Ty.BOOL, e, env, what);
  }

  /**
   * Holes are type-checked like any expression (a null value renders as the empty string); a hole
   * naming nothing in scope is AWR3003, the check the prompt author most needs.
   */
  template(t: A.TemplateLit, env: Env) {
    const holeEnv: Env = { ...env, unknownCode: "AWR3003" };
    for (const p of t.parts) if (p.kind === "Hole") this.check(p.expr, holeEnv);
  }

  text(e: A.Expr, env: Env): string {
    const s = this.ctx.program.modules.has(env.file) ? this.ctx.sourceText(env.file, e.span) : "the value";
    return s.length > 40 ? s.slice(0, 37) + "..." : s;
  }

  private name(e: A.NameExpr, env: Env, expected?: Ty.Ty): Ty.Ty {
    const v = env.vars.get(e.name);
    if (v) return v;
    if (expected) {
      const r = this.ctx.resolve(Ty.nonNull(expected, this.ctx));
      if (r.k === "enum" && r.members.includes(e.name)) return { k: "literal", value: e.name };
    }
    const sym = this.ctx.program.scopes.get(env.file)?.get(e.name);
    if (sym) {
      this.ctx.references.push({ file: env.file, span: e.span, name: e.name });
      this.ctx.used.add(e.name);
      const k = kindWord(sym.decl.kind);
      this.ctx.report(
        "AWR3008",
        env.file,
        e.span,
        ["prompt", "agent", "tool", "graph"].includes(k)
          ? `"${e.name}" is ${article(k)}: call it from a graph node with run ${e.name}(...)`
          : `"${e.name}" is ${article(k)}, not a value`,
      );
      return Ty.ERROR;
    }
    const enumMembers = this.ctx.enumMembersInScope(env.file);
    if (enumMembers.has(e.name)) {
      // A bare enum member where nothing says which enum: accept it as its enum's value.
      return { k: "literal", value: e.name };
    }
    const before = this.ctx.diagnostics.length;
    this.ctx.unknown(env.file, { name: e.name, span: e.span }, [...env.vars.keys(), ...enumMembers], env.unknownCode === "AWR3003" ? "parameter" : "name", env.unknownCode);
    if (env.hint && this.ctx.diagnostics.length > before) this.ctx.diagnostics[this.ctx.diagnostics.length - 1]!.message += ` (${env.hint})`;
    return Ty.ERROR;
  }

  private member(e: A.MemberExpr, objT: Ty.Ty, env: Env): Ty.Ty {
    const ctx = this.ctx;
    let t = ctx.resolve(objT);
    let wrap = false;
    if (t.k === "optional" || t.k === "null") {
      if (!e.optional) {
        const o = this.text(e.object, env);
        ctx.report("AWR3001", env.file, e.object.span, `${o} may be null: write ${o}!.${e.name.name} (sure it is set) or ${o}?.${e.name.name}`);
        return Ty.ERROR;
      }
      if (t.k === "null") return Ty.NULL;
      t = ctx.resolve(t.of);
      wrap = true;
    }
    const out = (r: Ty.Ty) => (wrap ? Ty.optional(r) : r);
    if (e.name.name === "") return Ty.ERROR;
    switch (t.k) {
      case "record": {
        const f = t.fields.find((x) => x.name === e.name.name);
        if (!f) {
          ctx.unknown(env.file, e.name, t.fields.map((x) => x.name), "field", "AWR2005", t.name ?? this.text(e.object, env));
          return Ty.ERROR;
        }
        if (t.name) ctx.fieldReferences.push({ file: env.file, span: e.name.span, type: t.name, field: f.name });
        return out(f.ty);
      }
      case "map":
        return Ty.optional(t.of);
      case "any":
        return Ty.ANY;
      case "error":
        return Ty.ERROR;
      default:
        ctx.report("AWR2005", env.file, e.name.span, `${Ty.show(t)} has no field "${e.name.name}"`);
        return Ty.ERROR;
    }
  }

  private call(e: A.CallExpr, env: Env): Ty.Ty {
    const ctx = this.ctx;
    if (e.callee.kind !== "Name") {
      ctx.report("AWR3008", env.file, e.callee.span, "only builtin functions can be called in an expression");
      e.args.forEach((a) => this.check(a.value, env));
      return Ty.ERROR;
    }
    const name = e.callee.name;
    const intrinsic = env.intrinsics?.get(name);
    if (intrinsic) return intrinsic(e, env);
    const argT = e.args.map((a) => ctx.resolve(this.check(a.value, env)));
    for (const a of e.args) if (a.name) ctx.report("AWR3002", env.file, a.name.span, `${name}() takes no named arguments`);
    const arity = (min: number, max: number) => {
      if (e.args.length < min || e.args.length > max) {
        ctx.report("AWR3002", env.file, e.span, `${name}() takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? "" : "s"}, got ${e.args.length}`);
        return false;
      }
      return true;
    };
    const need = (i: number, ok: (t: Ty.Ty) => boolean, what: string) => {
      const t = argT[i];
      if (t && !ok(t) && t.k !== "any" && t.k !== "error") {
        ctx.report("AWR3001", env.file, e.args[i]!.value.span, `${name}() needs ${what}, found ${Ty.show(t)}`);
      }
    };
    const isStr = (t: Ty.Ty) => Ty.isStringy(t, ctx);
    const fn = BUILTIN_FUNCTIONS.find((f) => f === name);
    switch (fn) {
      case "len":
        if (arity(1, 1)) need(0, (t) => t.k === "list" || t.k === "map" || t.k === "record" || isStr(t), "a list, map or string");
        return Ty.INT;
      case "contains":
        if (arity(2, 2)) need(0, (t) => t.k === "list" || isStr(t), "a list or string");
        return Ty.BOOL;
      case "lower":
      case "upper":
        if (arity(1, 1)) need(0, isStr, "a string");
        return Ty.STRING;
      case "join":
        if (arity(1, 2)) {
          need(0, (t) => t.k === "list", "a list");
          need(1, isStr, "a separator string");
        }
        return Ty.STRING;
      case "keys":
        if (arity(1, 1)) need(0, (t) => t.k === "map" || t.k === "record", "a map or record");
        return Ty.list(Ty.STRING);
      case "round":
        if (arity(1, 2)) {
          need(0, (t) => Ty.isNumeric(t, ctx), "a number");
          need(1, (t) => Ty.assignable(t, Ty.INT, ctx), "a number of digits (int)");
        }
        return Ty.FLOAT;
      case undefined:
        break;
      default:
        return assertNever(fn, "builtin function");
    }
    const sym = ctx.program.scopes.get(env.file)?.get(name);
    if (sym) {
      ctx.references.push({ file: env.file, span: e.callee.span, name });
      ctx.used.add(name);
      ctx.report(
        "AWR3008",
        env.file,
        e.callee.span,
        `${article(kindWord(sym.decl.kind))} cannot be called inside an expression; call it from a graph node: run ${name}(...)`,
      );
      return Ty.ERROR;
    }
    ctx.unknown(env.file, { name, span: e.callee.span }, [...BUILTIN_FUNCTIONS, ...(env.intrinsics?.keys() ?? [])], "function");
    return Ty.ERROR;
  }

  private binary(e: A.BinaryExpr, env: Env): Ty.Ty {
    const ctx = this.ctx;
    switch (e.op) {
      case "&&":
      case "||":
        this.requireBool(e.left, env, `the left side of '${e.op}'`);
        this.requireBool(e.right, env, `the right side of '${e.op}'`);
        return Ty.BOOL;
      case "??": {
        const l = this.check(e.left, env);
        const r = this.check(e.right, env, Ty.nonNull(l, ctx));
        const nl = Ty.nonNull(l, ctx);
        if (Ty.assignable(r, nl, ctx)) return widen(nl);
        return { k: "union", members: [nl, r] };
      }
      case "==":
      case "!=": {
        let l: Ty.Ty;
        let r: Ty.Ty;
        if (e.left.kind === "Name" && !env.vars.has(e.left.name)) {
          r = this.check(e.right, env);
          l = this.check(e.left, env, r);
        } else {
          l = this.check(e.left, env);
          r = this.check(e.right, env, l);
        }
        this.comparable(l, r, e, env);
        return Ty.BOOL;
      }
      case "<":
      case "<=":
      case ">":
      case ">=": {
        const l = this.check(e.left, env);
        const r = this.check(e.right, env);
        const ok = (Ty.isNumeric(l, ctx) && Ty.isNumeric(r, ctx)) || (Ty.isStringy(l, ctx) && Ty.isStringy(r, ctx)) || (isDur(l, ctx) && isDur(r, ctx));
        if (!ok) ctx.report("AWR3001", env.file, e.span, `cannot order ${Ty.show(l)} and ${Ty.show(r)} with '${e.op}'`);
        return Ty.BOOL;
      }
      case "in": {
        const r = ctx.resolve(this.check(e.right, env));
        if (r.k === "list") {
          const l = this.check(e.left, env, r.of);
          if (!Ty.assignable(l, r.of, ctx) && !Ty.assignable(r.of, widen(l), ctx)) {
            ctx.report("AWR3001", env.file, e.left.span, `${this.text(e.left, env)} (${Ty.show(l)}) can never be in a ${Ty.show(r)}`);
          }
        } else if (r.k === "map" || r.k === "record" || Ty.isStringy(r, ctx)) {
          const l = this.check(e.left, env);
          if (!Ty.isStringy(l, ctx)) ctx.report("AWR3001", env.file, e.left.span, `the left side of 'in' must be a string here, found ${Ty.show(l)}`);
        } else {
          this.check(e.left, env);
          if (r.k !== "any" && r.k !== "error") ctx.report("AWR3001", env.file, e.right.span, `'in' needs a list, map or string on its right, found ${Ty.show(r)}`);
        }
        return Ty.BOOL;
      }
      default: {
        const l = this.check(e.left, env);
        const r = this.check(e.right, env);
        if (e.op === "+" && Ty.isStringy(l, ctx) && Ty.isStringy(r, ctx) && ctx.resolve(l).k !== "any") return Ty.STRING;
        if (!Ty.isNumeric(l, ctx) || !Ty.isNumeric(r, ctx)) {
          ctx.report("AWR3001", env.file, e.span, `'${e.op}' needs numbers${e.op === "+" ? " or two strings" : ""}, found ${Ty.show(l)} and ${Ty.show(r)}`);
          return Ty.ERROR;
        }
        const lw = widen(ctx.resolve(l));
        const rw = widen(ctx.resolve(r));
        if (lw.k === "any" || rw.k === "any") return Ty.ANY;
        return lw.k === "int" && rw.k === "int" && e.op !== "/" ? Ty.INT : Ty.FLOAT;
      }
    }
  }

  /** `==` between values that can never be equal is a mistake; so is a literal outside an enum or union. */
  private comparable(l: Ty.Ty, r: Ty.Ty, e: A.BinaryExpr, env: Env) {
    const ctx = this.ctx;
    const lr = ctx.resolve(Ty.nonNull(l, ctx));
    const rr = ctx.resolve(Ty.nonNull(r, ctx));
    const membership = (domain: Ty.Ty, lit: Ty.Ty, at: A.Expr) => {
      if (lit.k !== "literal") return false;
      const values = domain.k === "enum" ? domain.members : domain.k === "union" ? domain.members.map((m) => ctx.resolve(m)).flatMap((m) => (m.k === "literal" ? [m.value] : [])) : undefined;
      if (!values || (domain.k === "union" && values.length !== domain.members.length)) return false;
      if (!values.includes(lit.value)) {
        const best = typeof lit.value === "string" ? Ty.closest(lit.value, values.map(String)) : undefined;
        ctx.report(
          "AWR3010",
          env.file,
          at.span,
          `${JSON.stringify(lit.value)} is not one of ${Ty.show(domain)} (${values.map((v) => JSON.stringify(v)).join(", ")})${best ? `; did you mean "${best}"?` : ""}`,
        );
      }
      return true;
    };
    if (membership(lr, rr, e.right) || membership(rr, lr, e.left)) return;
    if (lr.k === "null" || rr.k === "null") return;
    if (!Ty.assignable(l, r, ctx) && !Ty.assignable(r, l, ctx) && !Ty.assignable(widen(lr), widen(rr), ctx) && !Ty.assignable(widen(rr), widen(lr), ctx)) {
      ctx.report("AWR3001", env.file, e.span, `${Ty.show(l)} and ${Ty.show(r)} can never be equal`);
    }
  }
}

function isDur(t: Ty.Ty, table: Ty.TypeTable) {
  return Ty.resolve(t, table).k === "duration";
}
