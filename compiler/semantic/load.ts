import type { Module } from "../syntax/ast.js";
import { parse } from "../syntax/parser.js";
import { diag, type Diagnostic } from "../diagnostics/diagnostic.js";
import { LineMap } from "../diagnostics/line-map.js";
import type { ModuleInfo, Program, SourceHost, Sym } from "./program.js";
import { ProjectScope } from "./project-paths.js";

/** Parses each (file, text) once; the LSP keeps one across edits so unchanged files are not re-parsed. */
export class ParseCache {
  private readonly entries = new Map<string, { text: string; module: Module; diagnostics: Diagnostic[] }>();
  get(file: string, text: string): { module: Module; diagnostics: Diagnostic[] } {
    const hit = this.entries.get(file);
    if (hit && hit.text === text) return hit;
    const r = parse(file, text);
    const entry = { text, module: r.module, diagnostics: r.diagnostics };
    this.entries.set(file, entry);
    return entry;
  }

  private readonly lineMaps = new Map<string, LineMap>();
  /** The line map of (file, text), kept while the text does not change. */
  lines(file: string, text: string): LineMap {
    const hit = this.lineMaps.get(file);
    if (hit && hit.text === text) return hit;
    const lines = new LineMap(text);
    this.lineMaps.set(file, lines);
    return lines;
  }
}

/**
 * Loads the entries and everything they import, depth first. Reports missing files (AWR2003),
 * import cycles (AWR2004), imports outside the project root (AWR2013, project-paths.ts) and
 * duplicate declarations across the whole program (AWR2002).
 */
export function loadProgram(entries: string[], host: SourceHost, cache = new ParseCache()): { program: Program; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const modules = new Map<string, ModuleInfo>();
  const onStack: string[] = [];
  const scope = ProjectScope.of(entries[0], host);

  const visit = (file: string) => {
    if (modules.has(file)) return;
    const text = host.read(file);
    if (text === undefined) {
      diagnostics.push(diag("AWR2003", file, { start: 0, end: 0 }, `cannot read ${file}`));
      return;
    }
    const parsed = cache.get(file, text);
    diagnostics.push(...parsed.diagnostics);
    const info: ModuleInfo = {
      file,
      text,
      lines: cache.lines(file, text),
      ast: parsed.module,
      imports: [],
      library: host.isLibrary?.(file) ?? false,
    };
    modules.set(file, info);
    onStack.push(file);
    for (const imp of parsed.module.imports) {
      if (imp.path === "") continue; // the parser already reported the broken import
      const target = host.resolve(imp.path, file);
      // Refused before it is read: a file outside the project is never opened.
      if (target !== undefined && scope && !(host.isLibrary?.(target) ?? false) && !scope.contains(target)) {
        info.imports.push({ decl: imp, file: undefined });
        diagnostics.push(diag("AWR2013", file, imp.pathSpan, `import "${imp.path}" resolves to ${target}, ${scope.advice()}`));
        continue;
      }
      const readable = target !== undefined && host.read(target) !== undefined;
      info.imports.push({ decl: imp, file: readable ? target : undefined });
      if (!readable) {
        const hint = imp.path.startsWith("std/") ? "the standard library has no such module" : "no such file";
        diagnostics.push(diag("AWR2003", file, imp.pathSpan, `cannot find module "${imp.path}": ${hint}`));
        continue;
      }
      const cycleAt = onStack.indexOf(target);
      if (cycleAt >= 0) {
        const chain = [...onStack.slice(cycleAt), target].map(shortName).join(" → ");
        diagnostics.push(diag("AWR2004", file, imp.pathSpan, `import cycle: ${chain}`));
        continue;
      }
      visit(target);
    }
    onStack.pop();
  };
  for (const e of entries) visit(e);

  const globals = new Map<string, Sym>();
  for (const m of modules.values()) {
    for (const decl of m.ast.decls) {
      const name = decl.name.name;
      if (name === "") continue;
      const first = globals.get(name);
      if (first) {
        const where = modules.get(first.file)!.lines.position(first.decl.name.span.start);
        diagnostics.push(
          diag("AWR2002", m.file, decl.name.span, `"${name}" is already declared (${shortName(first.file)}:${where.line})`, {
            related: [{ file: first.file, span: first.decl.name.span, message: "first declared here" }],
          }),
        );
        continue;
      }
      globals.set(name, { name, decl, file: m.file });
    }
  }

  const scopes = new Map<string, Map<string, Sym>>();
  for (const m of modules.values()) {
    const scope = new Map<string, Sym>();
    const files = [m.file, ...m.imports.flatMap((i) => (i.file ? [i.file] : []))];
    for (const f of files) {
      for (const decl of modules.get(f)?.ast.decls ?? []) {
        const sym = globals.get(decl.name.name);
        if (sym && sym.decl === decl) scope.set(sym.name, sym);
      }
    }
    scopes.set(m.file, scope);
  }
  return { program: { modules, entries: entries.filter((e) => modules.has(e)), globals, scopes }, diagnostics };
}

function shortName(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts.slice(-2).join("/");
}
