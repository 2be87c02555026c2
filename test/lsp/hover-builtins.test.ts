// Hover on a call of a built-in function shows its signature and its documentation — every
// expression builtin, and every function policy rules may call (compiler/language/builtins.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MarkupContent } from "vscode-languageserver-protocol/node";
import { BUILTIN_FUNCTIONS, POLICY_FUNCTIONS } from "../../compiler/plan/vocabulary.js";
import { builtinForm, builtinSignature } from "../../compiler/language/builtins.js";
import { LspClient } from "./client.js";

const NAMES = [...new Set([...BUILTIN_FUNCTIONS, ...POLICY_FUNCTIONS])];
// One call of each in a policy rule's condition (where both kinds are in scope); the arguments do
// not matter to hover, so the file may have type errors.
const TEXT = `tool t(x: string) -> string {
  impl: builtin("std.time.now")
  timeout: 5s
}

policy p {
  before tool t {
${NAMES.map((n) => `    deny when ${n}(input.x) because "x"`).join("\n")}
  }
}
`;

let dir: string;
let client: LspClient;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-lsp-hover-builtins-"));
  client = await LspClient.start(dir);
  await client.open(join(dir, "main.awr"), TEXT);
});
afterAll(async () => {
  await client?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("hover on a built-in function", () => {
  it.each(NAMES)("%s: its signature and its doc", async (name) => {
    const line = TEXT.split("\n").findIndex((l) => l.includes(`deny when ${name}(`));
    const character = TEXT.split("\n")[line]!.indexOf(`${name}(`) + 1;
    const h = await client.hover(join(dir, "main.awr"), { line, character });
    const value = (h?.contents as MarkupContent | undefined)?.value ?? "";
    expect(value).toContain(`(builtin function) ${builtinSignature(name)}`);
    const doc = builtinForm(name)?.doc;
    expect(doc, `${name} has a doc`).toBeTruthy();
    expect(value).toContain(doc!);
  });
});
