// Golden ASTs: each `syntax/NAME.awr` is parsed on its own and `NAME.ast` holds the printed tree.
// Fixtures must parse without diagnostics, except `broken-*.awr`, whose expected file also holds
// the diagnostics, to show what the parser recovers. `UPDATE_EXPECT=1` rewrites the expected files.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parse } from "../../compiler/syntax/parser.js";
import { sortDiagnostics } from "../../compiler/diagnostics/diagnostic.js";
import { printAst } from "./ast-print.js";
import { expectGolden } from "../helpers/golden.js";
import { GOLDEN_DIR, fixtures, renderAll } from "./fixtures.js";

const DIR = join(GOLDEN_DIR, "syntax");
const cases = fixtures(DIR, "ast");

describe("golden syntax", () => {
  test.each(cases.map((c) => [c.name, c] as const))("%s", (name, c) => {
    const text = c.files["main.awr"]!;
    const { module, diagnostics } = parse("main.awr", text);
    const broken = name.startsWith("broken-");
    let actual = printAst(module);
    if (broken) actual += "\n---- diagnostics ----\n" + renderAll(sortDiagnostics([...diagnostics]), c.files);
    expectGolden(c.expected, actual);
    if (broken) expect(diagnostics.length, "a broken-* fixture must produce diagnostics").toBeGreaterThan(0);
    else expect(renderAll(sortDiagnostics([...diagnostics]), c.files)).toBe("(no diagnostics)\n");
  });
});
