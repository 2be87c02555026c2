// Hover: a declaration's kind, signature and doc comment; a field's type, attributes and doc; a
// node's doc; a property key's or attribute's documentation; an expression's type.
import type { Hover, HoverParams } from "vscode-languageserver/node";
import { MarkupKind } from "vscode-languageserver/node";
import { types as Ty } from "../../compiler/index.js";
import { signature, fieldText } from "../describe.js";
import { toOffset, toRange, uriToPath } from "../convert.js";
import { targetAt, type Target } from "../target.js";
import type { Workspace } from "../workspace.js";

export function hover(ws: Workspace, params: HoverParams): Hover | null {
  const file = uriToPath(params.textDocument.uri);
  const result = ws.analyse(file);
  const module = result.program.modules.get(file);
  if (!module) return null;
  const t = targetAt(result, file, toOffset(module.lines, params.position));
  if (!t) return null;
  const text = describe(t, (f) => result.program.modules.get(f)?.text ?? "");
  if (!text) return null;
  return { contents: { kind: MarkupKind.Markdown, value: text }, range: toRange(module.lines, t.at) };
}

const code = (s: string) => "```awr\n" + s + "\n```";
const withDoc = (head: string, doc: string | undefined) => (doc ? `${code(head)}\n\n---\n\n${doc}` : code(head));

function describe(t: Target, textOf: (file: string) => string): string | undefined {
  switch (t.kind) {
    case "decl":
      return withDoc(signature(t.sym.decl, textOf(t.sym.file)), t.sym.decl.doc);
    case "field": {
      const where = t.role === "parameter" ? "parameter" : t.role === "state" ? "state" : "field";
      const owner = t.role === "parameter" || !t.owner ? "" : `${t.owner}.`;
      return withDoc(`(${where}) ${owner}${fieldText(t.field, textOf(t.file))}`, t.field.doc);
    }
    case "variable":
      return code(`(variable) ${t.ident.name}: ${Ty.show(t.ty)}`);
    case "builtin":
      return code(`(builtin) ${t.name}: ${Ty.show(t.ty)}`);
    case "node":
      return withDoc(`(node) ${t.graph}.${t.node.name.name}`, t.node.doc);
    case "member":
      return withDoc(`(enum member) ${t.decl.name.name}.${t.member.name}`, t.decl.doc);
    case "property":
      return withDoc(`(property) ${t.key}: ${t.spec.type}${t.spec.required ? " (required)" : ""}`, t.spec.doc);
    case "attribute":
      return withDoc(`(attribute) @${t.name}`, t.doc);
    case "function":
      return withDoc(`(builtin function) ${t.signature}`, t.doc);
    case "expr":
      return t.ty.k === "error" ? undefined : code(`${Ty.show(t.ty)}`);
  }
}
