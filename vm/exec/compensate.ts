// Saga compensation: when a graph fails, the undo steps its finished calls and nodes registered run
// in reverse order, each a journaled tool call behind the `before tool` hook (exactly once, also
// across a crash).
import { Effect } from "effect";
import type { JsonSchema } from "../../compiler/plan/index.js";
import { NeedsAttention, type Suspended, failureOf } from "../journal.js";
import { idempotencyKey, undoKey } from "../keys.js";
import { toolArguments } from "../schema.js";
import type { Json } from "../types.js";
import { VmFailure } from "../types.js";
import { count, effect, toolAudit, toolLog } from "./effect.js";
import { guarded } from "./guard.js";
import type { Exec, Stop, Undo } from "./types.js";

/** Runs the undo steps in reverse order, each journaled (exactly once, also across a crash). */
export function compensate(ex: Exec, undo: Undo[]): Effect.Effect<void, NeedsAttention | Suspended> {
  return Effect.gen(function* () {
    for (const u of [...undo].reverse()) yield* undoStep(ex, u);
  });
}

/** One undo step: the hook, then the journaled tool call; a denied or failed one is recorded and skipped. */
function undoStep(ex: Exec, u: Undo): Effect.Effect<void, NeedsAttention | Suspended> {
  const cx = ex.cx;
  return Effect.gen(function* () {
    const tool = cx.plan.tools[u.tool];
    cx.emit({ type: "compensation", runId: cx.runId, key: u.key, tool: u.tool, at: cx.now() });
    // A compensation is a tool call like any other: it passes the before-tool hook. A denied
    // (or not approved) compensation is skipped, recorded in the audit log; the others still run.
    // The hook judges the arguments the tool will receive; arguments that do not fit go on as
    // they are and fail in the provider, a journaled failed compensation.
    const fit = tool ? toolArguments(u.tool, tool.params as JsonSchema, u.args) : undefined;
    const allowed = yield* guarded(ex, { phase: "before", target: "tool", name: u.tool, tags: tool?.tags ?? [], input: fit?.ok ? fit.value : u.args }, undoKey(u.key)).pipe(
      Effect.catch((e: Stop) => (e instanceof VmFailure ? Effect.succeed(undefined) : Effect.fail(e))),
    );
    if (allowed === undefined) return;
    const args = allowed as Record<string, Json>;
    count(ex, u.tool);
    const perform = () =>
      Effect.tryPromise({
        try: (signal) => cx.tools.call({ tool: u.tool, plan: tool!, args, idempotencyKey: idempotencyKey(cx.runId, undoKey(u.key)), log: toolLog(cx, u.tool, undoKey(u.key)) }, signal),
        catch: (e) => (e instanceof VmFailure ? e : new VmFailure(failureOf(e))),
      });
    // A failed compensation is recorded in the journal; the others still run.
    yield* effect(cx, undoKey(u.key), u.key, "compensation", u.tool, { tool: u.tool, args }, tool?.idempotent ?? false, perform).pipe(
      toolAudit(ex, { kind: "tool", name: u.tool }, undoKey(u.key), "compensate"),
      Effect.catch((e: VmFailure | NeedsAttention) => (e instanceof NeedsAttention ? Effect.fail(e) : Effect.void)),
    );
  });
}
