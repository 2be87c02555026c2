// The shape of one `awr` command and the argument parsing they share.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { type CliIo, UsageError } from "./io.js";
import { closest } from "./suggest.js";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  /** One line for the command list of `awr --help`. */
  summary: string;
  /** The full text of `awr <name> --help`: usage, options, examples, exit codes. */
  help: string;
  options: OptionSpec;
  run(args: Parsed, io: CliIo): number | Promise<number>;
}

/** Parses `args` strictly; a bad flag becomes a one-line UsageError naming the command's help. */
export async function parseCommandArgs(command: string, args: string[], options: OptionSpec): Promise<Parsed> {
  const all: OptionSpec = { ...options, help: { type: "boolean", short: "h" } };
  const hint = `run "awr ${command} --help" for usage`;
  try {
    const { values, positionals } = parseArgs({ args, options: all, allowPositionals: true, strict: true });
    return { values: values as Parsed["values"], positionals };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS")) throw e;
    const message = (e as Error).message;
    const flag = /'(-[^']*)'/.exec(message)?.[1] ?? "";
    const name = /--[\w-]+/.exec(flag)?.[0] ?? flag;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const guess = await closest(name.replace(/^-+/, ""), Object.keys(all));
      throw new UsageError(`unknown option "${name}" for "awr ${command}"`, guess ? `did you mean "--${guess}"? (${hint})` : hint);
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      const takesValue = Object.entries(all).some(([k, o]) => `--${k}` === name && o.type === "string");
      throw new UsageError(takesValue ? `option "${name}" needs a value` : `option "${name}" does not take a value`, hint);
    }
    throw new UsageError(message.split("\n")[0]!, hint);
  }
}

/** Exactly one positional argument, named `what` in the error. */
export function onePositional(command: string, args: Parsed, what: string): string {
  if (args.positionals.length === 0) throw new UsageError(`missing ${what}`, `run "awr ${command} --help" for usage`);
  if (args.positionals.length > 1)
    throw new UsageError(`expected one ${what}, got ${args.positionals.length}: ${args.positionals.join(" ")}`, `run "awr ${command} --help" for usage`);
  return args.positionals[0]!;
}
