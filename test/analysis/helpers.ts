// Test helpers: an in-memory program from .awr source text, and compact renderings of results.
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import { loadProgram } from "../../compiler/semantic/load.js";
import type { Program } from "../../compiler/semantic/program.js";
import type { GraphDecl } from "../../compiler/syntax/ast.js";

export const FILE = "/main.awr";

/** A program from files given as text (the first is the entry); parse errors fail the test. */
export function programOf(files: Record<string, string> | string): Program {
  const map = typeof files === "string" ? { [FILE]: files } : files;
  const host = {
    read: (f: string) => map[f],
    resolve: (spec: string) => (spec.startsWith("./") ? `/${spec.slice(2)}` : undefined),
  };
  const { program, diagnostics } = loadProgram([Object.keys(map)[0]!], host);
  const syntax = diagnostics.filter((d) => d.code.startsWith("AWR1"));
  if (syntax.length) throw new Error(`test source does not parse:\n${render(program, syntax).join("\n")}`);
  return program;
}

export function graphOf(program: Program, name?: string): GraphDecl {
  for (const m of program.modules.values())
    for (const d of m.ast.decls) if (d.kind === "GraphDecl" && (!name || d.name.name === name)) return d;
  throw new Error(`no graph ${name ?? ""}`);
}

/** `CODE line:col-col message` per diagnostic, sorted by position. */
export function render(program: Program, ds: Diagnostic[]): string[] {
  return [...ds]
    .sort((a, b) => a.span.start - b.span.start || (a.code < b.code ? -1 : 1))
    .map((d) => {
      const lines = program.modules.get(d.file)!.lines;
      const s = lines.position(d.span.start);
      return `${d.code} ${s.line}:${s.column} ${lines.text.slice(d.span.start, d.span.end).split("\n")[0]} | ${d.message}`;
    });
}
