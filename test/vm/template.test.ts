import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { memoryHost } from "../helpers/memory-host.js";
import { scopeOf } from "../../vm/expr.js";
import { outputFormatInstructions, renderSegments } from "../../vm/template.js";
import { VmFailure } from "../../vm/types.js";

const src = `
enum Priority { low, normal, urgent }
type Ticket { id: string, subject: string, body: string, tags: list<string> = [], note: string? }
type Triage { priority: Priority, summary: string @maxLength(280) }
model fast { provider: "openai" name: "gpt-4o-mini" }
prompt triage_prompt(ticket: Ticket) -> Triage {
  model: fast
  system #"You are a support triage specialist. {{ output_format }}"#
  user #"Subject: {{ ticket.subject }}
{{ ticket.body }}
Tags: {{ join(ticket.tags, ", ") }} ({{ len(ticket.tags) }})
Note: [{{ ticket.note }}] Ticket: {{ ticket }}"#
}
prompt plain(topic: string) -> string {
  model: fast
  user #"One line on {{ topic }}"#
}
`;
const r = compile(["main.awr"], memoryHost({ "main.awr": src }), { plan: true });
if (!r.plan) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
const plan = r.plan;
const ticket = { id: "T1", subject: "Site down", body: "All 500s", tags: ["ops", "web"], note: null };

describe("renderSegments", () => {
  const p = plan.prompts.triage_prompt!;
  const scope = scopeOf({ ticket });

  it("fills {{ output_format }} from the builtins", () => {
    const system = renderSegments(p.messages[0]!.segments, scope, { output_format: "FORMAT" });
    expect(system).toBe("You are a support triage specialist. FORMAT");
  });
  it("renders output_format as empty when it is not given", () => {
    expect(renderSegments(p.messages[0]!.segments, scope, {})).toBe("You are a support triage specialist. ");
    expect(renderSegments(p.messages[0]!.segments, scope)).toBe("You are a support triage specialist. ");
  });
  it("renders holes: text as is, null as empty, records as compact JSON, builtins", () => {
    expect(renderSegments(p.messages[1]!.segments, scope, {})).toBe(
      `Subject: Site down\nAll 500s\nTags: ops, web (2)\nNote: [] Ticket: {"id":"T1","subject":"Site down","body":"All 500s","tags":["ops","web"],"note":null}`,
    );
  });
  it("keeps literal text exactly, and fails when a hole fails", () => {
    expect(renderSegments([{ text: "{{ not a hole }} \\n" }], scopeOf({}))).toBe("{{ not a hole }} \\n");
    expect(() => renderSegments(p.messages[1]!.segments, scopeOf({}))).toThrow(VmFailure);
    expect(() => renderSegments(p.messages[1]!.segments, scopeOf({}))).toThrow("unknown name ticket");
  });
  it("renders an empty template as the empty string", () => {
    expect(renderSegments([], scopeOf({}))).toBe("");
  });
});

describe("outputFormatInstructions", () => {
  it("names the JSON Schema compactly and deterministically", () => {
    const schema = plan.prompts.triage_prompt!.returns;
    const text = outputFormatInstructions(schema);
    expect(text.startsWith("Answer with a JSON value matching this JSON Schema: {")).toBe(true);
    expect(text).toContain(JSON.stringify(schema));
    expect(text).not.toContain("\n  "); // compact: no pretty-printing
    expect(outputFormatInstructions(structuredClone(schema))).toBe(text);
    expect(text).toMatchInlineSnapshot(`
      "Answer with a JSON value matching this JSON Schema: {"$ref":"#/$defs/Triage","$defs":{"Priority":{"type":"string","enum":["low","normal","urgent"]},"Triage":{"type":"object","properties":{"priority":{"$ref":"#/$defs/Priority"},"summary":{"type":"string","maxLength":280}},"required":["priority","summary"],"additionalProperties":false}}}
      Reply with the JSON value only, without prose or markdown fences."
    `);
  });
  it("is empty for plain-text output", () => {
    expect(outputFormatInstructions(null)).toBe("");
  });
});
