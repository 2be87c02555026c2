// Helpers for property bodies (`model m { key: value ... }`): unknown, duplicate and missing keys
// against the tables of compiler/language/props.ts, and the shapes values take (literals, numbers in a
// range, durations, env("VAR"), name lists, blocks, retry). Every declaration checker uses them.
import * as A from "../../syntax/ast.js";
import * as P from "../../language/props.js";
import type { Env } from "../expr.js";
import { article } from "../scope.js";
import { BACKOFFS, type BackoffKind } from "../../plan/vocabulary.js";
import type { Checker } from "./checker.js";

/** Unknown keys (with did-you-mean), duplicates and missing required keys. */
export function checkProps(cx: Checker, file: string, d: { name: A.Ident; props: A.Property[] }, specs: Record<string, P.PropSpec>, what: string): Map<string, A.Property> {
  const out = new Map<string, A.Property>();
  for (const p of d.props) {
    const k = p.key.name;
    if (k === "") continue;
    if (!specs[k]) {
      cx.ctx.unknown(file, p.key, Object.keys(specs), "property", "AWR2007", `${article(what)}`);
      continue;
    }
    if (out.has(k)) {
      cx.ctx.report("AWR2009", file, p.key.span, `property "${k}" is given twice`);
      continue;
    }
    out.set(k, p);
  }
  for (const [k, spec] of Object.entries(specs)) {
    if (spec.required && !out.has(k) && d.name.name !== "") {
      cx.ctx.report("AWR2008", file, d.name.span, `${what} "${d.name.name}" needs ${k}, such as ${spec.example ?? `${k}: ...`} (${spec.doc})`);
    }
  }
  return out;
}

export function bad(cx: Checker, file: string, p: A.Property | A.Expr, msg: string) {
  cx.ctx.report("AWR2011", file, p.span, msg);
}

export function literalString(cx: Checker, file: string, p: A.Property): string | undefined {
  if (p.value.kind === "String") return p.value.value;
  bad(cx, file, p.value, `"${p.key.name}" must be a string literal`);
  return undefined;
}

export function numberProp(cx: Checker, file: string, p: A.Property, opts: { int?: boolean; min?: number; max?: number }): number | undefined {
  const v = p.value;
  if (v.kind !== "Number" || (opts.int && !v.integer)) {
    bad(cx, file, v, `"${p.key.name}" must be ${opts.int ? "a whole number" : "a number"}`);
    return undefined;
  }
  if ((opts.min !== undefined && v.value < opts.min) || (opts.max !== undefined && v.value > opts.max)) {
    bad(cx, file, v, `"${p.key.name}" must be ${range(opts)}`);
  }
  return v.value;
}

export function durationValue(cx: Checker, file: string, e: A.Expr, what: string) {
  if (e.kind !== "Duration") bad(cx, file, e, `${what} must be a duration such as 250ms, 5s, 10m or 1h`);
  else if (e.ms <= 0) bad(cx, file, e, `${what} must be longer than zero`);
}

export function boolProp(cx: Checker, file: string, p: A.Property) {
  if (p.value.kind !== "Bool") bad(cx, file, p.value, `"${p.key.name}" must be true or false`);
}

export function envOrString(cx: Checker, file: string, p: A.Property, allowLiteral: boolean) {
  const v = p.value;
  if (v.kind === "Call" && v.callee.kind === "Name" && v.callee.name === "env") {
    if (v.args.length !== 1 || v.args[0]!.value.kind !== "String") bad(cx, file, v, 'env takes the name of an environment variable: env("OPENAI_API_KEY")');
    return;
  }
  if (allowLiteral && v.kind === "String") return;
  bad(cx, file, v, allowLiteral ? `"${p.key.name}" must be a string or env("VAR")` : `"${p.key.name}" must come from the environment: env("VAR") (never a literal secret)`);
}

/** A list of names denoting declarations of one kind. */
export function nameList<K extends A.DeclKind>(cx: Checker, file: string, p: A.Property, kinds: K[], what: string): Extract<A.Decl, { kind: K }>[] {
  if (p.value.kind !== "List") {
    bad(cx, file, p.value, `"${p.key.name}" must be a list of ${what}s, like [a, b]`);
    return [];
  }
  const out: Extract<A.Decl, { kind: K }>[] = [];
  const seen = new Set<string>();
  for (const item of p.value.items) {
    if (item.kind !== "Name") {
      bad(cx, file, item, `expected the name of ${article(what)}`);
      continue;
    }
    if (seen.has(item.name)) cx.ctx.report("AWR2009", file, item.span, `"${item.name}" is listed twice`);
    seen.add(item.name);
    const d = cx.ctx.expectDecl(file, { kind: "Ident", name: item.name, span: item.span }, kinds, what);
    if (d) out.push(d);
  }
  return out;
}

export function oneName<K extends A.DeclKind>(cx: Checker, file: string, p: A.Property, kinds: K[], what: string): Extract<A.Decl, { kind: K }> | undefined {
  if (p.value.kind !== "Name") {
    bad(cx, file, p.value, `"${p.key.name}" must name ${article(what)}`);
    return undefined;
  }
  return cx.ctx.expectDecl(file, { kind: "Ident", name: p.value.name, span: p.value.span }, kinds, what);
}

/** A record-valued property with known keys, each checked by `check`. */
export function blockProp(cx: Checker, file: string, p: A.Property, keys: Record<string, (e: A.Expr, key: string) => void>) {
  if (p.value.kind !== "Record") {
    bad(cx, file, p.value, `"${p.key.name}" must be a block: ${p.key.name} { ${Object.keys(keys).join(", ")} }`);
    return;
  }
  const seen = new Set<string>();
  for (const f of p.value.fields) {
    const check = Object.hasOwn(keys, f.key.name) ? keys[f.key.name] : undefined;
    if (!check) {
      cx.ctx.unknown(file, f.key, Object.keys(keys), "key", "AWR2007", `"${p.key.name}"`);
      continue;
    }
    if (seen.has(f.key.name)) cx.ctx.report("AWR2009", file, f.key.span, `"${f.key.name}" is given twice`);
    seen.add(f.key.name);
    check(f.value, f.key.name);
  }
}

export function numberExpr(cx: Checker, file: string, what: string, opts: { int?: boolean; min?: number; max?: number }) {
  return (e: A.Expr, key: string) => {
    if (e.kind !== "Number" || (opts.int && !e.integer)) return bad(cx, file, e, `${what} "${key}" must be ${opts.int ? "a whole number" : "a number"}`);
    if ((opts.min !== undefined && e.value < opts.min) || (opts.max !== undefined && e.value > opts.max)) {
      bad(cx, file, e, `${what} "${key}" must be ${range(opts)}`);
    }
  };
}

/** How many durations each backoff takes: exponential(initial, cap), linear(step, cap), fixed(delay). */
const BACKOFF_ARITY: Record<BackoffKind, number> = { exponential: 2, linear: 2, fixed: 1 };

/** `retry 3` or `retry { max: 3, backoff: exponential(500ms, 8s), jitter: true }` (models, tools, nodes). */
export function retryValue(cx: Checker, file: string, e: A.Expr) {
  if (e.kind === "Number" || (e.kind === "Unary" && e.op === "-" && e.operand.kind === "Number")) {
    if (e.kind !== "Number" || !e.integer) bad(cx, file, e, "retry must be a whole number of retries (0 or more)");
    return;
  }
  if (e.kind !== "Record") {
    bad(cx, file, e, "retry must be a number or { max: N, backoff: exponential(initial, cap), jitter: true }");
    return;
  }
  const p: A.Property = { kind: "Property", key: { kind: "Ident", name: "retry", span: e.span }, value: e, span: e.span };
  blockProp(cx, file, p, {
    max: numberExpr(cx, file, "retry", { int: true, min: 0 }),
    jitter: (v) => v.kind !== "Bool" && bad(cx, file, v, "jitter must be true or false"),
    backoff: (v) => {
      const kind = v.kind === "Call" && v.callee.kind === "Name" ? BACKOFFS.find((b) => b === (v.callee as A.NameExpr).name) : undefined;
      if (!kind || v.kind !== "Call") {
        return bad(cx, file, v, "backoff must be exponential(initial, cap), linear(step, cap) or fixed(delay)");
      }
      const want = BACKOFF_ARITY[kind];
      if (v.args.length !== want) return bad(cx, file, v, `${kind} takes ${want} duration${want > 1 ? "s" : ""}`);
      v.args.forEach((a) => durationValue(cx, file, a.value, `an argument of ${kind}`));
    },
  });
}

export function declFile(cx: Checker, d: A.Decl): string {
  return cx.ctx.program.globals.get(d.name.name)?.file ?? "";
}

export function checkMessages(cx: Checker, file: string, ps: Map<string, A.Property>, keys: string[], env: Env) {
  for (const k of keys) {
    const p = ps.get(k);
    if (!p) continue;
    if (p.value.kind === "Template") cx.ex.template(p.value, env);
    else if (p.value.kind !== "String") bad(cx, file, p.value, `"${k}" must be a template #"..."# or a string`);
  }
}

function range(opts: { min?: number; max?: number }): string {
  if (opts.max === undefined) return `at least ${opts.min}`;
  if (opts.min === undefined) return `at most ${opts.max}`;
  return `between ${opts.min} and ${opts.max}`;
}

/** `pii.read` written as an expression → "pii.read". */
export function dotted(e: A.Expr): string | undefined {
  if (e.kind === "Name") return e.name;
  if (e.kind === "Member" && !e.optional) {
    const o = dotted(e.object);
    return o && e.name.name ? `${o}.${e.name.name}` : undefined;
  }
  return undefined;
}

/** `20/s` → { count: 20, perMs: 1000 } */
export function rate(e: A.Expr): { count: number; perMs: number } | undefined {
  if (e.kind !== "Binary" || e.op !== "/" || e.left.kind !== "Number" || e.right.kind !== "Name") return undefined;
  const per: Record<string, number> = { s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
  const ms = Object.hasOwn(per, e.right.name) ? per[e.right.name] : undefined;
  return ms && e.left.value > 0 ? { count: e.left.value, perMs: ms } : undefined;
}
