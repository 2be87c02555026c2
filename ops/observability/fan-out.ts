// Fanning a runtime's events out to several handlers (tracing, metrics, your own): no dependencies,
// cheap to import. Where an event's key sits among a run's steps is vm/keys.ts's question.
import type { VmEvent } from "../../vm/types.js";

/** One event handler calling several (tracing, metrics, your own). */
export function fanOut(...handlers: (((e: VmEvent) => void) | undefined)[]): (e: VmEvent) => void {
  const hs = handlers.filter((h): h is (e: VmEvent) => void => h !== undefined);
  return (e) => {
    for (const h of hs) h(e);
  };
}
