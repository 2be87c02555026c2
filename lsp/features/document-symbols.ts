// The outline: declarations, with type fields, enum members, parameters, graph state fields and
// nodes, and policy hooks as children. Names the parser could not read are left out.
import type { DocumentSymbol, DocumentSymbolParams } from "vscode-languageserver/node";
import { SymbolKind } from "vscode-languageserver/node";
import { ast as A, type LineMap } from "../../compiler/index.js";
import { signature } from "../describe.js";
import { toRange, uriToPath } from "../convert.js";
import type { Workspace } from "../workspace.js";

export const SYMBOL_KINDS: Record<A.DeclKind, SymbolKind> = {
  TypeDecl: SymbolKind.Struct,
  EnumDecl: SymbolKind.Enum,
  ModelDecl: SymbolKind.Object,
  ToolDecl: SymbolKind.Function,
  PromptDecl: SymbolKind.Function,
  AgentDecl: SymbolKind.Class,
  ContextDecl: SymbolKind.Namespace,
  PolicyDecl: SymbolKind.Module,
  GraphDecl: SymbolKind.Class,
  TestDecl: SymbolKind.Method,
};

export function documentSymbols(ws: Workspace, params: DocumentSymbolParams): DocumentSymbol[] | null {
  const file = uriToPath(params.textDocument.uri);
  const module = ws.module(file);
  if (!module) return null;
  const lines = module.lines;
  const out: DocumentSymbol[] = [];
  for (const d of module.ast.decls) {
    const children: DocumentSymbol[] = [];
    const field = (f: A.Field, kind: SymbolKind) => push(children, lines, f.name.name, kind, f.span, f.name.span, f.type ? module.text.slice(f.type.span.start, f.type.span.end) : undefined);
    switch (d.kind) {
      case "TypeDecl":
        d.fields.forEach((f) => field(f, SymbolKind.Field));
        break;
      case "EnumDecl":
        d.members.forEach((m) => push(children, lines, m.name, SymbolKind.EnumMember, m.span, m.span));
        break;
      case "ToolDecl":
      case "PromptDecl":
      case "AgentDecl":
        d.params.forEach((f) => field(f, SymbolKind.Variable));
        break;
      case "GraphDecl":
        d.params.forEach((f) => field(f, SymbolKind.Variable));
        for (const m of d.members) {
          if (m.kind === "State") m.fields.forEach((f) => field(f, SymbolKind.Field));
          if (m.kind === "Node") push(children, lines, m.name.name, SymbolKind.Method, m.span, m.name.span);
        }
        break;
      case "ContextDecl":
        d.sources.forEach((s) => push(children, lines, s.name.name, SymbolKind.Property, s.span, s.name.span));
        break;
      case "PolicyDecl":
        for (const h of d.hooks) {
          const sel = h.selector?.kind === "name" ? ` ${h.selector.name.name}` : h.selector?.kind === "tagged" ? ` tagged ${h.selector.tag.parts.join(".")}` : "";
          push(children, lines, `${h.phase} ${h.target}${sel}`, SymbolKind.Event, h.span, h.targetSpan);
        }
        break;
      default:
        break;
    }
    const detail = d.kind === "TypeDecl" && !d.alias ? "type" : signature(d, module.text).split("\n")[0]!.replace(/^\S+ \S+/, "").trim() || undefined;
    push(out, lines, d.name.name, SYMBOL_KINDS[d.kind], d.span, d.name.span, detail, children);
  }
  return out;
}

function push(out: DocumentSymbol[], lines: LineMap, name: string, kind: SymbolKind, span: A.Span, nameSpan: A.Span, detail?: string, children?: DocumentSymbol[]) {
  if (name.trim() === "") return;
  // The selection range must lie inside the range, even for nodes invented by recovery.
  const start = Math.min(span.start, nameSpan.start);
  const end = Math.max(span.end, nameSpan.end);
  const s: DocumentSymbol = { name, kind, range: toRange(lines, { start, end }), selectionRange: toRange(lines, nameSpan) };
  if (detail) s.detail = detail;
  if (children?.length) s.children = children;
  out.push(s);
}
