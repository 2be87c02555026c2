// Semantic types. `error` is the poison type: it is assignable both ways, so one mistake yields one
// diagnostic, not a cascade. Named types are references resolved through a TypeTable (recursion-safe).

export type Ty =
  | { k: "string" }
  | { k: "int" }
  | { k: "float" }
  | { k: "bool" }
  | { k: "null" }
  | { k: "any" }
  | { k: "duration" }
  | { k: "error" }
  | { k: "list"; of: Ty }
  | { k: "map"; of: Ty }
  | { k: "record"; name?: string; fields: TyField[] }
  | { k: "enum"; name: string; members: string[] }
  | { k: "literal"; value: string | number | boolean }
  | { k: "union"; members: Ty[] }
  | { k: "optional"; of: Ty }
  | { k: "ref"; name: string };

export interface TyField {
  name: string;
  ty: Ty;
  /** The field may be omitted (it has a default, or its type is optional). */
  optional: boolean;
}

export const STRING: Ty = { k: "string" };
export const INT: Ty = { k: "int" };
export const FLOAT: Ty = { k: "float" };
export const BOOL: Ty = { k: "bool" };
export const NULL: Ty = { k: "null" };
export const ANY: Ty = { k: "any" };
export const DURATION: Ty = { k: "duration" };
export const ERROR: Ty = { k: "error" };

export const list = (of: Ty): Ty => ({ k: "list", of });
export const optional = (of: Ty): Ty => (of.k === "optional" || of.k === "any" || of.k === "error" ? of : { k: "optional", of });
export const record = (fields: TyField[], name?: string): Ty => (name ? { k: "record", name, fields } : { k: "record", fields });

export interface TypeTable {
  /** The structure behind a named type (record or enum), or undefined. */
  named(name: string): Ty | undefined;
}

/** Follows refs (and alias chains) to a structural type. */
export function resolve(t: Ty, table: TypeTable, depth = 0): Ty {
  while (t.k === "ref" && depth++ < 50) {
    const n = table.named(t.name);
    if (!n) return ERROR;
    t = n;
  }
  return t.k === "ref" ? ERROR : t;
}

export function isOptional(t: Ty, table: TypeTable): boolean {
  const r = resolve(t, table);
  return r.k === "optional" || r.k === "null" || r.k === "any" || r.k === "error" || (r.k === "union" && r.members.some((m) => isOptional(m, table)));
}

/** `T?` → `T` */
export function nonNull(t: Ty, table: TypeTable): Ty {
  const r = resolve(t, table);
  if (r.k === "optional") return r.of;
  if (r.k === "union") {
    const ms = r.members.filter((m) => resolve(m, table).k !== "null").map((m) => nonNull(m, table));
    return ms.length === 1 ? ms[0]! : { k: "union", members: ms };
  }
  return t;
}

export function isNumeric(t: Ty, table: TypeTable): boolean {
  const r = resolve(t, table);
  return r.k === "int" || r.k === "float" || r.k === "any" || r.k === "error" || (r.k === "literal" && typeof r.value === "number");
}

export function isStringy(t: Ty, table: TypeTable): boolean {
  const r = resolve(t, table);
  return (
    r.k === "string" ||
    r.k === "enum" ||
    r.k === "any" ||
    r.k === "error" ||
    (r.k === "literal" && typeof r.value === "string") ||
    (r.k === "union" && r.members.every((m) => isStringy(m, table)))
  );
}

/** Can a value of type `from` be stored where `to` is expected? */
export function assignable(from: Ty, to: Ty, table: TypeTable, seen = new Set<string>()): boolean {
  const f = resolve(from, table);
  const t = resolve(to, table);
  if (f.k === "error" || t.k === "error" || t.k === "any" || f.k === "any") return true;
  if (from.k === "ref" && to.k === "ref") {
    if (from.name === to.name) return true;
    const key = `${from.name}->${to.name}`;
    if (seen.has(key)) return true;
    seen.add(key);
  }
  if (t.k === "optional") return f.k === "null" || assignable(f.k === "optional" ? f.of : f, t.of, table, seen);
  if (f.k === "optional") return false;
  if (f.k === "union") return f.members.every((m) => assignable(m, t, table, seen));
  if (t.k === "union") return t.members.some((m) => assignable(f, m, table, seen));
  switch (t.k) {
    case "string":
      return f.k === "string" || f.k === "enum" || (f.k === "literal" && typeof f.value === "string");
    case "int":
      return f.k === "int" || (f.k === "literal" && typeof f.value === "number" && Number.isInteger(f.value));
    case "float":
      return f.k === "float" || f.k === "int" || (f.k === "literal" && typeof f.value === "number");
    case "bool":
      return f.k === "bool" || (f.k === "literal" && typeof f.value === "boolean");
    case "null":
      return f.k === "null";
    case "duration":
      return f.k === "duration";
    case "literal":
      return f.k === "literal" && f.value === t.value;
    case "enum":
      return (f.k === "enum" && f.name === t.name) || (f.k === "literal" && typeof f.value === "string" && t.members.includes(f.value));
    case "list":
      return f.k === "list" && assignable(f.of, t.of, table, seen);
    case "map":
      if (f.k === "map") return assignable(f.of, t.of, table, seen);
      return f.k === "record" && !f.name && f.fields.every((x) => assignable(x.ty, t.of, table, seen));
    case "record": {
      if (f.k !== "record") return false;
      if (f.name && t.name && f.name === t.name) return true;
      // Structural: every required field of the target present and fitting; no unknown fields
      // from literals (named records may carry more, they are checked by name).
      for (const tf of t.fields) {
        const ff = f.fields.find((x) => x.name === tf.name);
        if (!ff) {
          if (!tf.optional) return false;
          continue;
        }
        if (!assignable(ff.ty, tf.ty, table, seen)) return false;
      }
      if (!f.name) return f.fields.every((ff) => t.fields.some((tf) => tf.name === ff.name));
      return true;
    }
  }
  return false;
}

export function show(t: Ty, depth = 0): string {
  switch (t.k) {
    case "list":
      return `list<${show(t.of, depth)}>`;
    case "map":
      return `map<${show(t.of, depth)}>`;
    case "record":
      if (t.name) return t.name;
      if (depth > 1) return "{ ... }";
      return `{ ${t.fields.map((f) => `${f.name}${f.optional ? "?" : ""}: ${show(f.ty, depth + 1)}`).join(", ")} }`;
    case "enum":
      return t.name;
    case "literal":
      return JSON.stringify(t.value);
    case "union":
      return t.members.map((m) => show(m, depth)).join(" | ");
    case "optional":
      return `${t.of.k === "union" ? `(${show(t.of, depth)})` : show(t.of, depth)}?`;
    case "ref":
      return t.name;
    case "error":
      return "<error>";
    default:
      return t.k;
  }
}

export { closest } from "../diagnostics/suggest.js";
