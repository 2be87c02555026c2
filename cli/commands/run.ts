import type { Json } from "../../vm/types.js";
import { type Command, onePositional } from "../command.js";
import { existingFile } from "../files.js";
import { Exit, UsageError } from "../io.js";
import { loadPlanFrom } from "../programs.js";
import { MODELS_HELP, STORE_HELP, contextProvider, durationArg, jsonArg, modelProvider, openRunStore, progress, report, toolProvider } from "../runs.js";

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
    "metrics-port": { type: "string" },
    "metrics-host": { type: "string" },
    "metrics-hold": { type: "boolean" },
  },
  help: `Run a graph durably: every model call, tool call and human input is journaled in the store,
so the run can be resumed after a crash or an interrupt without repeating what finished.

Usage: awr run <file.awr|plan.awrp> [--graph NAME] --input <json|@file> [options]

Options:
  -g, --graph <name>      The graph to run (default: the only graph of the plan)
  -i, --input <json>      The graph's arguments as a JSON record, or @file.json
  --principal <json>      Who runs it, as JSON or @file: { "id": "...", "roles": [...], "attrs": {...} }
                          (policies see it; every audit record names it; default anonymous)
  --timeout <duration>    Stop the run if it takes longer (e.g. 30s, 10m): in-flight calls are
                          aborted, it ends failed (timeout) and \`awr resume <run-id>\` continues it
  --session <id>          A conversation that outlives the run: agents read the session's history
                          from the store and append their turns to it (docs/agents.md)
${STORE_HELP}
${MODELS_HELP}
  --json                  Print { runId, status, output?, error?, pending? } on stdout
  --metrics-port <n>      Serve Prometheus metrics on http://127.0.0.1:<n>/metrics while the run
                          executes (0: any free port); the address is printed on stderr
  --metrics-host <addr>   Serve them on this address instead (e.g. 0.0.0.0 in a container)
  --metrics-hold          Keep serving them after the run stops, until interrupted (Ctrl-C)
  -h, --help              Show this help

Progress goes to stderr on a terminal (AWR_PROGRESS=1 forces it).
Tracing: with OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, the run's
spans are exported over OTLP/HTTP; AWR_OTEL_CAPTURE_CONTENT=1 adds prompts and answers to them
(docs/observability.md).

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
    const metricsPort = args.values["metrics-port"] as string | undefined;
    if (metricsPort !== undefined && (!/^\d{1,5}$/.test(metricsPort) || Number(metricsPort) > 65535)) throw new UsageError(`--metrics-port must be a port number (0-65535), got "${metricsPort}"`);
    if (metricsPort === undefined && (args.values["metrics-hold"] || args.values["metrics-host"] !== undefined)) throw new UsageError("--metrics-hold and --metrics-host need --metrics-port");
    const session = args.values.session as string | undefined;
    if (session !== undefined && session.trim() === "") throw new UsageError("--session needs an id, e.g. --session customer-42");
    const timeoutMs = typeof args.values.timeout === "string" ? durationArg(args.values.timeout, "--timeout") : undefined;
    const file = existingFile(onePositional("run", args, "file"), io.cwd);
    const loaded = await loadPlanFrom(file, io);
    if (!loaded) return Exit.errors;
    const graphs = Object.keys(loaded.plan.graphs);
    const graph = typeof args.values.graph === "string" ? args.values.graph : graphs.length === 1 ? graphs[0]! : undefined;
    if (!graph) throw new UsageError(`the plan has ${graphs.length} graphs: choose one with --graph (${graphs.join(", ")})`);
    if (!loaded.plan.graphs[graph]) throw new UsageError(`the plan has no graph "${graph}" (it has ${graphs.join(", ")})`);
    const input = jsonArg(args.values.input, "--input", io);
    if (input === undefined) throw new UsageError("missing --input", `give the graph's arguments as JSON, e.g. --input '{"ticket": {...}}' or --input @input.json`);
    const principal = principalArg(jsonArg(args.values.principal, "--principal", io));
    const store = await openRunStore(args.values.store as string | undefined, io);
    // Closed when the run stops: its js sandboxes and MCP server connections (docs/tools.md).
    const tools = await toolProvider(loaded.baseDir);
    let obs: import("../../vm/observability/observe.js").Observing | undefined;
    try {
      const { createRuntime } = await import("../../vm/runtime.js");
      // Tracing when OTEL_* configures an exporter, metrics with --metrics-port (docs/observability.md).
      const { observe, ObserveError } = await import("../../vm/observability/observe.js");
      const metrics = metricsPort === undefined ? {} : { metrics: { port: Number(metricsPort), ...(args.values["metrics-host"] === undefined ? {} : { host: String(args.values["metrics-host"]) }) } };
      obs = await observe({ plan: loaded.plan, env: io.env, onEvent: progress(io), ...metrics }).catch((e: unknown) => {
        throw e instanceof ObserveError ? new UsageError(e.message) : e;
      });
      if (obs.metricsUrl) io.stderr.write(`metrics: ${obs.metricsUrl}\n`);
      const rt = createRuntime({
        plan: loaded.plan,
        store,
        models: await modelProvider(args.values.models as string | undefined, io),
        tools,
        contexts: await contextProvider(loaded.plan, loaded.baseDir, args.values.store as string | undefined, io),
        onEvent: obs.onEvent,
        captureContent: obs.captureContent,
      });
      const o = await rt.start(graph, input, {
        meta: { root: loaded.baseDir },
        ...(principal === undefined ? {} : { principal }),
        ...(session === undefined ? {} : { sessionId: session }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
      const { observed: _o, state: _s, ...outcome } = o;
      const code = report(outcome, io, args.values.json === true, args.values.store as string | undefined);
      if (obs.metricsUrl && args.values["metrics-hold"]) {
        io.stderr.write(`serving metrics on ${obs.metricsUrl} until interrupted (Ctrl-C)\n`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off("SIGINT", stop).off("SIGTERM", stop);
            resolve();
          };
          process.on("SIGINT", stop).on("SIGTERM", stop);
        });
      }
      return code;
    } finally {
      await obs?.shutdown();
      await tools.close();
      store.close();
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
