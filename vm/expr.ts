// The expression evaluator: ExprIR (compiler/plan) → JSON value. Pure, synchronous, deterministic:
// no IO, no clock, no randomness. Every failure is a `VmFailure` of kind "expression" whose message
// names the expression as source-like text (`triage.priority: triage is null`, `x! is null`).
//
// Semantics (docs/language.md § Expressions, docs/plan.md § ExprIR):
// - `a.b` on a record/map: a missing field is null; on null it fails; `a?.b` on null is null.
// - `xs[i]` on a list: out of range is null; `m[k]` on a map/record: a missing key is null.
// - `&& || ??` short-circuit; `== !=` are deep structural equality; `< <= > >=` compare two numbers
//   or two strings; `in` is list membership (deep equality), map key or substring (`x in null` is
//   false: an absent collection holds nothing); `+` adds numbers or joins two strings.
// - Numbers are JS numbers; a result that is not finite (overflow) fails, -0 is normalised to 0.
// - Builtins: len (lists, strings in code points, maps), contains, lower, upper, join(list, sep = ""),
//   keys (insertion order, as JS objects keep it: integer-like keys come first), round(x, digits = 0)
//   (half away from zero). Other functions go to `scope.call`, else fail as unknown.
import { exprText, type ExprIR, type Segment } from "../compiler/plan/index.js";
import { VmFailure, type Json } from "./types.js";

/** The names an expression sees, plus an optional hook for intrinsics (`calls`, `audit` in tests). */
export interface Scope {
  get(name: string): Json | undefined;
  /** Called for a function that is not a builtin; return undefined when not handled. */
  call?(fn: string, args: Json[]): Json | undefined;
}

/** A scope over a plain record of names (and an optional intrinsic hook). */
export function scopeOf(names: Record<string, Json> | Map<string, Json>, call?: Scope["call"]): Scope {
  const get =
    names instanceof Map ? (n: string) => names.get(n) : (n: string) => (Object.hasOwn(names, n) ? names[n] : undefined);
  return call ? { get, call } : { get };
}

/** The builtins every scope has (docs/language.md § Expressions). */
export const BUILTINS = ["len", "contains", "lower", "upper", "join", "keys", "round"] as const;

// ---------------------------------------------------------------- JSON helpers (shared by the VM)

export type JsonRecord = { [key: string]: Json };

export function isRecord(v: unknown): v is JsonRecord {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep structural equality of JSON values (record key order does not matter). */
export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i]!, b[i]!)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!Object.hasOwn(b, k) || !deepEqual(a[k]!, b[k]!)) return false;
  return true;
}

/** Sets an own property, also for keys like `__proto__` (plain assignment would not). */
export function setKey(obj: JsonRecord, key: string, value: Json): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** A field of a record, or undefined when absent (never an inherited property). */
export function getKey(obj: JsonRecord, key: string): Json | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** A value in an error message: `null`, `true`, `3`, `"abc"` (truncated), `a list`, `a record`. */
export function describeValue(v: Json): string {
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return v.length ? `a list of ${v.length}` : "an empty list";
  if (isRecord(v)) return Object.keys(v).length ? "a record" : "an empty record";
  if (typeof v === "string") return clip(JSON.stringify(v), 60);
  return String(v);
}

/** A value rendered into a template hole: strings as is, null as "", records and lists as JSON. */
export function stringify(v: Json): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Length in characters (Unicode code points), as JSON Schema's minLength/maxLength count. */
export function charLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

// ---------------------------------------------------------------- failures

/** An expression as source-like text (the form error messages name it by). */
export function exprToText(e: ExprIR): string {
  return exprText(e);
}

function short(e: ExprIR): string {
  return clip(exprToText(e), 120);
}

/** Throws the failure of an expression. */
export function exprFailure(message: string): never {
  throw new VmFailure({ kind: "expression", message, retryable: false });
}

function failAt(e: ExprIR, problem: string): never {
  return exprFailure(`${short(e)}: ${problem}`);
}

// ---------------------------------------------------------------- evaluation

/** Evaluates an expression against a scope. Throws VmFailure (kind "expression") on errors. */
export function evaluate(e: ExprIR, scope: Scope): Json {
  switch (e.k) {
    case "lit":
      return e.v;
    case "ref": {
      const v = scope.get(e.name);
      if (v === undefined) exprFailure(`unknown name ${e.name}`);
      return v;
    }
    case "member": {
      const obj = evaluate(e.obj, scope);
      if (obj === null) {
        if (e.optional) return null;
        failAt(e, `${short(e.obj)} is null`);
      }
      if (!isRecord(obj)) failAt(e, `expected a record, got ${describeValue(obj)}`);
      return getKey(obj, e.name) ?? null;
    }
    case "index": {
      const obj = evaluate(e.obj, scope);
      const i = evaluate(e.index, scope);
      if (obj === null) failAt(e, `${short(e.obj)} is null`);
      if (Array.isArray(obj)) {
        if (typeof i !== "number" || !Number.isInteger(i)) failAt(e, `a list index must be an integer, got ${describeValue(i)}`);
        return i >= 0 && i < obj.length ? obj[i]! : null;
      }
      if (isRecord(obj)) {
        if (typeof i !== "string") failAt(e, `a record key must be a string, got ${describeValue(i)}`);
        return getKey(obj, i) ?? null;
      }
      return failAt(e, `cannot index ${describeValue(obj)}`);
    }
    case "nonnull": {
      const v = evaluate(e.expr, scope);
      if (v === null) exprFailure(`${short(e)} is null`);
      return v;
    }
    case "unary": {
      const v = evaluate(e.operand, scope);
      if (e.op === "!") {
        if (typeof v !== "boolean") failAt(e, `! expects a bool, got ${describeValue(v)}`);
        return !v;
      }
      if (typeof v !== "number") failAt(e, `- expects a number, got ${describeValue(v)}`);
      return num(e, -v);
    }
    case "binary":
      return binary(e, scope);
    case "record": {
      const out: JsonRecord = {};
      for (const f of e.fields) setKey(out, f.key, evaluate(f.value, scope));
      return out;
    }
    case "list":
      return e.items.map((x) => evaluate(x, scope));
    case "template":
      return renderTemplate(e.segments, scope, {});
    case "call":
      return call(e, scope);
  }
}

/** Renders template segments; `{ builtin }` holes take their text from `builtins` ("" if absent). */
export function renderTemplate(segments: Segment[], scope: Scope, builtins: { output_format?: string; context?: string }): string {
  let out = "";
  for (const s of segments) {
    if ("text" in s) out += s.text;
    else if ("expr" in s) out += stringify(evaluate(s.expr, scope));
    else out += builtins[s.builtin] ?? "";
  }
  return out;
}

function num(e: ExprIR, n: number): number {
  if (!Number.isFinite(n)) failAt(e, `the result is not a finite number`);
  return n === 0 ? 0 : n; // no -0
}

function binary(e: Extract<ExprIR, { k: "binary" }>, scope: Scope): Json {
  const { op } = e;
  if (op === "&&" || op === "||") {
    const l = evaluate(e.left, scope);
    if (typeof l !== "boolean") failAt(e, `${op} expects bools, got ${describeValue(l)} on the left`);
    if (op === "&&" ? !l : l) return l;
    const r = evaluate(e.right, scope);
    if (typeof r !== "boolean") failAt(e, `${op} expects bools, got ${describeValue(r)} on the right`);
    return r;
  }
  if (op === "??") {
    const l = evaluate(e.left, scope);
    return l !== null ? l : evaluate(e.right, scope);
  }
  const l = evaluate(e.left, scope);
  const r = evaluate(e.right, scope);
  switch (op) {
    case "==":
      return deepEqual(l, r);
    case "!=":
      return !deepEqual(l, r);
    case "<":
    case "<=":
    case ">":
    case ">=": {
      if (!((typeof l === "number" && typeof r === "number") || (typeof l === "string" && typeof r === "string"))) {
        failAt(e, `${op} compares two numbers or two strings, got ${describeValue(l)} and ${describeValue(r)}`);
      }
      return op === "<" ? l < r : op === "<=" ? l <= r : op === ">" ? l > r : l >= r;
    }
    case "in":
      if (r === null) return false;
      if (Array.isArray(r)) return r.some((x) => deepEqual(x, l));
      if (isRecord(r)) {
        if (typeof l !== "string") failAt(e, `a record key must be a string, got ${describeValue(l)}`);
        return Object.hasOwn(r, l);
      }
      if (typeof r === "string") {
        if (typeof l !== "string") failAt(e, `a substring must be a string, got ${describeValue(l)}`);
        return r.includes(l);
      }
      return failAt(e, `in needs a list, record or string on the right, got ${describeValue(r)}`);
    case "+":
      if (typeof l === "number" && typeof r === "number") return num(e, l + r);
      if (typeof l === "string" && typeof r === "string") return l + r;
      return failAt(e, `+ adds two numbers or joins two strings, got ${describeValue(l)} and ${describeValue(r)}`);
    case "-":
    case "*":
    case "/":
    case "%": {
      if (typeof l !== "number" || typeof r !== "number") failAt(e, `${op} expects numbers, got ${describeValue(l)} and ${describeValue(r)}`);
      if ((op === "/" || op === "%") && r === 0) failAt(e, "division by zero");
      return num(e, op === "-" ? l - r : op === "*" ? l * r : op === "/" ? l / r : l % r);
    }
  }
}

// ---------------------------------------------------------------- builtins

function call(e: Extract<ExprIR, { k: "call" }>, scope: Scope): Json {
  const args = e.args.map((a) => evaluate(a, scope));
  const arity = (min: number, max = min) => {
    if (args.length < min || args.length > max) {
      const want = min === max ? `${min}` : `${min} or ${max}`;
      failAt(e, `${e.fn} takes ${want} argument${max === 1 ? "" : "s"}, got ${args.length}`);
    }
  };
  const a0 = args[0]!;
  switch (e.fn) {
    case "len":
      arity(1);
      if (Array.isArray(a0)) return a0.length;
      if (typeof a0 === "string") return charLength(a0);
      if (isRecord(a0)) return Object.keys(a0).length;
      return failAt(e, `len expects a list, string or map, got ${describeValue(a0)}`);
    case "contains": {
      arity(2);
      const x = args[1]!;
      if (Array.isArray(a0)) return a0.some((v) => deepEqual(v, x));
      if (typeof a0 === "string") {
        if (typeof x !== "string") failAt(e, `contains on a string expects a string to look for, got ${describeValue(x)}`);
        return a0.includes(x);
      }
      return failAt(e, `contains expects a list or string, got ${describeValue(a0)}`);
    }
    case "lower":
    case "upper":
      arity(1);
      if (typeof a0 !== "string") failAt(e, `${e.fn} expects a string, got ${describeValue(a0)}`);
      return e.fn === "lower" ? a0.toLowerCase() : a0.toUpperCase();
    case "join": {
      arity(1, 2);
      const sep = args.length > 1 ? args[1]! : "";
      if (!Array.isArray(a0)) failAt(e, `join expects a list, got ${describeValue(a0)}`);
      if (typeof sep !== "string") failAt(e, `join expects a string separator, got ${describeValue(sep)}`);
      return a0.map(stringify).join(sep);
    }
    case "keys":
      arity(1);
      if (!isRecord(a0)) failAt(e, `keys expects a map or record, got ${describeValue(a0)}`);
      return Object.keys(a0);
    case "round": {
      arity(1, 2);
      const digits = args.length > 1 ? args[1]! : 0;
      if (typeof a0 !== "number") failAt(e, `round expects a number, got ${describeValue(a0)}`);
      if (typeof digits !== "number" || !Number.isInteger(digits) || digits < -15 || digits > 15) {
        failAt(e, `round expects an integer number of digits between -15 and 15, got ${describeValue(digits)}`);
      }
      return num(e, roundTo(a0, digits));
    }
  }
  const hooked = scope.call?.(e.fn, args);
  if (hooked !== undefined) return hooked;
  return exprFailure(`unknown function ${e.fn}`);
}

/**
 * Rounds half away from zero to `digits` decimals (negative: tens, hundreds...). The scaled value
 * is nudged by one ulp so decimal ties stored just below (1.005 → 100.49999…) round as written.
 */
export function roundTo(x: number, digits: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  if (digits >= 0) {
    const f = 10 ** digits;
    if (a * f >= 2 ** 52) return x; // no fractional digits left at this magnitude
    return (sign * Math.round(a * f * (1 + Number.EPSILON))) / f;
  }
  const f = 10 ** -digits;
  return sign * Math.round((a / f) * (1 + Number.EPSILON)) * f;
}
