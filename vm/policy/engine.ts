// The policy engine: decisions at effect boundaries (docs/policies.md).
//
// Semantics (Cedar-like):
// - Total: every rule of every hook that applies to a call is evaluated; a rule whose condition
//   cannot be evaluated (a failed expression, an invalid regex, a non-bool value) denies the call,
//   naming that rule ("fail closed"); evaluation itself never throws.
// - Order-independent: the outcome depends only on the set of rules that matched: any deny wins;
//   otherwise an allow lets the call through without approval; otherwise an approve suspends the
//   run for a human; with no matching rule the call is allowed. Transforms, then redactions,
//   apply on top of an allowed or approved call. Every transform is computed against the original
//   value; two that write the same field (or a field and one inside it) differently deny the call,
//   so the result never depends on an order. Matched rules are listed sorted by policy and rule
//   id, whatever order the sources declare them in.
// - Classifiers: a rule may call a prompt (`moderation(text: input.body).flagged`). Evaluation
//   stays pure: a call whose answer is not given yet makes the decision wait (`pending`); the
//   interpreter makes the journaled model calls and evaluates again with the answers. Evaluation
//   is lazy like the expression language (`a && p(x)` calls p only when a holds), and a rule
//   without a classifier that denies makes the classifiers unnecessary.
// - Explained: a decision names the rules that determined it; `auditRecords` turns it into
//   append-only audit records (audit.ts) (one per deciding rule, one per transform and redaction rule, or
//   one "no rule matched" allow per policy whose hook applied).
//
// This module runs the hook; decision.ts holds the types and the deciding, rules.ts one rule's
// evaluation (scopes, classifiers, fail closed), transform.ts the transforms.
import type { Plan } from "../../compiler/plan/index.js";
import type { Json } from "../types.js";
import { decide, type ClassifierCall, type Decision, type EvaluateOptions, type PolicyCall, type RuleHit } from "./decision.js";
import { PENDING, evalRule, hookApplies, ruleScopes, type ScopeOf } from "./rules.js";
import { applyTransforms, transformWrites, type Transform } from "./transform.js";

export { hookName, type ClassifierAnswer, type ClassifierCall, type Decision, type EvaluateOptions, type HookTarget, type PolicyCall, type RuleHit } from "./decision.js";

/**
 * Evaluates every policy at one hook. Never throws. A rule calling a classifier whose answer is
 * not in `opts.classified` makes the decision wait: `pending` lists the calls to make (unless a
 * rule without one already denies), and the caller evaluates again with their answers.
 */
export function evaluatePolicies(plan: Plan, call: PolicyCall, opts: EvaluateOptions = {}): Decision {
  const pending = new Map<string, ClassifierCall>();
  const scopeOf = ruleScopes(call, opts, pending);
  const { matched, applied, transforms, waiting } = matchRules(plan, call, opts, scopeOf);
  const subject = subjectOf(call);
  const hits = { matched, applied, pending, subject };
  const first = decide(hits);
  if (first.outcome === "deny" || waiting || !transforms.length) return first;
  // The call goes through: every matching transform is computed against the original value. A
  // transform that fails (its value, a conflict, a misfit) denies, so the decision is made again.
  const writes = transformWrites(call, subject, transforms, scopeOf);
  if (matched.some((m) => m.error !== undefined)) return decide(hits);
  if (writes === PENDING) return { ...first, pending: [...pending.values()] };
  const value = applyTransforms(plan, call, subject, writes);
  return matched.some((m) => m.error !== undefined) ? decide(hits) : { ...first, value };
}

/** Every rule of every hook that applies to the call, evaluated (in plan order). */
function matchRules(plan: Plan, call: PolicyCall, opts: EvaluateOptions, scopeOf: ScopeOf) {
  const matched: RuleHit[] = [];
  const applied = new Set<string>();
  const transforms: Transform[] = [];
  let waiting = false;
  for (const [policy, p] of Object.entries(plan.policies)) {
    for (const h of p.hooks) {
      if (!hookApplies(h, call)) continue;
      applied.add(policy);
      for (const r of h.rules) {
        if (opts.skipClassifiers && r.classifiers?.length) continue;
        const hit = evalRule(policy, r, scopeOf(r));
        if (hit === PENDING) waiting = true;
        else if (hit) {
          matched.push(hit);
          if (r.action === "transform" && hit.error === undefined) transforms.push({ hit, rule: r });
        }
      }
    }
  }
  return { matched, applied, transforms, waiting };
}

/** The value passed on by a hook when the caller gives no subject. */
function subjectOf(call: PolicyCall): Json {
  return call.subject !== undefined ? call.subject : call.phase === "after" ? (call.output ?? null) : call.input;
}
