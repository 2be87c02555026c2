// Printing diagnostics the way every command does: rendered with source, or as DESIGN §6 JSON.
// Through the compiler's API Boundary: every command that prints diagnostics has compiled first.
import { type Diagnostic, type SourceHost, LineMap, diagnosticToJson, renderDiagnostic, sortDiagnostics } from "../compiler/index.js";
import { type Output, displayPath } from "./io.js";

type JsonDiagnostic = ReturnType<typeof diagnosticToJson>;

export function sorted(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return sortDiagnostics([...diagnostics]);
}

export function printDiagnostics(out: Output, diagnostics: readonly Diagnostic[], host: SourceHost, cwd: string): void {
  for (const d of sorted(diagnostics)) {
    const text = renderDiagnostic(d, host.read(d.file) ?? "", {
      color: out.color,
      cwdRelativeFile: displayPath(d.file, cwd),
      displayPath: (f) => displayPath(f, cwd),
      source: (f) => host.read(f),
    });
    out.write(`${text}\n\n`);
  }
}

export function diagnosticsToJson(diagnostics: readonly Diagnostic[], host: SourceHost, cwd: string): JsonDiagnostic[] {
  const maps = new Map<string, LineMap>();
  return sorted(diagnostics).map((d) => {
    let lines = maps.get(d.file);
    if (!lines) maps.set(d.file, (lines = new LineMap(host.read(d.file) ?? "")));
    return diagnosticToJson(d, lines, displayPath(d.file, cwd));
  });
}

/** `2 errors, 1 warning in 3 files` */
export function summaryLine(diagnostics: readonly Diagnostic[], files: number): string {
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.filter((d) => d.severity === "warning").length;
  return `${count(errors, "error")}, ${count(warnings, "warning")} in ${count(files, "file")}`;
}
