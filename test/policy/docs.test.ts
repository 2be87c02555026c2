// The policy examples of docs/policies.md compile (against a few declarations they refer to).
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { memoryHost } from "../helpers/memory-host.js";

const DOC = new URL("../../docs/policies.md", import.meta.url);

const DECLS = `
model fast { provider: "openai" name: "x" timeout: 5s }
enum Risk { low, high }
type Reply { answer: string, risk: Risk }
type Crm { notes: string }
tool issue_refund(amount: int) -> string { impl: js("./t.mjs#a") tags: [payments.write] }
tool send_email(subject: string, body: string) -> string { impl: js("./t.mjs#b") }
tool crm_read(id: string) -> Crm { impl: js("./t.mjs#c") tags: [crm.read] }
graph support(q: string) -> Reply { return { answer: q, risk: low } }
agent billing_specialist(q: string) -> string { model: fast goal: "x" limits { turns: 2 } }
`;
const MODERATION = `type Verdict { flagged: bool, category: string }
prompt moderation(text: string) -> Verdict { model: fast user #"{{ text }}"# }
`;

it("every awr example of docs/policies.md compiles", () => {
  const blocks = [...readFileSync(DOC, "utf8").matchAll(/```awr\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBeGreaterThanOrEqual(4);
  const errors = blocks.map((b) => {
    const source = DECLS + (b.includes("prompt moderation") ? "" : MODERATION) + b;
    return compile(["main.awr"], memoryHost({ "main.awr": source }), {}).diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);
  });
  expect(errors).toEqual(blocks.map(() => []));
});
