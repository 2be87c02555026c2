import { type ast, closest, hasErrors } from "../../compiler/index.js";
import { type Command, onePositional } from "../command.js";
import { existingFile } from "../files.js";
import { FileHost } from "../../host/source-host.js";
import { Exit, UsageError } from "../io.js";
import { printDiagnostics, summaryLine } from "../report.js";

const FORMATS = ["mermaid", "dot", "json"] as const;

export const graph: Command = {
  name: "graph",
  summary: "Export a graph as Mermaid, Graphviz DOT or JSON",
  options: {
    graph: { type: "string", short: "g" },
    format: { type: "string", short: "f" },
  },
  help: `Export a graph of an .awr file as a Mermaid flowchart, a Graphviz DOT digraph or JSON.

Usage: awr graph <file.awr> [--graph NAME] [--format mermaid|dot|json]

The file is checked first; errors are printed on stderr and nothing is exported.

Options:
  -g, --graph <name>    The graph to export (required when the file declares several)
  -f, --format <fmt>    mermaid (default), dot, or json: { "name", "nodes": [{ "id", "label",
                        "shape": "start|end|node|join" }], "edges": [{ "from", "to",
                        "kind": "normal|conditional|error|loop", "label"?, "fanOut"? }] }
                        (what the VS Code graph view draws)
  -h, --help            Show this help

Examples:
  awr graph main.awr
  awr graph main.awr --graph support --format dot | dot -Tsvg > support.svg

Exit codes:
  0  exported
  1  the file has errors
  2  usage error, a missing file, or no such graph
`,
  async run(args, io) {
    const fileArg = onePositional("graph", args, "file");
    const format = args.values.format ?? "mermaid";
    if (typeof format !== "string" || !(FORMATS as readonly string[]).includes(format)) {
      const guess = closest(String(format), FORMATS);
      throw new UsageError(`unknown format "${String(format)}"`, guess ? `did you mean "${guess}"? (mermaid, dot or json)` : "use mermaid, dot or json");
    }
    const file = existingFile(fileArg, io.cwd);
    const host = new FileHost();
    if (host.read(file) === undefined) throw new UsageError(`cannot read ${fileArg}`);

    const { compile } = await import("../../compiler/index.js");
    const { program, diagnostics } = compile([file], host);
    if (hasErrors(diagnostics)) {
      printDiagnostics(io.stderr, diagnostics, host, io.cwd);
      io.stderr.write(`${summaryLine(diagnostics, 1)}; no graph exported\n`);
      return Exit.errors;
    }

    const own = program.modules.get(file)?.ast.decls.filter((d): d is ast.GraphDecl => d.kind === "GraphDecl") ?? [];
    let target: ast.GraphDecl;
    let targetFile = file;
    const name = args.values.graph;
    if (typeof name === "string") {
      // A graph imported by the file can be exported too: names are global in a program.
      const sym = program.globals.get(name);
      if (!sym || sym.decl.kind !== "GraphDecl") {
        const guess = closest(name, [...program.globals.values()].filter((s) => s.decl.kind === "GraphDecl").map((s) => s.name));
        throw new UsageError(`no graph named "${name}" in ${fileArg}`, guess ? `did you mean "${guess}"?` : listHint(own));
      }
      target = sym.decl;
      targetFile = sym.file;
    } else if (own.length === 1) target = own[0]!;
    else if (own.length === 0) throw new UsageError(`${fileArg} declares no graph`);
    else throw new UsageError(`${fileArg} declares ${own.length} graphs; choose one with --graph`, listHint(own));

    const text = host.read(targetFile) ?? "";
    const { graphToDot, graphToJson, graphToMermaid } = await import("../../compiler/index.js");
    const out = format === "dot" ? graphToDot(target, text) : format === "json" ? JSON.stringify(graphToJson(target, text), null, 2) : graphToMermaid(target, text);
    io.stdout.write(out.endsWith("\n") ? out : `${out}\n`);
    return Exit.ok;
  },
};

function listHint(graphs: ast.GraphDecl[]): string | undefined {
  return graphs.length ? `graphs here: ${graphs.map((g) => g.name.name).join(", ")}` : undefined;
}
