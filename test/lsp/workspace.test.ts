// Files of the workspace that are not open: a file on disk that imports an open module (and that no
// open document loads) gets diagnostics when a change to that module breaks it, and rename and
// find-references reach into it. A file that does not import the module is left alone.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Position, RenameRequest, type WorkspaceEdit } from "vscode-languageserver-protocol/node";
import { LspClient, markers, uriOf } from "./client.js";

const TYPES = markers(`/// A help-desk ticket.
type Tick<|>et {
  id: string
  em<|>ail: string
}
type Reply { text: string }
`);

const USER = `import "./types.awr"

model fast {
  provider: "openai"
  name: "gpt-4o-mini"
}

prompt draft(ticket: Ticket) -> Reply {
  model: fast
  user #"Write to {{ ticket.email }}"#
}

graph flow(ticket: Ticket) -> Reply {
  state {
    copy: Ticket?
    reply: Reply?
  }
  node keep { set copy = { id: ticket.id, email: ticket.email } }
  node answer { run draft(ticket) -> reply }
  edge start -> keep
  edge keep -> answer
  edge answer -> end
  return reply ?? { text: "none" }
}
`;

// Broken on purpose, but it imports nothing the test touches: nobody should publish for it.
const OTHER = `type Lone { a: strin }
`;

let dir: string;
let client: LspClient;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-lsp-workspace-"));
  writeFileSync(file("types.awr"), TYPES.text);
  writeFileSync(file("user.awr"), USER);
  writeFileSync(file("other.awr"), OTHER);
  client = await LspClient.start(dir);
  await client.open(file("types.awr"), TYPES.text);
  await client.waitForDiagnostics(file("types.awr"), () => true);
});

afterAll(async () => {
  const code = await client?.stop();
  expect(code).toBe(0);
  expect(client.logs.filter((l) => l.message.includes("internal error"))).toEqual([]);
  rmSync(dir, { recursive: true, force: true });
});

const rename = (f: string, position: Position, newName: string) =>
  client.connection.sendRequest(RenameRequest.type, { textDocument: { uri: uriOf(f) }, position, newName }) as Promise<WorkspaceEdit>;

/** The lines of `text` that `edit`'s changes for `f` touch, after applying them. */
function renamedLines(edit: WorkspaceEdit, f: string, text: string): string[] {
  const edits = edit.changes?.[uriOf(f)] ?? [];
  const lines = text.split("\n");
  const touched = new Set(edits.map((e) => e.range.start.line));
  for (const e of [...edits].sort((a, b) => b.range.start.character - a.range.start.character)) {
    const l = lines[e.range.start.line]!;
    lines[e.range.start.line] = l.slice(0, e.range.start.character) + e.newText + l.slice(e.range.end.character);
  }
  return [...touched].sort((a, b) => a - b).map((i) => lines[i]!.trim());
}

describe("workspace files that are not open", () => {
  it("rename of a type field edits an unopened importer: accesses, template holes, record keys", async () => {
    const edit = await rename(file("types.awr"), TYPES.positions[1]!, "address");
    expect(Object.keys(edit.changes ?? {}).sort()).toEqual([uriOf(file("types.awr")), uriOf(file("user.awr"))].sort());
    expect(renamedLines(edit, file("user.awr"), USER)).toEqual([
      'user #"Write to {{ ticket.address }}"#',
      "node keep { set copy = { id: ticket.id, address: ticket.address } }",
    ]);
    const refs = (await client.references(file("types.awr"), TYPES.positions[1]!, false))!;
    expect(refs.filter((r) => r.uri === uriOf(file("user.awr"))).length).toBe(3);
  });

  it("goes from a record literal's key to the field it sets (in a file read from disk)", async () => {
    const line = USER.split("\n").findIndex((l) => l.includes("set copy = {"));
    const character = USER.split("\n")[line]!.indexOf("email:") + 2;
    const def = (await client.definition(file("user.awr"), { line, character })) as { uri: string; range: { start: { line: number } } };
    expect(def.uri).toBe(uriOf(file("types.awr")));
    expect(TYPES.text.split("\n")[def.range.start.line]).toContain("email: string");
    const hover = await client.hover(file("user.awr"), { line, character });
    expect((hover!.contents as { value: string }).value).toContain("(field) Ticket.email: string");
  });

  it("rename of a type edits an unopened importer", async () => {
    const edit = await rename(file("types.awr"), TYPES.positions[0]!, "Case");
    expect(renamedLines(edit, file("user.awr"), USER)).toEqual(["prompt draft(ticket: Case) -> Reply {", "graph flow(ticket: Case) -> Reply {", "copy: Case?"]);
    expect(edit.changes?.[uriOf(file("other.awr"))]).toBeUndefined();
  });

  it("publishes diagnostics for an unopened importer a change breaks, and clears them when fixed", async () => {
    const user = file("user.awr");
    await client.change(file("types.awr"), TYPES.text.replace("email: string", "mail: string"));
    const broken = await client.waitForDiagnostics(user, (ds) => ds.some((d) => d.code === "AWR2005"));
    expect(broken.filter((d) => d.code === "AWR2005").length).toBeGreaterThanOrEqual(2);
    expect(broken.find((d) => d.code === "AWR2005")!.message).toContain('"email"');
    await client.change(file("types.awr"), TYPES.text);
    await client.waitForDiagnostics(user, (ds) => !ds.some((d) => d.severity === 1));
    // A file that imports nothing that changed is never checked for the editor.
    expect(client.diagnostics.has(uriOf(file("other.awr")))).toBe(false);
  });
});
