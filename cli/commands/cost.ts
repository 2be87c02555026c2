import { ask } from "./store.js";
import type { Command } from "../command.js";
import { type CliIo, Exit, UsageError } from "../io.js";
import { STORE_HELP, existingStore, openRunStore, storeLabel, timeArg } from "../runs.js";

const GROUPS = ["run", "graph", "agent", "tool", "model"] as const;

export const cost: Command = {
  name: "cost",
  summary: "Report tokens, cost and calls by run, graph, agent, tool or model",
  options: {
    store: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    by: { type: "string" },
    run: { type: "string" },
    json: { type: "boolean" },
  },
  help: `Report the tokens, cost (USD) and call counts of the model and tool calls in a run store,
grouped by run, graph, agent, tool or model, over a time range. The cost of each model call is the
one frozen in the journal when the call was made (from the plan's price table at that time); it is
never recomputed from today's prices. Failed calls are counted separately and listed.

Usage: awr cost [--since DATE|DURATION] [--until DATE|DURATION] [--by GROUP] [--run ID]

Options:
${STORE_HELP}
  --since <when>       Calls from this time on: a date (2026-11-01, 2026-11-01T09:30:00Z) or a
                       duration back from now (30m, 24h, 7d, 2w); default: from the beginning
  --until <when>       Calls up to this time (same forms); default: now
  --by <group>         run | graph | agent | tool | model (default: model). "agent" groups model
                       calls by the prompt or agent that made them; "tool" counts tool calls
  --run <run-id>       Only this run
  --json               Print the report as JSON (every failed call included)
  -h, --help           Show this help

Examples:
  awr cost --since 24h
  awr cost --by agent --since 2026-11-01 --until 2026-11-08
  awr cost --by tool --run 6f1c2b9e-… --store .awr/runs.db

Exit codes:
  0  printed (also when no call is in the range)
  2  usage error, or a missing or unreadable store
`,
  async run(args, io) {
    if (args.positionals.length) throw new UsageError(`unexpected arguments: ${args.positionals.join(" ")}`, 'run "awr cost --help" for usage');
    const by = (args.values.by ?? "model") as string;
    if (!(GROUPS as readonly string[]).includes(by)) throw new UsageError(`--by "${by}" is not a grouping`, `use one of ${GROUPS.join(", ")}`);
    const now = Date.now();
    const since = typeof args.values.since === "string" ? timeArg(args.values.since, "--since", now) : null;
    const until = typeof args.values.until === "string" ? timeArg(args.values.until, "--until", now) : null;
    if (since !== null && until !== null && since > until) throw new UsageError("--since is after --until");
    const runId = typeof args.values.run === "string" ? args.values.run : undefined;
    const spec = args.values.store as string | undefined;
    existingStore(spec, io);
    const store = await openRunStore(spec, io);
    try {
      const { callsInRange, costReport, costText } = await import("../../ops/report/index.js");
      if (runId !== undefined && !(await ask(store.log.load(runId)))) throw new UsageError(`no run ${runId} in ${storeLabel(spec)}`, 'list the runs of a store with "awr runs [--store PATH]"');
      const { calls } = await callsInRange(store, { since, until, ...(runId === undefined ? {} : { runId }) });
      const report = costReport(calls, { by: by as (typeof GROUPS)[number], since, until });
      if (args.values.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else io.stdout.write(costText(report));
      return Exit.ok;
    } finally {
      await store.close();
    }
  },
};
