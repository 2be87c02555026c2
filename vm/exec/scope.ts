// Small helpers the execution modules share: the names an expression sees, evaluation as an
// effect, a graph's state fields by name, and the failure inside an `Exit`.
import { Effect, Exit } from "effect";
import type { ExprIR } from "../../compiler/plan/index.js";
import { evaluate, type Scope } from "../expr.js";
import type { Json } from "../types.js";
import { VmFailure } from "../types.js";
import type { Graph, Stop } from "./types.js";

/** Names a graph expression sees: state fields, then parameters, then (in an `on error` handler) `error`. */
export function scopeOf(params: Record<string, Json>, state: Record<string, Json>, error?: Json): Scope {
  return { get: (n) => (n in state ? state[n] : n in params ? params[n] : n === "error" ? error : undefined) };
}

/** Evaluates an expression; a failure is an `expression` failure naming `what`. */
export function tryEval(e: ExprIR, scope: Scope, what: string): Effect.Effect<Json, VmFailure> {
  return Effect.try({
    try: () => evaluate(e, scope),
    catch: (err) => (err instanceof VmFailure ? err : new VmFailure({ kind: "expression", message: `${what}: ${err instanceof Error ? err.message : String(err)}`, retryable: false })),
  });
}

/** The failure an exit failed with (undefined for a success, a defect or an interruption). */
export function errorOf(exit: Exit.Exit<unknown, Stop>): Stop | undefined {
  if (!Exit.isFailure(exit)) return undefined;
  const found = exit.cause.reasons.find((r) => r._tag === "Fail");
  return found && found._tag === "Fail" ? (found.error as Stop) : undefined;
}

const FIELDS = new WeakMap<Graph, Map<string, Graph["state"][number]>>();

/** A graph's state fields by name (computed once per plan graph). */
export function fieldsOf(g: Graph): Map<string, Graph["state"][number]> {
  let m = FIELDS.get(g);
  if (!m) FIELDS.set(g, (m = new Map(g.state.map((f) => [f.name, f]))));
  return m;
}
