// Line endings and indentation (issue 15): a CRLF file stays CRLF — formatting a formatted CRLF file
// changes nothing, so an editor's buffer is not marked modified — and tabs are honoured.
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";
import plugin from "../../compiler/format/prettier.js";
import { formatSource } from "../../compiler/format/print.js";
import { parse } from "../../compiler/syntax/parser.js";
import { withoutSpans } from "../../compiler/format/ast-equal.js";
import { formatting } from "../../lsp/features/formatting.js";

const LF = 'prompt p(x: string) {\n  model: m\n  system #"first\n  second {{ x }}"#\n}\n';
const CRLF = LF.replace(/\n/g, "\r\n");
const MESSY_CRLF = 'prompt p(x: string) { model: m\r\n  system #"first\r\n  second {{ x }}"# }\r\n';

function format(text: string, opts = {}): string {
  const r = formatSource("x.awr", text, opts);
  if (!r.ok) throw new Error(r.diagnostics[0]!.message);
  return r.text;
}

describe("line endings", () => {
  it("a formatted CRLF file is left exactly as it is (auto keeps the file's line ending)", () => {
    expect(format(CRLF)).toBe(CRLF);
    // The LSP answers no edit at all, so the buffer is not marked modified.
    expect(formatting("x.awr", CRLF)).toEqual([]);
  });

  it("a CRLF file is formatted with CRLF everywhere, template line breaks included, meaning unchanged", () => {
    const out = format(MESSY_CRLF);
    expect(out).toBe(CRLF);
    expect(out.replace(/\r\n/g, "")).not.toContain("\n");
    expect(withoutSpans(parse("x.awr", out).module.decls)).toEqual(withoutSpans(parse("x.awr", MESSY_CRLF).module.decls));
  });

  it("endOfLine lf or crlf imposes one", () => {
    expect(format(CRLF, { endOfLine: "lf" })).toBe(LF);
    expect(format(LF, { endOfLine: "crlf" })).toBe(CRLF);
    expect(format(LF)).toBe(LF);
  });

  it("the prettier plugin gives the same answer for CRLF (prettier's endOfLine: auto)", async () => {
    expect(await prettier.format(CRLF, { parser: "awr", plugins: [plugin], endOfLine: "auto" })).toBe(CRLF);
    expect(await prettier.format(MESSY_CRLF, { parser: "awr", plugins: [plugin], endOfLine: "crlf" })).toBe(CRLF);
  });
});

describe("indentation", () => {
  it("useTabs indents with tabs, in formatSource and through prettier", async () => {
    // The template's own text keeps its two spaces: templates are kept byte for byte.
    const tabbed = 'prompt p(x: string) {\n\tmodel: m\n\tsystem #"first\n  second {{ x }}"#\n}\n';
    expect(format(LF, { useTabs: true })).toBe(tabbed);
    expect(await prettier.format(LF, { parser: "awr", plugins: [plugin], useTabs: true })).toBe(tabbed);
  });

  it("indent sets the spaces per level", () => {
    expect(format(LF, { indent: 4 })).toBe('prompt p(x: string) {\n    model: m\n    system #"first\n  second {{ x }}"#\n}\n');
  });
});
