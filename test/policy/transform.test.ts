// `transform` rules: syntax, checks, lowering and printing; the engine's semantics (every transform
// computed against the original value, conflicts deny, fail closed, redaction after transforms,
// the result still fits the declared type); and a transform at every hook of a running program.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { withoutSpans } from "../../compiler/format/ast-equal.js";
import { formatSource } from "../../compiler/format/print.js";
import { planToText } from "../../compiler/plan/inspect.js";
import { parse } from "../../compiler/syntax/parser.js";
import { policyIntrinsic } from "../../vm/policy/filters.js";
import { auditRecords } from "../../vm/policy/audit.js";
import { evaluatePolicies, type PolicyCall } from "../../vm/policy/engine.js";
import type { ModelRequest } from "../../vm/types.js";
import { memoryHost } from "../helpers/memory-host.js";
import { planOf } from "../vm/helpers.js";
import { MODELS, PRINCIPAL, harness } from "./helpers.js";

const TOOLS = `
enum Level { low, high }
type Meta { level: Level, note: string? }
tool refund(amount: int, note: string, meta: Meta?) -> string { impl: js("./t.mjs#refund") tags: [payments.write] }
tool lookup(q: string) -> string { impl: js("./t.mjs#lookup") tags: [crm.read] }
`;

const diags = (policy: string) =>
  compile(["main.awr"], memoryHost({ "main.awr": `${MODELS}${TOOLS}\n${policy}` }), {}).diagnostics.map((d) => `${d.code} ${d.message}`);
const errors = (policy: string) => diags(policy).filter((d) => !d.startsWith("AWR6"));

const call = (input: Record<string, unknown>, over: Partial<PolicyCall> = {}): PolicyCall => ({
  phase: "before",
  target: "tool",
  name: "refund",
  tags: ["payments.write"],
  input: input as PolicyCall["input"],
  principal: { id: "u", roles: [], attrs: {} },
  ...over,
});

describe("syntax and printing", () => {
  const SRC = `policy p {
  before tool refund {
    transform input.note = trim(input.note) when len(input.note) > 3 because "tidy"
    transform input = { amount: 1, note: "x" }
  }
  after model { transform output.text = replace(output.text, "a+", "b", "i") }
}
`;
  it("parses a path, a value, a condition and a reason", () => {
    const r = parse("p.awr", SRC);
    expect(r.diagnostics).toEqual([]);
    const d = r.module.decls[0]!;
    if (d.kind !== "PolicyDecl") throw new Error("not a policy");
    const [t0, t1] = d.hooks[0]!.rules;
    expect(t0).toMatchObject({ action: "transform", path: { parts: ["input", "note"] }, value: { kind: "Call" }, when: { kind: "Binary" }, because: { kind: "String" } });
    expect(t1).toMatchObject({ action: "transform", path: { parts: ["input"] }, value: { kind: "Record" } });
  });

  it("a transform without '=' or a value is a syntax error", () => {
    expect(parse("p.awr", `policy p { before tool { transform input.q "x" } }`).diagnostics.map((d) => d.code)).toContain("AWR1002");
    expect(parse("p.awr", `policy p { before tool { transform = "x" } }`).diagnostics.map((d) => d.code)).toContain("AWR1002");
  });

  it("formats as written, and keeps the AST", () => {
    const r = formatSource("p.awr", SRC);
    expect(r.ok && r.text).toBe(SRC);
    const narrow = formatSource("p.awr", SRC, { width: 40 });
    expect(narrow.ok).toBe(true);
    if (narrow.ok) expect(withoutSpans(parse("p.awr", narrow.text).module.decls)).toEqual(withoutSpans(parse("p.awr", SRC).module.decls));
  });

  it("round-trips generated transform rules (AST kept, idempotent, comments kept)", () => {
    const name = fc.constantFrom("a", "q", "note", "model", "when", "because", "transform");
    const expr = fc.oneof(
      fc.constantFrom('"x"', "1", "input.q", "lower(input.q)", '{ a: 1, b: [1, 2] }', 'replace(input.q, "a", "b")', "moderation(text: input.q).flagged", "a ?? b"),
      name,
    );
    const rule = fc
      .record({ root: fc.constantFrom("input", "output"), path: fc.array(name, { maxLength: 3 }), value: expr, when: fc.option(expr, { nil: undefined }), because: fc.option(fc.constantFrom('"why"', "input.q"), { nil: undefined }), comment: fc.constantFrom("", " // c") })
      .map((r) => `transform ${[r.root, ...r.path].join(".")} = ${r.value}${r.when ? ` when ${r.when}` : ""}${r.because ? ` because ${r.because}` : ""}${r.comment}`);
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 4 }), fc.constantFrom(100, 40), (rules, width) => {
        const text = `policy p {\n  before tool x {\n    ${rules.join("\n    ")}\n  }\n}\n`;
        const before = parse("p.awr", text);
        expect(before.diagnostics).toEqual([]);
        const r = formatSource("p.awr", text, { width });
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(withoutSpans(parse("p.awr", r.text).module.decls)).toEqual(withoutSpans(before.module.decls));
        for (const c of before.module.comments) expect(r.text).toContain(c.text.trimEnd());
        const again = formatSource("p.awr", r.text, { width });
        expect(again.ok && again.text).toBe(r.text);
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});

describe("checks", () => {
  it("accepts transforms of fields the hook passes on, typed by the callee", () => {
    expect(
      errors(`policy p {
  before tool refund {
    transform input.amount = 0 when input.amount < 0
    transform input.meta.level = low
    transform input.note = truncate(replace(trim(input.note), "\\\\s+", " "), 200)
    transform input = { amount: 1, note: "n", meta: null }
  }
  after tool refund { transform output = upper(output) }
  before tool { transform input.anything.goes = 1 }
  before model { transform input.text = lower(input.text) }
  after model { transform output.text = trim(output.text) }
}`),
    ).toEqual([]);
  });

  it("reports a field that does not exist (AWR2005), one that cannot be transformed (AWR5007), a value that does not fit (AWR5008)", () => {
    expect(errors(`policy p { before tool refund { transform input.amout = 1 } }`).join()).toMatch(/AWR2005 input \(.*\) has no field "amout"/);
    expect(errors(`policy p { before tool refund { transform input.note.x = "a" } }`).join()).toMatch(/AWR5007 cannot transform a field of input.note: it is string/);
    expect(errors(`policy p { after tool refund { transform input.note = "a" } }`).join()).toMatch(/AWR5007 after tool transforms output/);
    expect(errors(`policy p { before model { transform input.model = "a" } }`).join()).toMatch(/AWR5007 before model can only transform input.text/);
    expect(errors(`policy p { after model { transform output.value = 1 } }`).join()).toMatch(/AWR5007 after model can only transform output.text/);
    expect(errors(`policy p { before output { transform output = 1 } }`).join()).toMatch(/AWR5007 before output cannot transform/);
    expect(errors(`policy p { before tool refund { transform input.amount = "many" } }`)).toEqual([`AWR5008 the new value of input.amount must be int, but "many" is string`]);
    expect(errors(`policy p { before tool refund { transform input.meta.level = urgent } }`).join()).toMatch(/AWR5008|AWR2001/);
    expect(errors(`policy p { before tool refund { transform input = { amount: 1 } } }`).join()).toMatch(/AWR5008 .*field "note" is missing/);
  });

  it("types the string functions and checks their regexes (AWR5002, AWR3001, AWR3002)", () => {
    expect(errors(`policy p { before tool lookup { transform input.q = replace(input.q, "a(", "b") } }`).join()).toMatch(/AWR5002 invalid regular expression/);
    expect(errors(`policy p { before tool lookup { transform input.q = replace(input.q, "a", "b", "g") } }`).join()).toMatch(/AWR5002 replace\(\) flags/);
    expect(errors(`policy p { before tool lookup { transform input.q = truncate(input.q, "3") } }`).join()).toMatch(/AWR3001 truncate\(\) needs a number/);
    expect(errors(`policy p { before tool lookup { transform input.q = trim(input.q, 1) } }`).join()).toMatch(/AWR3002/);
    expect(errors(`policy p { before tool refund { transform input.note = trim(input.amount) } }`).join()).toMatch(/AWR3001 trim\(\) needs a string, found int/);
  });
});

describe("lowering", () => {
  it("writes action, path and value into the plan, and prints them in awr inspect", () => {
    const plan = planOf(`${MODELS}${TOOLS}\npolicy p { before tool refund { transform input.meta.level = high when input.amount > 5 because "escalate" } }`);
    const rule = plan.policies["p"]!.hooks[0]!.rules[0]!;
    expect(rule).toMatchObject({ id: "policy:p/hook:0/rule:0", action: "transform", kinds: [], path: ["input", "meta", "level"], value: { k: "lit", v: "high" } });
    expect(rule.classifiers).toBeUndefined();
    expect(planToText(plan)).toContain(`policy:p/hook:0/rule:0  transform input.meta.level = "high" when input.amount > 5 because "escalate"`);
  });
});

describe("the string functions", () => {
  it("replace, trim and truncate", () => {
    expect(policyIntrinsic("replace", ["Password: hunter2, password:x", "(?<=password:)\\s*[^\\s,]+", " ***", "i"])).toBe("Password: ***, password: ***");
    expect(policyIntrinsic("replace", ["a-b-c", "-(\\w)", "+$1"])).toBe("a+b+c");
    expect(policyIntrinsic("trim", ["  x y \n"])).toBe("x y");
    expect(policyIntrinsic("truncate", ["héllo😀world", 6])).toBe("héllo😀");
    expect(policyIntrinsic("truncate", ["abc", 10])).toBe("abc");
    expect(() => policyIntrinsic("replace", [1, "a", "b"])).toThrow(/needs a string/);
    expect(() => policyIntrinsic("replace", ["x", "(", "b"])).toThrow(/invalid regular expression/);
    expect(() => policyIntrinsic("truncate", ["x", -1])).toThrow(/int ≥ 0/);
  });
});

describe("the engine", () => {
  const plan = (rules: string, hook = "before tool refund") => planOf(`${MODELS}${TOOLS}\npolicy p { ${hook} { ${rules} } }`);
  const ORIGINAL = { amount: 10, note: "  hi  ", meta: { level: "low", note: null } };

  it("computes every transform against the original value, not the result of another", () => {
    const d = evaluatePolicies(plan(`transform input.note = trim(input.note) + "!"\ntransform input.amount = len(input.note)`), call(ORIGINAL));
    expect(d.outcome).toBe("allow");
    // len("  hi  ") = 6: the amount is computed from the original note, not the trimmed one.
    expect(d.value).toEqual({ amount: 6, note: "hi!", meta: { level: "low", note: null } });
    expect(d.transforms.map((t) => t.changed)).toEqual([["$.note"], ["$.amount"]]);
    // The input seen by conditions is not changed in place.
    expect(ORIGINAL.note).toBe("  hi  ");
  });

  it("two transforms writing one field differently deny the call, naming both; equal values are fine", () => {
    const d = evaluatePolicies(plan(`transform input.note = "a"\ntransform input.note = "b" because "other"`), call(ORIGINAL));
    expect(d.outcome).toBe("deny");
    expect(d.rules).toEqual(["policy:p/hook:0/rule:0", "policy:p/hook:0/rule:1"]);
    expect(d.reason).toBe("transform rules policy:p/hook:0/rule:0 and policy:p/hook:0/rule:1 write input.note differently; the call is denied");
    const same = evaluatePolicies(plan(`transform input.note = "a"\ntransform input.note = lower("A")`), call(ORIGINAL));
    expect(same.outcome).toBe("allow");
    expect((same.value as { note: string }).note).toBe("a");
  });

  it("a transform of a record and one of a field inside it must agree", () => {
    const clash = evaluatePolicies(plan(`transform input.meta = { level: low }\ntransform input.meta.level = high`), call(ORIGINAL));
    expect(clash.outcome).toBe("deny");
    expect(clash.reason).toContain("write input.meta.level differently");
    const agree = evaluatePolicies(plan(`transform input.meta = { level: high }\ntransform input.meta.level = high`), call(ORIGINAL));
    expect(agree.outcome).toBe("allow");
    expect(agree.value).toEqual({ ...ORIGINAL, meta: { level: "high" } });
    // A field the whole-record write leaves out is a conflict too (the order would decide).
    const missing = evaluatePolicies(plan(`transform input.meta = { level: low }\ntransform input.meta.note = "n"`), call(ORIGINAL));
    expect(missing.outcome).toBe("deny");
  });

  it("fails closed: a value that cannot be evaluated, or a write through null, denies", () => {
    const bad = evaluatePolicies(plan(`transform input.note = input.meta!.note!`), call(ORIGINAL));
    expect(bad.outcome).toBe("deny");
    expect(bad.reason).toMatch(/^the value of transform rule policy:p\/hook:0\/rule:0 could not be evaluated \(.*is null\); the call is denied$/);
    const through = evaluatePolicies(plan(`transform input.meta.level = high`), call({ ...ORIGINAL, meta: null }));
    expect(through.outcome).toBe("deny");
    expect(through.reason).toContain("input.meta is null, not a record");
  });

  it("a result that no longer fits the callee's parameters denies (the unnamed hook is typed any)", () => {
    const d = evaluatePolicies(plan(`transform input.amount = "ten"`, "before tool"), call(ORIGINAL));
    expect(d.outcome).toBe("deny");
    expect(d.reason).toMatch(/does not fit its type.*amount/);
  });

  it("transforms apply only when the call goes through; a deny wins and nothing is rewritten", () => {
    const d = evaluatePolicies(plan(`transform input.note = "x"\ndeny when input.amount > 5`), call(ORIGINAL));
    expect(d.outcome).toBe("deny");
    expect(d.transforms).toEqual([]);
    expect(d.value).toEqual(ORIGINAL);
  });

  it("records one transform record per rule with the paths it changed, never the values", () => {
    const d = evaluatePolicies(plan(`transform input.note = "secret" because "why"\ntransform input.amount = 10`), call(ORIGINAL));
    const recs = auditRecords(d, { phase: "before", target: "tool", name: "refund" }, { runId: "r", step: "s", principal: null, at: 1 });
    expect(recs).toEqual([
      expect.objectContaining({ rule: "policy:p/hook:0/rule:0", outcome: "transform", reason: "why", redacted: [{ path: "$.note", kind: "transform" }] }),
      expect.objectContaining({ rule: "policy:p/hook:0/rule:1", outcome: "transform", redacted: [] }),
    ]);
    expect(JSON.stringify(recs)).not.toContain("secret");
  });
});

// ---------------------------------------------------------------- at every hook of a running program

const EMAIL = "ann.lee@example.com";
const PROGRAM = `${MODELS}
type Found { text: string, score: int }
tool lookup(q: string) -> Found { impl: js("./t.mjs#lookup") tags: [crm.read] }
prompt summarize(text: string) -> string { model: m user #"Summarize {{ text }}"# }
agent helper(q: string) -> string { model: am tools: [lookup] goal: "Answer" }
graph g(email: string) -> string {
  state { s: string?, t: Found?, a: string? }
  node n1 { run summarize(text: email) -> s }
  node n2 { run lookup(q: email) -> t }
  node n3 { run helper(q: email) -> a }
  edge start -> n1
  edge n1 -> n2
  edge n2 -> n3
  edge n3 -> end
  return s! + " | " + t!.text + " | " + a!
}
`;

function model(req: ModelRequest) {
  if (req.caller === "helper") {
    const turn = req.messages.filter((m) => m.role === "assistant").length;
    if (turn === 0) return { output: "", toolCalls: [{ id: "c1", name: "lookup", arguments: JSON.stringify({ q: EMAIL }) }] };
    return { output: `agent answer for ${EMAIL}` };
  }
  return { output: `summary of ${EMAIL}` };
}

const run = async (policy: string) => {
  const h = harness(`${PROGRAM}\npolicy p {\n  ${policy}\n}\n`, { model, tool: (_t, a) => ({ text: `found ${a["q"]}`, score: 1 }) });
  const r = await h.rt.start("g", { email: EMAIL }, { principal: PRINCIPAL });
  return { h, r, transforms: r.observed.audit.filter((a) => a.outcome === "transform") };
};

describe("a transform at every hook", () => {
  it("before model: each message sent is rewritten, the conditions saw the original text", async () => {
    const { h, r, transforms } = await run(`before model m { transform input.text = replace(input.text, "ann\\\\.lee", "A.L.") when contains(input.text, "Summarize") }`);
    expect(r.status).toBe("completed");
    expect(h.modelCalls.find((c) => c.model === "m")!.messages).toEqual([{ role: "user", content: "Summarize A.L.@example.com" }]);
    expect(transforms).toEqual([expect.objectContaining({ hook: "before model", target: "m", redacted: [{ path: "$.messages[0].content", kind: "transform" }] })]);
  });

  it("after model: the answer's text (an agent turn's too) is rewritten", async () => {
    const { r } = await run(`after model { transform output.text = upper(output.text) }`);
    expect(r.status).toBe("completed");
    expect(r.output).toBe(`SUMMARY OF ${EMAIL.toUpperCase()} | found ${EMAIL} | AGENT ANSWER FOR ${EMAIL.toUpperCase()}`);
  });

  it("before tool: the tool receives the rewritten arguments (from a node and from an agent's loop)", async () => {
    const { h, r, transforms } = await run(`before tool lookup { transform input.q = "someone" }`);
    expect(r.status).toBe("completed");
    expect(h.toolCalls.map((c) => c.args)).toEqual([{ q: "someone" }, { q: "someone" }]);
    expect(transforms).toHaveLength(2);
  });

  it("after tool: a field of the result is rewritten; the result must still fit the tool's type", async () => {
    const { r } = await run(`after tool lookup { transform output.text = "hidden" }`);
    expect(r.status).toBe("completed");
    expect(String(r.output).split(" | ")[1]).toBe("hidden");
    const bad = await run(`after tool { transform output.score = "high" }`);
    expect(bad.r.status).toBe("failed");
    expect(bad.r.error?.kind).toBe("policy");
    expect(bad.r.error?.message).toMatch(/does not fit its type/);
  });

  it("before and after agent: the arguments and the answer", async () => {
    const { h, r } = await run(`before agent helper { transform input.q = "who?" }\n  after agent helper { transform output = "no comment" }`);
    expect(r.status).toBe("completed");
    expect(String(r.output).split(" | ")[2]).toBe("no comment");
    const first = h.modelCalls.find((c) => c.caller === "helper")!;
    expect(JSON.stringify(first.messages)).toContain("who?");
    expect(JSON.stringify(first.messages)).not.toContain(EMAIL);
  });

  it("after output: the graph's result", async () => {
    const { r, transforms } = await run(`after output g { transform output = "withheld" when contains(output, "@") because "no addresses out" }`);
    expect(r.output).toBe("withheld");
    expect(transforms).toEqual([expect.objectContaining({ hook: "after output", reason: "no addresses out", redacted: [{ path: "$", kind: "transform" }] })]);
  });

  it("redaction applies after transforms: a transform cannot bring personal data back", async () => {
    const { h, r } = await run(`before tool lookup {\n    transform input.q = "write to " + input.q\n    redact email\n  }`);
    expect(r.status).toBe("completed");
    expect(h.toolCalls[0]!.args).toEqual({ q: "write to [REDACTED:email]" });
    const audit = r.observed.audit.filter((a) => a.hook === "before tool").map((a) => a.outcome);
    expect(audit.slice(0, 2)).toEqual(["transform", "redact"]);
  });

  it("policy events (and so awr_policy_decisions_total) see the transform outcome", async () => {
    const h = harness(`${PROGRAM}\npolicy p { after output { transform output = "x" } }`, { model, tool: () => ({ text: "t", score: 1 }) });
    const events: string[] = [];
    const off = (async () => {
      for await (const e of h.rt.events("fixed-run")) if (e.type === "policy") events.push(`${e.hook}:${e.outcome}`);
    })();
    await h.rt.start("g", { email: EMAIL }, { runId: "fixed-run" });
    await off;
    expect(events).toEqual(["after output:transform"]);
  });
});
