import { readFileSync } from "node:fs";
import { type Command, onePositional } from "../command.js";
import { existingFile } from "../files.js";
import { Exit, UsageError } from "../io.js";

export const inspect: Command = {
  name: "inspect",
  summary: "Print a compiled plan in readable form",
  options: {
    json: { type: "boolean" },
  },
  help: `Print a compiled plan (.awrp) in readable form.

Usage: awr inspect <plan.awrp> [--json]

The header (format version, compiler version, checksum) is checked before the body is read:
a plan from another version or a damaged file is reported in one line.

Options:
  --json      Print only the header, as JSON: { magic, format, compiler, sha256, bodyLength, bodyOffset }
  -h, --help  Show this help

Examples:
  awr inspect support.awrp
  awr inspect support.awrp --json

Exit codes:
  0  printed
  2  usage error, a missing file, or a file that is not a readable plan of this version
`,
  async run(args, io) {
    const file = onePositional("inspect", args, "plan file");
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(existingFile(file, io.cwd));
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const { decodePlan, readPlanHeader } = await import("../../compiler/plan/codec.js");
    if (args.values.json) io.stdout.write(`${JSON.stringify(readPlanHeader(bytes), null, 2)}\n`);
    else {
      const { planToText } = await import("../../compiler/plan/inspect.js");
      const text = planToText(decodePlan(bytes));
      io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    }
    return Exit.ok;
  },
};
