// Turns diagnostics into text for people (compiler style: location, code, message, the source line
// with the span underlined) and into the JSON shape of `awr check --json`. Pure: the caller passes
// the texts and decides about colour.
import type { Span } from "../span.js";
import type { Severity } from "./codes.js";
import type { Diagnostic } from "./diagnostic.js";
import { LineMap } from "./line-map.js";

export interface RenderOptions {
  color: boolean;
  /** How to print `d.file` (e.g. relative to the working directory); defaults to `d.file`. */
  cwdRelativeFile?: string;
  /** How to print other files (related locations); defaults to the id itself. */
  displayPath?: (file: string) => string;
  /** Text of other files, to show related locations with their source line. */
  source?: (file: string) => string | undefined;
}

/** The shape of one entry of `awr check --json` (DESIGN §6); positions are 1-based, end exclusive. */
export interface JsonDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  code: string;
  message: string;
}

const TAB_WIDTH = 4;

const ANSI = {
  reset: "\x1b[0m",
  bold: "\x1b[1m",
  red: "\x1b[31m",
  yellow: "\x1b[33m",
  blue: "\x1b[34m",
  cyan: "\x1b[36m",
  green: "\x1b[32m",
} as const;

type Style = (s: string) => string;

interface Palette {
  severity: Record<Severity, Style>;
  gutter: Style;
  note: Style;
  help: Style;
  bold: Style;
}

function palette(color: boolean): Palette {
  const paint =
    (...codes: string[]): Style =>
    (s) =>
      color && s !== "" ? codes.join("") + s + ANSI.reset : s;
  return {
    severity: { error: paint(ANSI.bold, ANSI.red), warning: paint(ANSI.bold, ANSI.yellow), info: paint(ANSI.bold, ANSI.cyan) },
    gutter: paint(ANSI.bold, ANSI.blue),
    note: paint(ANSI.bold, ANSI.green),
    help: paint(ANSI.bold, ANSI.cyan),
    bold: paint(ANSI.bold),
  };
}

export function renderDiagnostic(d: Diagnostic, text: string, opts: RenderOptions): string {
  const p = palette(opts.color);
  const show = (file: string) => (file === d.file && opts.cwdRelativeFile !== undefined ? opts.cwdRelativeFile : (opts.displayPath?.(file) ?? file));
  const lines = new LineMap(text);
  const start = lines.position(d.span.start);
  const out: string[] = [];

  out.push(
    `${p.bold(`${show(d.file)}:${start.line}:${start.column}:`)} ${p.severity[d.severity](`${d.severity} ${d.code}:`)} ${p.bold(d.message)}`,
  );

  // Related locations in other files need their own line maps; the gutter is as wide as the widest line number.
  const related = (d.related ?? []).map((r) => {
    const rtext = r.file === d.file ? text : opts.source?.(r.file);
    return { ...r, lines: rtext === undefined ? undefined : r.file === d.file ? lines : new LineMap(rtext) };
  });
  const width = Math.max(
    String(lines.position(d.span.start).line).length,
    ...related.map((r) => (r.lines ? String(r.lines.position(r.span.start).line).length : 1)),
  );

  out.push(...snippet(lines, d.span, "^", p.severity[d.severity], width, p));

  for (const r of related) {
    if (!r.lines) {
      out.push(`${p.bold(`${show(r.file)}:`)} ${p.note("note:")} ${r.message}`);
      continue;
    }
    const pos = r.lines.position(r.span.start);
    out.push(`${p.bold(`${show(r.file)}:${pos.line}:${pos.column}:`)} ${p.note("note:")} ${r.message}`);
    out.push(...snippet(r.lines, r.span, "-", p.note, width, p));
  }

  for (const fix of d.fixes ?? []) {
    const msg = fix.kind === "replace" && fix.text !== "" ? `did you mean "${fix.text}"?` : fix.title;
    if (d.message.includes(msg)) continue; // the message already says it (it is also what --json shows)
    out.push(`${" ".repeat(width + 1)}${p.gutter("=")} ${p.help("help:")} ${msg}`);
  }
  return out.join("\n");
}

/** The source line of `span`'s start with a gutter, and a marker line under the span. */
function snippet(lines: LineMap, span: Span, mark: string, paint: Style, width: number, p: Palette): string[] {
  const start = lines.position(span.start);
  const end = lines.position(Math.max(span.start, span.end));
  const raw = lines.lineText(start.line);
  const shown = expandTabs(raw);
  const from = displayColumn(raw, start.column - 1);
  // On a multi-line span, underline to the end of the first line and say how much more there is.
  const to = end.line === start.line ? displayColumn(raw, end.column - 1) : shown.length;
  const count = Math.max(1, to - from);
  let more = "";
  if (end.line > start.line) {
    // A span that ends right after a newline does not really cover the next line.
    const extra = end.column === 1 ? end.line - start.line - 1 : end.line - start.line;
    if (extra > 0) more = ` ...and ${extra} more line${extra === 1 ? "" : "s"}`;
  }
  const blank = " ".repeat(width);
  const bar = p.gutter("|");
  return [
    `${blank} ${bar}`,
    `${p.gutter(String(start.line).padStart(width))} ${bar}${shown === "" ? "" : " " + shown}`,
    `${blank} ${bar} ${" ".repeat(from)}${paint(mark.repeat(count) + more)}`,
  ];
}

function expandTabs(line: string): string {
  let out = "";
  for (const ch of line) out += ch === "\t" ? " ".repeat(TAB_WIDTH - (out.length % TAB_WIDTH)) : ch;
  return out;
}

/** Display column (0-based) of the UTF-16 index `index` of `line`, with tabs expanded. */
function displayColumn(line: string, index: number): number {
  let col = 0;
  for (let i = 0; i < Math.min(index, line.length); i++) col = line[i] === "\t" ? col + TAB_WIDTH - (col % TAB_WIDTH) : col + 1;
  return col + Math.max(0, index - line.length);
}

export function diagnosticToJson(d: Diagnostic, lines: LineMap, file: string = d.file): JsonDiagnostic {
  const start = lines.position(d.span.start);
  const end = lines.position(Math.max(d.span.start, d.span.end));
  return {
    file,
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column,
    severity: d.severity,
    code: d.code,
    message: d.message,
  };
}
