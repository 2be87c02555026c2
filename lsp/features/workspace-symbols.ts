// Workspace symbols: the top-level declarations of every module the open documents' programs load,
// filtered by the query (case-insensitive, letters in order, as editors expect for fuzzy search).
import type { SymbolInformation, WorkspaceSymbolParams } from "vscode-languageserver/node";
import { toRange } from "../convert.js";
import type { Workspace } from "../workspace.js";
import { SYMBOL_KINDS } from "./document-symbols.js";

export function workspaceSymbols(ws: Workspace, params: WorkspaceSymbolParams): SymbolInformation[] {
  const query = params.query.toLowerCase();
  const matches = (name: string) => {
    let i = 0;
    for (const ch of name.toLowerCase()) if (ch === query[i]) i++;
    return i === query.length;
  };
  const out: SymbolInformation[] = [];
  const seen = new Set<string>();
  for (const { result } of ws.openResults()) {
    for (const m of result.program.modules.values()) {
      if (seen.has(m.file)) continue;
      seen.add(m.file);
      for (const d of m.ast.decls) {
        if (!d.name.name || !matches(d.name.name)) continue;
        out.push({ name: d.name.name, kind: SYMBOL_KINDS[d.kind], location: { uri: ws.uriOf(m.file), range: toRange(m.lines, d.name.span) } });
      }
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name)).slice(0, 500);
}
