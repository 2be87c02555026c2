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
