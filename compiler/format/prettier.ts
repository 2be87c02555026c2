// The prettier plugin for .awr files: `prettier --plugin awr/prettier --write "**/*.awr"`.
// Plugin = languages, parsers, printers (prettier-java's shape). The printer hands the whole file
// to formatSource, so prettier, `awr fmt` and the LSP produce the same text.
import type { AstPath, Options, Parser, Plugin, Printer, SupportLanguage } from "prettier";
import { LineMap } from "../diagnostics/line-map.js";
import { parse } from "../syntax/parser.js";
import { DEFAULT_WIDTH, formatOptionsOf, formatSource } from "./print.js";

/** The root prettier sees: the text itself (formatSource re-parses it; comments stay inside). */
interface AwrRoot {
  kind: "AwrFile";
  text: string;
  file: string;
  span: { start: number; end: number };
}

export const languages: SupportLanguage[] = [
  { name: "AWR", parsers: ["awr"], extensions: [".awr"], vscodeLanguageIds: ["awr"] },
];

/** A syntax error as prettier reports it: message, and `loc` with 1-based line and column. */
class AwrSyntaxError extends SyntaxError {
  constructor(
    message: string,
    readonly loc: { start: { line: number; column: number }; end: { line: number; column: number } },
    readonly code: string,
  ) {
    super(`${message} (${loc.start.line}:${loc.start.column})`);
    this.name = "SyntaxError";
  }
}

const awrParser: Parser<AwrRoot> = {
  astFormat: "awr",
  parse(text: string, options: Options): AwrRoot {
    const file = options.filepath ?? "input.awr";
    const errors = parse(file, text).diagnostics.filter((d) => d.severity === "error");
    const first = errors[0];
    if (first) {
      const lines = new LineMap(text);
      const at = (offset: number) => lines.position(offset);
      throw new AwrSyntaxError(`${first.code} ${first.message}`, { start: at(first.span.start), end: at(first.span.end) }, first.code);
    }
    return { kind: "AwrFile", text, file, span: { start: 0, end: text.length } };
  },
  locStart: (node: { span?: { start: number } }) => node.span?.start ?? 0,
  locEnd: (node: { span?: { end: number } }) => node.span?.end ?? 0,
};

const awrPrinter: Printer<AwrRoot> = {
  print(path: AstPath<AwrRoot>, options) {
    const root = path.node;
    // prettier hands over LF text and writes its own `endOfLine` into the result.
    const result = formatSource(root.file, root.text, { ...formatOptionsOf(options), endOfLine: "lf" });
    // The parser already refused files with errors; this cannot happen short of a race.
    if (!result.ok) throw new Error(result.diagnostics[0]?.message ?? "syntax error");
    return result.text;
  },
};

export const parsers: Plugin["parsers"] = { awr: awrParser };
export const printers: Plugin["printers"] = { awr: awrPrinter };
/** AWR's house width is 100 columns, not prettier's 80 (a project's prettier config still wins). */
export const defaultOptions: Plugin["defaultOptions"] = { printWidth: DEFAULT_WIDTH, tabWidth: 2 };

const plugin: Plugin<AwrRoot> = { languages, parsers, printers, defaultOptions };
export default plugin;
