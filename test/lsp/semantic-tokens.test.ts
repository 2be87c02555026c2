// Semantic tokens over stdio: the legend the server announces, and the tokens of one file decoded
// back to (text, type, modifiers) — every name at a `<|>` marker must carry the expected class.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SemanticTokensRequest, type SemanticTokensLegend } from "vscode-languageserver-protocol/node";
import { serverCapabilities } from "./capabilities.js";
import { LspClient, markers, uriOf } from "./client.js";

const SOURCE = markers(`import "./types.awr"

// A line comment.
/// The fast model.
model <|>fast {
  <|>provider: "openai"
  name: "gpt-4o-mini"
  timeout: <|>30s
  retry { max: 2, backoff: <|>exponential(500ms, 8s) }
}

type <|>Verdict {
  <|>ok: <|>bool @<|>maxLength(3)
  level: <|>Level
}

enum Level { <|>low, high }

prompt <|>judge(<|>ticket: <|>Ticket) -> Verdict {
  <|>model: fast
  user <|>#"Check {{ <|>ticket.<|>subject }} at {{ <|>len(ticket.body) }}
second line"#
}

graph <|>review(ticket: Ticket) -> Verdict {
  <|>state {
    <|>verdict: Verdict?
    <|>model: string = "x"
  }
  node <|>judge_it { <|>run judge(ticket: ticket) -> <|>verdict }
  edge <|>start -> <|>judge_it when <|>verdict == null && <|>model != "y"
  edge judge_it -> end otherwise
  return verdict ?? { ok: <|>true, level: <|>low }
}

context past { source talks = <|>sessions() }
policy guard {
  before tool tagged pii { deny when <|>contains_pii(input) }
}
`);

const TYPES = `type Ticket { subject: string, body: string }\n`;

let dir: string;
let client: LspClient;
let legend: SemanticTokensLegend;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-lsp-tokens-"));
  writeFileSync(file("types.awr"), TYPES);
  writeFileSync(file("main.awr"), SOURCE.text);
  const caps = await serverCapabilities();
  legend = (caps.semanticTokensProvider as { legend: SemanticTokensLegend; full: boolean }).legend;
  expect((caps.semanticTokensProvider as { full: boolean }).full).toBe(true);
  client = await LspClient.start(dir);
  await client.open(file("main.awr"), SOURCE.text);
});

afterAll(async () => {
  expect(await client?.stop()).toBe(0);
  expect(client.logs.filter((l) => l.message.includes("internal error"))).toEqual([]);
  rmSync(dir, { recursive: true, force: true });
});

interface Decoded {
  line: number;
  char: number;
  text: string;
  type: string;
  mods: string[];
}

async function tokens(f: string, text: string): Promise<Decoded[]> {
  const r = await client.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri: uriOf(f) } });
  const lines = text.split("\n");
  const out: Decoded[] = [];
  let line = 0;
  let char = 0;
  const d = r?.data ?? [];
  for (let i = 0; i < d.length; i += 5) {
    line += d[i]!;
    char = d[i]! === 0 ? char + d[i + 1]! : d[i + 1]!;
    const mods = legend.tokenModifiers.filter((_, b) => (d[i + 4]! >> b) & 1);
    out.push({ line, char, text: lines[line]!.slice(char, char + d[i + 2]!), type: legend.tokenTypes[d[i + 3]!]!, mods });
  }
  return out;
}

describe("semantic tokens", () => {
  it("announces a legend of standard token types and modifiers", () => {
    expect(legend.tokenTypes).toEqual(expect.arrayContaining(["type", "enum", "function", "parameter", "variable", "property", "enumMember", "keyword", "comment", "string", "number", "decorator"]));
    expect(legend.tokenModifiers).toEqual(expect.arrayContaining(["declaration", "documentation", "defaultLibrary"]));
  });

  it("classifies every marked name, keyword and literal", async () => {
    const toks = await tokens(file("main.awr"), SOURCE.text);
    const at = (i: number) => {
      const p = SOURCE.positions[i]!;
      const t = toks.find((x) => x.line === p.line && x.char === p.character);
      return t ? `${t.text} ${t.type}${t.mods.length ? ` [${t.mods.join(",")}]` : ""}` : `nothing at ${p.line}:${p.character}`;
    };
    expect(SOURCE.positions.map((_, i) => at(i))).toEqual([
      "fast variable [declaration,readonly]",
      "provider property",
      "30s number",
      "exponential function [defaultLibrary]",
      "Verdict type [declaration]",
      "ok property [declaration]",
      "bool type [defaultLibrary]",
      "maxLength decorator",
      "Level enum",
      "low enumMember [declaration]",
      "judge function [declaration]",
      "ticket parameter [declaration]",
      "Ticket type",
      "model property",
      '#"Check  string',
      "ticket parameter",
      "subject property",
      "len function [defaultLibrary]",
      "review function [declaration]",
      "state keyword",
      "verdict variable [declaration]",
      "model variable [declaration]",
      "judge_it method [declaration]",
      "run keyword",
      "verdict variable",
      "start keyword",
      "judge_it method",
      "verdict variable",
      "model variable",
      "true keyword",
      "low enumMember",
      "sessions function [defaultLibrary]",
      "contains_pii function [defaultLibrary]",
    ]);
  });

  it("marks comments, doc comments, strings, import paths and template lines", async () => {
    const toks = await tokens(file("main.awr"), SOURCE.text);
    const of = (text: string) => toks.filter((t) => t.text === text).map((t) => `${t.type}${t.mods.length ? ` [${t.mods.join(",")}]` : ""}`);
    expect(of("// A line comment.")).toEqual(["comment"]);
    expect(of("/// The fast model.")).toEqual(["comment [documentation]"]);
    expect(of('"./types.awr"')).toEqual(["string"]);
    expect(of('"openai"')).toEqual(["string"]);
    expect(of("{{")).toEqual(["operator", "operator"]);
    expect(of('second line"#')).toEqual(["string"]); // a multi-line template is cut per line
    expect(of("import")).toEqual(["keyword"]);
    // Tokens never overlap and come in order.
    for (let i = 1; i < toks.length; i++) {
      const a = toks[i - 1]!;
      const b = toks[i]!;
      expect(b.line > a.line || b.char >= a.char + a.text.length).toBe(true);
    }
  });

  it("answers for a file with syntax errors", async () => {
    const f = file("broken.awr");
    const text = `model m {\n  provider: "openai"\n  name: \n}\ngraph g( {\n`;
    await client.open(f, text);
    const toks = await tokens(f, text);
    expect(toks.find((t) => t.text === "m")?.type).toBe("variable");
    expect(toks.find((t) => t.text === "graph")?.type).toBe("keyword");
    await client.close(f);
  });
});

