// Validation of JSON values against the plan's JSON Schemas (draft 2020-12, self-contained with
// `$defs`/`$ref`; compiler/lower/schema.ts and docs/plan.md § 3 list what the compiler emits).
//
// A small validator of its own rather than `z.fromJSONSchema`: zod 4 handles the keywords, but its
// messages name neither the offending value nor, for `anyOf`, the branch that nearly matched
// ("Invalid input"), and these messages are what a model sees in a repair round-trip and what a
// person reads in a failed run. Format checks reuse zod's regexes.
//
// Supported: type (one or a list), enum, const, anyOf, $ref (`#`, `#/$defs/Name`, any local JSON
// pointer), properties, required, additionalProperties (false or a schema), default (filled in for
// missing properties), items, minItems, maxItems, minLength, maxLength (in code points), pattern,
// format (email, uri, url, date, date-time, time, uuid, ipv4, ipv6, hostname; others are not
// checked), minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf. Other keywords
// (description, title, ...) are annotations and ignored.
import { z } from "zod";
import type { JsonSchema } from "../compiler/plan/index.js";
import { charLength, deepEqual, setKey, type JsonRecord } from "./expr.js";
import type { Json } from "./types.js";

export type ValidationResult = { ok: true; value: Json } | { ok: false; errors: string[] };

/** At most this many errors are listed; the rest are counted in a last line. */
export const MAX_ERRORS = 20;

/**
 * Validates `value` against `schema`. On success `value` is a copy with defaults filled in (a
 * missing property whose schema has a `default` gets it). Errors are one line each, with a JSON
 * path: `$.triage.priority: expected one of low, normal, urgent, got "high"`.
 */
export function validate(schema: JsonSchema | boolean, value: unknown): ValidationResult {
  const errors: string[] = [];
  const out = compiled(schema)(value, "$", errors);
  if (out !== BAD && errors.length === 0) return { ok: true, value: out };
  if (errors.length > MAX_ERRORS) {
    const more = errors.length - MAX_ERRORS;
    errors.length = MAX_ERRORS;
    errors.push(`… and ${more} more error${more === 1 ? "" : "s"}`);
  }
  return { ok: false, errors };
}

/** Throws nothing; true when `value` is valid (defaults are not reported). */
export function isValid(schema: JsonSchema | boolean, value: unknown): boolean {
  return validate(schema, value).ok;
}

// ---------------------------------------------------------------- compiled validators

const BAD: unique symbol = Symbol("invalid");
type Out = Json | typeof BAD;
/** Checks a value at a path: returns it (defaults filled in) or BAD, pushing errors. */
type Check = (v: unknown, path: string, errors: string[]) => Out;
type Schema = { [k: string]: unknown };

const cache = new WeakMap<object, Check>();

function compiled(schema: JsonSchema | boolean): Check {
  if (typeof schema === "boolean") return new Compiler(schema).node(schema);
  let c = cache.get(schema);
  if (!c) {
    c = new Compiler(schema).node(schema);
    cache.set(schema, c);
  }
  return c;
}

type JsonType = "null" | "boolean" | "integer" | "number" | "string" | "array" | "object";

/** The JSON type of a value (integers are "integer"); undefined for what JSON cannot hold. */
function jsonType(v: unknown): JsonType | undefined {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return "boolean";
    case "number":
      return Number.isFinite(v) ? (Number.isInteger(v) ? "integer" : "number") : undefined;
    case "string":
      return "string";
    case "object": {
      if (Array.isArray(v)) return "array";
      const proto = Object.getPrototypeOf(v);
      return proto === Object.prototype || proto === null ? "object" : undefined;
    }
    default:
      return undefined;
  }
}

function hasType(v: unknown, t: string): boolean {
  const actual = jsonType(v);
  return actual === t || (t === "number" && actual === "integer");
}

/** A value in a schema error: `"high"` (clipped), `3`, `true`, `null`, `an array`, `an object`. */
export function describeJson(v: unknown): string {
  const t = jsonType(v);
  switch (t) {
    case "string": {
      const s = JSON.stringify(v);
      return s.length > 60 ? `${s.slice(0, 59)}…"` : s;
    }
    case "array":
      return (v as unknown[]).length ? `an array of ${(v as unknown[]).length} items` : "an empty array";
    case "object":
      return "an object";
    case undefined:
      return typeof v === "number" ? `${v} (not a JSON number)` : `a non-JSON value (${v === undefined ? "undefined" : typeof v === "object" ? ((v as object).constructor?.name ?? "object") : typeof v})`;
    default:
      return String(v);
  }
}

function member(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

const FORMATS: Record<string, { test: (s: string) => boolean; what: string }> = {
  email: { test: (s) => z.regexes.email.test(s), what: "an email address" },
  uri: { test: (s) => /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) && URL.canParse(s), what: "an absolute URI" },
  url: { test: (s) => /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) && URL.canParse(s), what: "an absolute URL" },
  date: { test: (s) => z.regexes.date.test(s), what: "a date (YYYY-MM-DD)" },
  "date-time": {
    test: (s) => z.regexes.datetime({ offset: true, local: false, precision: null }).test(s.replace(/^(\d{4}-\d\d-\d\d)[t ]/, "$1T").replace(/z$/, "Z")),
    what: "a date-time (RFC 3339, e.g. 2024-01-31T09:30:00Z)",
  },
  time: { test: (s) => /^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([zZ]|[+-]([01]\d|2[0-3]):[0-5]\d)?$/.test(s), what: "a time (HH:MM:SS)" },
  uuid: { test: (s) => /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s), what: "a UUID" },
  ipv4: { test: (s) => z.regexes.ipv4.test(s), what: "an IPv4 address" },
  ipv6: { test: (s) => z.regexes.ipv6.test(s), what: "an IPv6 address" },
  hostname: { test: (s) => z.regexes.hostname.test(s), what: "a hostname" },
};

/** Resolves a local `$ref` (`#`, `#/$defs/Name`, any JSON pointer into the root); undefined if none. */
function resolveRef(root: JsonSchema | boolean, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  let cur: unknown = root;
  const pointer = decodeURIComponent(ref.slice(1));
  if (pointer === "") return cur;
  if (!pointer.startsWith("/")) return undefined;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof cur !== "object" || cur === null || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Schema)[key];
  }
  return cur;
}

/** A short name of what a schema accepts, for "expected ..." messages. */
function summary(s: unknown, root: JsonSchema | boolean, seen = new Set<unknown>()): string {
  if (s === true) return "any value";
  if (s === false || typeof s !== "object" || s === null) return "nothing";
  const o = s as Schema;
  if (typeof o.$ref === "string") return /^#\/\$defs\/[^/]+$/.test(o.$ref) ? o.$ref.slice(8).replace(/~1/g, "/").replace(/~0/g, "~") : o.$ref;
  if (Array.isArray(o.enum)) return `one of ${o.enum.map(member).join(", ")}`;
  if ("const" in o) return JSON.stringify(o.const);
  if (Array.isArray(o.anyOf)) {
    if (seen.has(s)) return "…";
    seen.add(s);
    return o.anyOf.map((b) => summary(b, root, seen)).join(" or ");
  }
  if (typeof o.type === "string") return o.type;
  if (Array.isArray(o.type)) return o.type.join(" or ");
  return "any value";
}

class Compiler {
  private readonly memo = new Map<unknown, Check>();
  constructor(private readonly root: JsonSchema | boolean) {}

  node(s: unknown): Check {
    const hit = this.memo.get(s);
    if (hit) return hit;
    let impl: Check | undefined;
    const stub: Check = (v, p, e) => impl!(v, p, e); // recursion through $ref reaches the stub
    this.memo.set(s, stub);
    impl = this.build(s);
    this.memo.set(s, impl);
    return impl;
  }

  private build(s: unknown): Check {
    if (s === true || (typeof s === "object" && s !== null && Object.keys(s).length === 0)) return (v) => v as Json;
    if (s === false || typeof s !== "object" || s === null || Array.isArray(s)) {
      return (v, p, e) => (e.push(`${p}: no value is allowed here, got ${describeJson(v)}`), BAD);
    }
    const o = s as Schema;
    const steps: Check[] = [];

    if (typeof o.$ref === "string") {
      const ref = o.$ref;
      const target = resolveRef(this.root, ref);
      if (target === undefined) steps.push((_v, p, e) => (e.push(`${p}: the schema refers to ${ref}, which it does not define`), BAD));
      else {
        const t = this.node(target);
        steps.push((v, p, e) => t(v, p, e));
      }
    }

    const types = typeof o.type === "string" ? [o.type] : Array.isArray(o.type) ? (o.type as string[]) : undefined;
    if (types) {
      steps.push((v, p, e) => {
        if (types.some((t) => hasType(v, t))) return v as Json;
        e.push(`${p}: expected ${types.join(" or ")}, got ${describeJson(v)}`);
        return BAD;
      });
    }
    if (Array.isArray(o.enum)) {
      const values = o.enum as Json[];
      steps.push((v, p, e) => {
        if (values.some((x) => deepEqual(x, v as Json))) return v as Json;
        e.push(`${p}: expected one of ${values.map(member).join(", ")}, got ${describeJson(v)}`);
        return BAD;
      });
    }
    if ("const" in o) {
      const c = o.const as Json;
      steps.push((v, p, e) => (deepEqual(c, v as Json) ? (v as Json) : (e.push(`${p}: expected ${JSON.stringify(c)}, got ${describeJson(v)}`), BAD)));
    }
    if (Array.isArray(o.anyOf)) steps.push(this.anyOf(s, o.anyOf));

    const str = this.stringChecks(o);
    if (str) steps.push((v, p, e) => (typeof v === "string" ? str(v, p, e) : (v as Json)));
    const numc = this.numberChecks(o);
    if (numc) steps.push((v, p, e) => (jsonType(v) === "integer" || jsonType(v) === "number" ? numc(v as number, p, e) : (v as Json)));
    const arr = this.arrayChecks(o);
    if (arr) steps.push((v, p, e) => (Array.isArray(v) ? arr(v, p, e) : (v as Json)));
    const obj = this.objectChecks(o);
    if (obj) steps.push((v, p, e) => (jsonType(v) === "object" ? obj(v, p, e) : (v as Json)));

    return (v, p, e) => {
      let cur: Out = v as Json;
      for (const step of steps) {
        cur = step(cur, p, e);
        if (cur === BAD) return BAD; // the first failing keyword decides: no cascade of follow-ups
      }
      return cur;
    };
  }

  private anyOf(s: unknown, branches: unknown[]): Check {
    const checks = branches.map((b) => ({ check: this.node(b), types: typesOf(this.root, b, new Set()) }));
    return (v, p, e) => {
      const t = jsonType(v);
      const near: string[][] = [];
      for (const { check, types } of checks) {
        const errs: string[] = [];
        const out = check(v, p, errs);
        if (out !== BAD && errs.length === 0) return out;
        // A branch whose type admits the value nearly matched: its errors say what is wrong.
        if (!types || (t && (types.has(t) || (t === "integer" && types.has("number"))))) near.push(errs);
      }
      if (near.length === 1) e.push(...near[0]!);
      else if (near.length > 1) {
        const best = near.reduce((a, b) => (b.length < a.length ? b : a));
        e.push(`${p}: expected ${summary(s, this.root)}, got ${describeJson(v)}; the closest match fails with:`, ...best);
      } else e.push(`${p}: expected ${summary(s, this.root)}, got ${describeJson(v)}`);
      return BAD;
    };
  }

  private stringChecks(o: Schema): ((v: string, p: string, e: string[]) => Out) | undefined {
    const checks: ((v: string, p: string, e: string[]) => boolean)[] = [];
    if (typeof o.minLength === "number") {
      const n = o.minLength;
      checks.push((v, p, e) => charLength(v) >= n || !e.push(`${p}: must be at least ${n} character${n === 1 ? "" : "s"} long, got ${charLength(v)}`));
    }
    if (typeof o.maxLength === "number") {
      const n = o.maxLength;
      checks.push((v, p, e) => charLength(v) <= n || !e.push(`${p}: must be at most ${n} character${n === 1 ? "" : "s"} long, got ${charLength(v)}`));
    }
    if (typeof o.pattern === "string") {
      const src = o.pattern;
      const re = regex(src);
      if (re) checks.push((v, p, e) => re.test(v) || !e.push(`${p}: must match the pattern ${src}, got ${describeJson(v)}`));
    }
    if (typeof o.format === "string" && Object.hasOwn(FORMATS, o.format)) {
      const f = FORMATS[o.format]!;
      const name = o.format;
      checks.push((v, p, e) => f.test(v) || !e.push(`${p}: expected ${f.what} (format ${name}), got ${describeJson(v)}`));
    }
    return all(checks);
  }

  private numberChecks(o: Schema): ((v: number, p: string, e: string[]) => Out) | undefined {
    const checks: ((v: number, p: string, e: string[]) => boolean)[] = [];
    const bound = (key: string, ok: (v: number, n: number) => boolean, words: string) => {
      const n = o[key];
      if (typeof n === "number") checks.push((v, p, e) => ok(v, n) || !e.push(`${p}: must be ${words} ${n}, got ${v}`));
    };
    bound("minimum", (v, n) => v >= n, ">=");
    bound("maximum", (v, n) => v <= n, "<=");
    bound("exclusiveMinimum", (v, n) => v > n, ">");
    bound("exclusiveMaximum", (v, n) => v < n, "<");
    bound("multipleOf", (v, n) => n > 0 && Number.isInteger(Number((v / n).toPrecision(12))), "a multiple of");
    return all(checks);
  }

  private arrayChecks(o: Schema): ((v: unknown[], p: string, e: string[]) => Out) | undefined {
    const items = o.items !== undefined && o.items !== true ? this.node(o.items) : undefined;
    const min = typeof o.minItems === "number" ? o.minItems : undefined;
    const max = typeof o.maxItems === "number" ? o.maxItems : undefined;
    if (!items && min === undefined && max === undefined) return undefined;
    const plural = (n: number) => `${n} item${n === 1 ? "" : "s"}`;
    return (v, p, e) => {
      let ok = true;
      if (min !== undefined && v.length < min) ok = !e.push(`${p}: must have at least ${plural(min)}, got ${v.length}`);
      if (max !== undefined && v.length > max) ok = !e.push(`${p}: must have at most ${plural(max)}, got ${v.length}`);
      if (!items) return ok ? (v as Json) : BAD;
      const out: Json[] = new Array(v.length);
      for (let i = 0; i < v.length; i++) {
        const r = items(v[i], childPath(p, i), e);
        if (r === BAD) ok = false;
        else out[i] = r;
      }
      return ok ? out : BAD;
    };
  }

  private objectChecks(o: Schema): ((v: unknown, p: string, e: string[]) => Out) | undefined {
    const props = typeof o.properties === "object" && o.properties !== null ? (o.properties as Schema) : undefined;
    const required = Array.isArray(o.required) ? (o.required as string[]) : [];
    const extra = o.additionalProperties;
    if (!props && !required.length && (extra === undefined || extra === true)) return undefined;
    const propChecks = new Map<string, Check>();
    const defaults: [string, Json][] = [];
    for (const [k, ps] of Object.entries(props ?? {})) {
      propChecks.set(k, this.node(ps));
      if (typeof ps === "object" && ps !== null && Object.hasOwn(ps, "default")) defaults.push([k, (ps as Schema).default as Json]);
    }
    const extraCheck = extra === false || extra === undefined || extra === true ? undefined : this.node(extra);
    const allowed = [...propChecks.keys()];
    return (raw, p, e) => {
      const v = raw as { [k: string]: unknown };
      const out: JsonRecord = {};
      let ok = true;
      for (const k of Object.keys(v)) {
        if (v[k] === undefined) continue; // an undefined property (a JS tool's result) is absent
        const c = propChecks.get(k) ?? extraCheck;
        if (c) {
          const r = c(v[k], childPath(p, k), e);
          if (r === BAD) ok = false;
          else setKey(out, k, r);
        } else if (extra === false) {
          ok = false;
          e.push(`${childPath(p, k)}: unexpected property${allowed.length ? ` (allowed: ${allowed.join(", ")})` : " (no properties are allowed)"}`);
        } else setKey(out, k, v[k] as Json);
      }
      for (const [k, d] of defaults) if (!Object.hasOwn(v, k) || v[k] === undefined) setKey(out, k, structuredClone(d));
      for (const k of required) {
        if (!Object.hasOwn(out, k) && !(Object.hasOwn(v, k) && v[k] !== undefined)) {
          ok = false;
          e.push(`${childPath(p, k)}: missing required property`);
        }
      }
      return ok ? out : BAD;
    };
  }
}

function all<T>(checks: ((v: T, p: string, e: string[]) => boolean)[]): ((v: T, p: string, e: string[]) => Out) | undefined {
  if (!checks.length) return undefined;
  return (v, p, e) => {
    let ok = true;
    for (const c of checks) if (!c(v, p, e)) ok = false;
    return ok ? (v as Json) : BAD;
  };
}

const regexCache = new Map<string, RegExp | null>();
/** A JSON Schema pattern (ECMA-262, unanchored); unicode mode first. null if it does not compile. */
function regex(src: string): RegExp | null {
  if (regexCache.has(src)) return regexCache.get(src)!;
  let re: RegExp | null = null;
  try {
    re = new RegExp(src, "u");
  } catch {
    try {
      re = new RegExp(src);
    } catch {
      re = null;
    }
  }
  regexCache.set(src, re);
  return re;
}

// ---------------------------------------------------------------- coercion of tool arguments

const NUMERIC = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * Lenient reading of tool arguments (models often quote scalars): where the schema wants a number
 * or integer and the value is a numeric string ("42", "-1.5e3"), it becomes that number; where it
 * wants a boolean, "true"/"false" become booleans. Nothing else changes (no trimming, no other
 * conversions); a string is kept wherever the schema accepts strings. Recurses into arrays and
 * objects; validate afterwards. Returns a new value; the input is not mutated.
 */
export function coerce(schema: JsonSchema | boolean, value: Json): Json {
  return co(schema, schema, value, 0);
}

function co(root: JsonSchema | boolean, s: unknown, v: Json, depth: number): Json {
  if (depth > 100 || s === undefined) return v;
  if (typeof v === "string") {
    const types = typesOf(root, s, new Set());
    if (!types || types.has("string")) return v;
    if ((types.has("number") || types.has("integer")) && NUMERIC.test(v)) {
      const n = Number(v);
      if (Number.isFinite(n)) return n === 0 ? 0 : n;
    }
    if (types.has("boolean") && (v === "true" || v === "false")) return v === "true";
    return v;
  }
  if (Array.isArray(v)) {
    const b = branchFor(root, s, "array", new Set());
    const items = b?.items;
    return items === undefined ? v : v.map((x) => co(root, items, x, depth + 1));
  }
  if (v !== null && typeof v === "object") {
    const b = branchFor(root, s, "object", new Set());
    if (!b) return v;
    const props = (typeof b.properties === "object" && b.properties !== null ? b.properties : {}) as Schema;
    const extra = b.additionalProperties;
    const out: JsonRecord = {};
    for (const k of Object.keys(v)) {
      const ps = Object.hasOwn(props, k) ? props[k] : typeof extra === "object" && extra !== null ? extra : undefined;
      setKey(out, k, co(root, ps, v[k]!, depth + 1));
    }
    return out;
  }
  return v;
}

function deref(root: JsonSchema | boolean, s: unknown, seen: Set<unknown>): Schema | undefined {
  let cur = s;
  while (typeof cur === "object" && cur !== null && typeof (cur as Schema).$ref === "string") {
    if (seen.has(cur)) return undefined;
    seen.add(cur);
    const o = cur as Schema;
    // `$ref` with sibling constraints (e.g. a default): the reference decides the shape.
    cur = resolveRef(root, o.$ref as string);
  }
  return typeof cur === "object" && cur !== null ? (cur as Schema) : undefined;
}

/** The JSON types a schema admits; undefined when it admits any. */
function typesOf(root: JsonSchema | boolean, s: unknown, seen: Set<unknown>): Set<string> | undefined {
  if (s === true) return undefined;
  if (s === false) return new Set();
  const o = deref(root, s, seen);
  if (!o) return undefined;
  if (typeof o.type === "string") return new Set([o.type]);
  if (Array.isArray(o.type)) return new Set(o.type as string[]);
  if (Array.isArray(o.enum)) return new Set((o.enum as unknown[]).map((x) => jsonType(x) ?? "null"));
  if ("const" in o) return new Set([jsonType(o.const) ?? "null"]);
  if (Array.isArray(o.anyOf)) {
    const out = new Set<string>();
    for (const b of o.anyOf) {
      const t = typesOf(root, b, seen);
      if (!t) return undefined;
      for (const x of t) out.add(x);
    }
    return out;
  }
  return undefined;
}

/** The (dereferenced) schema, or its first `anyOf` branch, that admits values of `type`. */
function branchFor(root: JsonSchema | boolean, s: unknown, type: string, seen: Set<unknown>): Schema | undefined {
  const o = deref(root, s, seen);
  if (!o) return undefined;
  if (Array.isArray(o.anyOf)) {
    for (const b of o.anyOf) {
      const r = branchFor(root, b, type, seen);
      if (r) return r;
    }
    return undefined;
  }
  const t = typesOf(root, o, new Set());
  return !t || t.has(type) ? o : undefined;
}

/**
 * A tool call's arguments as the tool will receive them: coerced (`"true"` → true, `"1"` → 1),
 * defaults filled in, validated against the tool's `params`. The interpreter computes this once,
 * before the `before tool` hooks, so policies, the journal and the tool all see the same value
 * (a rule can never pass on `"true"` while the tool receives `true`).
 */
export function toolArguments(tool: string, params: JsonSchema | boolean, args: Json): { ok: true; value: Record<string, Json> } | { ok: false; message: string } {
  const r = validate(params, coerce(params, args ?? {}));
  return r.ok ? { ok: true, value: r.value as Record<string, Json> } : { ok: false, message: `tool ${tool}: invalid arguments: ${r.errors.join("; ")}` };
}
