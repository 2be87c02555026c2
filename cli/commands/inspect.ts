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
a plan from another version or a damaged file is reported in one line. The second line says
whether the plan is signed, by which key (its fingerprint), and whether the signature still
matches the plan's bytes; whether that key is trusted is for --trust of the run commands.

Options:
  --json      Print only the header, as JSON: { magic, format, compiler, sha256, bodyLength, bodyOffset, signed,
              flagsAt?, signature?: { algorithm, key, intact } }
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
    const { signatureIntact } = await import("../../compiler/plan/signature.js");
    const header = readPlanHeader(bytes);
    const intact = signatureIntact(bytes);
    if (args.values.json) {
      const json = header.signature ? { ...header, signature: { ...header.signature, intact } } : header;
      io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    } else {
      const { planToText } = await import("../../compiler/plan/inspect.js");
      const [first, ...rest] = planToText(decodePlan(bytes)).split("\n");
      const signed = header.signature
        ? `signed by ${header.signature.algorithm} key ${header.signature.key} (${intact ? "signature intact" : "SIGNATURE BROKEN: the plan was changed after it was signed"})`
        : "not signed";
      const text = [first, signed, ...rest].join("\n");
      io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    }
    return Exit.ok;
  },
};
