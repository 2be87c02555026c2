// Find references: every name in the open documents' programs, and in the workspace files that
// import the declaring module (open or not), that resolves to the same declaring name as the one
// under the cursor. Candidates are the identifiers spelled like it; each is resolved
// with the same `targetAt` that definition uses, so the two features always agree. Rename edits
// exactly the occurrences `findReferences` returns.
import type { Location, ReferenceParams } from "vscode-languageserver/node";
import type { CompileResult, ast } from "../../compiler/index.js";
import { type AnyNode, descendants } from "../ast-path.js";
import { toOffset, toRange, uriToPath } from "../convert.js";
import { type Def, type Target, defKey, defOf, targetAt } from "../target.js";
import type { Workspace } from "../workspace.js";

export interface Occurrence {
  file: string;
  span: ast.Span;
  /** True for the declaring name itself. */
  isDecl: boolean;
}

export interface FoundReferences {
  target: Target;
  def: Def;
  name: string;
  /** Every module searched, with the program it was resolved in. */
  searched: Map<string, CompileResult>;
  occurrences: Occurrence[];
}

/** The target at `offset` of `file` and every occurrence of it across the open programs. */
export function findReferences(ws: Workspace, file: string, offset: number): FoundReferences | undefined {
  const own = ws.analyse(file);
  const t = targetAt(own, file, offset);
  const def = t && defOf(t);
  if (!t || !def) return undefined;
  const key = defKey(def);
  const declName = nameOf(t);
  if (!declName) return undefined;

  // Each module once, resolved in the first program that loads it (its scope is the same in all).
  const where = new Map<string, CompileResult>();
  for (const r of [own, ...ws.openResults().map((x) => x.result)]) {
    for (const f of r.program.modules.keys()) if (!where.has(f) && !r.program.modules.get(f)!.library) where.set(f, r);
  }
  if (!where.has(def.file)) {
    const r = ws.analyse(def.file);
    if (r.program.modules.has(def.file)) where.set(def.file, r);
  }
  // Files of the workspace that are not open and no open program loads, but that import the
  // declaring module (directly or not): each resolved in its own program.
  for (const f of ws.dependentsOf(def.file)) {
    if (where.has(f)) continue;
    const r = ws.analyse(f);
    for (const g of r.program.modules.keys()) if (!where.has(g) && !r.program.modules.get(g)!.library) where.set(g, r);
  }

  const occurrences: Occurrence[] = [];
  const seen = new Set<string>();
  for (const [f, r] of where) {
    const m = r.program.modules.get(f)!;
    const spans: ast.Span[] = r.check.references.filter((x) => x.file === f && x.name === declName).map((x) => x.span);
    for (const n of descendants(m.ast as unknown as AnyNode)) {
      if ((n.kind === "Ident" || n.kind === "Name") && n["name"] === declName) spans.push(n.span);
    }
    for (const span of spans) {
      const id = `${f}\0${span.start}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const isDecl = f === def.file && span.start === def.span.start;
      const other = isDecl ? t : targetAt(r, f, span.start);
      const d = other && defOf(other);
      if (!d || defKey(d) !== key) continue;
      // A quoted record key ("email": ...) occurs inside its quotes (rename keeps them).
      const quoted = m.text.slice(span.start, span.end) === `"${declName}"`;
      occurrences.push({ file: f, span: quoted ? { start: span.start + 1, end: span.end - 1 } : span, isDecl });
    }
  }
  return { target: t, def, name: declName, searched: where, occurrences };
}

export function references(ws: Workspace, params: ReferenceParams): Location[] | null {
  const file = uriToPath(params.textDocument.uri);
  const module = ws.module(file);
  if (!module) return null;
  const found = findReferences(ws, file, toOffset(module.lines, params.position));
  if (!found) return null;
  const out: Location[] = [];
  for (const o of found.occurrences) {
    if (o.isDecl && !params.context.includeDeclaration) continue;
    const lines = found.searched.get(o.file)?.program.modules.get(o.file)?.lines;
    if (lines) out.push({ uri: ws.uriOf(o.file), range: toRange(lines, o.span) });
  }
  return out;
}

export function nameOf(t: Target): string | undefined {
  switch (t.kind) {
    case "decl":
      return t.sym.name;
    case "field":
      return t.field.name.name;
    case "node":
      return t.node.name.name;
    case "member":
      return t.member.name;
    case "variable":
      return t.ident.name;
    default:
      return undefined;
  }
}
