// Positions and locations between the compiler (offsets, 1-based LineMap) and LSP (0-based line,
// UTF-16 character). LineMap columns already count UTF-16 units, so the mapping is a shift by one.
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Position, Range } from "vscode-languageserver/node";
import type { LineMap, ast } from "../compiler/index.js";

type Span = ast.Span;

export function toPosition(lines: LineMap, offset: number): Position {
  const p = lines.position(offset);
  return { line: p.line - 1, character: p.column - 1 };
}

export function toRange(lines: LineMap, span: Span): Range {
  return { start: toPosition(lines, span.start), end: toPosition(lines, Math.max(span.start, span.end)) };
}

export function toOffset(lines: LineMap, pos: Position): number {
  return lines.offset(pos.line + 1, pos.character + 1);
}

/** File ids are absolute paths for `file:` URIs; other schemes (untitled:) keep their URI as id. */
export function uriToPath(uri: string): string {
  if (!uri.startsWith("file:")) return uri;
  try {
    return fileURLToPath(uri);
  } catch {
    return uri;
  }
}

export function pathToUri(file: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(file) && !/^[a-z]:[\\/]/i.test(file) ? file : pathToFileURL(file).href;
}
