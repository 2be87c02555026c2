// Hover and completion show the built-in names of a declaration with the types the checker gives
// them (compiler/language/scopes.ts is the one definition): a test's `error.kind` is the union of
// failure kinds, a policy rule's `principal` is a record, and `output` exists only after the call.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hover, MarkupContent } from "vscode-languageserver-protocol/node";
import { FAILURE_KINDS } from "../../compiler/plan/vocabulary.js";
import { LspClient, markers } from "./client.js";

const DOC = markers(`tool lookup(email: string) -> string {
  impl: js("./crm.mjs#lookup")
  timeout: 5s
}

graph flow(email: string) -> string {
  state { out: string? }
  node a { run lookup(email) -> out }
  edge start -> a
  edge a -> end
  return out ?? ""
}

policy guard {
  before tool lookup {
    deny when "admin" in princ<|>ipal.roles because "no"
    deny when <|>
  }
  after tool lookup {
    deny when <|>
  }
}

test t1 {
  run flow("a@b.c")
  expect error.ki<|>nd == "timeout"
  expect error.<|>
}
`);

let dir: string;
let client: LspClient;
const doc = () => join(dir, "doc.awr");
const hoverText = (h: Hover | null) => (h ? (h.contents as MarkupContent).value : "");
const labels = async (i: number) => (await client.completion(doc(), DOC.positions[i]!)).map((c) => c.label);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-lsp-builtin-scope-"));
  client = await LspClient.start(dir);
  await client.open(doc(), DOC.text);
});

afterAll(async () => {
  const code = await client?.stop();
  expect(code).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

describe("built-in names in scope, as the checker types them", () => {
  it("a test's error.kind is the union of failure kinds", async () => {
    const text = hoverText(await client.hover(doc(), DOC.positions[3]!));
    expect(text).toContain(FAILURE_KINDS.map((k) => `"${k}"`).join(" | "));
    expect(await labels(4)).toEqual(expect.arrayContaining(["kind", "message", "step"]));
  });

  it("a policy rule's principal is the run's principal record, not any", async () => {
    const text = hoverText(await client.hover(doc(), DOC.positions[0]!));
    expect(text).toContain("(builtin) principal: { id: string, roles: list<string>, attrs: map<string> }");
  });

  it("output is in scope after the call only, input is the tool's arguments", async () => {
    const before = await labels(1);
    expect(before).toEqual(expect.arrayContaining(["input", "principal", "tool"]));
    expect(before).not.toContain("output");
    expect(await labels(2)).toEqual(expect.arrayContaining(["input", "principal", "tool", "output"]));
  });
});
