// Journaled effects and what an execution observes of them: one effect through the journal with its
// `effect.requested` / `effect.completed` events, the audit records of tool calls and policy
// decisions, call counts, and the log lines of js tools.
import { Effect } from "effect";
import type { Plan, ToolImplKind } from "../../compiler/plan/index.js";
import { qualifiedToolName } from "../tools/registry.js";
import type { AuditRecord, EffectKind, FailureInfo, Json, ToolProvider, VmEvent } from "../types.js";
import { VmFailure } from "../types.js";
import type { Exec, ExecContext, Target } from "./types.js";

/** One journaled effect with events. */
export function effect(cx: ExecContext, key: string, step: string, kind: EffectKind, name: string, request: Json, idempotent: boolean, perform: () => Effect.Effect<Json, VmFailure>) {
  let t0 = 0;
  // Model calls carry the model declaration in their request; their outcome is the journaled
  // ModelResponse, so tokens and the cost frozen at call time come back the same on replay.
  const r = request !== null && typeof request === "object" && !Array.isArray(request) ? request : undefined;
  const model = (kind === "prompt" || kind === "agent") && typeof r?.["model"] === "string" ? r["model"] : undefined;
  // MCP tools are namespaced by server: their events carry `server.tool` next to the declared name.
  const qualifiedName = kind === "tool" || kind === "compensation" ? mcpName(cx.plan, name) : undefined;
  let done: { replayed: boolean; ok: boolean; at: number } | undefined;
  const completed = (value: Json | undefined, error: FailureInfo | undefined) => {
    if (!done) return; // the journal stopped before the effect (non-determinism, needs attention)
    const { replayed, ok, at } = done;
    done = undefined;
    const e: VmEvent & { type: "effect.completed" } = { type: "effect.completed", runId: cx.runId, key, kind, name, at, durationMs: at - t0, replayed, ok };
    if (model !== undefined) e.model = model;
    if (qualifiedName !== undefined) e.qualifiedName = qualifiedName;
    const res = model !== undefined && value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
    const usage = res?.["usage"] as { input?: unknown; output?: unknown } | undefined;
    if (usage && typeof usage.input === "number" && typeof usage.output === "number") e.tokens = { input: usage.input, output: usage.output };
    if (typeof res?.["costUsd"] === "number") e.costUsd = res["costUsd"];
    if (error) e.error = error;
    if (cx.captureContent && ok) e.response = res && "output" in res ? (res["output"] ?? null) : (value ?? null);
    cx.emit(e);
  };
  return cx.journal
    .run(
      { key, step, kind, name, request, idempotent, perform },
      {
        requested: (replayed) => {
          t0 = cx.now();
          cx.emit({ type: "effect.requested", runId: cx.runId, key, kind, name, at: t0, replayed, ...(model === undefined ? {} : { model }), ...(qualifiedName === undefined ? {} : { qualifiedName }), ...(cx.captureContent ? { request } : {}) });
        },
        completed: (replayed, ok) => {
          done = { replayed, ok, at: cx.now() };
        },
      },
    )
    .pipe(
      Effect.tap((value) => Effect.sync(() => completed(value, undefined))),
      Effect.tapError((e) => Effect.sync(() => completed(undefined, e instanceof VmFailure ? e.info : undefined))),
    );
}

/** `tool.log` events: a js tool's console output, already redacted by the tool provider. */
export function toolLog(cx: ExecContext, tool: string, key: string): Parameters<ToolProvider["call"]>[0]["log"] {
  return ({ stream, text }) => cx.emit({ type: "tool.log", runId: cx.runId, key, tool, stream, text, at: cx.now() });
}

/** Counts a call for `calls(NAME)` in tests. */
export function count(ex: Exec, name: string): void {
  ex.observed.calls.set(name, (ex.observed.calls.get(name) ?? 0) + 1);
}

/** A tool call's audit record (`kind: "tool"`, outcome ok | failed), for tools only. */
export function toolAudit(ex: Exec, target: Target, key: string, hook = "call") {
  return <A, E>(eff: Effect.Effect<A, E>): Effect.Effect<A, E> => {
    if (target.kind !== "tool") return eff;
    const cx = ex.cx;
    // An MCP tool's record names its server-qualified name: reason `mcp server.tool` (a failure: `mcp server.tool: kind: message`).
    const mcp = mcpName(cx.plan, target.name);
    const rec = (outcome: string, reason?: string): AuditRecord => ({
      runId: cx.runId, step: key, principal: cx.principal, kind: "tool", hook, target: target.name, policy: null, rule: null, outcome, at: cx.now(), ...(reason ? { reason } : {}),
    });
    const via = (detail?: string) => (mcp ? `mcp ${mcp}${detail ? `: ${detail}` : ""}` : detail);
    return eff.pipe(
      Effect.tap(() => Effect.sync(() => audit(ex, [rec("ok", via())]))),
      Effect.tapError((e) => Effect.sync(() => e instanceof VmFailure && audit(ex, [rec("failed", via(`${e.info.kind}: ${e.info.message}`))]))),
    );
  };
}

/** Appends audit records (policy decisions and tool calls) to what this execution observed, and hands them to the journal (stored with its next commit). */
export function audit(ex: Exec, records: AuditRecord[]): void {
  ex.observed.audit.push(...records);
  const { cx } = ex;
  for (const r of records) {
    cx.journal.audit(r);
    // Policy decisions are also events (spans and metrics); tool calls already have theirs. A
    // decision about a call the journal already finished is a replay's (resume, recovery):
    // before-hooks run ahead of the outcome, after-hooks see it served from the journal.
    if (r.kind === "policy" && r.policy !== null) {
      const j = cx.journal;
      const replayed = r.hook.startsWith("before") ? j.outcome(r.step) !== undefined : j.replayed.has(r.step);
      cx.emit({ type: "policy", runId: r.runId, key: r.step, hook: r.hook, target: r.target, policy: r.policy, rule: r.rule, outcome: r.outcome, at: r.at, replayed });
    }
  }
}

/** Which tool kinds name a remote tool that events and audit records show beside the declared name. */
const SERVER_QUALIFIED: Record<ToolImplKind, boolean> = { js: false, http: false, mcp: true, builtin: false };

/** `server.tool` for a tool implemented by an MCP server (events and audit records name both); undefined for other tools. */
export function mcpName(plan: Plan, tool: string): string | undefined {
  const t = plan.tools[tool];
  return t?.impl && SERVER_QUALIFIED[t.impl.kind] ? qualifiedToolName(tool, t) : undefined;
}
