// References, definition and rename reach every use of a symbol: each kind of symbol × each kind of
// place it can be used, in one program (in-process, through the workspace the server runs), and
// the state field `refunded` of examples/support-triage, whose test blocks read it as
// `state.refunded` (issue 15: a rename left `expect state.refunded` behind).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileHost } from "../../host/source-host.js";
import { Workspace } from "../../lsp/workspace.js";
import { definition } from "../../lsp/features/definition.js";
import { findReferences } from "../../lsp/features/references.js";
import { rename } from "../../lsp/features/rename.js";
import { pathToUri } from "../../lsp/convert.js";
import { memoryHost } from "../helpers/memory-host.js";

/**
 * `«k»name` marks an occurrence of symbol k; its declaration is the first one, or the one marked
 * `«=k»`, which is put first. Returns the clean text and, per symbol, the offsets of its occurrences.
 */
function marked(src: string): { text: string; uses: Map<string, number[]> } {
  const uses = new Map<string, number[]>();
  let text = "";
  for (const [i, s] of src.split(/«(=?\w+)»/).entries()) {
    if (i % 2 === 0) text += s;
    else if (s.startsWith("=")) uses.set(s.slice(1), [text.length, ...(uses.get(s.slice(1)) ?? [])]);
    else uses.set(s, [...(uses.get(s) ?? []), text.length]);
  }
  return { text, uses };
}

const SRC = marked(`
type «T»Ticket {
  «tf»email: string
  «sub»subject: string
}
enum «E»Level { «em»low, high }

model «m»fast {
  provider: "openai"
  name: "gpt-4o-mini"
  max_tokens: 100
}

prompt «p»draft(«pp»ticket: «T»Ticket, level: «E»Level) -> string {
  model: «m»fast
  user #"Write to {{ «pp»ticket.«tf»email }} about {{ «pp»ticket.«sub»subject }}"#
}

tool «t»send(to: string) -> string {
  impl: js("./send.mjs#send")
  timeout: 5s
}

graph «g»support(«gp»ticket: «T»Ticket) -> string {
  state {
    «s»reply: string?
    «c»count: int @reduce(sum) = 0
    level: «E»Level = «em»low
  }
  node «n»answer {
    run «p»draft(«pp»ticket: «gp»ticket, level: «em»low) -> «s»reply
    on error -> «n2»fallback
  }
  node «=n2»fallback { set «c»count = 1 }
  node notify {
    run «t»send(to: «gp»ticket.«tf»email)
    set «c»count = «c»count + 1
  }
  edge start -> «n»answer
  edge «n»answer -> notify when «s»reply != null
  edge «n»answer -> end otherwise
  edge notify -> end
  edge «n2»fallback -> end
  return «s»reply ?? "none"
}

test works {
  mock «p»draft => "hi"
  mock «t»send => "sent"
  run «g»support(«gp»ticket: { «tf»email: "a@b.c", «sub»subject: "s" })
  expect state.«s»reply == "hi"
  expect state.«c»count >= 1
  expect status == "completed"
}
`);

const FILE = "/w/main.awr";

function workspace(files: Record<string, string>): Workspace {
  const ws = new Workspace({ disk: () => memoryHost({ ...files, "/w/send.mjs": "export function send() {}" }) });
  for (const [f, t] of Object.entries(files)) ws.setText(f, pathToUri(f), t);
  return ws;
}

const positionOf = (text: string, offset: number) => {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length - 1, character: before[before.length - 1]!.length };
};

describe("every symbol kind × every use site", () => {
  const ws = workspace({ [FILE]: SRC.text });

  it("the fixture checks without errors", () => {
    expect(ws.analyse(FILE).diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`)).toEqual([]);
  });

  for (const [sym, offsets] of SRC.uses) {
    const name = /^\w+/.exec(SRC.text.slice(offsets[0]!))![0];
    it(`${sym} (${name}): references from each use are all ${offsets.length} uses, definition from each is the declaration`, () => {
      for (const o of offsets) {
        const found = findReferences(ws, FILE, o);
        expect(found, `references at ${o}`).toBeDefined();
        expect(found!.occurrences.map((x) => x.span.start).sort((a, b) => a - b), `references at ${o}`).toEqual([...offsets].sort((a, b) => a - b));
        const def = definition(ws, { textDocument: { uri: pathToUri(FILE) }, position: positionOf(SRC.text, o) });
        expect(def?.range.start, `definition at ${o}`).toEqual(positionOf(SRC.text, offsets[0]!));
      }
      // Rename edits exactly those places.
      const edit = rename(ws, { textDocument: { uri: pathToUri(FILE) }, position: positionOf(SRC.text, offsets.at(-1)!), newName: `${name}_2` });
      expect(edit && "changes" in edit ? (edit.changes?.[pathToUri(FILE)] ?? []).map((e) => e.range.start).sort((a, b) => a.line - b.line || a.character - b.character) : edit).toEqual(
        offsets.map((o) => positionOf(SRC.text, o)).sort((a, b) => a.line - b.line || a.character - b.character),
      );
    });
  }
});

describe("examples/support-triage: the state field refunded", () => {
  const dir = join(import.meta.dirname, "..", "..", "examples", "support-triage");
  const main = join(dir, "main.awr");
  const text = readFileSync(main, "utf8");
  const ws = new Workspace({ disk: () => new FileHost() });
  ws.setRoots([dir]);
  ws.setText(main, pathToUri(main), text);
  const decl = text.indexOf("refunded: float");
  const inTest = text.indexOf("state.refunded") + "state.".length;

  it("references from the declaration and from `expect state.refunded` are the same, tests included", () => {
    // The declaration, `set refunded = …`, the value of `refunded: refunded` in the result, and the tests.
    const want = [decl, text.indexOf("set refunded") + 4, text.indexOf("refunded: refunded") + "refunded: ".length, ...[...text.matchAll(/state\.refunded/g)].map((m) => m.index! + 6)];
    const fromDecl = findReferences(ws, main, decl)!.occurrences.filter((o) => o.file === main).map((o) => o.span.start);
    const fromTest = findReferences(ws, main, inTest)!.occurrences.filter((o) => o.file === main).map((o) => o.span.start);
    expect(fromDecl.sort((a, b) => a - b)).toEqual(fromTest.sort((a, b) => a - b));
    // Both `expect state.refunded` lines are found.
    const tests = [...text.matchAll(/state\.refunded/g)].map((m) => m.index! + "state.".length);
    expect(tests.length).toBe(2);
    for (const t of tests) expect(fromDecl).toContain(t);
    // `output?.refunded` is a field of the graph's result type, not the state field.
    expect(fromDecl).not.toContain(text.indexOf("output?.refunded") + "output?.".length);
    expect(fromDecl.sort((a, b) => a - b)).toEqual(want.sort((a, b) => a - b));
  });

  it("definition from `state.refunded` in a test goes to the state field", () => {
    const def = definition(ws, { textDocument: { uri: pathToUri(main) }, position: positionOf(text, inTest) });
    expect(def).toEqual({ uri: pathToUri(main), range: { start: positionOf(text, decl), end: positionOf(text, decl + "refunded".length) } });
  });

  it("rename reaches the tests, and the renamed program still checks", () => {
    const edit = rename(ws, { textDocument: { uri: pathToUri(main) }, position: positionOf(text, decl), newName: "refunded_usd" });
    const edits = edit && "changes" in edit ? edit.changes![pathToUri(main)]! : [];
    const lines = text.split("\n");
    const touched = edits.map((e) => lines[e.range.start.line]!.trim());
    expect(touched.filter((l) => l.startsWith("expect state."))).toHaveLength(2);
    // Apply and check: no errors appear.
    const offsets = edits.map((e) => lines.slice(0, e.range.start.line).reduce((n, l) => n + l.length + 1, 0) + e.range.start.character).sort((a, b) => b - a);
    let renamed = text;
    for (const o of offsets) renamed = renamed.slice(0, o) + "refunded_usd" + renamed.slice(o + "refunded".length);
    ws.setText(main, pathToUri(main), renamed);
    expect(ws.analyse(main).diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`)).toEqual([]);
    expect(renamed).toContain("expect state.refunded_usd == 64.9");
    expect(renamed).toContain("refunded: refunded_usd,"); // the result's field keeps its name
  });
});
