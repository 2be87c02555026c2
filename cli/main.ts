// The `awr` command: dispatches to one command per file in commands/, and turns failures into exit
// codes. Architecture Invariant: a user's mistake never shows a stack trace; only a bug (exit 70) does.
import { PlanError, PlanTrustError } from "../compiler/plan/errors.js";
import { StoreError } from "../vm/store/errors.js";
import { type Command, parseCommandArgs } from "./command.js";
import { build } from "./commands/build.js";
import { check } from "./commands/check.js";
import { fmt } from "./commands/fmt.js";
import { graph } from "./commands/graph.js";
import { inspect } from "./commands/inspect.js";
import { keygen } from "./commands/keygen.js";
import { test } from "./commands/test.js";
import { run } from "./commands/run.js";
import { resume } from "./commands/resume.js";
import { resolve } from "./commands/resolve.js";
import { runs } from "./commands/runs.js";
import { replay } from "./commands/replay.js";
import { trace } from "./commands/trace.js";
import { cost } from "./commands/cost.js";
import { lsp } from "./commands/lsp.js";
import { context } from "./commands/context.js";
import { audit } from "./commands/audit.js";
import { HostConfigError } from "../host/errors.js";
import { packageVersion } from "../host/source-host.js";
import { defaultStoreSpec } from "../host/stores.js";
import { type CliIo, Exit, UsageError, printError, processIo } from "./io.js";
import { usageOf } from "./runs.js";
import { closest } from "./suggest.js";

const COMMANDS: readonly Command[] = [check, build, inspect, fmt, graph, run, resume, resolve, runs, audit, replay, trace, cost, context, test, keygen, lsp];

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
    // Configuration the host refused (a store or models spec, a key file, a metrics port) is a usage error too.
    const e = caught instanceof HostConfigError ? usageOf(caught) : caught;
    if (e instanceof UsageError) {
      printError(io, e.message, e.hint);
      return Exit.usage;
    }
    // Before PlanError: a readable plan that is not trusted has its own exit code.
    if (e instanceof PlanTrustError) {
      printError(io, e.message, e.code === "PLAN_UNSIGNED" ? "sign it: awr build <entry.awr> --sign <NAME.key> (awr keygen makes a key pair)" : "nothing ran; build the plan again and sign it with a trusted key");
      return Exit.untrusted;
    }
    // An unreadable plan or store (damaged, altered, from a newer awr) is the user's to fix, not a bug.
    if (e instanceof PlanError || e instanceof StoreError) {
      printError(io, e.message);
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
    io.stdout.write(findCommand(topic).help);
    return Exit.ok;
  }
  if (first.startsWith("-")) {
    throw new UsageError(`unknown option "${first}"`, 'options go after the command; run "awr --help" for the list of commands');
  }
  const command = findCommand(first);
  const args = parseCommandArgs(command.name, rest, command.options);
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

function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (command) return command;
  const guess = closest(name, COMMANDS.map((c) => c.name));
  throw new UsageError(`unknown command "${name}"`, guess ? `did you mean "awr ${guess}"?` : 'run "awr --help" for the list of commands');
}

function safeVersion(): string {
  try {
    return packageVersion();
  } catch {
    return "(unknown version)";
  }
}
