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
import type { JsonSchema, Plan } from "../../compiler/plan/index.js";
import { deepEqual, describeValue, evaluate, getKey, isRecord, setKey, type JsonRecord, type Scope } from "../expr.js";
import { policyIntrinsic } from "./filters.js";
import { requestHash } from "../journal.js";
import { expandKinds, type PiiKind } from "./pii.js";
import { childPath, cmp } from "./redact.js";
import { coerce, validate } from "../schema.js";
import type { Json } from "../types.js";

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

function hookApplies(h: Hook, call: PolicyCall): boolean {
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

/** Thrown (and caught here) when a rule needs a classifier answer that is not there yet. */
class AwaitingClassifier {}

/** The value passed on by a hook when the caller gives no subject. */
function subjectOf(call: PolicyCall): Json {
  return call.subject !== undefined ? call.subject : call.phase === "after" ? (call.output ?? null) : call.input;
}

/**
 * Evaluates every policy at one hook. Never throws. A rule calling a classifier whose answer is
 * not in `opts.classified` makes the decision wait: `pending` lists the calls to make (unless a
 * rule without one already denies), and the caller evaluates again with their answers.
 */
export function evaluatePolicies(plan: Plan, call: PolicyCall, opts: EvaluateOptions = {}): Decision {
  const pending = new Map<string, ClassifierCall>();
  const base = policyScope(call);
  const scopes = new Map<Rule, Scope>();
  /** A rule's scope: with its classifiers when it has some (answers from `opts.classified`, else pending). */
  const scopeOf = (r: Rule, s: PolicyCall = call): Scope => {
    if (!r.classifiers?.length) return s === call ? base : policyScope(s);
    const make = () =>
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
    if (s !== call) return make();
    let sc = scopes.get(r);
    if (!sc) scopes.set(r, (sc = make()));
    return sc;
  };
  const matched: RuleHit[] = [];
  const applied = new Set<string>();
  const transforms: { hit: RuleHit; rule: Rule }[] = [];
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
  const subject = subjectOf(call);
  const decide = (): Decision => {
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
      value: subject,
      matched,
      applied: [...applied].sort(cmp),
      // A rule without a classifier that denies decides: the classifiers need not be asked.
      pending: denies.length ? [] : [...pending.values()],
    };
    if (deciding.length) {
      d.policy = deciding[0]!.policy;
      const reason = deciding.find((x) => x.reason)?.reason;
      if (reason !== undefined) d.reason = reason;
    }
    return d;
  };
  const first = decide();
  if (first.outcome === "deny" || waiting || !transforms.length) return first;
  // The call goes through: every matching transform is computed against the original value. A
  // transform that fails (its value, a conflict, a misfit) denies, so the decision is made again.
  const writes = transformWrites(call, subject, transforms, scopeOf);
  if (matched.some((m) => m.error !== undefined)) return decide();
  if (writes === PENDING) return { ...first, pending: [...pending.values()] };
  const value = applyTransforms(plan, call, subject, writes);
  return matched.some((m) => m.error !== undefined) ? decide() : { ...first, value };
}

const PENDING = Symbol("pending");

function evalRule(policy: string, r: Rule, scope: Scope): RuleHit | undefined | typeof PENDING {
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
function failed(hit: RuleHit, e: unknown, what: string): RuleHit {
  hit.error = errorText(e);
  hit.reason = `${what} (${hit.error}); the call is denied`;
  return hit;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------- transforms

type Key = string | number;
/** One write of a transform: the value at `path` (from the subject's root) becomes `value`. */
interface Write {
  hit: RuleHit;
  path: Key[];
  value: Json;
}

/**
 * The writes of the matching transforms, each computed against the original value. A value that
 * cannot be evaluated fails its rule (deny). Model hooks rewrite text: `input.text` is evaluated
 * once per message sent, `output.text` once per string of the answer, with that text bound.
 */
function transformWrites(call: PolicyCall, subject: Json, transforms: { hit: RuleHit; rule: Rule }[], scopeOf: (r: Rule, s?: PolicyCall) => Scope): Write[] | typeof PENDING {
  const writes: Write[] = [];
  let waiting = false;
  for (const { hit, rule } of transforms) {
    const at = (path: Key[], s: PolicyCall) => {
      try {
        writes.push({ hit, path, value: evaluate(rule.value ?? { k: "lit", v: null }, scopeOf(rule, s)) });
        return true;
      } catch (e) {
        if (e instanceof AwaitingClassifier) waiting = true;
        else failed(hit, e, `the value of transform rule ${rule.id} could not be evaluated`);
        return false;
      }
    };
    if (call.target === "model") {
      for (const [path, text] of textsOf(call, subject)) {
        const s: PolicyCall = call.phase === "before" ? { ...call, input: { ...(call.input as JsonRecord), text } } : { ...call, output: { ...(isRecord(call.output) ? call.output : {}), text } };
        if (!at(path, s)) break;
      }
    } else at((rule.path ?? []).slice(1), call);
  }
  return waiting ? PENDING : writes;
}

/** The texts a model hook's transforms rewrite, with their paths: each message's content, or each string of the answer. */
function textsOf(call: PolicyCall, subject: Json): [Key[], string][] {
  const out: [Key[], string][] = [];
  if (call.phase === "before") {
    const ms = isRecord(subject) && Array.isArray(subject["messages"]) ? subject["messages"] : [];
    ms.forEach((m, i) => {
      if (isRecord(m) && typeof m["content"] === "string") out.push([["messages", i, "content"], m["content"]]);
    });
    return out;
  }
  const walk = (v: Json, path: Key[]) => {
    if (typeof v === "string") out.push([path, v]);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (isRecord(v)) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(subject, []);
  return out;
}

/**
 * Applies the writes to the subject. Order-independent by construction: two writes of different
 * rules to the same path, or to a path and a field inside it, must agree, else both rules deny.
 * A write through a value that is not a record (a null field) fails its rule, and so does a result
 * that no longer fits the callee's declared type.
 */
function applyTransforms(plan: Plan, call: PolicyCall, subject: Json, writes: Write[]): Json {
  const live = writes.filter((w) => w.hit.error === undefined);
  for (const a of live) {
    for (const b of live) {
      if (a.hit === b.hit || a.path.length > b.path.length || !a.path.every((k, i) => k === b.path[i])) continue;
      if (a.path.length === b.path.length && cmp(a.hit.rule, b.hit.rule) > 0) continue; // each equal pair once
      const inner = getIn(a.value, b.path.slice(a.path.length));
      if (inner !== undefined && deepEqual(inner, b.value)) continue;
      for (const x of [a.hit, b.hit]) {
        if (x.error !== undefined) continue;
        x.error = "conflicting transforms";
        x.reason = `transform rules ${a.hit.rule} and ${b.hit.rule} write ${pathText(b.path, rootOf(call))} differently; the call is denied`;
      }
    }
  }
  if (live.some((w) => w.hit.error !== undefined)) return subject;
  let value = subject;
  const changed = new Map<RuleHit, Set<string>>();
  for (const w of [...live].sort((a, b) => a.path.length - b.path.length)) {
    const before = getIn(value, w.path);
    if (before !== undefined && deepEqual(before, w.value)) {
      if (!changed.has(w.hit)) changed.set(w.hit, new Set());
      continue;
    }
    try {
      value = setIn(value, w.path, w.value, rootOf(call));
    } catch (e) {
      failed(w.hit, e, `transform rule ${w.hit.rule} cannot write ${pathText(w.path, rootOf(call))}`);
      return subject;
    }
    const paths = changed.get(w.hit) ?? new Set<string>();
    paths.add(pathText(w.path, "$"));
    changed.set(w.hit, paths);
  }
  for (const w of live) w.hit.changed = [...(changed.get(w.hit) ?? [])].sort(cmp);
  if (value === subject) return subject;
  const problem = misfit(plan, call, value);
  if (problem) {
    for (const w of live) if (w.hit.changed?.length) failed(w.hit, new Error(problem), `the value transformed by rule ${w.hit.rule} does not fit its type`);
    return subject;
  }
  return value;
}

/** Why a transformed value does not fit the declared type of what passes the hook (undefined: it fits). */
function misfit(plan: Plan, call: PolicyCall, value: Json): string | undefined {
  let schema: JsonSchema | undefined;
  let v = value;
  if (call.target === "tool") {
    const t = plan.tools[call.name];
    schema = call.phase === "before" ? t?.params : t?.returns;
    if (schema && call.phase === "before") v = coerce(schema, value);
  } else if (call.target === "agent") {
    const a = plan.agents[call.name];
    schema = call.phase === "before" ? a?.params : a?.returns;
  } else if (call.target === "output") schema = plan.graphs[call.name]?.returns;
  else if (call.phase === "after" && isRecord(call.input) && typeof call.input["caller"] === "string") {
    // A prompt's answer. (An agent turn is not checked here: the loop read it against the agent's type before the hook.)
    schema = plan.prompts[call.input["caller"]]?.returns;
  }
  if (!schema) return undefined;
  const r = validate(schema, v);
  return r.ok ? undefined : r.errors.join("; ");
}

/** The name of the subject in messages: `input` before the call, `output` after it. */
function rootOf(call: PolicyCall): string {
  return call.phase === "before" ? "input" : "output";
}

function pathText(path: Key[], root: string): string {
  return path.reduce<string>((p, k) => (typeof k === "number" ? `${p}[${k}]` : childPath(p, k)), root);
}

function getIn(v: Json, path: Key[]): Json | undefined {
  let cur: Json | undefined = v;
  for (const k of path) {
    if (typeof k === "number") cur = Array.isArray(cur) ? cur[k] : undefined;
    else cur = isRecord(cur) ? getKey(cur, k) : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** A copy of `v` with the value at `path` replaced (containers along the path are copied, never changed). */
function setIn(v: Json, path: Key[], value: Json, root: string): Json {
  if (!path.length) return value;
  const [k, ...rest] = path;
  if (typeof k === "number") {
    if (!Array.isArray(v) || k >= v.length) throw new Error(`${root} has no item ${k}`);
    const out = [...v];
    out[k] = setIn(v[k]!, rest, value, `${root}[${k}]`);
    return out;
  }
  if (!isRecord(v)) throw new Error(`${root} is ${describeValue(v)}, not a record`);
  const out: JsonRecord = {};
  for (const [key, x] of Object.entries(v)) setKey(out, key, x);
  const child = rest.length ? (getKey(v, k!) ?? null) : null;
  setKey(out, k!, setIn(child, rest, value, childPath(root, k!)));
  return out;
}
