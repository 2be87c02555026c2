// Formatting over stdio: the edits the server answers, applied to the buffer, must give exactly
// what `formatSource` (the `awr fmt` printer) gives; broken files and formatted files get none.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DocumentFormattingRequest, DocumentRangeFormattingRequest, type Position, type TextEdit } from "vscode-languageserver-protocol/node";
import { formatSource } from "../../compiler/format/print.js";
import { LspClient, uriOf } from "./client.js";

const MESSY = `// Header comment.
model   fast{provider:"openai"
name: "gpt-4o-mini"   // the cheap one
}
type T {a:string,b:int=3}
graph g(t:T)->string{
node n{set x=1}
edge start->n
      edge n->end
return "ok"}
`;

let dir: string;
let client: LspClient;
const file = (name: string) => join(dir, name);
const offsetOf = (text: string, pos: Position) => text.split("\n").slice(0, pos.line).reduce((n, l) => n + l.length + 1, 0) + pos.character;
const apply = (text: string, edits: TextEdit[]) =>
  [...edits].sort((a, b) => offsetOf(text, b.range.start) - offsetOf(text, a.range.start)).reduce((t, e) => t.slice(0, offsetOf(t, e.range.start)) + e.newText + t.slice(offsetOf(t, e.range.end)), text);
const format = (f: string) => client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri: uriOf(f) }, options: { tabSize: 4, insertSpaces: true } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-lsp-fmt-"));
  client = await LspClient.start(dir);
});

afterAll(async () => {
  expect(await client?.stop()).toBe(0);
  expect(client.logs.filter((l) => l.message.includes("internal error"))).toEqual([]);
  rmSync(dir, { recursive: true, force: true });
});

describe("formatting", () => {
  it("formats the document as awr fmt does, whatever the editor's tab size", async () => {
    const f = file("messy.awr");
    await client.open(f, MESSY);
    const edits = (await format(f))!;
    const expected = formatSource(f, MESSY);
    expect(expected.ok).toBe(true);
    const out = apply(MESSY, edits);
    expect(out).toBe((expected as { text: string }).text);
    expect(out).toContain('  name: "gpt-4o-mini" // the cheap one');
    // Formatting the formatted text changes nothing.
    await client.change(f, out);
    expect(await format(f)).toEqual([]);
    await client.close(f);
  });

  it("changes only the span that differs", async () => {
    const f = file("almost.awr");
    const good = (formatSource(f, MESSY) as { text: string }).text;
    const text = good.replace("edge start -> n", "edge   start ->   n");
    await client.open(f, text);
    const edits = (await format(f))!;
    expect(edits).toHaveLength(1);
    const line = text.split("\n").findIndex((l) => l.includes("edge   start"));
    expect(edits[0]!.range.start.line).toBe(line);
    expect(edits[0]!.range.end.line).toBe(line);
    expect(apply(text, edits)).toBe(good);
    await client.close(f);
  });

  it("formats the whole document for a range request", async () => {
    const f = file("range.awr");
    await client.open(f, MESSY);
    const edits = (await client.connection.sendRequest(DocumentRangeFormattingRequest.type, {
      textDocument: { uri: uriOf(f) },
      range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } },
      options: { tabSize: 2, insertSpaces: true },
    }))!;
    expect(apply(MESSY, edits)).toBe((formatSource(f, MESSY) as { text: string }).text);
    await client.close(f);
  });

  it("follows the project's .editorconfig / .prettierrc like awr fmt and prettier (not the editor's tab size)", async () => {
    mkdirSync(join(dir, "tabs"));
    writeFileSync(join(dir, "tabs", ".editorconfig"), "root = true\n\n[*.awr]\nindent_style = tab\nmax_line_length = 60\n");
    const f = join(dir, "tabs", "main.awr");
    await client.open(f, MESSY);
    const out = apply(MESSY, (await format(f))!);
    expect(out).toBe((formatSource(f, MESSY, { useTabs: true, width: 60 }) as { text: string }).text);
    expect(out).toContain('\tname: "gpt-4o-mini" // the cheap one');
    await client.close(f);
  });

  it("returns no edits for a file with syntax errors, and stays up", async () => {
    const f = file("broken.awr");
    await client.open(f, `model m {\n  provider: "openai"\ngraph g( {\n`);
    expect(await format(f)).toEqual([]);
    expect(client.alive).toBe(true);
    await client.close(f);
  });
});
