import { writeFileSync } from "node:fs";
import type { Diagnostic } from "../../compiler/index.js";
import type { Command } from "../command.js";
import { collectSources } from "../files.js";
import { FileHost } from "../../host/source-host.js";
import { Exit, UsageError, displayPath } from "../io.js";
import { printDiagnostics } from "../report.js";

export const fmt: Command = {
  name: "fmt",
  summary: "Format .awr files in place (--check: list the files that would change)",
  options: {
    check: { type: "boolean" },
  },
  help: `Format .awr files in place.

Usage: awr fmt <files|dirs>... [--check]

Directories are searched recursively for *.awr files (node_modules and dot-directories are
skipped). A file is rewritten only when formatting changes it. A file with syntax errors is never
touched: its diagnostics are printed instead. Formatting keeps every comment and never changes
what a file means; template strings (#"..."#) are kept byte for byte.

The layout: two-space indentation, one item per line in declaration bodies, a blank line between
declarations, lists, records and arguments broken one per line past 100 columns. A project's
.prettierrc (printWidth, tabWidth, useTabs, endOfLine, overrides) and .editorconfig (max_line_length,
indent_size, indent_style, end_of_line) change those, for awr fmt, the language server and
prettier alike. Line endings follow the file's own unless configured.

Options:
  --check     Change nothing; print the files that would be reformatted (on stdout)
  -h, --help  Show this help

Examples:
  awr fmt main.awr
  awr fmt src/
  awr fmt --check .

Exit codes:
  0  every file is formatted (or, with --check, already was)
  1  with --check, a file would change; or a file has syntax errors
  2  usage error or a path that does not exist
`,
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError("missing files or directories to format", 'run "awr fmt --help" for usage');
    const files = collectSources(args.positionals, io.cwd);
    const host = new FileHost();
    const check = args.values.check === true;

    const { formatSource } = await import("../../compiler/index.js");
    const { formatConfigFor } = await import("../../host/format-config.js");
    const broken: Diagnostic[] = [];
    const changed: string[] = [];
    for (const file of files) {
      const text = host.read(file);
      if (text === undefined) throw new UsageError(`cannot read ${displayPath(file, io.cwd)}`);
      const result = formatSource(file, text, (await formatConfigFor(file)).options);
      if (!result.ok) {
        broken.push(...result.diagnostics);
        continue;
      }
      if (result.text === text) continue;
      changed.push(file);
      if (check) io.stdout.write(`${displayPath(file, io.cwd)}\n`);
      else writeFileSync(file, result.text);
    }

    printDiagnostics(io.stderr, broken, host, io.cwd);
    const count = (n: number) => `${n} file${n === 1 ? "" : "s"}`;
    const brokenFiles = new Set(broken.map((d) => d.file)).size;
    const summary = check
      ? `${count(changed.length)} would be reformatted, ${count(files.length - changed.length - brokenFiles)} already formatted`
      : `${count(changed.length)} reformatted, ${count(files.length - changed.length - brokenFiles)} unchanged`;
    io.stderr.write(`${summary}${brokenFiles ? `, ${count(brokenFiles)} with syntax errors left untouched` : ""}\n`);
    return brokenFiles > 0 || (check && changed.length > 0) ? Exit.errors : Exit.ok;
  },
};
