// Hover: a declaration's kind, signature and doc comment; a field's type, attributes and doc; a
// node's doc; a property key's or attribute's documentation; an expression's type.
import type { Hover, HoverParams } from "vscode-languageserver/node";
import { MarkupKind } from "vscode-languageserver/node";
import { LineMap, keywordDoc, lex, types as Ty } from "../../compiler/index.js";
import { signature, fieldText } from "../describe.js";
import { toOffset, toRange, uriToPath } from "../convert.js";
import { targetAt, type Target } from "../target.js";
import type { Workspace } from "../workspace.js";

export function hover(ws: Workspace, params: HoverParams): Hover | null {
  const file = uriToPath(params.textDocument.uri);
  const result = ws.analyse(file);
  const module = result.program.modules.get(file);
  if (!module) return null;
  const offset = toOffset(module.lines, params.position);
  const t = targetAt(result, file, offset);
  if (!t) return keywordHover(module.text, module.lines, offset);
  const text = describe(t, (f) => result.program.modules.get(f)?.text ?? "");
  if (!text) return null;
  return { contents: { kind: MarkupKind.Markdown, value: text }, range: toRange(module.lines, t.at) };
}

/** A keyword no declaration, field or expression claims (keywords are soft): what it does. */
function keywordHover(text: string, lines: LineMap, offset: number): Hover | null {
  const token = lex(text).tokens.find((t) => t.startOffset <= offset && offset <= t.startOffset + t.image.length);
  const doc = token && /^'[a-z]+'$/.test(token.tokenType.LABEL ?? "") ? keywordDoc(token.image) : undefined;
  if (!token || !doc) return null;
  return { contents: { kind: MarkupKind.Markdown, value: withDoc(`(keyword) ${token.image}`, doc) }, range: toRange(lines, { start: token.startOffset, end: token.startOffset + token.image.length }) };
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
