// Pure helpers shared by tracing, metrics and observe (no dependencies, cheap to import): where an
// effect key sits among the steps of a run (read by vm/keys.ts, the one parser of effect keys), and
// fanning events out to several handlers.
import type { VmEvent } from "../types.js";

export { graphOfStep, parentStepOf, stepKeyOf } from "../keys.js";

/** One event handler calling several (tracing, metrics, your own). */
export function fanOut(...handlers: (((e: VmEvent) => void) | undefined)[]): (e: VmEvent) => void {
  const hs = handlers.filter((h): h is (e: VmEvent) => void => h !== undefined);
  return (e) => {
    for (const h of hs) h(e);
  };
}
