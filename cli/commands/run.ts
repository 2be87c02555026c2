import { refusalAsUsage } from "./errors.js";
import { randomUUID } from "node:crypto";
import type { Json } from "../../vm/types.js";
import { type Command, onePositional } from "../command.js";
import { existingFile } from "../files.js";
import { Exit, UsageError } from "../io.js";
import { loadPlanFrom } from "../programs.js";
import {
  MODELS_HELP,
  OBSERVE_HELP,
  OBSERVE_OPTIONS,
  STORE_HELP,
  TRACING_HELP,
  TRUST_HELP,
  TRUST_OPTIONS,
  durationArg,
  interruptible,
  modelsToStore,
  jsonArg,
  observeArgs,
  openRunStore,
  openRuntime,
  report,
  trustedPlan,
} from "../runs.js";

export const run: Command = {
  name: "run",
  summary: "Run a graph of a .awr file or a plan",
  options: {
    graph: { type: "string", short: "g" },
    input: { type: "string", short: "i" },
    principal: { type: "string" },
    session: { type: "string" },
    timeout: { type: "string" },
    store: { type: "string" },
    models: { type: "string" },
    json: { type: "boolean" },
    ...OBSERVE_OPTIONS,
    ...TRUST_OPTIONS,
  },
  help: `Run a graph durably: every model call, tool call and human input is journaled in the store,
so the run can be resumed after a crash or an interrupt without repeating what finished.

Usage: awr run <file.awr|plan.awrp> [--graph NAME] --input <json|@file> [options]

Options:
  -g, --graph <name>      The graph to run (default: the only graph of the plan)
  -i, --input <json>      The graph's arguments as a JSON record, or @file.json (checked against
                          the graph's parameters first: input that does not fit starts no run)
  --principal <json>      Who runs it, as JSON or @file: { "id": "...", "roles": [...], "attrs": {...} }
                          (policies see it; every audit record names it; default anonymous)
  --timeout <duration>    Stop the run if it takes longer (e.g. 30s, 10m): in-flight calls are
                          aborted, it ends failed (timeout) and \`awr resume <run-id>\` continues it
  --session <id>          A conversation that outlives the run: agents read the session's history
                          from the store and append their turns to it (docs/agents.md)
${STORE_HELP}
${MODELS_HELP}
                          (stored with the run: awr resume continues it with the same models)
${TRUST_HELP}
  --json                  Print { runId, status, output?, error?, pending? } on stdout
${OBSERVE_HELP}
  -h, --help              Show this help

Progress goes to stderr on a terminal (AWR_PROGRESS=1 forces it). The first Ctrl-C (SIGINT) or
SIGTERM interrupts the run: in-flight calls are aborted, the run ends cancelled, its id and the
command that continues it are printed, and awr exits 130 (SIGINT) or 143 (SIGTERM).
${TRACING_HELP}

Examples:
  awr run examples/support-triage/main.awr --input @examples/support-triage/input.json \\
      --models recorded:examples/support-triage/recorded.jsonl
  awr run support.awrp -g support_case -i '{"request": {...}}' --store memory: --json

Exit codes:
  0    the run completed, or is waiting for an answer (suspended)
  1    the run failed or needs attention, or the sources have errors
  2    usage error, input that does not fit the graph, a missing file, or an unreadable plan or store
  77   --trust is given and the plan is not signed by one of its keys (or changed since)
  130  interrupted by SIGINT (143: SIGTERM); \`awr resume <run-id>\` continues it
`,
  async run(args, io) {
    const observing = observeArgs(args.values);
    const session = args.values.session as string | undefined;
    if (session !== undefined && session.trim() === "") throw new UsageError("--session needs an id, e.g. --session customer-42");
    const timeoutMs = typeof args.values.timeout === "string" ? durationArg(args.values.timeout, "--timeout") : undefined;
    const file = existingFile(onePositional("run", args, "file"), io.cwd);
    const loaded = await loadPlanFrom(file, io);
    if (!loaded) return Exit.errors;
    await trustedPlan(loaded, args.values, io);
    const graphs = Object.keys(loaded.plan.graphs);
    const graph = typeof args.values.graph === "string" ? args.values.graph : graphs.length === 1 ? graphs[0]! : undefined;
    if (!graph) throw new UsageError(`the plan has ${graphs.length} graphs: choose one with --graph (${graphs.join(", ")})`);
    if (!Object.hasOwn(loaded.plan.graphs, graph)) throw new UsageError(`the plan has no graph "${graph}" (it has ${graphs.join(", ")})`);
    const input = jsonArg(args.values.input, "--input", io);
    if (input === undefined) throw new UsageError("missing --input", `give the graph's arguments as JSON, e.g. --input '{"ticket": {...}}' or --input @input.json`);
    const principal = principalArg(jsonArg(args.values.principal, "--principal", io));
    const { checkInput } = await import("../../vm/operator.js");
    try {
      checkInput(loaded.plan, graph, input);
    } catch (e) {
      refusalAsUsage(e, undefined);
    }
    const storeArg = args.values.store as string | undefined;
    const store = await openRunStore(storeArg, io);
    // Closed when the run stops: its js sandboxes and MCP server connections (docs/tools.md).
    let runtime: Awaited<ReturnType<typeof openRuntime>> | undefined;
    try {
      runtime = await openRuntime(loaded, loaded.baseDir, store, args.values, observing, io);
      const { rt } = runtime;
      // The id is chosen here so that a signal can name (and cancel) the run.
      const runId = randomUUID();
      const signals = interruptible((reason) => rt.cancel(runId, reason));
      let o;
      try {
        o = await rt.start(graph, input, {
          runId,
          // Where its js tools are and which models it runs with (never a secret): resume reads both.
          meta: { root: loaded.baseDir, models: modelsToStore(args.values.models as string | undefined, io) },
          ...(principal === undefined ? {} : { principal }),
          ...(session === undefined ? {} : { sessionId: session }),
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
        });
      } finally {
        signals.dispose();
      }
      const { observed: _o, state: _s, ...outcome } = o;
      const code = signals.code(outcome, report(outcome, io, args.values.json === true, storeArg));
      await runtime.hold();
      return code;
    } finally {
      await runtime?.close();
      await store.close();
    }
  },
};

/** `--principal`: a record with an optional string `id`, list of strings `roles` and map of strings `attrs` (defaults filled in). */
function principalArg(p: Json | undefined): Json | undefined {
  if (p === undefined) return undefined;
  const hint = `e.g. --principal '{"id": "alice", "roles": ["billing"], "attrs": {"region": "eu"}}'`;
  if (p === null || typeof p !== "object" || Array.isArray(p)) throw new UsageError("--principal must be a JSON record", hint);
  const { id = "anonymous", roles = [], attrs = {} } = p;
  if (typeof id !== "string") throw new UsageError("--principal: id must be a string", hint);
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === "string")) throw new UsageError("--principal: roles must be a list of strings", hint);
  if (attrs === null || typeof attrs !== "object" || Array.isArray(attrs) || !Object.values(attrs).every((v) => typeof v === "string")) {
    throw new UsageError("--principal: attrs must be a record of strings", hint);
  }
  return { ...p, id, roles, attrs };
}
