import { type Command, onePositional } from "../command.js";
import { Exit, UsageError } from "../io.js";
import {
  MODELS_HELP,
  OBSERVE_HELP,
  OBSERVE_OPTIONS,
  STORE_HELP,
  TRACING_HELP,
  durationArg,
  jsonArg,
  observeArgs,
  openRunStore,
  openRuntime,
  report,
} from "../runs.js";

export const resume: Command = {
  name: "resume",
  summary: "Answer a waiting run (or continue one that stopped) and run it on",
  options: {
    value: { type: "string" },
    interrupt: { type: "string" },
    store: { type: "string" },
    models: { type: "string" },
    root: { type: "string" },
    timeout: { type: "string" },
    json: { type: "boolean" },
    ...OBSERVE_OPTIONS,
  },
  help: `Continue a run from its journal. With --value, the answer goes to the run's pending interrupt
(await human / await event / an approval); without it, a run that stopped (a crash, a cancel)
continues. Finished steps are not repeated: their results come from the journal.

Usage: awr resume <run-id> [--value <json|@file>] [--interrupt ID] [options]

Options:
  --value <json>        The answer (JSON, or @file.json); approvals take true/false or { "approved": true }
  --interrupt <id>      Which pending interrupt to answer (default: the first)
  --timeout <duration>  Stop this execution if it takes longer (e.g. 30s, 10m); resume again to go on
  --root <dir>          Where the run's js tool modules are (default: where awr run compiled it from)
${STORE_HELP}
${MODELS_HELP}
  --json                Print { runId, status, output?, error?, pending? } on stdout
${OBSERVE_HELP}
  -h, --help            Show this help

${TRACING_HELP}

Examples:
  awr resume 6f1c… --value '{"subject": "Re: refund", "text": "Done."}'
  awr resume 6f1c… --interrupt '…/approval' --value true --json

Exit codes:
  0  the run completed, or waits for another answer
  1  the run failed or needs attention
  2  usage error, an unknown run, or an unreadable store
`,
  async run(args, io) {
    const runId = onePositional("resume", args, "run id");
    const observing = observeArgs(args.values);
    const limit = typeof args.values.timeout === "string" ? { timeoutMs: durationArg(args.values.timeout, "--timeout") } : {};
    const store = await openRunStore(args.values.store as string | undefined, io);
    // Closed when the run stops: its js sandboxes and MCP server connections (docs/tools.md).
    let runtime: Awaited<ReturnType<typeof openRuntime>> | undefined;
    try {
      const { planOfRun } = await import("../../vm/runtime.js");
      const record = store.load(runId)?.snapshot;
      if (!record) throw new UsageError(`no run ${runId} in the store`, 'list runs with "awr runs"');
      const plan = planOfRun(store, runId);
      // js tools live where the program was compiled from: recorded by `awr run`, or --root.
      const recorded = record.meta && typeof record.meta === "object" && !Array.isArray(record.meta) ? record.meta["root"] : undefined;
      const root = typeof args.values.root === "string" ? args.values.root : typeof recorded === "string" ? recorded : io.cwd;
      runtime = await openRuntime(plan, root, store, args.values, observing, io);
      const { rt } = runtime;
      const value = jsonArg(args.values.value, "--value", io);
      let o;
      try {
        o =
          value === undefined
            ? await rt.recover(runId, limit)
            : await rt.resume(runId, value, { ...limit, ...(typeof args.values.interrupt === "string" ? { interruptId: args.values.interrupt } : {}) });
      } catch (e) {
        if (e instanceof Error && /not waiting|no pending interrupt/.test(e.message)) throw new UsageError(e.message);
        throw e;
      }
      const code = report(o, io, args.values.json === true, args.values.store as string | undefined);
      await runtime.hold();
      return code;
    } finally {
      await runtime?.close();
      store.close();
    }
  },
};
