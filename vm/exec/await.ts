// Suspension: `await human(...)`, `await event(...)` and policy approvals. The answer comes from the
// journal (a resumed run), from a test's mock, or the run suspends durably at the interrupt's key
// until `resume` writes one (vm/runtime.ts).
import { Effect } from "effect";
import type { JsonSchema } from "../../compiler/plan/index.js";
import { Suspended } from "../journal.js";
import { validate } from "../schema.js";
import type { FailureInfo, Json, PendingInterrupt } from "../types.js";
import { VmFailure } from "../types.js";
import { effect } from "./effect.js";
import type { ExecContext, Stop } from "./types.js";

export type AwaitKind = "human" | "event" | "approval";

/** `await human/event` and approvals: the journal's answer, a mock, or a durable suspension. */
export function awaitAnswer(cx: ExecContext, kind: AwaitKind, reason: string, key: string, step: string, schema: JsonSchema | null, correlation?: string | number): Effect.Effect<Json, Stop> {
  const done = cx.journal.outcome(key);
  const check = (value: Json): Effect.Effect<Json, VmFailure> => {
    if (!schema) return Effect.succeed(value);
    const ok = validate(schema, value);
    return ok.ok ? Effect.succeed(ok.value) : Effect.fail(new VmFailure({ kind: "schema", step: key, retryable: false, message: `the answer to ${kind}("${reason}") does not fit: ${ok.errors.join("; ")}` }));
  };
  if (done) {
    // Served from the journal: `awr replay` counts it as reached.
    cx.journal.replayed.add(key);
    return check(done.value ?? null);
  }
  const mockName = kind === "approval" ? "human" : kind;
  if (cx.mocks?.has(mockName)) {
    return effect(cx, key, step, kind === "event" ? "event" : "human", mockName, { await: kind, reason }, true, () => {
      const m = cx.mocks!.take(mockName);
      if ("fail" in m) return Effect.fail(new VmFailure({ kind: m.fail as FailureInfo["kind"], message: `${mockName} failed (mocked)`, retryable: false }));
      return "value" in m ? Effect.succeed(m.value) : Effect.fail(new VmFailure({ kind: "schema", retryable: false, message: `${mockName} answers with a value, not tool calls` }));
    }).pipe(Effect.flatMap(check));
  }
  // The correlation key is part of the request (and of the pending interrupt) only when there is one:
  // an await without one journals what it always did.
  const request: Record<string, Json> = { await: kind, reason };
  const pending: PendingInterrupt = { id: key, kind, reason, step };
  if (correlation !== undefined) request["key"] = pending.key = correlation;
  return cx.journal.suspendAt(key, step, kind === "event" ? "event" : "human", request).pipe(Effect.andThen(Effect.fail(new Suspended([pending]))));
}
