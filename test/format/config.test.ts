// One formatting configuration (issue 15): a project's .prettierrc and .editorconfig change `awr fmt`
// (the built CLI) and the prettier plugin alike — the same bytes for the same file.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as prettier from "prettier";
import { afterAll, describe, expect, it } from "vitest";
import plugin from "../../compiler/format/prettier.js";
import { formatOptionsOf } from "../../compiler/format/print.js";
import { formatConfigFor } from "../../host/format-config.js";
import { awr } from "../helpers/awr-cli.js";

const root = mkdtempSync(join(tmpdir(), "awr-fmt-config-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SOURCE = 'graph g() {\n  state { n: int @reduce(sum) = 0 }\n  node s { set n = f(alpha, beta, gamma) }\n  edge start -> s\n  edge s -> end\n  return n\n}\n';

/** A project directory with these config files and main.awr. */
function project(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  writeFileSync(join(dir, "main.awr"), SOURCE);
  return dir;
}

/** `awr fmt` on the project's main.awr, and prettier with the resolved config on the same text. */
async function both(dir: string): Promise<{ cli: string; viaPrettier: string }> {
  const file = join(dir, "main.awr");
  const config = (await prettier.resolveConfig(file, { editorconfig: true })) ?? {};
  const viaPrettier = await prettier.format(SOURCE, { ...config, filepath: file, plugins: [plugin] });
  const r = await awr(["fmt", "main.awr"], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return { cli: readFileSync(file, "utf8"), viaPrettier };
}

describe("one formatting configuration", () => {
  it(".prettierrc: tabs and a narrow width, the same in awr fmt and prettier", async () => {
    const dir = project("prettierrc", { ".prettierrc": JSON.stringify({ useTabs: true, printWidth: 30 }) });
    const { cli, viaPrettier } = await both(dir);
    expect(cli).toBe(viaPrettier);
    expect(cli).toContain("\tnode s {\n\t\tset n = f(\n\t\t\talpha,");
  });

  it(".editorconfig: 4-space indentation and CRLF line endings, the same in awr fmt and prettier", async () => {
    const dir = project("editorconfig", { ".editorconfig": "root = true\n\n[*.awr]\nindent_style = space\nindent_size = 4\nend_of_line = crlf\n" });
    const { cli, viaPrettier } = await both(dir);
    expect(cli).toBe(viaPrettier);
    expect(cli).toContain("\r\n    state {\r\n        n: int @reduce(sum) = 0\r\n");
  });

  it("prettier overrides for *.awr apply", async () => {
    const dir = project("overrides", { ".prettierrc.json": JSON.stringify({ tabWidth: 8, overrides: [{ files: "*.awr", options: { tabWidth: 3 } }] }) });
    const { cli, viaPrettier } = await both(dir);
    expect(cli).toBe(viaPrettier);
    expect(cli).toContain("\n   state {\n      n: int");
  });

  it("without configuration: AWR's own layout (2 spaces, 100 columns, the file's line endings)", async () => {
    const dir = project("none", { ".editorconfig": "root = true\n" });
    expect(await formatConfigFor(join(dir, "main.awr"))).toEqual({ options: {}, configured: false });
    await awr(["fmt", "main.awr"], { cwd: dir });
    expect(readFileSync(join(dir, "main.awr"), "utf8")).toContain("\n  state {\n    n: int @reduce(sum) = 0\n  }\n");
  });

  it("the mapping keeps only what it understands", () => {
    expect(formatOptionsOf({ printWidth: 80, tabWidth: 4, useTabs: false, endOfLine: "crlf" })).toEqual({ width: 80, indent: 4, useTabs: false, endOfLine: "crlf" });
    expect(formatOptionsOf({ printWidth: -1, tabWidth: "4", useTabs: "yes", endOfLine: "cr" })).toEqual({});
  });
});
