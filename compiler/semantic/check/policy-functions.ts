// The intrinsic functions of policy rules (docs/policies.md § Content filters): typed here,
// evaluated by the VM (vm/policy/filters.ts). The filters take any value as their first argument (the VM
// looks into every string in it) and return bool:
//
//   contains_pii(x, "kind"...)   kinds are string literals among PII_KINDS (none: every kind)
//   matches(x, "regex", "flags"?) the regex (when a literal) must compile; flags among i, m, s, u
//   contains_any(x, ["word", ...]) a list of strings
//
// The string functions, for transform values, take a string and return one:
//
//   replace(s, "regex", "with", "flags"?)  every match replaced ($1, $& refer to the match)
//   trim(s)                                 without leading and trailing whitespace
//   truncate(s, n)                          at most n characters (code points)

import type * as A from "../../syntax/ast.js";
import type { ExprChecker, Env } from "../expr.js";
import * as P from "../../language/props.js";
import type { PolicyFunction } from "../../plan/vocabulary.js";
import type { CheckContext } from "../scope.js";
import * as Ty from "../types.js";

type Intrinsic = (c: A.CallExpr, env: Env) => Ty.Ty;

export function policyIntrinsics(ctx: CheckContext, ex: ExprChecker): Map<string, Intrinsic> {
  const prelude = (c: A.CallExpr, env: Env, name: string, min: number, max: number): Ty.Ty[] | undefined => {
    const types = c.args.map((a) => ctx.resolve(ex.check(a.value, env)));
    for (const a of c.args) if (a.name) ctx.report("AWR3002", env.file, a.name.span, `${name}() takes no named arguments`);
    if (c.args.length < min || c.args.length > max) {
      ctx.report("AWR3002", env.file, c.span, `${name}() takes ${max === Infinity ? `at least ${min}` : min === max ? min : `${min} to ${max}`} arguments, got ${c.args.length}`);
      return undefined;
    }
    return types;
  };
  const needString = (t: Ty.Ty | undefined, a: A.Arg, env: Env, name: string, what: string) => {
    if (t && t.k !== "any" && t.k !== "error" && !Ty.isStringy(t, ctx)) ctx.report("AWR3001", env.file, a.value.span, `${name}() needs ${what}, found ${Ty.show(t)}`);
  };
  const literal = (a: A.Arg | undefined): string | undefined => (a?.value.kind === "String" ? a.value.value : undefined);
  /** A regex argument (and its optional flags): strings; when literals, they must compile. */
  const regex = (c: A.CallExpr, env: Env, name: string, ts: Ty.Ty[], at: number, flagsAt: number) => {
    const src = c.args[at]!;
    const fl = c.args[flagsAt];
    needString(ts[at], src, env, name, "a regular expression string");
    if (fl) needString(ts[flagsAt], fl, env, name, "a flags string");
    const source = literal(src);
    const flags = literal(fl) ?? "";
    if (fl && literal(fl) !== undefined && !/^[imsu]*$/.test(flags)) {
      ctx.report("AWR5002", env.file, fl.value.span, `${name}() flags may only be i, m, s and u (got "${flags}")`);
    } else if (source !== undefined) {
      try {
        new RegExp(source, flags);
      } catch (e) {
        ctx.report("AWR5002", env.file, src.value.span, `invalid regular expression: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  };
  const kinds = P.PII_KINDS as readonly string[];
  // Written in the order did-you-mean lists them; a policy function without a type fails to compile.
  const fns: Record<PolicyFunction, Intrinsic> = {
    contains_pii: (c, env) => {
      const ts = prelude(c, env, "contains_pii", 1, Infinity);
      if (ts) {
        for (const a of c.args.slice(1)) {
          const k = literal(a);
          if (k === undefined) ctx.report("AWR3002", env.file, a.value.span, `contains_pii() takes PII kinds as string literals: ${kinds.map((x) => `"${x}"`).join(", ")}`);
          else if (!kinds.includes(k)) ctx.unknown(env.file, { name: k, span: a.value.span }, kinds, "kind of PII", "AWR5002");
        }
      }
      return Ty.BOOL;
    },
    matches: (c, env) => {
      const ts = prelude(c, env, "matches", 2, 3);
      if (ts) regex(c, env, "matches", ts, 1, 2);
      return Ty.BOOL;
    },
    replace: (c, env) => {
      const ts = prelude(c, env, "replace", 3, 4);
      if (ts) {
        needString(ts[0], c.args[0]!, env, "replace", "a string");
        needString(ts[2], c.args[2]!, env, "replace", "a replacement string");
        regex(c, env, "replace", ts, 1, 3);
      }
      return Ty.STRING;
    },
    trim: (c, env) => {
      const ts = prelude(c, env, "trim", 1, 1);
      if (ts) needString(ts[0], c.args[0]!, env, "trim", "a string");
      return Ty.STRING;
    },
    truncate: (c, env) => {
      const ts = prelude(c, env, "truncate", 2, 2);
      if (ts) {
        needString(ts[0], c.args[0]!, env, "truncate", "a string");
        const n = ts[1]!;
        if (n.k !== "any" && n.k !== "error" && !Ty.assignable(n, Ty.INT, ctx)) ctx.report("AWR3001", env.file, c.args[1]!.value.span, `truncate() needs a number of characters (int), found ${Ty.show(n)}`);
      }
      return Ty.STRING;
    },
    contains_any: (c, env) => {
      const ts = prelude(c, env, "contains_any", 2, 2);
      const t = ts?.[1];
      if (t && t.k !== "any" && t.k !== "error" && !(t.k === "list" && (Ty.isStringy(t.of, ctx) || t.of.k === "any"))) {
        ctx.report("AWR3001", env.file, c.args[1]!.value.span, `contains_any() needs a list of strings, found ${Ty.show(t)}`);
      }
      return Ty.BOOL;
    },
  };
  return new Map(Object.entries(fns));
}

/**
 * The calls of a policy rule: the intrinsics above, then `fallback` for any other name (the
 * checker's classifier calls: a prompt named in a condition). Only `get` falls back; `keys` lists
 * the intrinsics (for did-you-mean).
 */
export class PolicyCalls extends Map<string, Intrinsic> {
  constructor(
    intrinsics: Map<string, Intrinsic>,
    private readonly fallback: (name: string) => Intrinsic | undefined,
  ) {
    super(intrinsics);
  }
  override get(name: string): Intrinsic | undefined {
    return super.get(name) ?? this.fallback(name);
  }
}
