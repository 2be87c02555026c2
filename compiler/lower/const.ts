import type { Expr } from "../syntax/ast.js";
import type { JsonValue } from "../plan/types.js";

/**
 * The JSON value of a constant expression (property values, defaults, attribute arguments), or
 * undefined when it is not constant. Bare names and dotted names stand for themselves
 * (`fuse: rrf` → "rrf", `tags: [pii.read]` → "pii.read"); durations are milliseconds.
 */
export function constValue(e: Expr | undefined): JsonValue | undefined {
  if (!e) return undefined;
  switch (e.kind) {
    case "String":
    case "Number":
    case "Bool":
      return e.value;
    case "Null":
      return null;
    case "Duration":
      return e.ms;
    case "Template":
      return e.parts.every((p) => p.kind === "Text") ? e.parts.map((p) => (p.kind === "Text" ? p.text : "")).join("") : undefined;
    case "Name":
    case "Member":
      return dottedName(e);
    case "Unary": {
      const v = constValue(e.operand);
      if (e.op === "-" && typeof v === "number") return -v;
      if (e.op === "!" && typeof v === "boolean") return !v;
      return undefined;
    }
    case "List": {
      const out: JsonValue[] = [];
      for (const item of e.items) {
        const v = constValue(item);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return out;
    }
    case "Record": {
      const out: { [k: string]: JsonValue } = {};
      for (const f of e.fields) {
        const v = constValue(f.value);
        if (v === undefined) return undefined;
        out[f.key.name] = v;
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** `a`, `a.b.c` as a string; undefined for anything else. */
export function dottedName(e: Expr): string | undefined {
  if (e.kind === "Name") return e.name;
  if (e.kind === "Member" && !e.optional) {
    const head = dottedName(e.object);
    return head === undefined ? undefined : `${head}.${e.name.name}`;
  }
  return undefined;
}

export const constString = (e: Expr | undefined): string | undefined => {
  const v = constValue(e);
  return typeof v === "string" ? v : undefined;
};
export const constNumber = (e: Expr | undefined): number | undefined => {
  const v = constValue(e);
  return typeof v === "number" ? v : undefined;
};
export const constBool = (e: Expr | undefined): boolean | undefined => {
  const v = constValue(e);
  return typeof v === "boolean" ? v : undefined;
};
export const constStrings = (e: Expr | undefined): string[] => {
  const v = constValue(e);
  if (typeof v === "string") return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
};
