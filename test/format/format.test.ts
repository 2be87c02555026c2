import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { withoutSpans } from "../../compiler/format/ast-equal.js";
import { formatSource } from "../../compiler/format/print.js";
import { parse } from "../../compiler/syntax/parser.js";
import { expectGolden } from "../helpers/golden.js";

const ROOT = join(import.meta.dirname, "..", "..");
const FIXTURES = join(import.meta.dirname, "fixtures");

function format(file: string, text: string, width?: number): string {
  const r = formatSource(file, text, width === undefined ? {} : { width });
  if (!r.ok) throw new Error(`${file} has syntax errors: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  return r.text;
}

/** Every .awr file of the repository outside node_modules, dist and the formatter's own fixtures. */
function repoSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".") || name === "node_modules" || name === "dist") continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".awr")) out.push(path);
    }
  };
  for (const dir of ["examples", "stdlib", "test"]) walk(join(ROOT, dir));
  return out;
}

describe("fixtures: NAME_input.awr formats to NAME_output.awr", () => {
  const inputs = readdirSync(FIXTURES).filter((f) => f.endsWith("_input.awr"));
  it("has fixtures", () => expect(inputs.length).toBeGreaterThan(10));
  for (const input of inputs) {
    const name = input.replace(/_input\.awr$/, "");
    it(name, () => {
      const text = readFileSync(join(FIXTURES, input), "utf8");
      const out = format(input, text);
      expectGolden(join(FIXTURES, `${name}_output.awr`), out);
      expect(format(input, out), "formatting the output again changes it").toBe(out);
    });
  }
});

describe("every .awr file of the repository that parses", () => {
  const files = repoSources().filter((f) => !parse(f, readFileSync(f, "utf8")).diagnostics.some((d) => d.severity === "error"));
  it("includes the examples, the stdlib and the design fixture", () => {
    const rel = files.map((f) => relative(ROOT, f));
    expect(rel.some((f) => f.startsWith("examples/"))).toBe(true);
    expect(rel.some((f) => f.startsWith("stdlib/"))).toBe(true);
    expect(rel).toContain("test/fixtures/design/main.awr");
    expect(rel.some((f) => f.startsWith("test/golden/syntax/"))).toBe(true);
  });
  for (const file of files) {
    it(relative(ROOT, file), () => {
      const text = readFileSync(file, "utf8");
      const once = format(file, text);
      expect(format(file, once), "not idempotent").toBe(once);
      const before = parse(file, text).module;
      const after = parse(file, once).module;
      expect(withoutSpans(after.decls)).toEqual(withoutSpans(before.decls));
      expect(withoutSpans(after.imports)).toEqual(withoutSpans(before.imports));
      for (const c of before.comments) expect(once).toContain(c.kind === "block" ? c.text : c.text.trimEnd());
      // A narrow width breaks far more, and must hold the same guarantees.
      const narrow = format(file, text, 40);
      expect(format(file, narrow, 40)).toBe(narrow);
      expect(withoutSpans(parse(file, narrow).module.decls)).toEqual(withoutSpans(before.decls));
    });
  }
});

describe("formatSource", () => {
  it("refuses a file with syntax errors instead of printing a guess", () => {
    const r = formatSource("bad.awr", "graph g() {\n  node n { run f(x. }\n}\n");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics.map((d) => d.code)).toContain("AWR1002");
  });

  it("keeps template text byte for byte, trailing spaces and odd indentation included", () => {
    const text = 'prompt p(x: string) {\n  user #"  a {{ x }}   \n\t  b  \n  "#\n}\n';
    expect(format("t.awr", text)).toBe(text);
  });

  it("breaks lists, records and arguments past the width and keeps them on one line otherwise", () => {
    const text = "graph g() {\n  return f(alpha, beta, [gamma, delta], { epsilon: 1 })\n}\n";
    expect(format("w.awr", text)).toBe(text);
    expect(format("w.awr", text, 30)).toBe(
      "graph g() {\n  return f(\n    alpha,\n    beta,\n    [gamma, delta],\n    { epsilon: 1 }\n  )\n}\n",
    );
  });

  it("formats an empty file and a file of comments only", () => {
    expect(format("e.awr", "")).toBe("");
    expect(format("c.awr", "  // just a note  \n\n")).toBe("// just a note\n");
  });

  it("parenthesises exactly where precedence requires", () => {
    const cases: [string, string][] = [
      ["(a + b) * c", "(a + b) * c"],
      ["a + (b * c)", "a + b * c"],
      ["a - (b - c)", "a - (b - c)"],
      ["(a - b) - c", "a - b - c"],
      ["(a ?? b) < c", "a ?? b < c"],
      ["(a < b) ?? c", "(a < b) ?? c"],
      ["!(a && b)", "!(a && b)"],
      ["(!a).b", "(!a).b"],
      ["-(-a)", "- -a"],
      ["(a.b)(c)", "a.b(c)"],
      ["((x))", "x"],
    ];
    for (const [input, expected] of cases) {
      expect(format("p.awr", `graph g() {\n  return ${input}\n}\n`)).toBe(`graph g() {\n  return ${expected}\n}\n`);
    }
  });
});
