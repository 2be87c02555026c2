// Type expressions → JSON Schema (draft 2020-12). Every schema the plan holds is self-contained:
// a user type is a `$ref` to `#/$defs/Name` and the schema carries `$defs` for every named type
// it reaches, so named and recursive types work with any validator.

import type { Attribute, Field, TypeExpr } from "../syntax/ast.js";
import type { JsonSchema, JsonValue } from "../plan/types.js";
import { constValue } from "./const.js";
import type { LowerCtx } from "./context.js";

type Schema = { [k: string]: unknown };

const PRIMITIVES: Record<string, Schema> = {
  string: { type: "string" },
  int: { type: "integer" },
  float: { type: "number" },
  number: { type: "number" },
  bool: { type: "boolean" },
  boolean: { type: "boolean" },
  null: { type: "null" },
  any: {},
  json: {},
  duration: { type: "integer", minimum: 0 },
};

const ATTR_KEYWORDS: Record<string, { string?: string; number?: string; array?: string; any?: string }> = {
  format: { any: "format" },
  pattern: { any: "pattern" },
  min: { any: "minimum", array: "minItems" },
  max: { any: "maximum", array: "maxItems" },
  minLength: { any: "minLength", array: "minItems" },
  maxLength: { any: "maxLength", array: "maxItems" },
  minItems: { any: "minItems" },
  maxItems: { any: "maxItems" },
  description: { any: "description" },
};

const NULL: Schema = { type: "null" };

/** Builds one self-contained schema; named types it meets are collected into `$defs`. */
class SchemaBuilder {
  private readonly pending: { name: string; file: string }[] = [];
  private readonly defs = new Map<string, Schema>();

  constructor(private readonly ctx: LowerCtx) {}

  type(ctx: LowerCtx, t: TypeExpr | undefined): Schema {
    if (!t) return {};
    switch (t.kind) {
      case "OptionalType":
        return { anyOf: [this.type(ctx, t.inner), NULL] };
      case "LiteralType":
        return { const: t.value };
      case "UnionType": {
        if (t.members.every((m) => m.kind === "LiteralType")) {
          const values = t.members.map((m) => (m.kind === "LiteralType" ? m.value : null));
          return values.every((v) => typeof v === "string") ? { type: "string", enum: values } : { enum: values };
        }
        return { anyOf: t.members.map((m) => this.type(ctx, m)) };
      }
      case "NamedType": {
        const name = t.name.name;
        if (name === "list") return { type: "array", items: this.type(ctx, t.args[0]) };
        if (name === "map") return { type: "object", additionalProperties: this.type(ctx, t.args[0]) };
        const prim = PRIMITIVES[name];
        if (prim) return { ...prim };
        const sym = ctx.sym(name);
        if (!sym || (sym.decl.kind !== "TypeDecl" && sym.decl.kind !== "EnumDecl")) return {};
        this.pending.push({ name: sym.name, file: sym.file });
        return { $ref: `#/$defs/${sym.name}` };
      }
    }
  }

  field(ctx: LowerCtx, f: Field): Schema {
    const t = f.type;
    let s: Schema =
      t?.kind === "OptionalType"
        ? { anyOf: [withAttrs(this.type(ctx, t.inner), f.attrs), NULL] }
        : withAttrs(this.type(ctx, t), f.attrs);
    if (f.doc) s = { ...s, description: f.doc };
    const d = constValue(f.default);
    if (f.default && d !== undefined) s = { ...s, default: d };
    return s;
  }

  object(ctx: LowerCtx, fields: Field[]): Schema {
    const properties: Schema = {};
    const required: string[] = [];
    for (const f of fields) {
      if (!f.name.name) continue;
      properties[f.name.name] = this.field(ctx, f);
      if (f.type?.kind !== "OptionalType" && !f.default) required.push(f.name.name);
    }
    return { type: "object", properties, required, additionalProperties: false };
  }

  /** The schema of a named type's declaration (the body of its `$defs` entry). */
  named(name: string, file: string): Schema {
    const c = this.ctx.in(file);
    const decl = this.ctx.program.globals.get(name)?.decl;
    let s: Schema = {};
    if (decl?.kind === "EnumDecl") s = { type: "string", enum: decl.members.map((m) => m.name).filter(Boolean) };
    else if (decl?.kind === "TypeDecl") s = decl.alias ? this.type(c, decl.alias) : this.object(c, decl.fields);
    return decl?.doc ? { ...s, description: decl.doc } : s;
  }

  finish(root: Schema): JsonSchema {
    while (this.pending.length) {
      const { name, file } = this.pending.shift()!;
      if (this.defs.has(name)) continue;
      this.defs.set(name, {}); // placeholder: a recursive reference is already being resolved
      this.defs.set(name, this.named(name, file));
    }
    if (!this.defs.size) return root;
    const $defs: Schema = {};
    for (const name of [...this.defs.keys()].sort()) $defs[name] = this.defs.get(name);
    return { ...root, $defs };
  }
}

function withAttrs(s: Schema, attrs: Attribute[]): Schema {
  let out = s;
  for (const a of attrs) {
    const kw = ATTR_KEYWORDS[a.name.name];
    if (!kw) continue;
    const v: JsonValue | undefined = constValue(a.args[0]);
    if (v === undefined) continue;
    const key = (out.type === "array" && kw.array) || kw.any!;
    out = { ...out, [key]: v };
  }
  return out;
}

/** A standalone schema for a type expression seen from `ctx.file`. */
export function typeSchema(ctx: LowerCtx, t: TypeExpr | undefined): JsonSchema {
  const b = new SchemaBuilder(ctx);
  return b.finish(b.type(ctx, t));
}

/** The schema of one field (with attributes, doc and default) — a graph's state field. */
export function fieldSchema(ctx: LowerCtx, f: Field): JsonSchema {
  const b = new SchemaBuilder(ctx);
  return b.finish(b.field(ctx, f));
}

/** An object schema of parameters (params of a tool, prompt, agent or graph). */
export function paramsSchema(ctx: LowerCtx, params: Field[]): JsonSchema {
  const b = new SchemaBuilder(ctx);
  return b.finish(b.object(ctx, params));
}

/** The entry of `plan.types`: `$ref` to the type itself plus `$defs` of everything it reaches. */
export function namedTypeSchema(ctx: LowerCtx, name: string): JsonSchema {
  const sym = ctx.program.globals.get(name);
  const b = new SchemaBuilder(ctx);
  if (!sym) return {};
  const root = b.type(ctx.in(sym.file), { kind: "NamedType", name: { kind: "Ident", name, span: sym.decl.span }, args: [], span: sym.decl.span });
  return b.finish(root);
}
