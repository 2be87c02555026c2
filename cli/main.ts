// The `awr` command: dispatches to one command per file in commands/, and turns failures into exit
// codes. Architecture Invariant: a user's mistake never shows a stack trace; only a bug (exit 70) does.
import type { PlanTrustError } from "../compiler/plan/errors.js";
import type { HostConfigError } from "../host/errors.js";
import { errorTag } from "../vm/ports/errors.js";
import { type Command, parseCommandArgs } from "./command.js";
import { packageVersion } from "../host/source-host.js";
import { defaultStoreSpec } from "../host/stores.js";
import { type CliIo, Exit, UsageError, printError, processIo } from "./io.js";
import { closest } from "./suggest.js";

/**
 * Every command, with the line `awr --help` lists; its module (parsing, help text, what it runs) is
 * imported only when that command runs, so a command loads what it uses and no more (a cold
 * `awr check` never loads the VM, a `awr runs` never loads the compiler). `summary` repeats the
 * module's own: test/cli/cold-start.test.ts keeps the two equal.
 */
export const COMMANDS: readonly { name: string; summary: string; load: () => Promise<Command> }[] = [
  { name: "check", summary: "Check .awr files and report diagnostics", load: async () => (await import("./commands/check.js")).check },
  { name: "build", summary: "Compile an entry file into a plan (.awrp)", load: async () => (await import("./commands/build.js")).build },
  { name: "inspect", summary: "Print a compiled plan in readable form", load: async () => (await import("./commands/inspect.js")).inspect },
  { name: "fmt", summary: "Format .awr files in place (--check: list the files that would change)", load: async () => (await import("./commands/fmt.js")).fmt },
  { name: "graph", summary: "Export a graph as Mermaid, Graphviz DOT or JSON", load: async () => (await import("./commands/graph.js")).graph },
  { name: "run", summary: "Run a graph of a .awr file or a plan", load: async () => (await import("./commands/run.js")).run },
  { name: "resume", summary: "Answer a waiting run (or continue one that stopped) and run it on", load: async () => (await import("./commands/resume.js")).resume },
  { name: "resolve", summary: "Finish a run that needs attention: record what its effect in doubt did, and run on", load: async () => (await import("./commands/resolve.js")).resolve },
  { name: "runs", summary: "List runs, or show one with its journal", load: async () => (await import("./commands/runs.js")).runs },
  { name: "audit", summary: "Show or export the audit log: policy decisions and tool calls", load: async () => (await import("./commands/audit.js")).audit },
  { name: "replay", summary: "Re-execute a run from its journal offline and verify it is deterministic", load: async () => (await import("./commands/replay.js")).replay },
  { name: "trace", summary: "Show a run's timeline, or write it as an HTML report", load: async () => (await import("./commands/trace.js")).trace },
  { name: "cost", summary: "Report tokens, cost and calls by run, graph, agent, tool or model", load: async () => (await import("./commands/cost.js")).cost },
  { name: "context", summary: "Show what a context assembles for a query, and why", load: async () => (await import("./commands/context.js")).context },
  { name: "test", summary: "Run the test blocks of .awr files", load: async () => (await import("./commands/test.js")).test },
  { name: "plans", summary: "Which waiting runs of one plan could continue on another (plans compat OLD NEW)", load: async () => (await import("./commands/plans.js")).plans },
  { name: "worker", summary: "Take queued runs from a PostgreSQL store and execute them (many workers share one store)", load: async () => (await import("./commands/worker.js")).worker },
  { name: "keys", summary: "Create, list or revoke the API keys of awr serve", load: async () => (await import("./commands/keys.js")).keys },
  { name: "keygen", summary: "Make an Ed25519 key pair for signing plans", load: async () => (await import("./commands/keygen.js")).keygen },
  { name: "serve", summary: "Serve a folder's programs over HTTP: runs, event streams, deployments", load: async () => (await import("./commands/serve.js")).serve },
  { name: "lsp", summary: "Start the language server (for editors)", load: async () => (await import("./commands/lsp.js")).lsp },
];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `awr ${packageVersion()}: the Agent Workflow Runtime

Usage: awr <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Options:
  -h, --help     Show this help; "awr <command> --help" shows a command's help
  -v, --version  Print the version

Examples:
  awr check src/
  awr build main.awr -o main.awrp
  awr inspect main.awrp
  awr graph main.awr --format dot
  awr test examples/
  awr run main.awr --input @input.json
  awr resolve <run-id> --succeeded '{"id": "R-1"}'
  awr trace <run-id> --html run.html
  awr cost --since 24h --by agent

Exit codes:
  0    success (warnings allowed; a run that completed or waits for an answer)
  1    the sources have errors, a test failed, or a run failed or needs attention
  2    usage error, missing file or store, or a plan that cannot be read
  70   internal error (a bug in awr)
  75   the run was moved on by another process meanwhile (a worker took it over); this one stopped
  77   a plan refused by --trust (unsigned, signed by another key, or changed since it was signed)
  130  a run interrupted by SIGINT (143: SIGTERM); awr resume continues it

Set NO_COLOR to turn colours off; AWR_STORE sets the default of --store.
`;
}

/** Runs `awr` with `argv` (without the node and script paths) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (caught) {
    // Failures are told apart by their `_tag` (vm/ports/errors.ts, compiler/plan/errors.ts,
    // host/errors.ts), never by class identity or message: the classes stay unloaded until thrown.
    // Configuration the host refused (a store or models spec, a key file, a metrics port) is a usage error too.
    const e = errorTag(caught) === "HostConfigError" ? (await import("./runs.js")).usageOf(caught as HostConfigError) : caught;
    if (e instanceof UsageError) {
      printError(io, e.message, e.hint);
      return Exit.usage;
    }
    switch (errorTag(e)) {
      // Before PlanError: a readable plan that is not trusted has its own exit code.
      case "PlanTrustError":
        printError(io, (e as PlanTrustError).message, (e as PlanTrustError).code === "PLAN_UNSIGNED" ? "sign it: awr build <entry.awr> --sign <NAME.key> (awr keygen makes a key pair)" : "nothing ran; build the plan again and sign it with a trusted key");
        return Exit.untrusted;
      // An unreadable plan or store (damaged, altered, from a newer awr) is the user's to fix, not a bug.
      // Another process (a worker, a second resume) moved the run on: not a bug, not a failed run.
      case "ClaimLost":
        printError(io, (e as Error).message, "the run goes on where it moved; see it with awr runs show <run-id>");
        return Exit.lost;
      case "PlanError":
      case "StoreError":
      case "ChainBroken":
      case "BlobMissing":
        printError(io, (e as Error).message);
        return Exit.usage;
    }
    const stack = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
    io.stderr.write(`internal error: this is a bug in awr ${safeVersion()}; please report it with the command you ran\n${stack}\n`);
    return Exit.internal;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help") {
    (first === undefined ? io.stderr : io.stdout).write(mainHelp());
    return first === undefined ? Exit.usage : Exit.ok;
  }
  if (first === "-v" || first === "--version") {
    io.stdout.write(`${packageVersion()}\n`);
    return Exit.ok;
  }
  if (first === "help") {
    const topic = rest[0];
    if (topic === undefined) {
      io.stdout.write(mainHelp());
      return Exit.ok;
    }
    io.stdout.write((await findCommand(topic)).help);
    return Exit.ok;
  }
  if (first.startsWith("-")) {
    throw new UsageError(`unknown option "${first}"`, 'options go after the command; run "awr --help" for the list of commands');
  }
  const command = await findCommand(first);
  const args = await parseCommandArgs(command.name, rest, command.options);
  // AWR_STORE is the default of --store (DESIGN §6), as if it had been given.
  if ("store" in command.options && args.values.store === undefined) {
    const spec = defaultStoreSpec(io.env);
    if (spec !== undefined) args.values.store = spec;
  }
  if (args.values.help) {
    io.stdout.write(command.help);
    return Exit.ok;
  }
  return await command.run(args, io);
}

async function findCommand(name: string): Promise<Command> {
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry) return await entry.load();
  const guess = await closest(name, COMMANDS.map((c) => c.name));
  throw new UsageError(`unknown command "${name}"`, guess ? `did you mean "awr ${guess}"?` : 'run "awr --help" for the list of commands');
}

function safeVersion(): string {
  try {
    return packageVersion();
  } catch {
    return "(unknown version)";
  }
}
