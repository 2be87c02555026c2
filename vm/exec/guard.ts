// Policy hooks at the effect boundaries (vm/policy/engine.ts decides; this module enforces): deny
// fails the call, approve suspends it until answered (await.ts), transform and redact rewrite the
// value passing the hook. Classifier prompts the rules ask for are journaled prompt calls made
// before deciding. Every decision goes to the audit log. `guarded` is the only way a call passes a hook.
import { Effect } from "effect";
import { approved, auditRecords, denialMessage } from "../policy/audit.js";
import { evaluatePolicies, hookName, type ClassifierAnswer, type Decision, type PolicyCall } from "../policy/engine.js";
import { redact } from "../policy/redact.js";
import { approvalKey, classifyKey, modelHookKey, underClassifier } from "../keys.js";
import type { ChatMessage, Json } from "../types.js";
import { VmFailure } from "../types.js";
import { awaitAnswer } from "./await.js";
import { audit } from "./effect.js";
import type { Exec, Stop } from "./types.js";

/** A call at a hook, as the policy engine sees it but for the principal (the run's, added here). */
export type GuardedCall = Omit<PolicyCall, "principal">;

/**
 * Policies at a hook: deny fails, approve suspends until answered, transform then redact rewrite
 * the value passing the hook. Classifier calls the rules need are made first (`classify`). Every
 * decision is recorded in the audit log.
 */
export function guarded(ex: Exec, call: GuardedCall, key: string): Effect.Effect<Json, Stop> {
  const cx = ex.cx;
  const value = call.subject !== undefined ? call.subject : call.phase === "after" ? (call.output ?? null) : call.input;
  if (!ex.hasPolicies) return Effect.succeed(value);
  const pc: PolicyCall = { phase: call.phase, target: call.target, name: call.name, tags: call.tags, input: call.input, output: call.output ?? null, principal: cx.principal, subject: value };
  // A classifier's own model call (its key holds a `/classify:` segment) is not classified again.
  const opts = { classified: new Map<string, ClassifierAnswer>(), skipClassifiers: underClassifier(key) };
  const first = evaluatePolicies(cx.plan, pc, opts);
  const decided = first.pending.length ? classify(ex, first, pc, opts, key) : Effect.succeed(first);
  return Effect.flatMap(decided, (d) => enforce(ex, d, call, key));
}

/** What a decision does to the call: fail it, wait for an approval, or let the (rewritten) value through. */
function enforce(ex: Exec, d: Decision, call: GuardedCall, key: string): Effect.Effect<Json, Stop> {
  const cx = ex.cx;
  const record = (reasonSuffix?: string, redacted?: { path: string; kind: string }[]) =>
    audit(ex, auditRecords(d, call, { runId: cx.runId, step: key, principal: cx.principal, at: cx.now(), ...(redacted ? { redacted } : {}), ...(reasonSuffix ? { reasonSuffix } : {}) }));
  // What goes through: the transformed value (d.value), then redacted, so a transform cannot bring PII back.
  const pass = (reasonSuffix?: string): Json => {
    const r = redact(d.value, d.redact);
    record(reasonSuffix, r.redacted);
    return r.value;
  };
  if (d.outcome === "deny") {
    record();
    return Effect.fail(new VmFailure({ kind: "policy", retryable: false, step: key, message: denialMessage(d, call) }));
  }
  if (d.outcome === "approve") {
    const akey = approvalKey(key);
    if (!cx.journal.outcome(akey)) record("waiting for approval");
    return awaitAnswer(cx, "approval", d.reason ?? `${hookName(call)} ${call.name} needs approval (${d.rules.join(", ")})`, akey, d.rules[0]!, null).pipe(
      Effect.flatMap((answer) => {
        if (approved(answer)) return Effect.succeed(pass("approved"));
        audit(ex, auditRecords({ ...d, outcome: "deny", redactions: [], transforms: [] }, call, { runId: cx.runId, step: key, principal: cx.principal, at: cx.now(), reasonSuffix: "not approved" }));
        return Effect.fail(new VmFailure({ kind: "policy", retryable: false, step: key, message: `${hookName(call)} ${call.name} was not approved (${d.rules.join(", ")})` }));
      }),
    );
  }
  return Effect.succeed(pass());
}

/**
 * The classifier calls a decision waits for, then the decision again (until none is missing).
 * Each is a prompt call through `call()` — mocks, the journal, `modelCall` with its retries,
 * fallbacks, costs and model hooks — keyed `HOOK_KEY/RULE_ID/classify:PROMPT` (`#n` for the same
 * rule and prompt with other arguments). The calls one evaluation asks for run in parallel. A call
 * that fails answers `{ error }`: its rule denies.
 */
function classify(ex: Exec, first: Decision, call: PolicyCall, opts: { classified: Map<string, ClassifierAnswer>; skipClassifiers: boolean }, key: string): Effect.Effect<Decision, Stop> {
  return Effect.gen(function* () {
    let d = first;
    const named = new Map<string, number>();
    while (d.pending.length) {
      // Keys first, in the order the engine listed the calls (deterministic); then the calls, in parallel.
      const calls = d.pending.map((p) => {
        const base = classifyKey(key, p.rule, p.prompt);
        const n = named.get(base) ?? 0;
        named.set(base, n + 1);
        return { p, ckey: classifyKey(key, p.rule, p.prompt, n) };
      });
      const answers = yield* Effect.forEach(
        calls,
        ({ p, ckey }) =>
          ex.call({ kind: "prompt", name: p.prompt }, p.args as Record<string, Json>, ckey, p.rule, "").pipe(
            Effect.map((r): ClassifierAnswer => ({ value: r.value })),
            Effect.catch((e: Stop) => (e instanceof VmFailure ? Effect.succeed<ClassifierAnswer>({ error: `${e.info.kind}: ${e.info.message}` }) : Effect.fail(e))),
          ),
        { concurrency: "unbounded" },
      );
      calls.forEach(({ p }, i) => opts.classified.set(p.key, answers[i]!));
      d = evaluatePolicies(ex.cx.plan, call, opts);
    }
    return d;
  });
}

/**
 * The policy hooks of one model call. `before model` sees `{ model, caller, text, messages }` and
 * may redact the messages sent; `after model` sees `{ text, value }` and may redact the output.
 */
export function modelHooks(ex: Exec, caller: string, model: string, key: string, messages: ChatMessage[], run: (messages: ChatMessage[]) => Effect.Effect<Json, Stop>): Effect.Effect<Json, Stop> {
  if (!ex.hasPolicies) return run(messages);
  const hkey = modelHookKey(key, model);
  return Effect.gen(function* () {
    const input = { model, caller, text: messages.map((m) => m.content).join("\n\n"), messages: messages as unknown as Json };
    const sent = (yield* guarded(ex, { phase: "before", target: "model", name: model, tags: [], input, subject: { messages: input.messages } }, hkey)) as unknown as { messages: ChatMessage[] };
    const res = (yield* run(sent.messages)) as Record<string, Json>;
    const out = res["output"] ?? null;
    // An agent turn also carries the raw `text` (what goes back into the conversation): redacted alike.
    const raw = typeof res["text"] === "string" ? res["text"] : undefined;
    const output = { text: raw ?? (typeof out === "string" ? out : JSON.stringify(out)), value: out };
    const subject: Json = raw === undefined ? out : { output: out, text: raw };
    const value = yield* guarded(ex, { phase: "after", target: "model", name: model, tags: [], input, output, subject }, hkey);
    if (value === subject) return res;
    return (raw === undefined ? { ...res, output: value } : { ...res, ...(value as Record<string, Json>) }) as Json;
  });
}
