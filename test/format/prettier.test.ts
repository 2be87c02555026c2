import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";
import plugin from "../../compiler/format/prettier.js";
import { formatSource } from "../../compiler/format/print.js";

const ROOT = join(import.meta.dirname, "..", "..");

describe("the prettier plugin", () => {
  it("formats .awr text exactly like formatSource, at AWR's width of 100", async () => {
    const file = join(ROOT, "examples/support-triage/main.awr");
    const text = readFileSync(file, "utf8");
    const viaPrettier = await prettier.format(text, { parser: "awr", plugins: [plugin] });
    const direct = formatSource(file, text);
    expect(direct.ok && direct.text).toBe(viaPrettier);
    expect(await prettier.format(viaPrettier, { parser: "awr", plugins: [plugin] })).toBe(viaPrettier);
  });

  it("infers the parser from the .awr extension and honours printWidth", async () => {
    const text = "graph g() { return f(alpha, beta, gamma) }";
    expect(await prettier.format(text, { filepath: "x.awr", plugins: [plugin] })).toBe("graph g() {\n  return f(alpha, beta, gamma)\n}\n");
    expect(await prettier.format(text, { filepath: "x.awr", plugins: [plugin], printWidth: 20 })).toBe(
      "graph g() {\n  return f(\n    alpha,\n    beta,\n    gamma\n  )\n}\n",
    );
  });

  // Issue 15: the plugin crashed on `system // note` before a multi-line template, and
  // `prettier --check` failed forever on a comment after `because` or `then`.
  it("formats comments anywhere without crashing, and its output is already formatted", async () => {
    const cases = [
      'prompt p(x: string) {\n  system // note\n  #"line one\n  line two"#\n}\n',
      'policy p {\n  before tool t {\n    deny when input.amount > 1000 because\n    // why\n    "refunds above 1000 USD go through the finance team"\n  }\n}\n',
      "test t {\n  run g()\n  mock f => 1 then\n  // second\n  2\n}\n",
    ];
    for (const text of cases) {
      const once = await prettier.format(text, { parser: "awr", plugins: [plugin] });
      expect(await prettier.check(once, { parser: "awr", plugins: [plugin] })).toBe(true);
      expect(once).toBe(formatSource("x.awr", text).ok && (formatSource("x.awr", text) as { text: string }).text);
    }
  });

  it("refuses a file with syntax errors with a located SyntaxError", async () => {
    const err = await prettier.format("model m {\n  provider:\n}\n", { parser: "awr", plugins: [plugin] }).then(
      () => undefined,
      (e: unknown) => e as Error & { loc?: { start: { line: number; column: number } } },
    );
    expect(err).toBeInstanceOf(SyntaxError);
    expect(err?.message).toMatch(/AWR1002/);
    expect(err?.loc?.start.line).toBe(3);
  });
});
