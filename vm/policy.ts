// The policy engine: decisions at effect boundaries (docs/policies.md).
//
// Semantics (Cedar-like):
// - Total: every rule of every hook that applies to a call is evaluated; a rule whose condition
//   cannot be evaluated (a failed expression, an invalid regex, a non-bool value) denies the call,
//   naming that rule ("fail closed"); evaluation itself never throws.
// - Order-independent: the outcome depends only on the set of rules that matched: any deny wins;
//   otherwise an allow lets the call through without approval; otherwise an approve suspends the
//   run for a human; with no matching rule the call is allowed. Redactions apply on top of an
//   allowed or approved call. Matched rules are listed sorted by policy and rule id, whatever
//   order the sources declare them in.
// - Explained: a decision names the rules that determined it; `auditRecords` turns it into
//   append-only audit records (one per deciding rule, one per redaction rule, or one "no rule
//   matched" allow per policy whose hook applied).
import type { Plan } from "../compiler/plan/index.js";
import { evaluate, isRecord, type Scope } from "./expr.js";
import { policyIntrinsic } from "./filters.js";
import { expandKinds, findPii, type PiiKind } from "./pii.js";
import type { AuditRecord, Json } from "./types.js";

export type HookTarget = "model" | "tool" | "agent" | "output";
type Hook = Plan["policies"][string]["hooks"][number];
type Rule = Hook["rules"][number];

export interface PolicyCall {
  phase: "before" | "after";
  target: HookTarget;
  /** The declaration called (tool, model, agent or graph name). */
  name: string;
  tags: string[];
  input: Json;
  output?: Json;
  principal: Json;
}

/** One rule that matched (or failed to evaluate, which counts as a deny). */
export interface RuleHit {
  policy: string;
  rule: string;
  action: Rule["action"];
  kinds: string[];
  reason?: string;
  /** Set when the condition could not be evaluated: the rule then denies. */
  error?: string;
}

export interface Decision {
  outcome: "allow" | "deny" | "approve";
  /** Ids of the rules that determined the outcome (empty: no rule matched, allowed by default). */
  rules: string[];
  /** The policy of the first deciding rule. */
  policy?: string;
  reason?: string;
  /** PII kinds to redact from the value passing the hook (expanded: never "pii"). */
  redact: PiiKind[];
  /** The deciding rules, then the redaction rules (when the call goes through). */
  deciding: RuleHit[];
  redactions: RuleHit[];
  /** Every rule that matched, sorted by policy and rule id. */
  matched: RuleHit[];
  /** Policies with at least one hook that applied to the call, sorted. */
  applied: string[];
}

/** The hook's name in audit records and messages: "before tool", "after output", ... */
export function hookName(call: Pick<PolicyCall, "phase" | "target">): string {
  return `${call.phase} ${call.target}`;
}

function hookApplies(h: Hook, call: PolicyCall): boolean {
  if (h.phase !== call.phase || h.target !== call.target) return false;
  if (!h.selector) return true;
  if ("name" in h.selector) return h.selector.name === call.name;
  const tag = h.selector.tag;
  return call.tags.some((t) => t === tag || t.startsWith(tag + "."));
}

/** The names a rule's condition sees, and the policy intrinsics (contains_pii, matches, contains_any). */
export function policyScope(call: PolicyCall): Scope {
  const names: Record<string, Json> = {
    input: call.input,
    output: call.output ?? null,
    principal: call.principal,
    tool: { name: call.name, tags: call.tags },
  };
  return { get: (n) => (Object.hasOwn(names, n) ? names[n] : undefined), call: policyIntrinsic };
}

const PRECEDENCE = { deny: 0, allow: 1, approve: 2 } as const;

/** Evaluates every policy at one hook. Never throws. */
export function evaluatePolicies(plan: Plan, call: PolicyCall): Decision {
  const scope = policyScope(call);
  const matched: RuleHit[] = [];
  const applied = new Set<string>();
  for (const [policy, p] of Object.entries(plan.policies)) {
    for (const h of p.hooks) {
      if (!hookApplies(h, call)) continue;
      applied.add(policy);
      for (const r of h.rules) {
        const hit = evalRule(policy, r, scope);
        if (hit) matched.push(hit);
      }
    }
  }
  matched.sort((a, b) => cmp(a.policy, b.policy) || cmp(a.rule, b.rule));
  const denies = matched.filter((m) => m.action === "deny" || m.error !== undefined);
  const allows = matched.filter((m) => m.action === "allow" && m.error === undefined);
  const approves = matched.filter((m) => m.action === "approve" && m.error === undefined);
  const deciding = denies.length ? denies : allows.length ? allows : approves;
  const outcome: Decision["outcome"] = denies.length ? "deny" : allows.length ? "allow" : approves.length ? "approve" : "allow";
  const redactions = outcome === "deny" ? [] : matched.filter((m) => m.action === "redact" && m.error === undefined);
  const d: Decision = {
    outcome,
    rules: deciding.map((x) => x.rule),
    redact: expandKinds(redactions.flatMap((r) => r.kinds)),
    deciding,
    redactions,
    matched,
    applied: [...applied].sort(cmp),
  };
  if (deciding.length) {
    d.policy = deciding[0]!.policy;
    const reason = deciding.find((x) => x.reason)?.reason;
    if (reason !== undefined) d.reason = reason;
  }
  return d;
}

function evalRule(policy: string, r: Rule, scope: Scope): RuleHit | undefined {
  const hit: RuleHit = { policy, rule: r.id, action: r.action, kinds: r.kinds };
  if (r.when) {
    let v: Json;
    try {
      v = evaluate(r.when, scope);
    } catch (e) {
      hit.error = e instanceof Error ? e.message : String(e);
      hit.reason = `the condition of rule ${r.id} could not be evaluated (${hit.error}); the call is denied`;
      return hit;
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
      hit.reason = `(the reason could not be evaluated: ${e instanceof Error ? e.message : String(e)})`;
    }
  }
  return hit;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------- redaction

export interface Redacted {
  value: Json;
  /** The JSON paths redacted, with the PII kind found there (sorted, each pair once). */
  redacted: { path: string; kind: string }[];
}

/**
 * Replaces PII of the given kinds (`pii` = all) in every string of a value by `[REDACTED:kind]`.
 * Numbers that are PII (a card number sent as a JSON number) become the marker string. Record keys
 * are not rewritten. `root` prefixes the paths.
 */
export function redact(value: Json, kinds: readonly string[], root = "$"): Redacted {
  const ks = expandKinds(kinds);
  const redacted: { path: string; kind: string }[] = [];
  if (!ks.length) return { value, redacted };
  const str = (s: string, path: string): string => {
    const found = findPii(s, ks);
    if (!found.length) return s;
    let out = "";
    let at = 0;
    for (const m of found) {
      out += s.slice(at, m.start) + `[REDACTED:${m.kind}]`;
      at = m.end;
      if (!redacted.some((r) => r.path === path && r.kind === m.kind)) redacted.push({ path, kind: m.kind });
    }
    return out + s.slice(at);
  };
  const walk = (v: Json, path: string): Json => {
    if (typeof v === "string") return str(v, path);
    if (typeof v === "number" && Number.isInteger(v) && Math.abs(v) >= 1e7) {
      const s = String(v);
      const r = str(s, path);
      return r === s ? v : r;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`));
    if (isRecord(v)) {
      const out: Record<string, Json> = {};
      for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: walk(x, childPath(path, k)), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };
  const out = walk(value, root);
  redacted.sort((a, b) => cmp(a.path, b.path) || cmp(a.kind, b.kind));
  return { value: out, redacted };
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

// ---------------------------------------------------------------- audit

export interface AuditContext {
  runId: string;
  /** The journal key of the call. */
  step: string;
  principal: Json;
  at: number;
  /** What the redaction of this hook replaced (for the redaction rules' records). */
  redacted?: { path: string; kind: string }[];
  /** Appended to the deciding rules' reasons, e.g. "waiting for approval", "approved", "not approved". */
  reasonSuffix?: string;
}

/** The audit records of one decision: every decision leaves at least one record. */
export function auditRecords(d: Decision, call: Pick<PolicyCall, "phase" | "target" | "name">, cx: AuditContext): AuditRecord[] {
  const base = { runId: cx.runId, step: cx.step, principal: cx.principal, kind: "policy" as const, hook: hookName(call), target: call.name, at: cx.at };
  const out: AuditRecord[] = [];
  const suffix = cx.reasonSuffix ? ` (${cx.reasonSuffix})` : "";
  for (const r of d.deciding) {
    const rec: AuditRecord = { ...base, policy: r.policy, rule: r.rule, outcome: d.outcome };
    const reason = r.reason ?? (d.outcome === "approve" ? "needs approval" : undefined);
    if (reason !== undefined || suffix) rec.reason = `${reason ?? d.outcome}${suffix}`;
    out.push(rec);
  }
  for (const r of d.redactions) {
    const kinds = new Set<string>(expandKinds(r.kinds));
    const rec: AuditRecord = { ...base, policy: r.policy, rule: r.rule, outcome: "redact", redacted: (cx.redacted ?? []).filter((x) => kinds.has(x.kind)) };
    if (r.reason !== undefined) rec.reason = r.reason;
    out.push(rec);
  }
  if (!out.length) for (const p of d.applied) out.push({ ...base, policy: p, rule: null, outcome: "allow", reason: "no rule matched" });
  return out;
}

/** A one-line description of a denial, naming the rules. */
export function denialMessage(d: Decision, call: Pick<PolicyCall, "phase" | "target" | "name">): string {
  return `${hookName(call)} ${call.name}: denied by ${d.policy} (${d.rules.join(", ")})${d.reason ? `: ${d.reason}` : ""}`;
}

/** Whether a value answers an approval positively: `true` or `{ approved: true }`. */
export function approved(answer: Json): boolean {
  return answer === true || (isRecord(answer) && answer["approved"] === true);
}
