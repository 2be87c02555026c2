// Diagnostics of one open file: the compiler's, from the program with the file as its entry. An
// "unused" warning (AWR6001) is dropped when an open document importing the file uses the name,
// since a module checked on its own cannot see its importers.
import type { Diagnostic as LspDiagnostic, DiagnosticRelatedInformation } from "vscode-languageserver/node";
import { DiagnosticSeverity, DiagnosticTag } from "vscode-languageserver/node";
import type { Diagnostic } from "../../compiler/index.js";
import { toRange } from "../convert.js";
import type { Workspace } from "../workspace.js";

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;
const UNNECESSARY = new Set(["AWR6001", "AWR6004"]);

/** The compiler's diagnostics for `file`, before conversion. */
export function fileDiagnostics(ws: Workspace, file: string): Diagnostic[] {
  const own = ws.analyse(file).fileDiagnostics(file);
  if (!own.some((d) => d.code === "AWR6001")) return own;
  const importers = ws.importersOf(file);
  if (importers.length === 0) return own;
  // "Unused" comes from the check alone: the importers' graphs need no analysis for it.
  const unusedIn = importers.map((r) => new Set(r.result.check.diagnostics.filter((d) => d.file === file && d.code === "AWR6001").map((d) => d.span.start)));
  return own.filter((d) => d.code !== "AWR6001" || unusedIn.every((s) => s.has(d.span.start)));
}

export function diagnostics(ws: Workspace, file: string): LspDiagnostic[] {
  const lines = ws.module(file)?.lines ?? ws.lines(file);
  if (!lines) return [];
  return fileDiagnostics(ws, file).map((d) => {
    const out: LspDiagnostic = { range: toRange(lines, d.span), severity: SEVERITY[d.severity], code: d.code, source: "awr", message: d.message };
    if (UNNECESSARY.has(d.code)) out.tags = [DiagnosticTag.Unnecessary];
    const related = (d.related ?? []).flatMap((r): DiagnosticRelatedInformation[] => {
      const l = ws.analyse(file).program.modules.get(r.file)?.lines ?? ws.lines(r.file);
      return l ? [{ location: { uri: ws.uriOf(r.file), range: toRange(l, r.span) }, message: r.message }] : [];
    });
    if (related.length) out.relatedInformation = related;
    return out;
  });
}
