// `formatSource`: the AWR formatter (DESIGN §6 `awr fmt`, the prettier plugin, the LSP). Pure.
//
// Architecture Invariant: formatting never changes what a file means. A file with syntax errors is
// refused (its AST is a guess), and every output is re-parsed and compared with the input —
// same AST up to spans, every comment printed — before it is returned; a mismatch is a bug in the
// printer and throws rather than hand back corrupted text.
import { printer } from "prettier/doc";
import { type Diagnostic, hasErrors } from "../diagnostics/diagnostic.js";
import type { Module } from "../syntax/ast.js";
import { parse } from "../syntax/parser.js";
import { sameAst } from "./ast-equal.js";
import { attachComments } from "./comments.js";
import { PrintContext } from "./doc.js";
import { printModule } from "./print-decls.js";

export interface FormatOptions {
  /** The line width lists, records and arguments break at (default 100). */
  width?: number;
  /** Spaces per indentation level (default 2); with `useTabs`, the width a tab counts for. */
  indent?: number;
  /** Indent with tabs instead of spaces (default false). */
  useTabs?: boolean;
  /**
   * Line endings of the output: "auto" (the default) keeps the file's own — those of its first line
   * break — so formatting a CRLF file does not rewrite every line; "lf" or "crlf" impose one. Line
   * breaks inside templates and block comments are written the same way.
   */
  endOfLine?: "auto" | "lf" | "crlf";
}

/**
 * The formatting settings of prettier's vocabulary — what `.prettierrc` and `.editorconfig` say
 * (through `prettier.resolveConfig`) and what the prettier plugin is handed — as `FormatOptions`:
 * one mapping for `awr fmt`, the language server and the plugin, so all three format alike.
 * Settings it does not name are left to the defaults; prettier's `cr` line ending is not offered.
 */
export function formatOptionsOf(p: { printWidth?: unknown; tabWidth?: unknown; useTabs?: unknown; endOfLine?: unknown }): FormatOptions {
  const o: FormatOptions = {};
  const positive = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v > 0;
  if (positive(p.printWidth)) o.width = p.printWidth;
  if (positive(p.tabWidth)) o.indent = p.tabWidth;
  if (typeof p.useTabs === "boolean") o.useTabs = p.useTabs;
  if (p.endOfLine === "lf" || p.endOfLine === "crlf" || p.endOfLine === "auto") o.endOfLine = p.endOfLine;
  return o;
}

export type FormatResult = { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[] };

export const DEFAULT_WIDTH = 100;

export function formatSource(file: string, source: string, opts: FormatOptions = {}): FormatResult {
  const { module, diagnostics } = parse(file, source);
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (hasErrors(diagnostics)) return { ok: false, diagnostics: errors };
  // The printer works on LF text; the chosen line ending is put back at the end.
  const crlf = opts.endOfLine === "crlf" || (opts.endOfLine !== "lf" && firstLineBreak(source) === "\r\n");
  const text = source.includes("\r\n") ? source.replace(/\r\n/g, "\n") : source;
  const formatted = settle(file, text, text === source ? module : parse(file, text).module, opts);
  return { ok: true, text: crlf ? formatted.replace(/\n/g, "\r\n") : formatted };
}

function firstLineBreak(text: string): "\n" | "\r\n" | undefined {
  const i = text.indexOf("\n");
  return i < 0 ? undefined : i > 0 && text[i - 1] === "\r" ? "\r\n" : "\n";
}

function settle(file: string, text: string, module: Module, opts: FormatOptions): string {
  // The output is a fixed point: formatting it again changes nothing (`awr fmt --check` and
  // `prettier --check` pass after one run). A comment the printer moves (past a keyword or a
  // bracket to the node it belongs to) can move once more on the next run, so the printer runs
  // again on its own output until that output no longer changes. An already formatted file costs one
  // run, a file to reformat usually two. Each run re-parses and compares what it printed.
  let current = printOnce(file, text, module, opts);
  for (let run = 1; current !== text && run < MAX_RUNS; run++) {
    text = current;
    current = printOnce(file, text, parse(file, text).module, opts);
  }
  return current;
}

/** Runs of the printer before formatSource settles for its last output (in practice two are enough). */
const MAX_RUNS = 4;

function printOnce(file: string, text: string, module: Module, opts: FormatOptions): string {
  const ctx = new PrintContext(text, attachComments(module, text));
  const doc = printModule(ctx, module);
  const out = printer.printDocToString(doc, {
    printWidth: opts.width ?? DEFAULT_WIDTH,
    tabWidth: opts.indent ?? 2,
    useTabs: opts.useTabs ?? false,
  }).formatted;

  const missing = module.comments.filter((c) => !ctx.printed.has(c));
  if (missing.length > 0) throw new FormatterBug(file, `comment ${JSON.stringify(missing[0]!.text)} was not printed`);
  const again = parse(file, out);
  if (hasErrors(again.diagnostics)) throw new FormatterBug(file, `the output does not parse: ${again.diagnostics[0]!.message}`);
  if (!sameAst(module, again.module)) throw new FormatterBug(file, "the output parses to a different program");
  return out;
}

/** The printer produced text that would change the file's meaning (never a user error). */
export class FormatterBug extends Error {
  constructor(file: string, detail: string) {
    super(`awr fmt refused to rewrite ${file}: ${detail} (a bug in the formatter; please report it with the file)`);
    this.name = "FormatterBug";
  }
}
