import { refusalAsUsage } from "./errors.js";
import { ask } from "./store.js";
import type { Resolution } from "../../vm/operator.js";
import { type Command, onePositional } from "../command.js";
import { UsageError } from "../io.js";
import {
  MODELS_HELP,
  OBSERVE_HELP,
  STORE_HELP,
  TRUST_HELP,
  durationArg,
  existingStore,
  interruptible,
  jsonArg,
  metaString,
  observeArgs,
  openRunStore,
  openRuntime,
  report,
  storeLabel,
} from "../runs.js";
import { CONTINUE_OPTIONS, deciderArgs } from "./resume.js";

export const resolve: Command = {
  name: "resolve",
  summary: "Finish a run that needs attention: record what its effect in doubt did, and run on",
  options: {
    succeeded: { type: "string" },
    retry: { type: "boolean" },
    fail: { type: "string" },
    ...CONTINUE_OPTIONS,
  },
  help: `Finish a run in needs_attention: a tool that is not idempotent was started and never reported
back (the process crashed or was killed during the call), so it may or may not have happened. Find
out what it did, then say so with one of:

  --succeeded <json|@file>  It happened: its result (checked against the tool's return type) is
                            journaled as the call's outcome; the call is not made again
  --retry                   It did not happen (or may be repeated): it is made once more, with the
                            same idempotency key
  --fail <reason>           It failed: the failure is journaled, and the node's retry, on error
                            and compensations run as for any failure

Then the run continues from its journal. The decision is in the audit log (awr audit --kind
operator) with who made it (--by) and why (--comment, or the reason of --fail).

Usage: awr resolve <run-id> (--succeeded <json|@file> | --retry | --fail <reason>) [options]

Options:
  --by <who>            Who decides, for the audit log (default: $USER, else the run's principal)
  --comment <text>      Why, for the audit log
  --timeout <duration>  Stop this execution if it takes longer; \`awr resume <run-id>\` goes on
  --root <dir>          Where the run's js tool modules are (default: where awr run compiled it from)
${STORE_HELP}
${MODELS_HELP}
                        (default: the models the run was started with)
${TRUST_HELP}
                       (checked on the plan stored with the run)
  --json                Print { runId, status, output?, error?, pending? } on stdout
${OBSERVE_HELP}
  -h, --help            Show this help

Examples:
  awr resolve 6f1c… --succeeded '{"receipt_id": "RF-1"}' --by alice --comment "seen in the ledger"
  awr resolve 6f1c… --retry
  awr resolve 6f1c… --fail "the payment provider has no such charge"

Exit codes:
  0    the run completed, or waits for an answer
  1    the run failed, or needs attention again
  2    usage error, a run that does not need attention, a result that does not fit the tool's
       return type, an unknown run, or a missing or unreadable store
  77   --trust is given and the run's stored plan is not signed by one of its keys (or changed since)
  130  interrupted by SIGINT (143: SIGTERM); \`awr resume <run-id>\` continues it
`,
  async run(args, io) {
    const runId = onePositional("resolve", args, "run id");
    const v = args.values;
    const chosen = (["succeeded", "retry", "fail"] as const).filter((k) => v[k] !== undefined);
    if (chosen.length !== 1) {
      throw new UsageError(
        chosen.length ? `choose one of --succeeded, --retry and --fail (got ${chosen.map((k) => `--${k}`).join(", ")})` : "say what the effect in doubt did: --succeeded <json>, --retry or --fail <reason>",
        'run "awr resolve --help" for usage',
      );
    }
    let action: Resolution;
    if (v.succeeded !== undefined) action = { succeeded: jsonArg(v.succeeded, "--succeeded", io)! };
    else if (v.fail !== undefined) {
      if (typeof v.fail !== "string" || !v.fail.trim()) throw new UsageError("--fail needs a reason", `e.g. --fail "the charge was declined"`);
      action = { fail: v.fail };
    } else action = { retry: true };
    const observing = observeArgs(v);
    const limit = typeof v.timeout === "string" ? { timeoutMs: durationArg(v.timeout, "--timeout") } : {};
    const who = deciderArgs(v, io.env);
    const storeArg = v.store as string | undefined;
    existingStore(storeArg, io);
    const store = await openRunStore(storeArg, io);
    let runtime: Awaited<ReturnType<typeof openRuntime>> | undefined;
    try {
      const { storedPlanOfRun } = await import("../../vm/runtime.js");
      // Loaded once: the checks here, the plan, the providers and the runtime's resolve use this copy.
      const loaded = await ask(store.log.load(runId));
      const record = loaded?.snapshot;
      if (!loaded || !record) throw new UsageError(`no run ${runId} in ${storeLabel(storeArg)}`, 'list the runs of a store with "awr runs [--store PATH]"');
      if (record.status !== "needs_attention") {
        throw new UsageError(
          `run ${runId} is ${record.status}, not needs_attention: only a run stopped on an effect in doubt can be resolved`,
          record.status === "suspended" ? "answer it with awr resume <run-id> --value <json>" : record.status === "cancelled" || record.status === "running" ? "continue it with awr resume <run-id>" : undefined,
        );
      }
      const stored = { ...(await storedPlanOfRun(store, loaded)), source: `the stored plan of run ${runId}` };
      const root = typeof v.root === "string" ? v.root : (metaString(record, "root") ?? io.cwd);
      runtime = await openRuntime(stored, root, store, v, observing, io, loaded);
      const { rt } = runtime;
      const signals = interruptible((reason) => rt.cancel(runId, reason));
      let o;
      try {
        o = await rt.resolve(runId, action, { ...limit, ...who, loaded });
      } catch (e) {
        return refusalAsUsage(e, storeArg);
      } finally {
        signals.dispose();
      }
      const code = signals.code(o, report(o, io, v.json === true, storeArg));
      await runtime.hold();
      return code;
    } finally {
      await runtime?.close();
      await store.close();
    }
  },
};
