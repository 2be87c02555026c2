// Formatting through `formatSource`, the printer of `awr fmt`: the whole document (range formatting
// formats the whole document too, since the printer has no partial mode). The style is `awr fmt`'s:
// the project's .prettierrc / .editorconfig when it has them (host/format-config.ts, as `awr fmt`
// and prettier read them), else 2-space indent and width 100 — whatever the editor's own tab
// settings, so the editor, `awr fmt --check` and `prettier --check` agree. A file with syntax
// errors gets no edits. The answer is one edit covering only the span between the first and the
// last changed character, so the cursor and folds outside it stay put.
import type { TextEdit } from "vscode-languageserver/node";
import { LineMap, formatSource, type FormatOptions } from "../../compiler/index.js";
import { toPosition } from "../convert.js";

export function formatting(file: string, text: string, options: FormatOptions = {}): TextEdit[] {
  const r = formatSource(file, text, options);
  if (!r.ok || r.text === text) return [];
  const out = r.text;
  let head = 0;
  const max = Math.min(text.length, out.length);
  while (head < max && text.charCodeAt(head) === out.charCodeAt(head)) head++;
  let tail = 0;
  while (tail < max - head && text.charCodeAt(text.length - 1 - tail) === out.charCodeAt(out.length - 1 - tail)) tail++;
  // Never split a surrogate pair or a CRLF.
  while (head > 0 && (isLow(text.charCodeAt(head)) || text.charCodeAt(head - 1) === 13)) head--;
  while (tail > 0 && (isLow(text.charCodeAt(text.length - tail)) || text.charCodeAt(text.length - tail - 1) === 13)) tail--;
  const lines = new LineMap(text);
  return [{ range: { start: toPosition(lines, head), end: toPosition(lines, text.length - tail) }, newText: out.slice(head, out.length - tail) }];
}

const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;
