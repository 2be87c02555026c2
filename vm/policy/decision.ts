// What the policy engine decides (engine.ts): the call a hook sees, the rules that matched, and the
// decision made from them — any deny wins, then allow, then approve; no matching rule allows.
import type { Plan } from "../../compiler/plan/index.js";
import type { Json } from "../types.js";
import { expandKinds, type PiiKind } from "./pii.js";
import { cmp } from "./redact.js";

export type HookTarget = "model" | "tool" | "agent" | "output";
export type Hook = Plan["policies"][string]["hooks"][number];
export type Rule = Hook["rules"][number];

export interface PolicyCall {
  phase: "before" | "after";
  target: HookTarget;
  /** The declaration called (tool, model, agent or graph name). */
  name: string;
  tags: string[];
  input: Json;
  output?: Json;
  principal: Json;
  /**
   * The value the hook passes on, which transforms and redactions rewrite (default: `input` before
   * the call, `output` after it). Model hooks: `{ messages }` before; after, the answer (a prompt)
   * or `{ output, text }` (an agent turn).
   */
  subject?: Json;
}

/** The answer of a classifier call: the prompt's value, or why the call failed. */
export type ClassifierAnswer = { value: Json } | { error: string };

/** A classifier call a decision waits for (the interpreter makes it, then evaluates again). */
export interface ClassifierCall {
  /** The memo key: the prompt and its arguments (equal calls within one hook are made once). */
  key: string;
  prompt: string;
  /** The named arguments, a record. */
  args: Json;
  /** The first rule (in plan order) that needs it: the call's journal key derives from it. */
  rule: string;
}

export interface EvaluateOptions {
  /** The answers of the classifier calls made so far for this hook, by `ClassifierCall.key`. */
  classified?: ReadonlyMap<string, ClassifierAnswer>;
  /** Rules that call a classifier are not applied (the hook runs for a classifier's own model call). */
  skipClassifiers?: boolean;
}

/** One rule that matched (or failed to evaluate, which counts as a deny). */
export interface RuleHit {
  policy: string;
  rule: string;
  action: Rule["action"];
  kinds: string[];
  reason?: string;
  /** Set when the condition (or a transform's value) could not be evaluated: the rule then denies. */
  error?: string;
  /** For an applied `transform`: the JSON paths it changed (`$.q`, `$.messages[0].content`). */
  changed?: string[];
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
  /** The deciding rules, then the redaction and transform rules (when the call goes through). */
  deciding: RuleHit[];
  redactions: RuleHit[];
  transforms: RuleHit[];
  /** The value the hook passes on after the transforms (redaction still to apply); the subject itself when nothing changed. */
  value: Json;
  /** Every rule that matched, sorted by policy and rule id. */
  matched: RuleHit[];
  /** Policies with at least one hook that applied to the call, sorted. */
  applied: string[];
  /** Classifier calls to make before the decision is final (empty: it is final). */
  pending: ClassifierCall[];
}

/** The hook's name in audit records and messages: "before tool", "after output", ... */
export function hookName(call: Pick<PolicyCall, "phase" | "target">): string {
  return `${call.phase} ${call.target}`;
}

/** What a decision is made from: the rules that matched (sorted here), and what the evaluation saw. */
export interface Hits {
  matched: RuleHit[];
  applied: ReadonlySet<string>;
  /** The classifier calls still to make. */
  pending: ReadonlyMap<string, ClassifierCall>;
  /** The value the hook passes on. */
  subject: Json;
}

/** The decision from the set of matched rules; a rule that failed to evaluate counts as a deny. */
export function decide(h: Hits): Decision {
  const { matched } = h;
  matched.sort((a, b) => cmp(a.policy, b.policy) || cmp(a.rule, b.rule));
  const denies = matched.filter((m) => m.action === "deny" || m.error !== undefined);
  const allows = matched.filter((m) => m.action === "allow" && m.error === undefined);
  const approves = matched.filter((m) => m.action === "approve" && m.error === undefined);
  const deciding = denies.length ? denies : allows.length ? allows : approves;
  const outcome: Decision["outcome"] = denies.length ? "deny" : allows.length ? "allow" : approves.length ? "approve" : "allow";
  const through = (action: Rule["action"]) => (outcome === "deny" ? [] : matched.filter((m) => m.action === action && m.error === undefined));
  const redactions = through("redact");
  const d: Decision = {
    outcome,
    rules: deciding.map((x) => x.rule),
    redact: expandKinds(redactions.flatMap((r) => r.kinds)),
    deciding,
    redactions,
    transforms: through("transform"),
    value: h.subject,
    matched,
    applied: [...h.applied].sort(cmp),
    // A rule without a classifier that denies decides: the classifiers need not be asked.
    pending: denies.length ? [] : [...h.pending.values()],
  };
  if (deciding.length) {
    d.policy = deciding[0]!.policy;
    const reason = deciding.find((x) => x.reason)?.reason;
    if (reason !== undefined) d.reason = reason;
  }
  return d;
}
