// `transform` rules: each matching rule's value is computed against the original value, the writes
// are checked for conflicts (two rules writing one field, or a field and one inside it, differently
// deny both), applied copy-on-write, and the result checked against the callee's declared type.
// A write that cannot be made fails its rule: the engine then decides again (a deny).
import type { JsonSchema, Plan } from "../../compiler/plan/index.js";
import { deepEqual, evaluate, isRecord, type JsonRecord } from "../expr.js";
import { coerce, validate } from "../schema.js";
import type { Json } from "../types.js";
import type { PolicyCall, Rule, RuleHit } from "./decision.js";
import { getIn, isPrefix, pathText, setIn, type Key } from "./json-path.js";
import { cmp } from "./redact.js";
import { AwaitingClassifier, PENDING, failed, type ScopeOf } from "./rules.js";

/** One write of a transform: the value at `path` (from the subject's root) becomes `value`. */
export interface Write {
  hit: RuleHit;
  path: Key[];
  value: Json;
}

export interface Transform {
  hit: RuleHit;
  rule: Rule;
}

/**
 * The writes of the matching transforms, each computed against the original value. A value that
 * cannot be evaluated fails its rule (deny). Model hooks rewrite text: `input.text` is evaluated
 * once per message sent, `output.text` once per string of the answer, with that text bound.
 */
export function transformWrites(call: PolicyCall, subject: Json, transforms: Transform[], scopeOf: ScopeOf): Write[] | typeof PENDING {
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
      for (const [path, text] of textsOf(call, subject)) if (!at(path, withText(call, text))) break;
    } else at((rule.path ?? []).slice(1), call);
  }
  return waiting ? PENDING : writes;
}

/** The call as a model hook's transform sees it for one text: `input.text` before, `output.text` after. */
function withText(call: PolicyCall, text: string): PolicyCall {
  return call.phase === "before" ? { ...call, input: { ...(call.input as JsonRecord), text } } : { ...call, output: { ...(isRecord(call.output) ? call.output : {}), text } };
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
export function applyTransforms(plan: Plan, call: PolicyCall, subject: Json, writes: Write[]): Json {
  const live = writes.filter((w) => w.hit.error === undefined);
  failConflicts(call, live);
  if (live.some((w) => w.hit.error !== undefined)) return subject;
  const value = writeAll(call, subject, live);
  if (value === subject) return subject;
  const problem = misfit(plan, call, value);
  if (problem) {
    for (const w of live) if (w.hit.changed?.length) failed(w.hit, new Error(problem), `the value transformed by rule ${w.hit.rule} does not fit its type`);
    return subject;
  }
  return value;
}

/** Fails both rules of every pair of writes to one path (or a path and one inside it) that disagree. */
function failConflicts(call: PolicyCall, live: Write[]): void {
  for (const a of live) {
    for (const b of live) {
      if (a.hit === b.hit || !isPrefix(a.path, b.path)) continue;
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
}

/** The subject with every write made, outermost first, and each rule's `changed` paths; the subject itself when a write fails. */
function writeAll(call: PolicyCall, subject: Json, live: Write[]): Json {
  let value = subject;
  const changed = new Map<RuleHit, Set<string>>();
  for (const w of [...live].sort((a, b) => a.path.length - b.path.length)) {
    const paths = changed.get(w.hit) ?? new Set<string>();
    changed.set(w.hit, paths);
    const before = getIn(value, w.path);
    if (before !== undefined && deepEqual(before, w.value)) continue;
    try {
      value = setIn(value, w.path, w.value, rootOf(call));
    } catch (e) {
      failed(w.hit, e, `transform rule ${w.hit.rule} cannot write ${pathText(w.path, rootOf(call))}`);
      return subject;
    }
    paths.add(pathText(w.path, "$"));
  }
  for (const w of live) w.hit.changed = [...(changed.get(w.hit) ?? [])].sort(cmp);
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
