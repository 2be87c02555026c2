// Folding ranges over stdio. `<|>` marks the first line of each range the file must offer (and no
// other line starts one); the end lines are checked for a few kinds.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FoldingRange, FoldingRangeRequest } from "vscode-languageserver-protocol/node";
import { LspClient, markers, uriOf } from "./client.js";

const SOURCE = markers(`<|>// The support desk.
// Two lines of header.

<|>import "std/pii"
import "./types.awr"

import "./tools.awr"

<|>/// A ticket.
/// With a second doc line.
<|>type Ticket {
  id: string
  body: string
}

type One { id: string }

<|>prompt p(t: Ticket) -> string {
  model: fast
  <|>user #"first line
second line
third line"#
}

<|>graph g(t: Ticket) -> string {
  <|>state {
    a: string?
    b: string?
  }
  <|>node n {
    run p(t) -> a
    retry 2
  }
  edge start -> n
  edge n -> end
  <|>return {
    x: a,
    y: b
  }
}
<|>/* a block
   comment */
`);

let dir: string;
let client: LspClient;
let ranges: FoldingRange[];
const f = () => join(dir, "main.awr");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-lsp-fold-"));
  client = await LspClient.start(dir);
  await client.open(f(), SOURCE.text);
  ranges = (await client.connection.sendRequest(FoldingRangeRequest.type, { textDocument: { uri: uriOf(f()) } })) ?? [];
});

afterAll(async () => {
  expect(await client?.stop()).toBe(0);
  expect(client.logs.filter((l) => l.message.includes("internal error"))).toEqual([]);
  rmSync(dir, { recursive: true, force: true });
});

describe("folding ranges", () => {
  it("folds comments, imports, declarations, blocks, templates and records", () => {
    const shown = ranges.map((r) => `${r.startLine}-${r.endLine}${r.kind ? ` ${r.kind}` : ""}`);
    const lines = SOURCE.text.split("\n");
    const starts = SOURCE.positions.map((p) => p.line);
    expect(ranges.map((r) => r.startLine)).toEqual(starts);
    const byStart = (line: number) => shown.find((s) => s.startsWith(`${line}-`));
    expect(byStart(0)).toBe("0-1 comment");
    expect(byStart(3)).toBe("3-6 imports");
    expect(byStart(8)).toBe("8-9 comment");
    // A closing brace stays visible: the type folds to the line before `}`.
    expect(byStart(10)).toBe(`10-${lines.indexOf("  body: string")}`);
    const template = starts[5]!;
    expect(byStart(template)).toBe(`${template}-${template + 2}`);
    const block = starts[starts.length - 1]!;
    expect(byStart(block)).toBe(`${block}-${block + 1} comment`);
  });

  it("offers nothing for one-line declarations", () => {
    const one = SOURCE.text.split("\n").indexOf("type One { id: string }");
    expect(ranges.some((r) => r.startLine === one)).toBe(false);
  });

  it("answers for a file with syntax errors", async () => {
    await client.change(f(), `graph g( {\n  node n {\n    run\n  }\n`);
    const r = await client.connection.sendRequest(FoldingRangeRequest.type, { textDocument: { uri: uriOf(f()) } });
    expect(Array.isArray(r)).toBe(true);
  });
});
