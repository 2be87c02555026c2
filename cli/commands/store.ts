// Store calls from the CLI: the store port answers with effects (vm/ports/store.ts); a command
// runs each one to a promise. `effect` is imported on first use, so commands that never open a
// store (check, build, fmt, …) do not load it.
import type { Effect } from "effect";

/** The answer of one store call, or a rejection with its tagged error (vm/ports/errors.ts). */
export async function ask<A, E>(call: Effect.Effect<A, E>): Promise<A> {
  const { Effect } = await import("effect");
  return Effect.runPromise(call);
}
