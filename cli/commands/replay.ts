import { ask } from "./store.js";
import { type Command, onePositional } from "../command.js";
import { existingFile } from "../files.js";
import { Exit, UsageError } from "../io.js";
import { loadPlanFrom } from "../programs.js";
import { STORE_HELP, TRUST_HELP, TRUST_OPTIONS, existingStore, openRunStore, storeLabel, trustedPlan, type PlanSource } from "../runs.js";

export const replay: Command = {
  name: "replay",
  summary: "Re-execute a run from its journal offline and verify it is deterministic",
  options: {
    store: { type: "string" },
    plan: { type: "string" },
    json: { type: "boolean" },
    ...TRUST_OPTIONS,
  },
  help: `Re-execute a finished (or waiting) run from its journal alone: no model, tool or person is
asked. The replay must take the same path to the same outcome; a step that asks for something else
than the journal recorded is a NonDeterminism failure naming it. The store is not changed.

Usage: awr replay <run-id> [--plan <file.awr|plan.awrp>]

Options:
  --plan <file>  Replay against another version of the program (default: the plan the run used)
${STORE_HELP}
${TRUST_HELP}
                       (checked on the plan replayed: the stored one, or --plan)
  --json         Print the report as JSON
  -h, --help     Show this help

Examples:
  awr replay 6f1c2b9e-…
  awr replay 6f1c2b9e-… --plan main.awr     # would today's program take the same path?

Exit codes:
  0  the replay reproduced the run
  1  it diverged (the problems are listed)
  2  usage error, an unknown run, a missing or unreadable store (none is created), or a run
     whose journal was changed outside AWR (its hash chain is broken: see awr audit --verify)
  77 --trust is given and the plan replayed is not signed by one of its keys (or changed since)
`,
  async run(args, io) {
    const runId = onePositional("replay", args, "run id");
    const storeArg = args.values.store as string | undefined;
    existingStore(storeArg, io);
    const store = await openRunStore(storeArg, io);
    try {
      const run = await ask(store.log.load(runId));
      if (!run) throw new UsageError(`no run ${runId} in ${storeLabel(storeArg)}`, 'list the runs of a store with "awr runs [--store PATH]"');
      const { storedPlanOfRun } = await import("../../vm/runtime.js");
      const { replayRun } = await import("../../vm/replay.js");
      let source: PlanSource = { ...(await storedPlanOfRun(store, run)), source: `the stored plan of run ${runId}` };
      if (typeof args.values.plan === "string") {
        const loaded = await loadPlanFrom(existingFile(args.values.plan, io.cwd), io);
        if (!loaded) return Exit.errors;
        source = loaded;
      }
      await trustedPlan(source, args.values, io);
      const r = await replayRun(store, runId, source.plan, run);
      if (args.values.json) io.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else if (r.ok) io.stdout.write(`run ${runId}: replay reproduced it (${r.replayed.status})\n`);
      else {
        io.stdout.write(`run ${runId}: replay diverged\n`);
        for (const p of r.problems) io.stdout.write(`  ${p}\n`);
      }
      return r.ok ? Exit.ok : Exit.errors;
    } finally {
      await store.close();
    }
  },
};
