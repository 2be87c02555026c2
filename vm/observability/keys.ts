// Pure helpers shared by tracing, metrics and observe (no dependencies, cheap to import): where an
// effect key sits among the steps of a run, and fanning events out to several handlers.
import type { VmEvent } from "../types.js";

/**
 * The step key an effect key belongs to. Keys are built by the interpreter as
 * `PREFIX graph:G/node:N/stmt:I#ITER [@RETRY] [[MAP]] [/MODEL@ATTEMPT] [/undo]`, the step as
 * `PREFIX graph:G/node:N#ITER`; PREFIX is the key of the call of a sub-graph followed by `/`.
 */
export function stepKeyOf(key: string): string | undefined {
  const m = /^(.*graph:[^/]+\/node:[^/#]+)(?:\/stmt:\d+)?#(\d+)/.exec(key);
  return m ? `${m[1]}#${m[2]}` : undefined;
}

/** The step whose call of a sub-graph a (nested) step runs in, if any. */
export function parentStepOf(stepKey: string): string | undefined {
  const m = /^(.+)\/graph:[^/]+\/node:[^/#]+#\d+$/.exec(stepKey);
  return m ? stepKeyOf(m[1]!) : undefined;
}

/** The graph a step key runs in (the innermost one for nested graphs). */
export function graphOfStep(stepKey: string): string | undefined {
  const m = /graph:([^/]+)\/node:[^/#]+#\d+$/.exec(stepKey);
  return m?.[1];
}

/** One event handler calling several (tracing, metrics, your own). */
export function fanOut(...handlers: (((e: VmEvent) => void) | undefined)[]): (e: VmEvent) => void {
  const hs = handlers.filter((h): h is (e: VmEvent) => void => h !== undefined);
  return (e) => {
    for (const h of hs) h(e);
  };
}
