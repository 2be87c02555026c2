// Policies → hooks of rules. Rule conditions run in the VM at an effect boundary with `input`,
// `output`, `principal`, `tool` bound (docs/plan.md); other names resolve as everywhere else.
// A call of a prompt in a condition or a transform value is a classifier call: it is lowered to
// `{ k: "call", fn: PROMPT, args: [{ record of the named arguments }] }` (the shape of a `run`'s
// arguments) and the rule lists the prompt in `classifiers`, so the VM knows to call the model.

import type { Expr, PolicyDecl } from "../syntax/ast.js";
import type { HookPlan, PolicyPlan, RulePlan } from "../plan/types.js";
import { hookId, ruleId } from "../plan/ids.js";
import { walkExpr } from "../analysis/expr.js";
import { BUILTIN_FUNCTIONS, POLICY_FUNCTIONS } from "../plan/vocabulary.js";
import type { LowerCtx } from "./context.js";
import { exprToIR } from "./expr.js";

const POLICY_LOCALS: ReadonlySet<string> = new Set(["input", "output", "principal", "tool"]);
const NOT_CLASSIFIERS: ReadonlySet<string> = new Set([...BUILTIN_FUNCTIONS, ...POLICY_FUNCTIONS]);

export function lowerPolicy(ctx: LowerCtx, d: PolicyDecl): PolicyPlan {
  const policy = d.name.name;
  const hooks: HookPlan[] = d.hooks.map((h, hi) => ({
    id: hookId(policy, hi),
    phase: h.phase,
    target: h.target,
    selector: !h.selector ? null : h.selector.kind === "name" ? { name: h.selector.name.name } : { tag: h.selector.tag.parts.join(".") },
    rules: h.rules.map((r, ri) => {
      const rule: RulePlan = {
        id: ruleId(policy, hi, ri),
        action: r.action,
        kinds: r.kinds.map((k) => k.name).filter(Boolean),
        loc: ctx.loc(r.span),
      };
      const classifiers = new Set<string>();
      if (r.action === "transform") {
        rule.path = r.path?.parts.length ? r.path.parts : ["input"];
        rule.value = lowerRuleExpr(ctx, r.value, classifiers);
      }
      if (r.when) rule.when = lowerRuleExpr(ctx, r.when, classifiers);
      if (classifiers.size) rule.classifiers = [...classifiers].sort();
      if (r.because) rule.because = exprToIR(ctx, r.because, POLICY_LOCALS);
      return rule;
    }),
    loc: ctx.loc(h.span),
  }));
  return { hooks, loc: ctx.loc(d.name.span) };
}

/** A condition or transform value; classifier calls get their arguments as one record (and are noted). */
function lowerRuleExpr(ctx: LowerCtx, e: Expr | undefined, classifiers: Set<string>) {
  const prompt = (x: Expr) => {
    if (x.kind !== "Call" || x.callee.kind !== "Name" || NOT_CLASSIFIERS.has(x.callee.name)) return undefined;
    return ctx.decl(x.callee.name, "PromptDecl");
  };
  let found = false;
  walkExpr(e, (x) => {
    if (prompt(x)) found = true;
  });
  if (!e || !found) return exprToIR(ctx, e, POLICY_LOCALS);
  // Rewrite a copy (ASTs are shared with the editor's caches), outside-in so that classifier calls
  // inside arguments are rewritten too: `p(a, b: c)` → `p({ x: a, b: c })` (x: p's first parameter).
  const copy = structuredClone(e);
  walkExpr(copy, (x) => {
    const decl = prompt(x);
    if (!decl || x.kind !== "Call") return;
    classifiers.add(decl.name.name);
    const fields = x.args.map((a, i) => ({
      kind: "RecordField" as const,
      key: { kind: "Ident" as const, name: a.name?.name || decl.params[i]?.name.name || `arg${i}`, span: a.span },
      value: a.value,
      span: a.span,
    }));
    x.args = [{ kind: "Arg", value: { kind: "Record", fields, span: x.span }, span: x.span }];
  });
  return exprToIR(ctx, copy, POLICY_LOCALS);
}
