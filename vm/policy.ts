// Policy evaluation at effect boundaries (first version; the capability layer grows it).
// Total and order-independent: every matching rule is evaluated, then any deny wins, else an allow
// lets the call through without approval, else an approve suspends for a human; redactions apply
// on top. Every decision names the rules that made it and is recorded as an audit entry.
import type { Plan } from "../compiler/plan/index.js";
import { evaluate } from "./expr.js";
import type { Json } from "./types.js";

export type HookTarget = "model" | "tool" | "agent" | "output";

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

export interface Decision {
  outcome: "allow" | "deny" | "approve";
  /** Rule ids that determined the outcome. */
  rules: string[];
  /** The policy of the first deciding rule. */
  policy?: string;
  reason?: string;
  /** PII kinds to redact (after hooks; `pii` = all). */
  redact: string[];
  /** Every rule that matched, for the audit log. */
  matched: { policy: string; rule: string; action: string }[];
}

export interface AuditRecord {
  runId: string;
  step: string;
  policy: string;
  rule: string;
  outcome: string;
  at: number;
}

function hookApplies(h: Plan["policies"][string]["hooks"][number], call: PolicyCall): boolean {
  if (h.phase !== call.phase || h.target !== call.target) return false;
  if (!h.selector) return true;
  if ("name" in h.selector) return h.selector.name === call.name;
  const tag = h.selector.tag;
  return call.tags.some((t) => t === tag || t.startsWith(tag + "."));
}

export function evaluatePolicies(plan: Plan, call: PolicyCall): Decision {
  const scope = {
    get: (n: string): Json | undefined =>
      n === "input" ? call.input : n === "output" ? (call.output ?? null) : n === "principal" ? call.principal : n === "tool" ? { name: call.name, tags: call.tags } : undefined,
  };
  const d: Decision = { outcome: "allow", rules: [], redact: [], matched: [] };
  const denies: { policy: string; rule: string; reason?: string }[] = [];
  const allows: { policy: string; rule: string }[] = [];
  const approves: { policy: string; rule: string; reason?: string }[] = [];
  for (const [policy, p] of Object.entries(plan.policies)) {
    for (const h of p.hooks) {
      if (!hookApplies(h, call)) continue;
      for (const r of h.rules) {
        let hit = true;
        if (r.when) {
          try {
            hit = evaluate(r.when, scope) === true;
          } catch {
            // A condition that cannot be evaluated (a missing field) does not match.
            hit = false;
          }
        }
        if (!hit) continue;
        const reason = r.because ? String(safeEval(r.because, scope) ?? "") : undefined;
        d.matched.push({ policy, rule: r.id, action: r.action });
        if (r.action === "deny") denies.push({ policy, rule: r.id, reason });
        else if (r.action === "allow") allows.push({ policy, rule: r.id });
        else if (r.action === "approve") approves.push({ policy, rule: r.id, reason });
        else d.redact.push(...r.kinds);
      }
    }
  }
  const pick = (xs: { policy: string; rule: string; reason?: string }[], outcome: Decision["outcome"]) => {
    d.outcome = outcome;
    d.rules = xs.map((x) => x.rule);
    d.policy = xs[0]!.policy;
    d.reason = xs.find((x) => x.reason)?.reason;
  };
  if (denies.length) pick(denies, "deny");
  else if (allows.length) pick(allows, "allow");
  else if (approves.length) pick(approves, "approve");
  return d;
}

function safeEval(e: Parameters<typeof evaluate>[0], scope: Parameters<typeof evaluate>[1]): Json | undefined {
  try {
    return evaluate(e, scope);
  } catch {
    return undefined;
  }
}

const PII: Record<string, RegExp> = {
  email: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g,
  card: /\b(?:\d[ -]?){13,19}\b/g,
  iban: /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b/g,
  ssn: /\b\d{3}-\d{2}-\d{4}\b/g,
  ip: /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b/g,
  phone: /(?<![\w-])\+?\d[\d ().-]{7,}\d(?![\w-])/g,
};

function luhn(digits: string): boolean {
  let sum = 0;
  let alt = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let n = digits.charCodeAt(i) - 48;
    if (alt && (n *= 2) > 9) n -= 9;
    sum += n;
    alt = !alt;
  }
  return sum % 10 === 0;
}

/** Replaces PII of the given kinds in every string of a value by `[REDACTED:kind]`. */
export function redact(value: Json, kinds: string[]): Json {
  if (kinds.length === 0) return value;
  const all = kinds.includes("pii") ? Object.keys(PII) : kinds;
  // Order matters: cards and IBANs before phone numbers, which would match their digits.
  const order = ["email", "iban", "card", "ssn", "ip", "phone"].filter((k) => all.includes(k));
  const str = (s: string) =>
    order.reduce(
      (acc, k) => acc.replace(PII[k]!, (m) => (k === "card" && !luhn(m.replace(/[ -]/g, "")) ? m : `[REDACTED:${k}]`)),
      s,
    );
  const walk = (v: Json): Json =>
    typeof v === "string" ? str(v) : Array.isArray(v) ? v.map(walk) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)])) : v;
  return walk(value);
}
