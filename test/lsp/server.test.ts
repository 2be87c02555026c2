// The language server as an editor sees it: `awr lsp --stdio` spawned from the build, a multi-file
// workspace on disk, documents opened and edited over JSON-RPC. Cursor positions are `<|>` markers.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CodeAction, CompletionItem, Diagnostic, DocumentSymbol, Hover, Location, MarkupContent } from "vscode-languageserver-protocol/node";
import { LspClient, markers, uriOf } from "./client.js";

const TYPES = `/// A help-desk ticket.
type Ticket {
  id: string
  /// Where replies go.
  email: string @format(email)
  subject: string
  body: string
  tags: list<string> @maxItems(5) = []
}
enum Priority { low, normal, urgent }
type Triage {
  priority: Priority
  /// How sure the model is, 0..1.
  confidence: float @min(0) @max(1)
}
type Reply { text: string }
type Order { id: string, total: float }
`;

const TOOLS = `import "./types.awr"

/// The fast, cheap model.
model fast {
  provider: "openai"
  name: "gpt-4o-mini"
  timeout: 30s
}

/// Recent orders of a customer.
tool lookup_orders(email: string) -> list<Order> {
  impl: js("./crm.mjs#lookupOrders")
  timeout: 5s
}
`;

// Markers: 0 type name in a parameter, 1 a model reference, 2 a field in a template hole,
// 3 the graph's name, 4 a state-field write, 5 a node in an edge, 6 a field after `!.`.
const MAIN = markers(`import "./types.awr"
import "./tools.awr"

prompt triage_prompt(ticket: Tic<|>ket) -> Triage {
  model: fa<|>st
  user #"Subject: {{ ticket.sub<|>ject }}"#
}

agent resolver(ticket: Ticket, triage: Triage) -> Reply {
  model: fast
  instructions #"Ticket {{ ticket.id }} is {{ triage.priority }}"#
  tools: [lookup_orders]
  limits { turns: 4, tokens: 4000 }
}

graph sup<|>port(ticket: Ticket) -> Reply {
  state {
    /// The classification.
    triage: Triage?
    reply: Reply?
  }
  node classify { run triage_prompt(ticket) -> tri<|>age }
  node answer { run resolver(ticket, triage!) -> reply }
  edge start -> classify
  edge classify -> ans<|>wer when triage!.confi<|>dence > 0.5
  edge classify -> end otherwise
  edge answer -> end
  return reply ?? { text: "no answer" }
}
`);

let dir: string;
let client: LspClient;
const file = (name: string) => join(dir, name);
const hoverText = (h: Hover | null) => (h ? (h.contents as MarkupContent).value : "");
const labels = (items: CompletionItem[]) => items.map((i) => i.label);
const at = (text: string, pos: { line: number; character: number }) => {
  const lines = text.split("\n");
  return lines.slice(0, pos.line).reduce((n, l) => n + l.length + 1, 0) + pos.character;
};
const rangeText = (text: string, loc: Location) => text.slice(at(text, loc.range.start), at(text, loc.range.end));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-lsp-"));
  writeFileSync(file("types.awr"), TYPES);
  writeFileSync(file("tools.awr"), TOOLS);
  writeFileSync(file("main.awr"), MAIN.text);
  client = await LspClient.start(dir);
  await client.open(file("main.awr"), MAIN.text);
  await client.open(file("types.awr"), TYPES);
});

afterAll(async () => {
  const code = await client?.stop();
  expect(code).toBe(0);
  expect(client.logs.filter((l) => l.message.includes("internal error"))).toEqual([]);
  rmSync(dir, { recursive: true, force: true });
});

describe("diagnostics", () => {
  it("publishes a clean program without errors", async () => {
    const ds = await client.waitForDiagnostics(file("main.awr"), () => true);
    expect(ds.filter((d) => d.severity === 1)).toEqual([]);
    // Types used only by main.awr are not "unused" in types.awr while main.awr is open.
    const types = await client.waitForDiagnostics(file("types.awr"), () => true);
    expect(types.map((d) => d.code)).not.toContain("AWR6001");
  });

  it("reports an error with its code and range, and clears it after a fixing change", async () => {
    const f = file("broken.awr");
    const text = `import "./types.awr"\n\ngraph g(t: Tiket) -> string {\n  node n { set x = 1 }\n  edge start -> n\n  edge n -> end\n  return "ok"\n}\n`;
    await client.open(f, text);
    const ds = await client.waitForDiagnostics(f, (d) => d.some((x) => x.code === "AWR2010"));
    const unknown = ds.find((d) => d.code === "AWR2010")!;
    expect(unknown.severity).toBe(1);
    expect(unknown.source).toBe("awr");
    expect(unknown.message).toContain('did you mean "Ticket"');
    expect(rangeText(text, { uri: "", range: unknown.range })).toBe("Tiket");

    // Versioned: the publication names the buffer version it was computed from (1, then 2).
    expect(client.diagnosticsVersion.get(uriOf(f))).toBe(1);
    await client.change(f, text.replace("Tiket", "Ticket"));
    const after = await client.waitForDiagnostics(f, (d) => !d.some((x) => x.code === "AWR2010"));
    expect(after.map((d) => d.code)).not.toContain("AWR2010");
    expect(client.diagnosticsVersion.get(uriOf(f))).toBe(2);
    await client.close(f);
    await client.waitForDiagnostics(f, (d) => d.length === 0);
  });

  it("re-publishes a dependent open file when the file it imports changes", async () => {
    const main = file("main.awr");
    await client.waitForDiagnostics(main, (d) => !d.some((x) => x.code === "AWR2005"));
    await client.change(file("types.awr"), TYPES.replace("subject: string", "topic: string"));
    const broken = await client.waitForDiagnostics(main, (d) => d.some((x) => x.code === "AWR2005"));
    const d = broken.find((x) => x.code === "AWR2005")!;
    expect(d.message).toContain('"subject"');
    expect(rangeText(MAIN.text, { uri: "", range: d.range })).toBe("subject");

    await client.change(file("types.awr"), TYPES);
    await client.waitForDiagnostics(main, (ds) => !ds.some((x) => x.code === "AWR2005"));
  });
});

describe("hover", () => {
  it("shows a type's signature and doc comment from another file", async () => {
    const text = hoverText(await client.hover(file("main.awr"), MAIN.positions[0]!));
    expect(text).toContain("type Ticket {");
    expect(text).toContain("email: string @format(email)");
    expect(text).toContain("A help-desk ticket.");
  });

  it("shows a model's doc and a graph's signature", async () => {
    expect(hoverText(await client.hover(file("main.awr"), MAIN.positions[1]!))).toContain("The fast, cheap model.");
    expect(hoverText(await client.hover(file("main.awr"), MAIN.positions[3]!))).toContain("graph support(ticket: Ticket) -> Reply");
  });

  it("shows state fields and record fields with their types and docs", async () => {
    const state = hoverText(await client.hover(file("main.awr"), MAIN.positions[4]!));
    expect(state).toContain("(state) support.triage: Triage?");
    expect(state).toContain("The classification.");
    const field = hoverText(await client.hover(file("main.awr"), MAIN.positions[6]!));
    expect(field).toContain("(field) Triage.confidence: float @min(0) @max(1)");
    expect(field).toContain("How sure the model is");
  });

  it("shows a property key's documentation", async () => {
    const { text, positions } = markers(TOOLS.replace("  timeout: 30s", "  time<|>out: 30s"));
    await client.open(file("tools.awr"), text);
    const h = hoverText(await client.hover(file("tools.awr"), positions[0]!));
    expect(h).toContain("(property) timeout: duration");
    expect(h).toContain("Per-call timeout.");
    await client.close(file("tools.awr"));
  });
});

describe("definition and references", () => {
  const main = () => file("main.awr");
  const def = async (i: number) => (await client.definition(main(), MAIN.positions[i]!)) as Location;

  it("goes to a declaration in an imported file", async () => {
    const model = await def(1);
    expect(model.uri).toBe(uriOf(file("tools.awr")));
    expect(rangeText(TOOLS, model)).toBe("fast");
    const type = await def(0);
    expect(type.uri).toBe(uriOf(file("types.awr")));
    expect(type.range.start.line).toBe(1);
  });

  it("goes from a field in a template hole to the type's field", async () => {
    const field = await def(2);
    expect(field.uri).toBe(uriOf(file("types.awr")));
    expect(rangeText(TYPES, field)).toBe("subject");
  });

  it("goes from an edge to its node and from a write to its state field", async () => {
    const node = await def(5);
    expect(node.uri).toBe(uriOf(main()));
    expect(MAIN.text.split("\n")[node.range.start.line]).toContain("node answer");
    const state = await def(4);
    expect(MAIN.text.split("\n")[state.range.start.line]).toContain("triage: Triage?");
  });

  it("finds every use of a type across the open files", async () => {
    const refs = (await client.references(main(), MAIN.positions[0]!))!;
    const inMain = refs.filter((r) => r.uri === uriOf(main()));
    expect(inMain.map((r) => rangeText(MAIN.text, r))).toEqual(["Ticket", "Ticket", "Ticket"]);
    expect(refs.some((r) => r.uri === uriOf(file("types.awr")) && rangeText(TYPES, r) === "Ticket")).toBe(true);
    const without = (await client.references(main(), MAIN.positions[0]!, false))!;
    expect(without.length).toBe(refs.length - 1);
  });

  it("finds the uses of a state field and of a node", async () => {
    const field = (await client.references(main(), MAIN.positions[4]!))!;
    expect(field.map((r) => rangeText(MAIN.text, r))).toEqual(["triage", "triage", "triage", "triage"]);
    const node = (await client.references(main(), MAIN.positions[5]!))!;
    expect(node.map((r) => r.range.start.line)).toEqual([22, 24, 26]);
  });
});

describe("document symbols", () => {
  it("outlines declarations with fields, state and nodes", async () => {
    const symbols = (await client.documentSymbols(file("main.awr"))) as DocumentSymbol[];
    expect(symbols.map((s) => s.name)).toEqual(["triage_prompt", "resolver", "support"]);
    const graph = symbols.find((s) => s.name === "support")!;
    expect(graph.children!.map((c) => c.name)).toEqual(["ticket", "triage", "reply", "classify", "answer"]);
  });

  it("finds declarations across the workspace by fuzzy query", async () => {
    const found = (await client.workspaceSymbols("tkt")) as { name: string; location: { uri: string } }[];
    expect(found.map((s) => s.name)).toContain("Ticket");
    expect(found.find((s) => s.name === "Ticket")!.location.uri).toMatch(/types\.awr$/);
    expect(((await client.workspaceSymbols("zzzz")) as unknown[]).length).toBe(0);
  });
});

describe("completion", () => {
  const scratch = () => file("scratch.awr");
  let opened = false;
  async function complete(source: string): Promise<CompletionItem[]> {
    const { text, positions } = markers(source);
    if (!opened) await client.open(scratch(), text);
    else await client.change(scratch(), text);
    opened = true;
    return client.completion(scratch(), positions[0]!);
  }

  it("offers declaration keywords at the top level", async () => {
    expect(labels(await complete(`<|>`))).toEqual(expect.arrayContaining(["model", "tool", "prompt", "agent", "graph", "type", "import"]));
  });

  it("offers a model's property keys with their docs, without the ones already written", async () => {
    const items = await complete(`model m {\n  provider: "openai"\n  <|>\n}\n`);
    expect(labels(items)).toEqual(expect.arrayContaining(["name", "timeout", "temperature", "price"]));
    expect(labels(items)).not.toContain("provider");
    expect((items.find((i) => i.label === "timeout")!.documentation as MarkupContent).value).toBe("Per-call timeout.");
  });

  it("offers the fields of the receiver's type after `.`", async () => {
    const inHole = await complete(`import "./types.awr"\nprompt p(ticket: Ticket) -> string {\n  user #"{{ ticket.<|> }}"#\n}\n`);
    expect(labels(inHole)).toEqual(["id", "email", "subject", "body", "tags"]);
    expect((inHole.find((i) => i.label === "email")!.documentation as MarkupContent).value).toBe("Where replies go.");
    const inGraph = await complete(`import "./types.awr"\ngraph g(t: Ticket) -> string {\n  state { tri: Triage? }\n  edge start -> end when tri!.<|>\n}\n`);
    expect(labels(inGraph)).toEqual(["priority", "confidence"]);
  });

  it("offers tools in `tools: [` and models after `model:`", async () => {
    const tools = await complete(`import "./tools.awr"\nagent a(x: string) -> string {\n  model: fast\n  tools: [<|>]\n}\n`);
    expect(labels(tools)).toEqual(["lookup_orders"]);
    const models = await complete(`import "./tools.awr"\nagent a(x: string) -> string {\n  model: <|>\n}\n`);
    expect(labels(models)).toEqual(["fast"]);
  });

  it("offers type names after `:`", async () => {
    const items = await complete(`import "./types.awr"\ntype X {\n  a: <|>\n}\n`);
    expect(labels(items)).toEqual(expect.arrayContaining(["string", "int", "list", "Ticket", "Priority"]));
    expect(labels(items)).not.toContain("fast");
    const param = await complete(`import "./types.awr"\ntool t(x: Tri<|>) -> string { impl: js("./a.mjs#b") }\n`);
    expect(labels(param)).toContain("Triage");
  });

  it("offers attributes after `@` and nodes in edges", async () => {
    expect(labels(await complete(`type X {\n  a: string @<|>\n}\n`))).toEqual(expect.arrayContaining(["format", "maxLength", "pattern"]));
    const nodes = await complete(`graph g() {\n  node one { set x = 1 }\n  node two { set x = 2 }\n  edge one -> <|>\n}\n`);
    expect(labels(nodes)).toEqual(expect.arrayContaining(["one", "two", "end"]));
  });
});

describe("code actions", () => {
  it("offers the did-you-mean replacement of a diagnostic", async () => {
    const f = file("typo.awr");
    const text = `import "./types.awr"\ntool t(x: Tiket) -> string { impl: js("./a.mjs#b") }\n`;
    await client.open(f, text);
    const ds = await client.waitForDiagnostics(f, (d) => d.some((x) => x.code === "AWR2010"));
    const d = ds.find((x) => x.code === "AWR2010")!;
    const actions = (await client.codeActions(f, d.range, [d])) as CodeAction[];
    expect(actions.map((a) => a.title)).toEqual(['Change to "Ticket"']);
    expect(actions[0]!.kind).toBe("quickfix");
    expect(actions[0]!.diagnostics).toEqual([d]);
    expect(actions[0]!.edit!.changes![uriOf(f)]).toEqual([{ range: d.range, newText: "Ticket" }]);
    await client.close(f);
  });

  it("inserts ` max 3` on an unbounded cycle", async () => {
    const f = file("cycle.awr");
    const text = `graph g() {\n  state { n: int = 0 }\n  node a { set n = n + 1 }\n  node b { set n = n + 1 }\n  edge start -> a\n  edge a -> b\n  edge b -> a when n < 3\n  edge b -> end otherwise\n}\n`;
    await client.open(f, text);
    const ds = await client.waitForDiagnostics(f, (x) => x.some((y) => y.code === "AWR4003"));
    const d = ds.find((x) => x.code === "AWR4003")!;
    const actions = (await client.codeActions(f, d.range, [d])) as CodeAction[];
    const edits = actions.flatMap((a) => a.edit!.changes![uriOf(f)]!);
    expect(edits.length).toBeGreaterThan(0);
    expect(edits.every((e) => e.newText === " max 3")).toBe(true);
    await client.close(f);
  });
});

describe("robustness", () => {
  it("answers every request through 5,000 random edits and stays alive", async () => {
    const f = file("fuzz.awr");
    let text = MAIN.text;
    await client.open(f, text);
    let seed = 0x5eed;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % Math.max(1, n);
    };
    const SNIPPETS = ["{", "}", "(", ")", "[", "]", "->", ".", "?.", "!", "@", ":", ",", "\n", " ", '"', '#"', '"#', "{{", "}}", "ticket.", "edge ", "node x { run ", "model: ", "tools: [", "type T { a: ", "@format(", "graph ", "\u00e9\u{1F600}", "\r\n", "/*", "///", "max 3", "Ticket", "triage!.", "= ", "|"];
    const pos = (t: string, o: number) => {
      const before = t.slice(0, o).split("\n");
      return { line: before.length - 1, character: before[before.length - 1]!.length };
    };
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 5000; i++) {
      const a = rand(text.length + 1);
      const b = Math.min(text.length, a + rand(12));
      const kind = rand(3);
      const insert = kind === 1 ? "" : kind === 0 ? SNIPPETS[rand(SNIPPETS.length)]! : String.fromCharCode(...Array.from({ length: 1 + rand(6) }, () => 32 + rand(95)));
      const start = a;
      const end = kind === 0 ? a : b;
      await client.change(f, [{ range: { start: pos(text, start), end: pos(text, end) }, text: insert }]);
      text = text.slice(0, start) + insert + text.slice(end);
      const p = pos(text, rand(text.length + 1));
      switch (rand(4)) {
        case 0:
          pending.push(client.hover(f, p));
          break;
        case 1:
          pending.push(client.completion(f, p));
          break;
        case 2:
          pending.push(client.definition(f, p));
          break;
        default:
          pending.push(client.references(f, p));
      }
    }
    const results = await Promise.allSettled(pending);
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    for (const r of results) {
      const v = (r as PromiseFulfilledResult<unknown>).value;
      expect(v === null || typeof v === "object").toBe(true);
    }
    expect(client.alive).toBe(true);
    // Still answering, and diagnostics of the mangled text arrive.
    await client.change(f, `${MAIN.text}\ngraph {\n`);
    const ds: Diagnostic[] = await client.waitForDiagnostics(f, (d) => d.some((x) => x.code === "AWR1002"));
    expect(ds.length).toBeGreaterThan(0);
    expect(hoverText(await client.hover(f, MAIN.positions[1]!))).toContain("The fast, cheap model.");
    expect(client.logs.filter((l) => l.message.includes("internal error"))).toEqual([]);
    await client.close(f);
  }, 120_000);
});
