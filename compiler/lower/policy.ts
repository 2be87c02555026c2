// Policies → hooks of rules. Rule conditions run in the VM at an effect boundary with `input`,
// `output`, `principal`, `call` bound (docs/plan.md); other names resolve as everywhere else.

import type { PolicyDecl } from "../syntax/ast.js";
import type { HookPlan, PolicyPlan, RulePlan } from "../plan/types.js";
import { hookId, ruleId } from "../plan/ids.js";
import type { LowerCtx } from "./context.js";
import { exprToIR } from "./expr.js";

const POLICY_LOCALS: ReadonlySet<string> = new Set(["input", "output", "principal", "tool"]);

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
      if (r.when) rule.when = exprToIR(ctx, r.when, POLICY_LOCALS);
      if (r.because) rule.because = exprToIR(ctx, r.because, POLICY_LOCALS);
      return rule;
    }),
    loc: ctx.loc(h.span),
  }));
  return { hooks, loc: ctx.loc(d.name.span) };
}
