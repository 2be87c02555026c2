import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { hasErrors } from "../../compiler/index.js";
import { type Command, onePositional } from "../command.js";
import { existingFile } from "../files.js";
import { FileHost, packageVersion } from "../../host/source-host.js";
import { Exit, UsageError, displayPath } from "../io.js";
import { errorTag } from "../../vm/ports/errors.js";
import { printDiagnostics, summaryLine } from "../report.js";

export const build: Command = {
  name: "build",
  summary: "Compile an entry file into a plan (.awrp)",
  options: {
    out: { type: "string", short: "o" },
    sign: { type: "string" },
  },
  help: `Compile an entry file and the files it imports into a plan (.awrp).

Usage: awr build <entry.awr> [-o out.awrp] [--sign NAME.key]

Diagnostics are printed on stderr. The plan is written only when there are no errors.

Options:
  -o, --out <file>  Where to write the plan (default: the entry's path with .awrp)
  --sign <key>      Sign the plan with this Ed25519 private key (PEM; awr keygen makes one):
                    runtimes given the public key with --trust run it, and refuse it once a
                    byte of it changed (docs/security.md § Signed plans)
  -h, --help        Show this help

Examples:
  awr build main.awr -o dist/support.awrp
  awr build main.awr && awr inspect main.awrp
  awr build main.awr -o dist/support.awrp --sign release.key

Exit codes:
  0  plan written (warnings allowed)
  1  the sources have errors; nothing written
  2  usage error, a missing entry file, or a --sign key that is not an Ed25519 private key
`,
  async run(args, io) {
    const entryArg = onePositional("build", args, "entry file");
    const entry = existingFile(entryArg, io.cwd);
    const outArg = args.values.out;
    if (outArg === "") throw new UsageError('option "--out" needs a file name');
    const out = typeof outArg === "string" ? resolve(io.cwd, outArg) : entry.slice(0, entry.length - extname(entry).length) + ".awrp";
    if (out === entry) throw new UsageError(`refusing to overwrite the entry file ${entryArg} with the plan`);
    const key = typeof args.values.sign === "string" ? await signingKeyFile(args.values.sign, io.cwd) : undefined;

    const host = new FileHost();
    if (host.read(entry) === undefined) throw new UsageError(`cannot read ${entryArg}`);
    const { compile } = await import("../../compiler/index.js");
    const { diagnostics, plan } = compile([entry], host, { plan: true, compilerVersion: packageVersion() });
    printDiagnostics(io.stderr, diagnostics, host, io.cwd);
    if (hasErrors(diagnostics)) {
      io.stderr.write(`${summaryLine(diagnostics, 1)}; no plan written\n`);
      return Exit.errors;
    }
    if (!plan) throw new Error("compile() returned no plan for a program without errors");

    const { encodePlan } = await import("../../compiler/plan/file.js");
    const { signPlan, fingerprintOf } = await import("../../compiler/plan/signature.js");
    const bytes = key ? signPlan(encodePlan(plan), key) : encodePlan(plan);
    try {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, bytes);
    } catch (e) {
      throw new UsageError(`cannot write ${displayPath(out, io.cwd)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (diagnostics.length > 0) io.stderr.write(`${summaryLine(diagnostics, 1)}\n`);
    io.stderr.write(`wrote ${displayPath(out, io.cwd)} (${bytes.length} bytes${key ? `, signed by key ${fingerprintOf(key)}` : ""})\n`);
    return Exit.ok;
  },
};

/** The private key of `--sign`, read and checked before anything is compiled. */
async function signingKeyFile(file: string, cwd: string) {
  if (file === "") throw new UsageError('option "--sign" needs a key file', "awr keygen NAME writes one to NAME.key");
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), "utf8");
  } catch (e) {
    throw new UsageError(`cannot read the signing key ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, "awr keygen NAME writes a key pair to NAME.key and NAME.pub");
  }
  const { signingKey } = await import("../../compiler/plan/signature.js");
  try {
    return signingKey(text);
  } catch (e) {
    if (errorTag(e) === "SigningKeyError") throw new UsageError(`--sign ${file}: ${(e as Error).message}`);
    throw e;
  }
}
