// The plan format's constants and defaults, apart from the zod schema (types.ts) so that the
// compiler can lower plans without loading zod.
import type { Retry } from "./types.js";

/** The plan body format this compiler writes and this runtime reads. Bump on any change of shape. */
export const PLAN_FORMAT = 5;
/** The first compiler version that writes PLAN_FORMAT (named in "rebuild with compiler ≥ x"). */
export const PLAN_FORMAT_SINCE = "0.4.0";

/** The backoff used when a `retry N` names no backoff: exponential from 500ms, capped at 8s, jittered. */
export function defaultRetry(max = 0): Retry {
  return { max, backoff: { kind: "exponential", initial_ms: 500, max_ms: 8000 }, jitter: true };
}
