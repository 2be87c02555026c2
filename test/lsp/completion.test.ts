// Completion in the slots server.test.ts does not visit: agents in `handoffs: [`, callables after
// `run`, state fields after `->`, values in scope in an expression, node statements, nested keys,
// policy phases, rules and PII kinds, test statements. One half-written document, `<|>` markers.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompletionItem } from "vscode-languageserver-protocol/node";
import { LspClient, markers } from "./client.js";

const TYPES = `type Ticket { id: string, email: string }
type Reply { text: string }
`;

const DOC = markers(`import "./types.awr"

model fast {
  provider: "openai"
  name: "gpt-4o-mini"
  price { <|> }
}

tool lookup(email: string) -> string {
  impl: js("./crm.mjs#lookup")
}

agent helper(t: Ticket) -> Reply {
  model: fast
}

agent front(t: Ticket) -> Reply {
  model: fast
  handoffs: [<|>]
}

graph flow(ticket: Ticket) -> Reply {
  state {
    reply: Reply?
    count: int = 0
  }
  node a {
    <|>
  }
  node b { run <|> }
  node c { run helper(ticket) -> <|> }
  edge start -> a when <|>
  edge a -> end
  return reply ?? { text: "x" }
}

policy guard {
  <|>
}

policy guard2 {
  before tool lookup {
    <|>
  }
}

policy guard3 {
  before model fast { redact <|> }
}

test t1 {
  <|>
}
`);

let dir: string;
let client: LspClient;
const doc = () => join(dir, "doc.awr");
const labels = (items: CompletionItem[]) => items.map((i) => i.label);
const at = async (i: number) => labels(await client.completion(doc(), DOC.positions[i]!));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-lsp-completion-"));
  writeFileSync(join(dir, "types.awr"), TYPES);
  client = await LspClient.start(dir);
  await client.open(doc(), DOC.text);
});

afterAll(async () => {
  const code = await client?.stop();
  expect(code).toBe(0);
  expect(client.logs.filter((l) => l.message.includes("internal error"))).toEqual([]);
  rmSync(dir, { recursive: true, force: true });
});

describe("completion slots", () => {
  it("offers the keys of a nested block (a model's price)", async () => {
    expect(await at(0)).toEqual(["input", "output"]);
  });

  it("offers agents (not the agent itself) in `handoffs: [`", async () => {
    expect(await at(1)).toEqual(["helper"]);
  });

  it("offers node statements, callables after `run` and state fields after `->`", async () => {
    expect(await at(2)).toEqual(expect.arrayContaining(["run", "map", "await", "set", "retry", "timeout", "on error"]));
    const callables = await at(3);
    expect(callables).toEqual(expect.arrayContaining(["lookup", "helper", "front", "flow"]));
    expect(callables).not.toContain("fast");
    expect(callables).not.toContain("Ticket");
    expect(await at(4)).toEqual(["reply", "count"]);
  });

  it("offers the values in scope in an expression: parameters, state fields, builtins, literals", async () => {
    const items = await at(5);
    expect(items).toEqual(expect.arrayContaining(["ticket", "reply", "count", "len", "true", "null"]));
  });

  it("offers policy phases, rules and PII kinds", async () => {
    expect(await at(6)).toEqual(["before", "after"]);
    expect(await at(7)).toEqual(expect.arrayContaining(["deny", "allow", "approve", "redact", "transform"]));
    expect(await at(8)).toEqual(expect.arrayContaining(["email", "phone"]));
  });

  it("offers test statements", async () => {
    expect(await at(9)).toEqual(["run", "mock", "expect", "principal"]);
  });
});
