// Hover on a keyword says what it does (compiler/language/keywords.ts) — every keyword the lexer
// knows has its doc — while a keyword used as a name (keywords are soft) hovers as that name.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MarkupContent } from "vscode-languageserver-protocol/node";
import { KEYWORD_DOCS, keywordDoc } from "../../compiler/language/keywords.js";
import * as lexer from "../../compiler/syntax/lexer.js";
import { LspClient } from "./client.js";

/** Every keyword token of the lexer: its label is the quoted word. */
const WORDS = Object.values(lexer)
  .map((t) => (t as { LABEL?: unknown }).LABEL)
  .filter((l): l is string => typeof l === "string" && /^'[a-z]+'$/.test(l))
  .map((l) => l.slice(1, -1));

const TEXT = `type T { node: string }

graph g(t: T) -> string {
  state { n: int @reduce(sum) = 0 }
  node a { set n = 1 }
  edge start -> a
  edge a -> end
  return t.node
}
`;

let dir: string;
let client: LspClient;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-lsp-hover-keywords-"));
  client = await LspClient.start(dir);
  await client.open(join(dir, "main.awr"), TEXT);
});
afterAll(async () => {
  await client?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const hoverAt = async (line: number, word: string, nth = 0) => {
  const l = TEXT.split("\n")[line]!;
  let character = -1;
  for (let i = 0; i <= nth; i++) character = l.indexOf(word, character + 1);
  const h = await client.hover(join(dir, "main.awr"), { line, character: character + 1 });
  return (h?.contents as MarkupContent | undefined)?.value ?? "";
};

describe("keyword docs", () => {
  it("every keyword of the lexer has a doc, and the table has no word the lexer lacks", () => {
    expect(WORDS.length).toBeGreaterThan(40);
    for (const w of WORDS) expect(keywordDoc(w), w).toBeTruthy();
    expect(Object.keys(KEYWORD_DOCS).sort()).toEqual([...WORDS].sort());
  });

  it("is not fooled by Object.prototype's names", () => {
    expect(keywordDoc("constructor")).toBeUndefined();
  });
});

describe("hover on a keyword", () => {
  it("graph, node, edge, state, set, return: the keyword and what it does", async () => {
    for (const [line, word] of [[2, "graph"], [4, "node"], [5, "edge"], [3, "state"], [4, "set"], [7, "return"]] as const) {
      const value = await hoverAt(line, word);
      expect(value, word).toContain(`(keyword) ${word}`);
      expect(value, word).toContain(keywordDoc(word)!);
    }
  });

  it("a keyword used as a field name hovers as the field", async () => {
    const decl = await hoverAt(0, "node");
    expect(decl).toContain("(field) T.node: string");
    expect(decl).not.toContain("(keyword)");
    const use = await hoverAt(7, "node");
    expect(use).not.toContain("(keyword)");
  });
});
