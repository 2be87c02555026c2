// Quick fixes from the fix data diagnostics carry (did-you-mean replacements, ` max 3` on an
// unbounded cycle). Fixes come from the current compile of the file, so they match its text.
import type { CodeAction, CodeActionParams, Diagnostic as LspDiagnostic, TextEdit } from "vscode-languageserver/node";
import { CodeActionKind } from "vscode-languageserver/node";
import { toOffset, toPosition, toRange, uriToPath } from "../convert.js";
import type { Workspace } from "../workspace.js";
import { fileDiagnostics } from "./diagnostics.js";

export function codeActions(ws: Workspace, params: CodeActionParams): CodeAction[] | null {
  const file = uriToPath(params.textDocument.uri);
  const module = ws.module(file);
  if (!module) return null;
  const lines = module.lines;
  const from = toOffset(lines, params.range.start);
  const to = toOffset(lines, params.range.end);
  const out: CodeAction[] = [];
  for (const d of fileDiagnostics(ws, file)) {
    if (!d.fixes?.length || d.span.end < from || d.span.start > to) continue;
    const range = toRange(lines, d.span);
    const sent = params.context.diagnostics.find((c: LspDiagnostic) => c.code === d.code && c.range.start.line === range.start.line && c.range.start.character === range.start.character);
    for (const fix of d.fixes) {
      const edit: TextEdit =
        fix.kind === "replace"
          ? { range: toRange(lines, fix.span), newText: fix.text }
          : { range: { start: toPosition(lines, fix.offset), end: toPosition(lines, fix.offset) }, newText: fix.text };
      out.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        isPreferred: d.fixes.length === 1,
        diagnostics: [sent ?? { range, code: d.code, message: d.message, source: "awr" }],
        edit: { changes: { [ws.uriOf(file)]: [edit] } },
      });
    }
  }
  return out;
}
