// The audit records of policy decisions: one per deciding rule, one per transform and redaction
// rule, or one "no rule matched" allow per policy whose hook applied — every decision leaves at
// least one. Also the one-line denial message and what counts as an approval.
import { isRecord } from "../expr.js";
import type { AuditRecord, Json } from "../types.js";
import { hookName, type Decision, type PolicyCall } from "./engine.js";
import { expandKinds } from "./pii.js";

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
  for (const r of d.transforms) {
    // The paths a transform changed (never the values), in the field redactions use.
    const rec: AuditRecord = { ...base, policy: r.policy, rule: r.rule, outcome: "transform", redacted: (r.changed ?? []).map((path) => ({ path, kind: "transform" })) };
    if (r.reason !== undefined) rec.reason = r.reason;
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
