import { refusalAsUsage } from "./errors.js";
import { ask } from "./store.js";
import { type Command, onePositional } from "../command.js";
import { UsageError } from "../io.js";
import type { Decider } from "../../vm/operator.js";
import {
  MODELS_HELP,
  existingStore,
  interruptible,
  storeLabel,
  OBSERVE_HELP,
  OBSERVE_OPTIONS,
  STORE_HELP,
  TRACING_HELP,
  TRUST_HELP,
  TRUST_OPTIONS,
  durationArg,
  jsonArg,
  observeArgs,
  openRunStore,
  openRuntime,
  report,
} from "../runs.js";

/** The options of the commands that continue a stored run (resume, resolve): who decides, where, how. */
export const CONTINUE_OPTIONS = {
  by: { type: "string" },
  comment: { type: "string" },
  store: { type: "string" },
  models: { type: "string" },
  root: { type: "string" },
  timeout: { type: "string" },
  json: { type: "boolean" },
  ...OBSERVE_OPTIONS,
  ...TRUST_OPTIONS,
} as const;

export const resume: Command = {
  name: "resume",
  summary: "Answer a waiting run (or continue one that stopped) and run it on",
  options: {
    value: { type: "string" },
    interrupt: { type: "string" },
    ...CONTINUE_OPTIONS,
  },
  help: `Continue a run from its journal. With --value, the answer goes to the run's pending interrupt
(await human / await event / an approval); without it, a run that stopped (a crash, Ctrl-C, a
timeout) continues. Finished steps are not repeated: their results come from the journal.

The answer is checked before anything is stored: it must fit the awaited field's type, and an
approval takes exactly true, false or { "approved": true|false, "comment"?: "..." }. A value that
does not fit is a usage error naming the expected type; the run stays as it was. The decision is
in the audit log with who gave it (--by) and why (--comment).

The run's providers come from the run: the --models it was started with (recorded answers continue
after those its journal holds) and the directory of its js tools; --models and --root override them.
The first Ctrl-C (SIGINT) or SIGTERM interrupts the run: it stays resumable (exit 130 / 143).

Usage: awr resume <run-id> [--value <json|@file>] [--interrupt ID] [options]

Options:
  --value <json>        The answer (JSON, or @file.json); approvals take true, false or
                        { "approved": true|false, "comment"?: "..." }
  --interrupt <id>      Which pending interrupt to answer (default: the first)
  --by <who>            Who answers, for the audit log (default: $USER, else the run's principal)
  --comment <text>      Why, for the audit log
  --timeout <duration>  Stop this execution if it takes longer (e.g. 30s, 10m); resume again to go on
  --root <dir>          Where the run's js tool modules are (default: where awr run compiled it from)
${STORE_HELP}
${MODELS_HELP}
${TRUST_HELP}
                       (checked on the plan stored with the run)
  --json                Print { runId, status, output?, error?, pending? } on stdout
${OBSERVE_HELP}
  -h, --help            Show this help

${TRACING_HELP}

Examples:
  awr resume 6f1c… --value '{"subject": "Re: refund", "text": "Done."}'
  awr resume 6f1c… --interrupt '…/approval' --value true --json

Exit codes:
  0    the run completed, or waits for another answer
  1    the run failed or needs attention
  2    usage error, a value that does not fit, an unknown run, or a missing or unreadable store
  75   another process (a worker) moved the run on meanwhile: this one stopped, the run is not failed
  77   --trust is given and the run's stored plan is not signed by one of its keys (or changed since)
  130  interrupted by SIGINT (143: SIGTERM); \`awr resume <run-id>\` continues it
`,
  async run(args, io) {
    const runId = onePositional("resume", args, "run id");
    const observing = observeArgs(args.values);
    const limit = typeof args.values.timeout === "string" ? { timeoutMs: durationArg(args.values.timeout, "--timeout") } : {};
    const storeArg = args.values.store as string | undefined;
    const value = jsonArg(args.values.value, "--value", io);
    const who = deciderArgs(args.values, io.env);
    existingStore(storeArg, io);
    const store = await openRunStore(storeArg, io);
    // Closed when the run stops: its js sandboxes and MCP server connections (docs/tools.md).
    let runtime: Awaited<ReturnType<typeof openRuntime>> | undefined;
    try {
      const { storedPlanOfRun } = await import("../../vm/runtime.js");
      // The run is loaded once: its plan, its providers and the runtime's resume all use this copy.
      const loaded = await ask(store.log.load(runId));
      if (!loaded) throw new UsageError(`no run ${runId} in ${storeLabel(storeArg)}`, 'list the runs of a store with "awr runs [--store PATH]"');
      const record = loaded.snapshot;
      const stored = { ...(await storedPlanOfRun(store, loaded)), source: `the stored plan of run ${runId}` };
      // js tools live where the program was compiled from: recorded by `awr run`, or --root.
      const recorded = record.meta && typeof record.meta === "object" && !Array.isArray(record.meta) ? record.meta["root"] : undefined;
      const root = typeof args.values.root === "string" ? args.values.root : typeof recorded === "string" ? recorded : io.cwd;
      runtime = await openRuntime(stored, root, store, args.values, observing, io, loaded);
      const { rt } = runtime;
      const signals = interruptible((reason) => rt.cancel(runId, reason));
      let o;
      try {
        o =
          value === undefined
            ? await rt.recover(runId, { ...limit, loaded })
            : await rt.resume(runId, value, { ...limit, ...who, loaded, ...(typeof args.values.interrupt === "string" ? { interruptId: args.values.interrupt } : {}) });
      } catch (e) {
        return refusalAsUsage(e, storeArg);
      } finally {
        signals.dispose();
      }
      const code = signals.code(o, report(o, io, args.values.json === true, storeArg));
      await runtime.hold();
      return code;
    } finally {
      await runtime?.close();
      await store.close();
    }
  },
};

/** `--by` (default: $USER; without it the runtime names the run's principal) and `--comment`. */
export function deciderArgs(values: Record<string, string | boolean | undefined>, env: Record<string, string | undefined>): Decider {
  const by = typeof values["by"] === "string" ? values["by"].trim() : env["USER"];
  if (typeof values["by"] === "string" && !by) throw new UsageError("--by needs a name, e.g. --by alice");
  const comment = values["comment"];
  return { ...(by ? { by } : {}), ...(typeof comment === "string" ? { comment } : {}) };
}
