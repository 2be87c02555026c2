// Failure handling as data: one pure decision function over (failure kind × where it happened),
// and retry schedules built from the plan's retry declarations.
import { Duration, Effect, Schedule } from "effect";
import type { Retry } from "../compiler/plan/index.js";
import { VmFailure, type FailureInfo, type FailureKind } from "./types.js";

/** Failures a retry cannot fix, whatever the declaration says. */
const NEVER_RETRY: ReadonlySet<FailureKind> = new Set(["policy", "budget", "cancelled", "auth", "nondeterminism", "expression"]);

export function isRetryable(f: FailureInfo): boolean {
  if (NEVER_RETRY.has(f.kind)) return false;
  return f.retryable !== false;
}

/** What to do with a failure that retries did not fix. */
export type Decision = "fallback" | "route" | "fail";

/**
 * The one decision table. `level` is where the failure surfaced: a model call (which may fall back
 * to the next model of its chain) or a node (which may route to its `on error` node). Retries come
 * first and are decided by `isRetryable` with the schedule; this decides after them.
 */
export function decide(f: FailureInfo, at: { level: "model"; hasFallback: boolean } | { level: "node"; hasOnError: boolean }): Decision {
  if (f.kind === "cancelled" || f.kind === "nondeterminism") return "fail";
  if (at.level === "model") {
    // A fallback model can help with anything about the endpoint, not with what we sent.
    const modelFixable = f.kind === "timeout" || f.kind === "rate_limit" || f.kind === "transport" || f.kind === "schema" || f.kind === "refusal" || f.kind === "auth";
    return at.hasFallback && modelFixable ? "fallback" : "fail";
  }
  return at.hasOnError ? "route" : "fail";
}

/**
 * The plan's retry declaration as an effect Schedule: `max` retries after the first attempt,
 * exponential/linear/constant backoff capped at `max_ms`, jittered when declared, never shorter
 * than a server's Retry-After. `instant` drops the delays (tests run on virtual time).
 */
export function retrySchedule(r: Retry, opts: { instant?: boolean } = {}): Schedule.Schedule<unknown, VmFailure> {
  if (opts.instant || r.max === 0) return Schedule.recurs(r.max) as Schedule.Schedule<unknown, VmFailure>;
  const initial = Duration.millis(Math.max(1, r.backoff.initial_ms));
  const base =
    r.backoff.kind === "exponential"
      ? Schedule.exponential(initial)
      : r.backoff.kind === "linear"
        ? Schedule.modifyDelay(Schedule.spaced(initial), ({ attempt }) => Effect.succeed(Duration.times(initial, Math.max(1, attempt))))
        : Schedule.spaced(initial);
  const capped = Schedule.min([base, Schedule.spaced(Duration.millis(Math.max(r.backoff.max_ms, r.backoff.initial_ms)))]);
  const jittered = r.jitter ? Schedule.jittered(capped) : capped;
  const limited = Schedule.upTo(jittered, { times: r.max });
  return Schedule.modifyDelay(Schedule.setInputType<VmFailure>()(limited), ({ input, duration }) =>
    // The input is whatever stopped the attempt: a suspension or a stop for attention has no Retry-After.
    Effect.succeed(Duration.max(duration, Duration.millis(input instanceof VmFailure ? (input.info.retryAfterMs ?? 0) : 0))),
  ) as unknown as Schedule.Schedule<unknown, VmFailure>;
}

/** Runs `attempt(n)` (n = 0, 1, ...) until it succeeds or the schedule or a non-retryable failure stops it. */
export function withRetries<A, R>(
  r: Retry,
  attempt: (n: number) => Effect.Effect<A, VmFailure, R>,
  opts: { instant?: boolean; onRetry?: (n: number, f: FailureInfo) => void } = {},
): Effect.Effect<A, VmFailure, R> {
  if (r.max === 0) return attempt(0); // the common case: no schedule, no wrapper
  let n = 0;
  // Only failures are retried: a suspension or a stop for attention passes through untouched.
  const retryable = (e: unknown) => e instanceof VmFailure && isRetryable(e.info);
  const once = Effect.suspend(() => attempt(n++)).pipe(
    Effect.tapError((e) => Effect.sync(() => (retryable(e) && n <= r.max ? opts.onRetry?.(n, (e as VmFailure).info) : undefined))),
  );
  return Effect.retry(once, { schedule: retrySchedule(r, opts), while: retryable });
}
