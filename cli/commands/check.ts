import { type Diagnostic, type Program, type ast, hasErrors } from "../../compiler/index.js";
import type { Command } from "../command.js";
import { collectSources } from "../files.js";
import { FileHost } from "../../host/source-host.js";
import { type Output, Exit, UsageError, displayPath } from "../io.js";
import { diagnosticsToJson, printDiagnostics, summaryLine } from "../report.js";

type Explain = (program: Program, graph: ast.GraphDecl) => string[];

export const check: Command = {
  name: "check",
  summary: "Check .awr files and report diagnostics",
  options: {
    json: { type: "boolean" },
    "explain-cost": { type: "boolean" },
  },
  help: `Check .awr files and report diagnostics.

Usage: awr check <files|dirs>... [--json] [--explain-cost]

Directories are searched recursively for *.awr files (node_modules and dot-directories are
skipped). A file imported by another file given here is checked as part of that file's program.
Diagnostics go to stdout; the summary line ("N errors, N warnings in M files") to stderr.

Options:
  --json          Print the diagnostics as a JSON array on stdout:
                  [{ "file", "line", "column", "endLine", "endColumn",
                     "severity": "error|warning|info", "code", "message" }]
                  (positions are 1-based; the end is exclusive)
  --explain-cost  Also explain each graph's worst-case model calls, tokens and cost
                  (on stderr with --json, so stdout stays one JSON array)
  -h, --help      Show this help

Examples:
  awr check main.awr
  awr check src/ --json
  awr check main.awr --explain-cost

Exit codes:
  0  no errors (warnings allowed)
  1  at least one error
  2  usage error or a path that does not exist
`,
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError("missing files or directories to check", 'run "awr check --help" for usage');
    const files = collectSources(args.positionals, io.cwd);
    const host = new FileHost();
    for (const f of files) if (host.read(f) === undefined) throw new UsageError(`cannot read ${displayPath(f, io.cwd)}`);

    // The compiler is loaded only when a command needs it, so --help and --version start instantly.
    const { checkFiles } = await import("../../compiler/index.js");
    const { programs, diagnostics } = checkFiles(files, host);
    if (args.values.json) io.stdout.write(`${JSON.stringify(diagnosticsToJson(diagnostics, host, io.cwd), null, 2)}\n`);
    else printDiagnostics(io.stdout, diagnostics, host, io.cwd);

    // With --json, stdout holds the array and nothing else; explanations are for people.
    if (args.values["explain-cost"]) {
      const { explainCost } = await import("../../compiler/index.js");
      printCost(explainCost, args.values.json ? io.stderr : io.stdout, programs, diagnostics);
    }

    io.stderr.write(`${summaryLine(diagnostics, files.length)}\n`);
    return hasErrors(diagnostics) ? Exit.errors : Exit.ok;
  },
};

/** Cost bounds of every graph of the programs that have no errors (a broken program has no bound). */
function printCost(explainCost: Explain, out: Output, programs: Program[], diagnostics: Diagnostic[]): void {
  const broken = new Set(diagnostics.filter((d) => d.severity === "error").map((d) => d.file));
  const seen = new Set<string>(); // a graph of a module shared by several programs is explained once
  for (const program of programs) {
    if ([...program.modules.keys()].some((f) => broken.has(f))) continue;
    for (const sym of program.globals.values()) {
      if (sym.decl.kind !== "GraphDecl" || seen.has(`${sym.file}#${sym.name}`)) continue;
      seen.add(`${sym.file}#${sym.name}`);
      out.write(`${explainCost(program, sym.decl).join("\n")}\n\n`);
    }
  }
}
