// One rule against one call: which hooks apply, the names a condition sees (with the policy
// intrinsics and the rule's classifiers), and the rule's hit — matched, not matched, failed (a
// deny, "fail closed") or waiting for a classifier's answer. Never throws.
import { evaluate, type Scope } from "../expr.js";
import { requestHash } from "../journal.js";
import type { Json } from "../types.js";
import type { ClassifierCall, EvaluateOptions, Hook, PolicyCall, Rule, RuleHit } from "./decision.js";
import { policyIntrinsic } from "./filters.js";

export function hookApplies(h: Hook, call: PolicyCall): boolean {
  if (h.phase !== call.phase || h.target !== call.target) return false;
  if (!h.selector) return true;
  if ("name" in h.selector) return h.selector.name === call.name;
  const tag = h.selector.tag;
  return call.tags.some((t) => t === tag || t.startsWith(tag + "."));
}

/**
 * The names a rule's condition sees, and the policy intrinsics (contains_pii, matches, ...).
 * `classify` answers a call the intrinsics do not know (a rule's classifier).
 */
export function policyScope(call: PolicyCall, classify?: (fn: string, args: Json[]) => Json | undefined): Scope {
  const names: Record<string, Json> = {
    input: call.input,
    output: call.output ?? null,
    principal: call.principal,
    tool: { name: call.name, tags: call.tags },
  };
  const intrinsic = classify ? (fn: string, args: Json[]) => policyIntrinsic(fn, args) ?? classify(fn, args) : policyIntrinsic;
  return { get: (n) => (Object.hasOwn(names, n) ? names[n] : undefined), call: intrinsic };
}

/** Thrown (and caught by the engine) when a rule needs a classifier answer that is not there yet. */
export class AwaitingClassifier {}

/** A rule (or a transform's value) that waits for a classifier answer. */
export const PENDING = Symbol("pending");

/** A rule's scope for a call: the call's names, and its classifiers when it has some. */
export type ScopeOf = (r: Rule, s?: PolicyCall) => Scope;

/**
 * The scopes of one hook's rules for `call`. A classifier call is answered from `opts.classified`;
 * one without an answer is added to `pending` and the evaluation waits (AwaitingClassifier).
 * Scopes of the call itself are made once per rule; `s` rebinds a model hook's text.
 */
export function ruleScopes(call: PolicyCall, opts: EvaluateOptions, pending: Map<string, ClassifierCall>): ScopeOf {
  const base = policyScope(call);
  const scopes = new Map<Rule, Scope>();
  const classifying = (r: Rule, s: PolicyCall) =>
    policyScope(s, (fn, args) => {
      if (!r.classifiers!.includes(fn)) return undefined;
      const a = args[0] ?? {};
      const key = `${fn}:${requestHash(a)}`;
      const got = opts.classified?.get(key);
      if (!got) {
        if (!pending.has(key)) pending.set(key, { key, prompt: fn, args: a, rule: r.id });
        throw new AwaitingClassifier();
      }
      if ("error" in got) throw new Error(`the classifier ${fn} failed: ${got.error}`);
      return got.value;
    });
  return (r, s = call) => {
    if (!r.classifiers?.length) return s === call ? base : policyScope(s);
    if (s !== call) return classifying(r, s);
    let sc = scopes.get(r);
    if (!sc) scopes.set(r, (sc = classifying(r, s)));
    return sc;
  };
}

/** The rule's hit: undefined when its condition is false or null. */
export function evalRule(policy: string, r: Rule, scope: Scope): RuleHit | undefined | typeof PENDING {
  const hit: RuleHit = { policy, rule: r.id, action: r.action, kinds: r.kinds };
  if (r.when) {
    let v: Json;
    try {
      v = evaluate(r.when, scope);
    } catch (e) {
      if (e instanceof AwaitingClassifier) return PENDING;
      return failed(hit, e, `the condition of rule ${r.id} could not be evaluated`);
    }
    if (v !== true && v !== false && v !== null) {
      hit.error = `the condition is ${typeof v}, not bool`;
      hit.reason = `the condition of rule ${r.id} is not a bool; the call is denied`;
      return hit;
    }
    if (v !== true) return undefined;
  }
  if (r.because) {
    try {
      const reason = evaluate(r.because, scope);
      hit.reason = typeof reason === "string" ? reason : JSON.stringify(reason);
    } catch (e) {
      hit.reason = `(the reason could not be evaluated: ${e instanceof AwaitingClassifier ? "it calls a classifier" : errorText(e)})`;
    }
  }
  return hit;
}

/** Marks a hit as failed (it denies), with `what` and the error in its reason. */
export function failed(hit: RuleHit, e: unknown, what: string): RuleHit {
  hit.error = errorText(e);
  hit.reason = `${what} (${hit.error}); the call is denied`;
  return hit;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
