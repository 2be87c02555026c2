// `type` and `enum` declarations, and the fields every declaration kind shares (a type's fields,
// a graph's state, parameter lists): duplicates, types, attributes, defaults.
import * as A from "../../syntax/ast.js";
import * as Ty from "../types.js";
import * as P from "../../language/props.js";
import { article } from "../scope.js";
import type { Checker } from "./checker.js";

export function typeDecl(cx: Checker, file: string, d: A.TypeDecl) {
  if (["string", "int", "float", "bool", "any", "json", "list", "map", "duration", "null"].includes(d.name.name)) {
    cx.ctx.report("AWR2002", file, d.name.span, `"${d.name.name}" is a builtin type and cannot be redeclared`);
  }
  if (d.alias) {
    cx.ctx.typeOf(file, d.alias);
    const chain = aliasCycle(cx, d);
    if (chain) cx.ctx.report("AWR2012", file, d.name.span, `type alias "${d.name.name}" refers to itself (${chain.join(" = ")}): an alias must end in a real type`);
    return;
  }
  checkFields(cx, file, d.fields, "type");
}

/** `type A = B`, `type B = A?`: the chain of aliases leading back to `d`, if any. */
export function aliasCycle(cx: Checker, d: A.TypeDecl): string[] | undefined {
  const chain = [d.name.name];
  let t: A.TypeExpr | undefined = d.alias;
  while (t) {
    while (t.kind === "OptionalType") t = t.inner;
    if (t.kind !== "NamedType" || t.args.length) return undefined;
    const next = cx.ctx.program.globals.get(t.name.name)?.decl;
    if (next?.kind !== "TypeDecl" || !next.alias) return undefined;
    chain.push(next.name.name);
    if (next === d) return chain;
    if (chain.length > 50) return undefined;
    t = next.alias;
  }
  return undefined;
}

/** Fields of a type, a graph's state or a parameter list: duplicates, types, attributes, defaults. */
export function checkFields(cx: Checker, file: string, fields: A.Field[], where: "type" | "state" | "params"): Map<string, Ty.Ty> {
  const out = new Map<string, Ty.Ty>();
  for (const f of fields) {
    const name = f.name.name;
    if (name !== "" && out.has(name)) cx.ctx.report("AWR2009", file, f.name.span, `"${name}" is declared twice`);
    const ty = f.type ? cx.ctx.typeOf(file, f.type) : Ty.ERROR;
    if (name !== "") out.set(name, ty);
    for (const a of f.attrs) checkAttribute(cx, file, a, ty, where);
    if (f.default) {
      const dt = cx.ex.check(f.default, { file, vars: new Map() }, ty);
      cx.ex.expect(dt, ty, f.default, { file, vars: new Map() }, `the default of "${name}"`);
    }
  }
  return out;
}

export function checkAttribute(cx: Checker, file: string, a: A.Attribute, ty: Ty.Ty, where: "type" | "state" | "params") {
  const ctx = cx.ctx;
  const name = a.name.name;
  const r = ctx.resolve(Ty.nonNull(ty, ctx));
  const misuse = (msg: string) => ctx.report("AWR3004", file, a.span, msg);
  const spec = P.ATTRIBUTES[name];
  if (!spec) {
    ctx.unknown(file, a.name, Object.keys(P.ATTRIBUTES), "attribute", "AWR3004");
    return;
  }
  const oneArg = (kind: "number" | "string" | "int"): A.Expr | undefined => {
    if (a.args.length !== 1) {
      misuse(`@${name} takes one argument: ${spec}`);
      return undefined;
    }
    const v = a.args[0]!;
    const ok = kind === "string" ? v.kind === "String" : v.kind === "Number" || (v.kind === "Unary" && v.op === "-" && v.operand.kind === "Number");
    if (!ok || (kind === "int" && (v.kind !== "Number" || !v.integer || v.value < 0))) {
      misuse(`@${name} needs ${kind === "int" ? "a whole number" : article(kind)} literal: ${spec}`);
      return undefined;
    }
    return v;
  };
  const isList = r.k === "list";
  const isStr = Ty.isStringy(r, ctx) && r.k !== "any";
  const isNum = Ty.isNumeric(r, ctx) && r.k !== "any";
  if (r.k === "error") return;
  switch (name) {
    case "format": {
      if (!isStr) return misuse(`@format applies to strings, not ${Ty.show(ty)}`);
      const v = a.args[0];
      const fmt = v?.kind === "Name" ? v.name : v?.kind === "String" ? v.value : undefined;
      if (a.args.length !== 1 || !fmt) return misuse(`@format takes one format name: ${spec}`);
      if (!P.STRING_FORMATS.includes(fmt)) ctx.unknown(file, { name: fmt, span: v!.span }, P.STRING_FORMATS, "format", "AWR3004");
      return;
    }
    case "min":
    case "max":
      if (!isNum) return misuse(`@${name} applies to numbers, not ${Ty.show(ty)}`);
      oneArg("number");
      return;
    case "minLength":
    case "maxLength":
      if (!isStr && !isList) return misuse(`@${name} applies to strings and lists, not ${Ty.show(ty)}`);
      oneArg("int");
      return;
    case "minItems":
    case "maxItems":
      if (!isList) return misuse(`@${name} applies to lists, not ${Ty.show(ty)}`);
      oneArg("int");
      return;
    case "pattern": {
      if (!isStr) return misuse(`@pattern applies to strings, not ${Ty.show(ty)}`);
      const v = oneArg("string");
      if (v?.kind === "String") {
        try {
          new RegExp(v.value, "u");
        } catch (err) {
          ctx.report("AWR3004", file, v.span, `@pattern is not a valid regular expression: ${(err as Error).message}`);
        }
      }
      return;
    }
    case "description":
      oneArg("string");
      return;
    case "reduce": {
      if (where !== "state") return misuse("@reduce applies to graph state fields only");
      const v = a.args[0];
      const red = v?.kind === "Name" ? v.name : undefined;
      if (a.args.length !== 1 || !red) return misuse(`@reduce takes one reducer: ${P.REDUCERS.join(", ")}`);
      if (!(P.REDUCERS as readonly string[]).includes(red)) return ctx.unknown(file, { name: red, span: v!.span }, P.REDUCERS, "reducer", "AWR3004");
      const fits =
        red === "replace" ||
        (red === "append" && isList) ||
        (red === "merge" && (r.k === "record" || r.k === "map")) ||
        ((red === "sum" || red === "max" || red === "min") && isNum);
      if (!fits) {
        const need = red === "append" ? "a list" : red === "merge" ? "a record or map" : "a number";
        misuse(`@reduce(${red}) needs ${need} field, but this field is ${Ty.show(ty)}`);
      }
      return;
    }
  }
}

export function enumDecl(cx: Checker, file: string, d: A.EnumDecl) {
  const seen = new Set<string>();
  for (const m of d.members) {
    if (seen.has(m.name)) cx.ctx.report("AWR2009", file, m.span, `enum member "${m.name}" is declared twice`);
    seen.add(m.name);
  }
}

export function paramsEnv(cx: Checker, file: string, params: A.Field[]): Map<string, Ty.Ty> {
  return checkFields(cx, file, params, "params");
}
