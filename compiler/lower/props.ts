// Property values shared by several declarations: retry policies, durations, rates, compensation.

import type { CallExpr, Expr, Property } from "../syntax/ast.js";
import { defaultRetry } from "../plan/format.js";
import type { Backoff, Compensate, Retry } from "../plan/types.js";
import { constBool, constNumber, constValue } from "./const.js";
import type { LowerCtx } from "./context.js";
import { argsToIR, calleeName, type Locals } from "./expr.js";

export function propMap(props: Property[]): Map<string, Expr> {
  const m = new Map<string, Expr>();
  for (const p of props) if (p.key.name && !m.has(p.key.name)) m.set(p.key.name, p.value);
  return m;
}

/** A duration in ms: `30s`, or a plain number read as milliseconds. */
export function durationMs(e: Expr | undefined): number | null {
  const v = constNumber(e);
  return v === undefined ? null : Math.max(0, Math.round(v));
}

export function nonNegInt(e: Expr | undefined): number | null {
  const v = constNumber(e);
  return v === undefined ? null : Math.max(0, Math.trunc(v));
}

/** `retry: 3` or `retry { max: 3, backoff: exponential(500ms, 8s), jitter: false }`. */
export function retryOf(e: Expr | undefined): Retry {
  if (!e) return defaultRetry();
  if (e.kind !== "Record") return defaultRetry(nonNegInt(e) ?? 0);
  const fields = new Map(e.fields.map((f) => [f.key.name, f.value]));
  const r = defaultRetry(nonNegInt(fields.get("max")) ?? 0);
  const backoff = fields.get("backoff");
  if (backoff) r.backoff = backoffOf(backoff, r.backoff);
  const jitter = constBool(fields.get("jitter"));
  if (jitter !== undefined) r.jitter = jitter;
  return r;
}

/** `exponential(500ms, 8s)`, `linear(1s, 10s)`, `constant(2s)`. */
function backoffOf(e: Expr, fallback: Backoff): Backoff {
  if (e.kind !== "Call") return fallback;
  const kind = calleeName(e.callee);
  const initial = durationMs(e.args[0]?.value) ?? fallback.initial_ms;
  if (kind === "constant" || kind === "fixed") return { kind: "constant", initial_ms: initial, max_ms: initial };
  const max = durationMs(e.args[1]?.value) ?? Math.max(initial, fallback.max_ms);
  return { kind: kind === "linear" ? "linear" : "exponential", initial_ms: initial, max_ms: max };
}

const PER_MS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** `rate: 20/s` (a Binary `/` of a count and a unit name or duration), or `rate { count, per }`. */
export function rateOf(e: Expr | undefined): { count: number; per_ms: number } | null {
  if (!e) return null;
  if (e.kind === "Binary" && e.op === "/") {
    const count = constNumber(e.left);
    const per = e.right.kind === "Name" ? PER_MS[e.right.name] : e.right.kind === "Duration" ? e.right.ms : undefined;
    return count !== undefined && count > 0 && per ? { count, per_ms: per } : null;
  }
  const v = constValue(e);
  if (v && typeof v === "object" && !Array.isArray(v) && typeof v.count === "number" && typeof v.per === "number" && v.count > 0 && v.per > 0) {
    return { count: v.count, per_ms: Math.round(v.per) };
  }
  return null;
}

/** `compensate: cancel_refund(receipt_id: result.id)` — the undo tool and its arguments. */
export function compensateOf(ctx: LowerCtx, e: Expr | undefined, locals: Locals): Compensate | null {
  if (!e || e.kind !== "Call") return null;
  return compensateCall(ctx, e, locals);
}

export function compensateCall(ctx: LowerCtx, call: CallExpr, locals: Locals): Compensate {
  const tool = calleeName(call.callee);
  return { tool, args: argsToIR(ctx, call.args, ctx.decl(tool, "ToolDecl")?.params, locals) };
}
