import { describe, expect, it } from "vitest";
import { diag, type Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import { LineMap } from "../../compiler/diagnostics/line-map.js";
import { diagnosticToJson, renderDiagnostic } from "../../compiler/diagnostics/render.js";

const plain = { color: false };

/** A diagnostic whose span is the first occurrence of `needle` in `text`. */
function at(text: string, needle: string, message = "unknown name \"smart\"", extra?: Parameters<typeof diag>[4]): Diagnostic {
  const start = text.indexOf(needle);
  if (start < 0) throw new Error(`no ${needle} in text`);
  return diag("AWR2001", "/p/main.awr", { start, end: start + needle.length }, message, extra);
}

describe("renderDiagnostic", () => {
  it("prints location, code, the source line and carets under the span", () => {
    const text = "model fast {\n  fallback: [smart]\n}\n";
    expect(renderDiagnostic(at(text, "smart"), text, { ...plain, cwdRelativeFile: "main.awr" })).toBe(
      [
        'main.awr:2:14: error AWR2001: unknown name "smart"',
        "  |",
        "2 |   fallback: [smart]",
        "  |              ^^^^^",
      ].join("\n"),
    );
  });

  it("uses the file id when no display path is given and widens the gutter for long line numbers", () => {
    const text = "\n".repeat(99) + "x y";
    expect(renderDiagnostic(at(text, "y"), text, plain)).toBe(
      ['/p/main.awr:100:3: error AWR2001: unknown name "smart"', "    |", "100 | x y", "    |   ^"].join("\n"),
    );
  });

  it("expands tabs and keeps the carets under the span", () => {
    const text = "node a {\n\trun\tfoo()\n}";
    const out = renderDiagnostic(at(text, "foo"), text, plain).split("\n");
    expect(out[2]).toBe("2 |     run foo()");
    expect(out[3]).toBe("  |         ^^^");
  });

  it("shows one caret for a zero-width span", () => {
    const text = "type A {\n  x: \n}";
    const start = text.indexOf(": ") + 2;
    const d = diag("AWR1002", "/p/main.awr", { start, end: start }, "expected a type");
    expect(renderDiagnostic(d, text, plain).split("\n").slice(2)).toEqual(["2 |   x: ", "  |      ^"]);
  });

  it("points just past the last character for a span at the end of the file", () => {
    const text = "type A {";
    const d = diag("AWR1002", "/p/main.awr", { start: text.length, end: text.length }, "expected }");
    expect(renderDiagnostic(d, text, plain)).toBe(["/p/main.awr:1:9: error AWR1002: expected }", "  |", "1 | type A {", "  |         ^"].join("\n"));
  });

  it("handles an empty file", () => {
    const d = diag("AWR1002", "/p/empty.awr", { start: 0, end: 0 }, "empty");
    expect(renderDiagnostic(d, "", plain)).toBe(["/p/empty.awr:1:1: error AWR1002: empty", "  |", "1 |", "  | ^"].join("\n"));
  });

  it("clamps spans that run past the end of the text", () => {
    const text = "abc";
    const d = diag("AWR1002", "/p/main.awr", { start: 10, end: 20 }, "past the end");
    expect(renderDiagnostic(d, text, plain).split("\n")).toEqual(["/p/main.awr:1:4: error AWR1002: past the end", "  |", "1 | abc", "  |    ^"]);
  });

  it("underlines the first line of a multi-line span and counts the rest", () => {
    const text = "graph g {\n  node a {}\n  edge start -> a\n}\nrest";
    const d = diag("AWR4008", "/p/main.awr", { start: text.indexOf("graph"), end: text.indexOf("}\nrest") + 1 }, "graph without return");
    expect(renderDiagnostic(d, text, plain).split("\n").slice(2)).toEqual(["1 | graph g {", "  | ^^^^^^^^^ ...and 3 more lines"]);
  });

  it("does not count a line the span only reaches through its final newline", () => {
    const text = "line one\nline two";
    const d = diag("AWR1002", "/p/main.awr", { start: 0, end: 9 }, "m");
    expect(renderDiagnostic(d, text, plain).split("\n")[3]).toBe("  | ^^^^^^^^");
  });

  it("strips a carriage return from CRLF lines", () => {
    const text = "model m {\r\n  nme: 1\r\n}\r\n";
    const out = renderDiagnostic(at(text, "nme"), text, plain).split("\n");
    expect(out[2]).toBe("2 |   nme: 1");
    expect(out[3]).toBe("  |   ^^^");
  });

  it("shows related locations as notes with their own source line, in this and other files", () => {
    const text = "type Ticket {}\ntype Ticket {}\n";
    const other = "// tools\ntype Order {}\n";
    const second = text.lastIndexOf("Ticket");
    const d = diag("AWR2002", "/p/main.awr", { start: second, end: second + 6 }, 'duplicate declaration "Ticket"', {
      related: [
        { file: "/p/main.awr", span: { start: 5, end: 11 }, message: "first declared here" },
        { file: "/p/tools.awr", span: { start: 14, end: 19 }, message: "also related" },
        { file: "/p/gone.awr", span: { start: 0, end: 1 }, message: "source not available" },
      ],
    });
    const out = renderDiagnostic(d, text, {
      color: false,
      cwdRelativeFile: "main.awr",
      displayPath: (f) => f.replace("/p/", ""),
      source: (f) => (f === "/p/tools.awr" ? other : undefined),
    });
    expect(out).toBe(
      [
        'main.awr:2:6: error AWR2002: duplicate declaration "Ticket"',
        "  |",
        "2 | type Ticket {}",
        "  |      ^^^^^^",
        "main.awr:1:6: note: first declared here",
        "  |",
        "1 | type Ticket {}",
        "  |      ------",
        "tools.awr:2:6: note: also related",
        "  |",
        "2 | type Order {}",
        "  |      -----",
        "gone.awr: note: source not available",
      ].join("\n"),
    );
  });

  it("prints fixes as help lines", () => {
    const text = "fallback: [smrt]";
    const span = { start: 11, end: 15 };
    const d = at(text, "smrt", 'unknown name "smrt"', {
      fixes: [
        { kind: "replace", span, text: "smart", title: "Replace with smart" },
        { kind: "insert", offset: 0, text: "import \"std/pii\"\n", title: "Import std/pii" },
      ],
    });
    expect(renderDiagnostic(d, text, plain).split("\n").slice(4)).toEqual(['  = help: did you mean "smart"?', "  = help: Import std/pii"]);
  });

  it("leaves out a help line the message already contains", () => {
    const text = "fallback: [smrt]";
    const d = at(text, "smrt", 'unknown name "smrt"; did you mean "smart"?', {
      fixes: [{ kind: "replace", span: { start: 11, end: 15 }, text: "smart", title: "Replace with smart" }],
    });
    expect(renderDiagnostic(d, text, plain).split("\n")).toHaveLength(4);
  });

  it("labels warnings and infos by their severity", () => {
    const text = "model m {}";
    const d = diag("AWR6002", "/p/main.awr", { start: 6, end: 7 }, "model without timeout");
    expect(renderDiagnostic(d, text, plain).split("\n")[0]).toBe("/p/main.awr:1:7: warning AWR6002: model without timeout");
  });

  it("colours only when asked", () => {
    const text = "x";
    const d = diag("AWR2001", "/p/main.awr", { start: 0, end: 1 }, "m");
    expect(renderDiagnostic(d, text, plain)).not.toContain("\x1b[");
    const colored = renderDiagnostic(d, text, { color: true });
    expect(colored).toContain("\x1b[1m\x1b[31merror AWR2001:\x1b[0m");
    // Stripping the escapes gives the plain text back.
    expect(colored.replace(/\x1b\[[0-9;]*m/g, "")).toBe(renderDiagnostic(d, text, plain));
  });
});

describe("diagnosticToJson", () => {
  it("gives DESIGN §6's shape with 1-based positions and an exclusive end", () => {
    const text = "model fast {\n  fallback: [smart]\n}\n";
    const d = at(text, "smart");
    expect(diagnosticToJson(d, new LineMap(text), "main.awr")).toEqual({
      file: "main.awr",
      line: 2,
      column: 14,
      endLine: 2,
      endColumn: 19,
      severity: "error",
      code: "AWR2001",
      message: 'unknown name "smart"',
    });
    expect(Object.keys(diagnosticToJson(d, new LineMap(text)))).toEqual([
      "file",
      "line",
      "column",
      "endLine",
      "endColumn",
      "severity",
      "code",
      "message",
    ]);
    expect(diagnosticToJson(d, new LineMap(text)).file).toBe("/p/main.awr");
  });

  it("spans lines", () => {
    const text = "a\nbc\nd";
    const d = diag("AWR1002", "f", { start: 0, end: 4 }, "m");
    expect(diagnosticToJson(d, new LineMap(text))).toMatchObject({ line: 1, column: 1, endLine: 2, endColumn: 3 });
  });
});
