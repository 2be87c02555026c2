// The runtime's refusals as the CLI's usage errors (exit 2), decided by the error's tag
// (vm/ports/errors.ts), never by its message. The texts are the ones users saw before.
import { UsageError } from "../io.js";
import { storeLabel } from "../runs.js";
import type { InvalidInput, InvalidResumeValue, RunRejection } from "../../vm/operator.js";

/**
 * A refusal of the runtime (an unknown run, a run not waiting or not needing attention, a value or
 * input that does not fit) as the usage error it is for the CLI, naming the store searched;
 * anything else is rethrown (main maps store and plan errors, then internal errors).
 */
export function refusalAsUsage(e: unknown, storeArg: string | undefined): never {
  const tag = e instanceof Error ? (e as { _tag?: unknown })._tag : undefined;
  switch (tag) {
    case "UnknownRun":
      throw new UsageError(`no run ${(e as RunRejection).runId} in ${storeLabel(storeArg)}`, 'list the runs of a store with "awr runs [--store PATH]"');
    case "InvalidResumeValue": {
      const v = e as InvalidResumeValue;
      throw new UsageError(`the value does not fit ${v.target}: expected ${v.expected}\n  ${v.errors.join("\n  ")}`, "nothing was stored; the run is unchanged");
    }
    case "InvalidInput": {
      const i = e as InvalidInput;
      throw new UsageError(`the input does not fit graph ${i.graph}: expected ${i.expected}\n  ${i.errors.join("\n  ")}`, "no run was started");
    }
    case "NotWaiting":
    case "NotNeedingAttention":
      throw new UsageError((e as Error).message);
    default:
      throw e;
  }
}
