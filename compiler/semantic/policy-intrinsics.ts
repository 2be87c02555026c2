// The intrinsic functions of policy conditions (docs/policies.md § Content filters): typed here,
// evaluated by the VM (vm/filters.ts). Each takes any value as its first argument (the VM looks
// into every string in it) and returns bool.
//
//   contains_pii(x, "kind"...)   kinds are string literals among PII_KINDS (none: every kind)
//   matches(x, "regex", "flags"?) the regex (when a literal) must compile; flags among i, m, s, u
//   contains_any(x, ["word", ...]) a list of strings

import type * as A from "../syntax/ast.js";
import type { ExprChecker, Env } from "./expr.js";
import * as P from "./props.js";
import type { CheckContext } from "./scope.js";
import * as Ty from "./types.js";

export const POLICY_INTRINSICS = ["contains_pii", "matches", "contains_any"] as const;

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
  const kinds = P.PII_KINDS as readonly string[];
  return new Map<string, Intrinsic>([
    [
      "contains_pii",
      (c, env) => {
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
    ],
    [
      "matches",
      (c, env) => {
        const ts = prelude(c, env, "matches", 2, 3);
        if (ts) {
          needString(ts[1], c.args[1]!, env, "matches", "a regular expression string");
          if (c.args[2]) needString(ts[2], c.args[2], env, "matches", "a flags string");
          const source = literal(c.args[1]);
          const flags = literal(c.args[2]) ?? "";
          if (c.args[2] && literal(c.args[2]) !== undefined && !/^[imsu]*$/.test(flags)) {
            ctx.report("AWR5002", env.file, c.args[2].value.span, `matches() flags may only be i, m, s and u (got "${flags}")`);
          } else if (source !== undefined) {
            try {
              new RegExp(source, flags);
            } catch (e) {
              ctx.report("AWR5002", env.file, c.args[1]!.value.span, `invalid regular expression: ${e instanceof Error ? e.message : String(e)}`);
            }
          }
        }
        return Ty.BOOL;
      },
    ],
    [
      "contains_any",
      (c, env) => {
        const ts = prelude(c, env, "contains_any", 2, 2);
        const t = ts?.[1];
        if (t && t.k !== "any" && t.k !== "error" && !(t.k === "list" && (Ty.isStringy(t.of, ctx) || t.of.k === "any"))) {
          ctx.report("AWR3001", env.file, c.args[1]!.value.span, `contains_any() needs a list of strings, found ${Ty.show(t)}`);
        }
        return Ty.BOOL;
      },
    ],
  ]);
}
