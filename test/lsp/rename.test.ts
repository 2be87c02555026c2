// Rename over stdio: a workspace of three files on disk, two of them open (tools.awr is read from
// disk through the server's host). Every rename is checked against find-references at the same
// position, and the edited texts must still check without new errors.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Position, PrepareRenameRequest, type Range, RenameRequest, type TextEdit, type WorkspaceEdit } from "vscode-languageserver-protocol/node";
import { LspClient, markers, uriOf } from "./client.js";

const TYPES = markers(`/// A help-desk ticket.
type Tick<|>et {
  id: string
  em<|>ail: string @format(email)
  subject: string
}
enum Priority { low, nor<|>mal, urgent }
type Reply { text: string }
`);

const TOOLS = `import "./types.awr"

model fast {
  provider: "openai"
  name: "gpt-4o-mini"
}

tool send(to: string, ticket: Ticket) -> string {
  impl: js("./mail.mjs#send")
}

prompt draft(ticket: Ticket) -> Reply {
  model: fast
  user #"Write to {{ ticket.email }} about {{ ticket.subject }}"#
}
`;

const MAIN = markers(`import "./types.awr"
import "./tools.awr"

graph support(tick<|>et: Ticket) -> Reply {
  state {
    prio: Priority = normal
    reply: Reply?
  }
  node answer { run draft(ticket: ticket) -> rep<|>ly }
  node notify { run send(t<|>o: ticket.email, ticket: ticket) }
  edge <|>start -> ans<|>wer
  edge answer -> notify when prio == nor<|>mal
  edge answer -> end otherwise
  edge notify -> end
  return reply ?? { text: "none" }
}

tool audit(note: str<|>ing) -> string {
  imp<|>l: js("./audit.mjs#audit")
}

test support_works {
  run sup<|>port(ticket: { id: "1", email: "a@b.c", subject: "hi" })
  expect status == "completed"
}
`);

const RECORDS = markers(`import "./types.awr"

graph records(t: Ticket) -> Reply {
  state {
    copy: Ticket?
    out: Reply?
    meta: map<string> = {}
  }
  node build { set copy = { id: t.id, em<|>ail: t.email, subject: "x" } }
  node answer { set out = { te<|>xt: copy!.subject } }
  node tag { set meta = { ki<|>nd: "note" } }
  edge start -> build
  edge build -> answer
  edge answer -> tag
  edge tag -> end
  return out ?? { text: "none" }
}

prompt echo(r: Reply, raw: json) -> string {
  user #"{{ r.text }}"#
}

test quoted {
  run records(t: { id: "1", subject: "s", "email": "a quoted key is renamed in its quotes" })
  expect status == "completed"
}
`);

/** The markers of MAIN, in order. */
const mark = (i: number): Position => MAIN.positions[i]!;
const at = { param: mark(0), write: mark(1), named: mark(2), start: mark(3), node: mark(4), member: mark(5), builtinType: mark(6), key: mark(7), graph: mark(8) };

let dir: string;
let client: LspClient;
const file = (name: string) => join(dir, name);
const TEXTS: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-lsp-rename-"));
  TEXTS[file("types.awr")] = TYPES.text;
  TEXTS[file("tools.awr")] = TOOLS;
  TEXTS[file("main.awr")] = MAIN.text;
  for (const [f, t] of Object.entries(TEXTS)) writeFileSync(f, t);
  // The js tools' modules (the server checks that they exist and export the names: AWR5010/AWR5011).
  writeFileSync(file("mail.mjs"), "export async function send() { return 'sent'; }\n");
  writeFileSync(file("audit.mjs"), "export async function audit() { return 'ok'; }\n");
  client = await LspClient.start(dir);
  await client.open(file("main.awr"), MAIN.text);
  await client.open(file("types.awr"), TYPES.text);
  await client.waitForDiagnostics(file("main.awr"), () => true);
});

afterAll(async () => {
  const code = await client?.stop();
  expect(code).toBe(0);
  expect(client.logs.filter((l) => l.message.includes("internal error"))).toEqual([]);
  rmSync(dir, { recursive: true, force: true });
});

const prepare = (f: string, position: Position) => client.connection.sendRequest(PrepareRenameRequest.type, { textDocument: { uri: uriOf(f) }, position });
const rename = (f: string, position: Position, newName: string) => client.connection.sendRequest(RenameRequest.type, { textDocument: { uri: uriOf(f) }, position, newName });
const failure = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected the request to fail");
};

const offsetOf = (text: string, pos: Position) => text.split("\n").slice(0, pos.line).reduce((n, l) => n + l.length + 1, 0) + pos.character;
const rangeText = (text: string, r: Range) => text.slice(offsetOf(text, r.start), offsetOf(text, r.end));

/** The texts of `edit` applied to the fixture files, keyed by file name. */
function applied(edit: WorkspaceEdit): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [uri, edits] of Object.entries(edit.changes ?? {})) {
    const f = Object.keys(TEXTS).find((x) => uriOf(x) === uri)!;
    let text = TEXTS[f]!;
    const sorted = [...edits].sort((a: TextEdit, b: TextEdit) => offsetOf(text, b.range.start) - offsetOf(text, a.range.start));
    for (const e of sorted) text = text.slice(0, offsetOf(text, e.range.start)) + e.newText + text.slice(offsetOf(text, e.range.end));
    out[f.split("/").pop()!] = text;
  }
  return out;
}

/** Renames and checks the edit covers exactly the references of the same position. */
async function renameAgreeing(f: string, position: Position, newName: string): Promise<Record<string, string>> {
  const edit = (await rename(f, position, newName))!;
  const refs = (await client.references(f, position))!;
  const edited = Object.entries(edit.changes ?? {}).flatMap(([uri, es]) => es.map((e) => `${uri}:${e.range.start.line}:${e.range.start.character}`));
  expect(edited.sort()).toEqual(refs.map((r) => `${r.uri}:${r.range.start.line}:${r.range.start.character}`).sort());
  for (const es of Object.values(edit.changes ?? {})) for (const e of es) expect(e.newText).toBe(newName);
  return applied(edit);
}

describe("prepareRename", () => {
  it("answers the name's range and text", async () => {
    const r = (await prepare(file("main.awr"), at.node)) as { range: Range; placeholder: string };
    expect(r.placeholder).toBe("answer");
    expect(rangeText(MAIN.text, r.range)).toBe("answer");
  });

  it("refuses start/end, builtin types and property keys with a message", async () => {
    expect(await failure(prepare(file("main.awr"), at.start))).toContain('"start" is built into every graph');
    expect(await failure(prepare(file("main.awr"), at.builtinType))).toContain('"string" is a builtin type');
    expect(await failure(prepare(file("main.awr"), at.key))).toContain("property of the language");
  });

  it("refuses names declared in the standard library", async () => {
    const f = file("std-user.awr");
    const { text, positions } = markers(`import "std/http"\n\ngraph fetch(url: string) -> int {\n  state { r: HttpRe<|>sponse? }\n  node get { run http_get(u<|>rl: url) -> r }\n  edge start -> get\n  edge get -> end\n  return 1\n}\n`);
    await client.open(f, text);
    expect(await failure(prepare(f, positions[0]!))).toContain('"HttpResponse" is declared in the standard library');
    expect(await failure(rename(f, positions[1]!, "address"))).toContain('"url" is declared in the standard library');
    await client.close(f);
  });
});

describe("rename", () => {
  it("renames a type across open files and a file only on disk", async () => {
    const out = await renameAgreeing(file("types.awr"), TYPES.positions[0]!, "Case");
    expect(Object.keys(out).sort()).toEqual(["main.awr", "tools.awr", "types.awr"]);
    expect(out["types.awr"]).toContain("type Case {");
    expect(out["tools.awr"]).toContain("tool send(to: string, ticket: Case)");
    expect(out["tools.awr"]).toContain("prompt draft(ticket: Case)");
    expect(out["main.awr"]).toContain("graph support(ticket: Case)");
    expect(out["main.awr"]!.match(/Ticket/g)).toBeNull();
  });

  it("renames a type field in template holes and member accesses of other files", async () => {
    const out = await renameAgreeing(file("types.awr"), TYPES.positions[1]!, "address");
    expect(out["types.awr"]).toContain("address: string @format(email)");
    expect(out["tools.awr"]).toContain("{{ ticket.address }}");
    expect(out["main.awr"]).toContain("to: ticket.address");
  });

  it("renames a graph parameter, including the named argument of a test's run", async () => {
    const out = await renameAgreeing(file("main.awr"), at.param, "request");
    const main = out["main.awr"]!;
    expect(main).toContain("graph support(request: Ticket)");
    expect(main).toContain("run draft(ticket: request) -> reply");
    expect(main).toContain("run send(to: request.email, ticket: request)");
    expect(main).toContain("run support(request: {");
    expect(Object.keys(out)).toEqual(["main.awr"]); // draft's own `ticket` parameter is another symbol
  });

  it("renames a tool parameter from a named argument at a call site", async () => {
    const out = await renameAgreeing(file("main.awr"), at.named, "recipient");
    expect(out["tools.awr"]).toContain("tool send(recipient: string, ticket: Ticket)");
    expect(out["main.awr"]).toContain("run send(recipient: ticket.email");
  });

  it("renames a field from a record literal's key: keys where the type is expected, accesses, holes", async () => {
    // An unsaved buffer: record literals built where a Ticket / Reply is expected (set, return).
    const records = file("records.awr");
    TEXTS[records] = RECORDS.text;
    await client.open(records, RECORDS.text);
    try {
      const email = await renameAgreeing(records, RECORDS.positions[0]!, "address");
      expect(email["types.awr"]).toContain("address: string @format(email)");
      expect(email["tools.awr"]).toContain("{{ ticket.address }}");
      expect(email["main.awr"]).toContain("to: ticket.address");
      // The literal passed to the graph's Ticket parameter in main.awr's test.
      expect(email["main.awr"]).toContain('run support(ticket: { id: "1", address: "a@b.c", subject: "hi" })');
      expect(email["records.awr"]).toContain("set copy = { id: t.id, address: t.address, subject: \"x\" }");
      expect(email["records.awr"]).toContain('"address": "a quoted key is renamed in its quotes"');

      // From a key, a field whose type is only known through the expected type (Reply.text).
      const text = await renameAgreeing(records, RECORDS.positions[1]!, "body");
      expect(text["types.awr"]).toContain("type Reply { body: string }");
      expect(text["main.awr"]).toContain('return reply ?? { body: "none" }');
      expect(text["records.awr"]).toContain("set out = { body: copy!.subject }");
      expect(text["records.awr"]).toContain('return out ?? { body: "none" }');
      expect(text["records.awr"]).toContain("{{ r.body }}");

      // A key of a record whose type nothing gives (a map literal, a json value) is no field.
      expect(await failure(rename(records, RECORDS.positions[2]!, "other"))).toContain("nothing to rename");
    } finally {
      await client.close(records);
      delete TEXTS[records];
    }
  });

  it("renames a state field, a node and an enum member", async () => {
    const state = await renameAgreeing(file("main.awr"), at.write, "answer_text");
    expect(state["main.awr"]).toContain("answer_text: Reply?");
    expect(state["main.awr"]).toContain("-> answer_text }");
    expect(state["main.awr"]).toContain("return answer_text ?? {");
    const node = await renameAgreeing(file("main.awr"), at.node, "respond");
    expect(node["main.awr"]).toContain("node respond {");
    expect(node["main.awr"]).toContain("edge start -> respond");
    expect(node["main.awr"]).toContain("edge respond -> notify");
    const member = await renameAgreeing(file("main.awr"), at.member, "medium");
    expect(member["types.awr"]).toContain("enum Priority { low, medium, urgent }");
    expect(member["main.awr"]).toContain("prio: Priority = medium");
    expect(member["main.awr"]).toContain("when prio == medium");
  });

  it("renames a graph from a test's run", async () => {
    const out = await renameAgreeing(file("main.awr"), at.graph, "desk");
    expect(out["main.awr"]).toContain("graph desk(ticket: Ticket)");
    expect(out["main.awr"]).toContain("run desk(ticket:");
  });

  it("refuses invalid names, literals and names already taken", async () => {
    const main = file("main.awr");
    expect(await failure(rename(main, at.node, "9lives"))).toContain("not a valid name");
    expect(await failure(rename(main, at.node, "my-node"))).toContain("not a valid name");
    expect(await failure(rename(main, at.write, "null"))).toContain("literal");
    expect(await failure(rename(file("types.awr"), TYPES.positions[0]!, "Reply"))).toContain('type "Reply" is already declared in types.awr');
    expect(await failure(rename(file("types.awr"), TYPES.positions[0]!, "fast"))).toContain('model "fast" is already declared in tools.awr');
    expect(await failure(rename(file("types.awr"), TYPES.positions[0]!, "string"))).toContain("builtin type");
    expect(await failure(rename(file("types.awr"), TYPES.positions[1]!, "subject"))).toContain('type Ticket already has a field "subject"');
    expect(await failure(rename(main, at.write, "prio"))).toContain('graph support already has a state field "prio"');
    expect(await failure(rename(main, at.write, "ticket"))).toContain('graph support already has a parameter "ticket"');
    expect(await failure(rename(main, at.node, "notify"))).toContain('graph support already has a node "notify"');
    expect(await failure(rename(main, at.node, "end"))).toContain("built into every graph");
    expect(await failure(rename(main, at.member, "urgent"))).toContain('enum Priority already has a member "urgent"');
    expect(await failure(rename(main, at.named, "ticket"))).toContain('tool send already has a parameter "ticket"');
    expect(await failure(rename(main, at.start, "begin"))).toContain("built into every graph");
  });

  it("produces edits whose result checks cleanly", async () => {
    const out = await renameAgreeing(file("types.awr"), TYPES.positions[0]!, "Case");
    const probe = file("probe.awr");
    // The renamed files as buffers (buffers win over the disk); the renamed main.awr as a probe.
    await client.change(file("types.awr"), out["types.awr"]!);
    await client.open(file("tools.awr"), out["tools.awr"]!);
    await client.open(probe, out["main.awr"]!);
    const ds = await client.waitForDiagnostics(probe, () => true);
    expect(ds.filter((d) => d.severity === 1)).toEqual([]);
    await client.close(probe);
    await client.close(file("tools.awr"));
    await client.change(file("types.awr"), TYPES.text);
  });
});
