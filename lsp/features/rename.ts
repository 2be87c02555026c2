// Rename: declarations, type fields, state fields, parameters (with the named arguments of calls),
// graph nodes, enum members and map variables, across the open documents and the files their
// programs load. The occurrences are exactly those find-references returns (`findReferences`), so the
// two never disagree. Refused, with a message the editor shows: names that are not identifiers,
// `true`/`false`/`null`, a name already declared where the new one would live, `start`/`end`,
// builtins, the standard library, and any rename whose edited text would no longer parse.
import type { PrepareRenameParams, Range, RenameParams, TextEdit, WorkspaceEdit } from "vscode-languageserver/node";
import { ResponseError, ErrorCodes } from "vscode-languageserver/node";
import { ast as A, BUILTIN_TYPE_NAMES, kindWord, parse, scopeAt, type CompileResult, type Program } from "../../compiler/index.js";
import { pathAt } from "../ast-path.js";
import { toOffset, toRange, uriToPath } from "../convert.js";
import { type Target, targetAt } from "../target.js";
import type { Workspace } from "../workspace.js";
import { type FoundReferences, findReferences } from "./references.js";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(["true", "false", "null"]);

const refuse = (message: string) => new ResponseError<void>(ErrorCodes.InvalidRequest, message);

export function prepareRename(ws: Workspace, params: PrepareRenameParams): { range: Range; placeholder: string } | ResponseError<void> | null {
  const file = uriToPath(params.textDocument.uri);
  const result = ws.analyse(file);
  const module = result.program.modules.get(file);
  if (!module) return null;
  const offset = toOffset(module.lines, params.position);
  const found = renamable(ws, result, file, offset);
  if (found instanceof ResponseError || !found) return found ?? null;
  return { range: toRange(module.lines, found.target.at), placeholder: found.name };
}

export function rename(ws: Workspace, params: RenameParams): WorkspaceEdit | ResponseError<void> | null {
  const file = uriToPath(params.textDocument.uri);
  const result = ws.analyse(file);
  const module = result.program.modules.get(file);
  if (!module) return null;
  const found = renamable(ws, result, file, toOffset(module.lines, params.position));
  if (found instanceof ResponseError) return found;
  if (!found) return refuse("There is nothing to rename here.");
  const newName = params.newName.trim();
  if (!IDENTIFIER.test(newName)) return refuse(`"${newName}" is not a valid name: use letters, digits and _, not starting with a digit.`);
  if (RESERVED.has(newName)) return refuse(`"${newName}" is a literal and cannot be used as a name.`);
  if (newName === found.name) return { changes: {} };
  const conflict = conflictOf(ws, found, newName);
  if (conflict) return refuse(conflict);

  const changes: Record<string, TextEdit[]> = {};
  for (const [f, occurrences] of groupByFile(found)) {
    const m = found.searched.get(f)!.program.modules.get(f)!;
    // A span that does not hold the old name (a recovered node) is left alone rather than mangled.
    const spans = occurrences.filter((s) => m.text.slice(s.start, s.end) === found.name).sort((a, b) => a.start - b.start);
    if (spans.length === 0) continue;
    const edited = applyEdits(m.text, spans, newName);
    const before = parse(f, m.text).diagnostics.filter((d) => d.severity === "error").length;
    const after = parse(f, edited).diagnostics.filter((d) => d.severity === "error").length;
    if (after > before) return refuse(`Renaming to "${newName}" would make ${baseName(f)} unreadable to the parser.`);
    changes[ws.uriOf(f)] = spans.map((s) => ({ range: toRange(m.lines, s), newText: newName }));
  }
  return { changes };
}

/** The references of the renamable symbol at `offset`, a refusal, or undefined (nothing there). */
function renamable(ws: Workspace, result: CompileResult, file: string, offset: number): FoundReferences | ResponseError<void> | undefined {
  const module = result.program.modules.get(file)!;
  const t = targetAt(result, file, offset);
  if (!t) return whyNot(module.ast, offset);
  const why = refusalOf(t, result.program);
  if (why) return refuse(why);
  const found = findReferences(ws, file, offset);
  if (!found) return refuse("This name cannot be renamed.");
  if (found.searched.get(found.def.file)?.program.modules.get(found.def.file)?.library) return refuse(`"${found.name}" is declared in the standard library and cannot be renamed.`);
  return found;
}

function refusalOf(t: Target, program: Program): string | undefined {
  switch (t.kind) {
    case "decl":
      if (program.modules.get(t.sym.file)?.library) return `"${t.sym.name}" is declared in the standard library and cannot be renamed.`;
      return undefined;
    case "field":
    case "node":
    case "member":
    case "variable":
      return undefined;
    case "builtin":
      return `"${t.name}" is built in and cannot be renamed.`;
    case "function":
      return "Builtin functions cannot be renamed.";
    case "property":
      return `"${t.key}" is a property of the language and cannot be renamed.`;
    case "attribute":
      return `@${t.name} is an attribute of the language and cannot be renamed.`;
    case "expr":
      return "Only names can be renamed.";
  }
}

/** Names the cursor is on that denote nothing renamable: `start`/`end`, builtin types. */
function whyNot(ast: A.Module, offset: number): ResponseError<void> | undefined {
  const path = pathAt(ast, offset);
  const node = path[path.length - 1];
  const parent = path[path.length - 2];
  if (node?.kind !== "Ident") return undefined;
  const name = (node as unknown as A.Ident).name;
  if ((name === "start" || name === "end") && parent?.kind === "Edge") return refuse(`"${name}" is built into every graph and cannot be renamed.`);
  if (parent?.kind === "NamedType" && BUILTIN_TYPE_NAMES.includes(name)) return refuse(`"${name}" is a builtin type and cannot be renamed.`);
  return undefined;
}

/** Why `newName` cannot take the place of the target's name, if it cannot. */
function conflictOf(ws: Workspace, found: FoundReferences, newName: string): string | undefined {
  const t = found.target;
  const programs = new Set<CompileResult>(found.searched.values());
  switch (t.kind) {
    case "decl": {
      if ((t.sym.decl.kind === "TypeDecl" || t.sym.decl.kind === "EnumDecl") && BUILTIN_TYPE_NAMES.includes(newName)) return `"${newName}" is a builtin type.`;
      for (const r of programs) {
        const other = r.program.globals.get(newName);
        if (other && other.decl !== t.sym.decl) return `${kindWord(other.decl.kind)} "${newName}" is already declared in ${baseName(other.file)}; names are global to a program.`;
      }
      return undefined;
    }
    case "member": {
      if (t.decl.members.some((m) => m !== t.member && m.name === newName)) return `enum ${t.decl.name.name} already has a member "${newName}".`;
      return undefined;
    }
    case "node": {
      if (newName === "start" || newName === "end") return `"${newName}" is built into every graph.`;
      const g = ownerDecl(ws, found, found.def.file, t.node.span);
      if (g?.kind === "GraphDecl" && A.graphNodes(g).some((n) => n !== t.node && n.name.name === newName)) return `graph ${g.name.name} already has a node "${newName}".`;
      return undefined;
    }
    case "field":
    case "variable": {
      const decl = ownerDecl(ws, found, found.def.file, found.def.span);
      if (!decl) return undefined;
      const self = t.kind === "field" ? t.field : undefined;
      if (decl.kind === "TypeDecl") {
        if (decl.fields.some((f) => f !== self && f.name.name === newName)) return `type ${decl.name.name} already has a field "${newName}".`;
        return undefined;
      }
      const fields: A.Field[] = [...("params" in decl ? decl.params : []), ...(decl.kind === "GraphDecl" ? A.graphState(decl) : [])];
      const clash = fields.find((f) => f !== self && f.name.name === newName);
      if (clash) {
        const what = decl.kind === "GraphDecl" && A.graphState(decl).includes(clash) ? "a state field" : "a parameter";
        return `${kindWord(decl.kind)} ${decl.name.name} already has ${what} "${newName}".`;
      }
      const r = found.searched.get(found.def.file);
      const local = r ? scopeAt(r.program, found.def.file, decl).locals.get(newName) : undefined;
      if (local && local.role === "builtin") return `"${newName}" is a builtin value inside ${kindWord(decl.kind)} ${decl.name.name}.`;
      if (decl.kind === "GraphDecl") {
        const variable = A.graphNodes(decl).flatMap((n) => n.stmts).find((s): s is A.MapStmt => s.kind === "Map" && s.variable !== (t.kind === "variable" ? t.ident : undefined) && s.variable.name === newName);
        if (variable) return `graph ${decl.name.name} already uses "${newName}" as a map variable.`;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The top-level declaration of `file` holding `span`. */
function ownerDecl(ws: Workspace, found: FoundReferences, file: string, span: A.Span): A.Decl | undefined {
  const m = (found.searched.get(file) ?? ws.analyse(file)).program.modules.get(file);
  const path = m ? pathAt(m.ast, span.start) : [];
  return path[1] as unknown as A.Decl | undefined;
}

function groupByFile(found: FoundReferences): Map<string, A.Span[]> {
  const out = new Map<string, A.Span[]>();
  for (const o of found.occurrences) {
    const list = out.get(o.file) ?? [];
    list.push(o.span);
    out.set(o.file, list);
  }
  return out;
}

function applyEdits(text: string, spans: A.Span[], newText: string): string {
  let out = "";
  let at = 0;
  for (const s of spans) {
    out += text.slice(at, s.start) + newText;
    at = s.end;
  }
  return out + text.slice(at);
}

const baseName = (file: string) => file.split(/[\\/]/).pop() ?? file;
