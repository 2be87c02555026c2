// Signature help over stdio: inside the argument lists of tools, prompts, graphs and builtins,
// finished or not; the active parameter follows commas and named arguments.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MarkupContent, type SignatureHelp, SignatureHelpRequest } from "vscode-languageserver-protocol/node";
import { LspClient, markers, uriOf } from "./client.js";

const TOOLS = `/// Sends an email.
tool send(
  /// Who gets it.
  to: string @format(email),
  subject: string,
  urgent: bool = false
) -> string {
  impl: js("./mail.mjs#send")
}

prompt draft(topic: string) -> string {
  user #"Write about {{ topic }}"#
}
`;

let dir: string;
let client: LspClient;
let opened = false;
const f = () => join(dir, "main.awr");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-lsp-sig-"));
  writeFileSync(join(dir, "tools.awr"), TOOLS);
  client = await LspClient.start(dir);
});

afterAll(async () => {
  expect(await client?.stop()).toBe(0);
  expect(client.logs.filter((l) => l.message.includes("internal error"))).toEqual([]);
  rmSync(dir, { recursive: true, force: true });
});

async function help(source: string): Promise<SignatureHelp | null> {
  const { text, positions } = markers(source);
  if (!opened) await client.open(f(), text);
  else await client.change(f(), text);
  opened = true;
  return client.connection.sendRequest(SignatureHelpRequest.type, { textDocument: { uri: uriOf(f()) }, position: positions[0]! });
}

/** The signature's label and the label of its active parameter. */
function shown(h: SignatureHelp | null): [string, string] | null {
  if (!h) return null;
  const s = h.signatures[h.activeSignature ?? 0]!;
  const p = s.parameters?.[h.activeParameter ?? 0];
  const label = p ? (typeof p.label === "string" ? p.label : s.label.slice(p.label[0], p.label[1])) : "";
  return [s.label, label];
}

const graph = (body: string) => `import "./tools.awr"\ngraph g(email: string) -> string {\n  state { id: string? }\n${body}\n  edge start -> n\n  edge n -> end\n  return id ?? ""\n}\n`;

describe("signature help", () => {
  it("shows a tool's parameters with types, attributes and defaults, active by commas", async () => {
    const first = shown(await help(graph(`  node n { run send(<|>) -> id }`)));
    expect(first).toEqual(["tool send(to: string @format(email), subject: string, urgent: bool = false) -> string", "to: string @format(email)"]);
    expect(shown(await help(graph(`  node n { run send(email, "hi", <|>) -> id }`)))![1]).toBe("urgent: bool = false");
    expect(shown(await help(graph(`  node n { run send(email, <|>`)))![1]).toBe("subject: string");
  });

  it("follows named arguments and nested records and lists", async () => {
    expect(shown(await help(graph(`  node n { run send(urgent: true, to: <|>email) -> id }`)))![1]).toBe("to: string @format(email)");
    expect(shown(await help(graph(`  node n { run send(email, subject: [lower("a"), "b<|>"]) -> id }`)))![1]).toBe("subject: string");
  });

  it("carries the declaration's and the parameter's docs", async () => {
    const h = (await help(graph(`  node n { run send(<|>) -> id }`)))!;
    expect((h.signatures[0]!.documentation as MarkupContent).value).toBe("Sends an email.");
    expect((h.signatures[0]!.parameters![0]!.documentation as MarkupContent).value).toBe("Who gets it.");
  });

  it("shows builtins, also inside template holes", async () => {
    expect(shown(await help(graph(`  node n { set id = join([email], <|>) }`)))).toEqual(["join(items: list, separator?: string) -> string", "separator?: string"]);
    const hole = shown(await help(`import "./tools.awr"\nprompt q(t: string) -> string {\n  user #"{{ round(1.5, <|>) }}"#\n}\n`));
    expect(hole).toEqual(["round(value: float, digits?: int) -> float", "digits?: int"]);
    expect(shown(await help(`tool t() -> string {\n  impl: js(<|>)\n}\n`))![0]).toBe('js("path#export")');
  });

  it("shows the policy functions in rules, and a context's sessions() source", async () => {
    const rule = (cond: string) => `import "./tools.awr"\npolicy p {\n  before tool send {\n    deny when ${cond}\n  }\n}\n`;
    expect(shown(await help(rule(`contains_pii(input.to, <|>)`)))).toEqual(['contains_pii(value, "kind"...) -> bool', '"kind"...']);
    expect(shown(await help(rule(`matches(input.subject, "x", <|>)`)))).toEqual(['matches(value, "regex", "flags"?) -> bool', '"flags"?']);
    expect(shown(await help(rule(`contains_any(<|>input.subject, ["a"])`)))![0]).toBe('contains_any(value, ["word", ...]) -> bool');
    const transform = `import "./tools.awr"\npolicy p {\n  before tool send {\n    transform input.subject = truncate(input.subject, <|>)\n  }\n}\n`;
    expect(shown(await help(transform))).toEqual(["truncate(text: string, n: int) -> string", "n: int"]);
    expect(shown(await help(`context past {\n  source earlier = sessions(<|>)\n}\n`))![0]).toBe("sessions()");
    // Hover on a policy function names its signature too.
    const { text, positions } = markers(rule(`contains_<|>pii(input.to)`));
    await client.change(f(), text);
    const hover = await client.hover(f(), positions[0]!);
    expect((hover?.contents as MarkupContent | undefined)?.value).toContain('contains_pii(value, "kind"...) -> bool');
  });

  it("answers nothing outside an argument list", async () => {
    expect(await help(graph(`  node n { run send(email, "x") -> <|>id }`))).toBeNull();
    expect(await help(`import "./tools.awr"\nprompt q(t: string) -> string {\n  user #"text (<|> here"#\n}\n`)).toBeNull();
  });
});
