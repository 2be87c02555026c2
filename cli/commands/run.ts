import { type Command, onePositional } from "../command.js";
import { existingFile } from "../files.js";
import { Exit, UsageError } from "../io.js";
import { loadPlanFrom } from "../programs.js";
import { MODELS_HELP, STORE_HELP, jsonArg, modelProvider, openRunStore, progress, report, toolProvider } from "../runs.js";

export const run: Command = {
  name: "run",
  summary: "Run a graph of a .awr file or a plan",
  options: {
    graph: { type: "string", short: "g" },
    input: { type: "string", short: "i" },
    principal: { type: "string" },
    store: { type: "string" },
    models: { type: "string" },
    json: { type: "boolean" },
  },
  help: `Run a graph durably: every model call, tool call and human input is journaled in the store,
so the run can be resumed after a crash or an interrupt without repeating what finished.

Usage: awr run <file.awr|plan.awrp> [--graph NAME] --input <json|@file> [options]

Options:
  -g, --graph <name>      The graph to run (default: the only graph of the plan)
  -i, --input <json>      The graph's arguments as a JSON record, or @file.json
  --principal <json>      Who runs it: { "id": "...", "roles": [...] } (policies see it)
${STORE_HELP}
${MODELS_HELP}
  --json                  Print { runId, status, output?, error?, pending? } on stdout
  -h, --help              Show this help

Progress goes to stderr on a terminal (AWR_PROGRESS=1 forces it).

Examples:
  awr run examples/support-triage/main.awr --input @examples/support-triage/input.json \\
      --models recorded:examples/support-triage/recorded.jsonl
  awr run support.awrp -g support_case -i '{"request": {...}}' --store memory: --json

Exit codes:
  0  the run completed, or is waiting for an answer (suspended)
  1  the run failed or needs attention, or the sources have errors
  2  usage error, a missing file, or an unreadable plan or store
`,
  async run(args, io) {
    const file = existingFile(onePositional("run", args, "file"), io.cwd);
    const loaded = await loadPlanFrom(file, io);
    if (!loaded) return Exit.errors;
    const graphs = Object.keys(loaded.plan.graphs);
    const graph = typeof args.values.graph === "string" ? args.values.graph : graphs.length === 1 ? graphs[0]! : undefined;
    if (!graph) throw new UsageError(`the plan has ${graphs.length} graphs: choose one with --graph (${graphs.join(", ")})`);
    if (!loaded.plan.graphs[graph]) throw new UsageError(`the plan has no graph "${graph}" (it has ${graphs.join(", ")})`);
    const input = jsonArg(args.values.input, "--input", io);
    if (input === undefined) throw new UsageError("missing --input", `give the graph's arguments as JSON, e.g. --input '{"ticket": {...}}' or --input @input.json`);
    const principal = jsonArg(args.values.principal, "--principal", io);
    const store = await openRunStore(args.values.store as string | undefined, io);
    try {
      const { createRuntime } = await import("../../vm/runtime.js");
      const rt = createRuntime({
        plan: loaded.plan,
        store,
        models: await modelProvider(args.values.models as string | undefined, io),
        tools: await toolProvider(loaded.baseDir),
        onEvent: progress(io),
      });
      const o = await rt.start(graph, input, { meta: { root: loaded.baseDir }, ...(principal === undefined ? {} : { principal }) });
      const { observed: _o, state: _s, ...outcome } = o;
      return report(outcome, io, args.values.json === true, args.values.store as string | undefined);
    } finally {
      store.close();
    }
  },
};
