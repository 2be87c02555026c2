// The decision procedure (vm/policy/engine.ts) and the content filters (vm/policy/filters.ts) on compiled plans:
// any deny wins whatever the order, evaluation is total (an error denies, naming the rule),
// allow overrides approve, transforms do not depend on the order (conflicts deny), every decision
// names its rules; the checker types the intrinsics.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { auditRecords } from "../../vm/policy/audit.js";
import { evaluatePolicies, type PolicyCall, type RuleHit } from "../../vm/policy/engine.js";
import { redact } from "../../vm/policy/redact.js";
import { policyIntrinsic } from "../../vm/policy/filters.js";
import { memoryHost } from "../helpers/memory-host.js";
import { planOf } from "../vm/helpers.js";

const TOOLS = `
tool refund(amount: int, note: string) -> string { impl: js("./t.mjs#refund") tags: [payments.write] }
tool lookup(q: string) -> string { impl: js("./t.mjs#lookup") tags: [crm.read] }
`;

const call = (input: Record<string, unknown>, roles: string[] = [], name = "refund", tags = ["payments.write"]): PolicyCall => ({
  phase: "before",
  target: "tool",
  name,
  tags,
  input: input as PolicyCall["input"],
  principal: { id: "u", roles, attrs: {} },
});

describe("decisions", () => {
  // Rules with their reason as an identity (rule ids depend on where a rule is written).
  const RULES = [
    `deny when input.amount > 500 because "D-limit"`,
    `deny when "readonly" in principal.roles because "D-readonly"`,
    `allow when "lead" in principal.roles because "A-lead"`,
    `approve when input.amount > 100 because "P-large"`,
    `redact email because "R-email"`,
    `allow when input.note == "ok" because "A-note"`,
    `transform input.note = lower(input.note) because "T-lower"`,
    `transform input.note = "OK!" when input.note == "ok" && "lead" in principal.roles because "T-ok"`,
    `transform input.amount = input.amount + 1 when input.amount < 100 because "T-amount"`,
    `transform input.note = input.note when input.note == "x" because "T-same"`,
  ];
  const INPUTS = [
    { input: { amount: 50, note: "x" }, roles: [] },
    { input: { amount: 150, note: "x" }, roles: [] },
    { input: { amount: 150, note: "x" }, roles: ["lead"] },
    { input: { amount: 900, note: "ok" }, roles: ["lead"] },
    { input: { amount: 20, note: "ok" }, roles: ["readonly"] },
    { input: { amount: 50, note: "ok" }, roles: ["lead"] },
    { input: { amount: 50, note: "Ok" }, roles: [] },
  ];
  const decide = (rules: string[], split: number[]) => {
    // Spread the rules over several policies and hooks (split[i] = the policy of rule i).
    const by = new Map<number, string[]>();
    rules.forEach((r, i) => by.set(split[i]!, [...(by.get(split[i]!) ?? []), r]));
    const src = [...by].map(([p, rs]) => `policy p${p} {\n  before tool refund { ${rs.join("\n  ")} }\n}`).join("\n");
    const plan = planOf(TOOLS + src);
    // A rule's identity is its `because` (its id depends on where the permutation put it).
    const because = new Map(Object.values(plan.policies).flatMap((p) => p.hooks.flatMap((h) => h.rules.map((r) => [r.id, r.because?.k === "lit" ? String(r.because.v) : "?"] as const))));
    const who = (x: RuleHit) => `${because.get(x.rule)}${x.error ? " (failed)" : ""}`;
    return INPUTS.map(({ input, roles }) => {
      const d = evaluatePolicies(plan, call(input, roles));
      return { outcome: d.outcome, deciding: d.deciding.map(who).sort(), redact: d.redact, transforms: d.transforms.map(who).sort(), value: d.value };
    });
  };

  it("outcomes: any deny wins, then allow, then approve; transforms and redaction on top of what goes through", () => {
    const all = ["T-amount", "T-lower", "T-same"];
    expect(decide(RULES, RULES.map(() => 0))).toEqual([
      { outcome: "allow", deciding: [], redact: ["email"], transforms: all, value: { amount: 51, note: "x" } },
      { outcome: "approve", deciding: ["P-large"], redact: ["email"], transforms: ["T-lower", "T-same"], value: { amount: 150, note: "x" } },
      { outcome: "allow", deciding: ["A-lead"], redact: ["email"], transforms: ["T-lower", "T-same"], value: { amount: 150, note: "x" } },
      { outcome: "deny", deciding: ["D-limit"], redact: [], transforms: [], value: { amount: 900, note: "ok" } },
      { outcome: "deny", deciding: ["D-readonly"], redact: [], transforms: [], value: { amount: 20, note: "ok" } },
      // Two transforms write the note differently: both deny, whatever order they are in.
      { outcome: "deny", deciding: ["T-lower (failed)", "T-ok (failed)"], redact: [], transforms: [], value: { amount: 50, note: "ok" } },
      { outcome: "allow", deciding: [], redact: ["email"], transforms: ["T-amount", "T-lower"], value: { amount: 51, note: "ok" } },
    ]);
  });

  it("is order-independent: any permutation of rules and any split into policies decides the same", () => {
    const reference = decide(RULES, RULES.map(() => 0));
    fc.assert(
      fc.property(fc.shuffledSubarray(RULES, { minLength: RULES.length, maxLength: RULES.length }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: RULES.length, maxLength: RULES.length }), (rules, split) => {
        expect(decide(rules, split)).toEqual(reference);
      }),
      { numRuns: 25 },
    );
  });

  it("is total: a condition that fails to evaluate denies, naming the rule; nothing throws", () => {
    const plan = planOf(`${TOOLS}
type Meta { level: int }
tool tagged_meta(meta: Meta?) -> string { impl: js("./t.mjs#m") }
policy strict {
  before tool tagged_meta { allow when input.meta!.level > 1 because "high level" }
}
policy filters {
  before tool lookup { allow when matches(input.q, input.q) }
}`);
    const d = evaluatePolicies(plan, { ...call({ meta: null }), name: "tagged_meta", tags: [] });
    expect(d.outcome).toBe("deny");
    expect(d.rules).toEqual(["policy:strict/hook:0/rule:0"]);
    expect(d.reason).toContain("could not be evaluated");
    const [rec] = auditRecords(d, { phase: "before", target: "tool", name: "tagged_meta" }, { runId: "r", step: "s", principal: null, at: 1 });
    expect(rec).toMatchObject({ outcome: "deny", rule: "policy:strict/hook:0/rule:0", policy: "strict" });
    // A regex that only exists at run time and does not compile.
    const bad = evaluatePolicies(plan, call({ q: "a(b" }, [], "lookup", ["crm.read"]));
    expect(bad.outcome).toBe("deny");
    expect(bad.deciding[0]!.error).toContain("invalid regular expression");
    expect(evaluatePolicies(plan, call({ q: "abc" }, [], "lookup", ["crm.read"])).outcome).toBe("allow");
  });

  it("records one 'no rule matched' allow per policy whose hook applied, and nothing when none applied", () => {
    const plan = planOf(`${TOOLS}\npolicy a { before tool refund { deny when input.amount > 5 } }\npolicy b { before tool tagged payments { deny when input.amount > 9 } }`);
    const d = evaluatePolicies(plan, call({ amount: 1, note: "" }));
    expect(auditRecords(d, { phase: "before", target: "tool", name: "refund" }, { runId: "r", step: "s", principal: null, at: 1 })).toEqual([
      expect.objectContaining({ policy: "a", rule: null, outcome: "allow", reason: "no rule matched" }),
      expect.objectContaining({ policy: "b", rule: null, outcome: "allow", reason: "no rule matched" }),
    ]);
    expect(evaluatePolicies(plan, call({ q: "x" }, [], "lookup", ["crm.read"])).applied).toEqual([]);
  });
});

describe("access control from the principal and tool tags", () => {
  const plan = planOf(`${TOOLS}
policy access {
  before tool tagged payments { deny when !("billing" in principal.roles) because "billing only" }
  before tool tagged crm { deny when principal.attrs["region"] != "eu" because "EU data stays with EU staff" }
}`);
  it("roles gate tagged tools", () => {
    expect(evaluatePolicies(plan, call({ amount: 1 }, ["support"])).outcome).toBe("deny");
    expect(evaluatePolicies(plan, call({ amount: 1 }, ["billing"])).outcome).toBe("allow");
  });
  it("attributes too", () => {
    const c = { ...call({ q: "x" }, [], "lookup", ["crm.read"]) };
    expect(evaluatePolicies(plan, { ...c, principal: { id: "u", roles: [], attrs: { region: "us" } } }).reason).toBe("EU data stays with EU staff");
    expect(evaluatePolicies(plan, { ...c, principal: { id: "u", roles: [], attrs: { region: "eu" } } }).outcome).toBe("allow");
  });
});

describe("content filters", () => {
  it("contains_any matches whole words and phrases, ignoring case", () => {
    const f = (x: unknown, words: string[]) => policyIntrinsic("contains_any", [x as never, words]);
    expect(f("Please issue a CHARGEBACK now", ["chargeback"])).toBe(true);
    expect(f("the classic approach", ["ass"])).toBe(false);
    expect(f({ a: ["x", { b: "wire   transfer please" }] }, ["wire transfer"])).toBe(true);
    expect(f("wiretransfer", ["wire transfer"])).toBe(false);
    expect(() => f("x", [1 as never])).toThrow(/list of strings/);
  });
  it("matches runs a regex over every string, with flags", () => {
    expect(policyIntrinsic("matches", ["Order #A-123", "#[A-Z]-\\d+"])).toBe(true);
    expect(policyIntrinsic("matches", ["abc", "ABC"])).toBe(false);
    expect(policyIntrinsic("matches", ["abc", "ABC", "i"])).toBe(true);
    expect(policyIntrinsic("matches", [{ deep: [42] }, "^42$"])).toBe(true);
    expect(() => policyIntrinsic("matches", ["abc", "("])).toThrow(/invalid regular expression/);
    expect(() => policyIntrinsic("matches", ["abc", "a", "g"])).toThrow(/flags/);
  });
  it("contains_pii looks for all kinds or the named ones", () => {
    const v = { note: "card 4111 1111 1111 1111", who: "ann@example.com" };
    expect(policyIntrinsic("contains_pii", [v])).toBe(true);
    expect(policyIntrinsic("contains_pii", [v, "iban", "ssn"])).toBe(false);
    expect(policyIntrinsic("contains_pii", [v, "card"])).toBe(true);
    expect(() => policyIntrinsic("contains_pii", [v, "passport"])).toThrow(/unknown PII kind/);
  });
  it("filters in rules: keyword lists, regexes and PII conditions", () => {
    const plan = planOf(`${TOOLS}
policy content {
  before tool lookup {
    deny when contains_any(input.q, ["drop table", "rm -rf"]) because "blocked keyword"
    deny when matches(input.q, "\\\\b(?:password|passwd)\\\\s*[:=]", "i") because "credentials"
    deny when contains_pii(input, "card", "iban") because "payment data"
  }
}`);
    const q = (text: string) => evaluatePolicies(plan, call({ q: text }, [], "lookup", ["crm.read"]));
    expect(q("please DROP   TABLE users").reason).toBe("blocked keyword");
    expect(q("my Password= hunter2").reason).toBe("credentials");
    expect(q("card 4111111111111111").reason).toBe("payment data");
    expect(q("IBAN DE89 3704 0044 0532 0130 00").reason).toBe("payment data");
    expect(q("ann@example.com wants a table").outcome).toBe("allow");
  });
});

describe("the checker types the policy intrinsics", () => {
  const diags = (rule: string) =>
    compile(["main.awr"], memoryHost({ "main.awr": `${TOOLS}\npolicy p { before tool lookup { ${rule} } }` }), {}).diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);
  it("accepts well-formed calls", () => {
    expect(diags(`deny when contains_pii(input) || contains_pii(input.q, "email", "phone")`)).toEqual([]);
    expect(diags(`deny when matches(input.q, "^a+$", "i") && contains_any(input, ["x", "y z"])`)).toEqual([]);
  });
  it("reports unknown kinds, bad regexes, bad flags, arity and types", () => {
    expect(diags(`deny when contains_pii(input, "passport")`).join()).toMatch(/AWR5002/);
    expect(diags(`deny when matches(input.q, "a(")`).join()).toMatch(/AWR5002 invalid regular expression/);
    expect(diags(`deny when matches(input.q, "a", "g")`).join()).toMatch(/AWR5002 matches\(\) flags/);
    expect(diags(`deny when matches(input.q)`).join()).toMatch(/AWR3002/);
    expect(diags(`deny when contains_any(input.q, "x")`).join()).toMatch(/AWR3001/);
    expect(diags(`deny when contains_pii(input, input.q)`).join()).toMatch(/AWR3002/);
  });
  it("the intrinsics exist in policy conditions only", () => {
    const r = compile(["main.awr"], memoryHost({ "main.awr": `graph g(x: string) -> bool {\n  state { b: bool? }\n  node n { set b = matches(x, "a") }\n  edge start -> n\n  edge n -> end\n  return b!\n}` }), {});
    expect(r.diagnostics.map((d) => d.code)).toContain("AWR2001");
  });
});

describe("redaction", () => {
  it("rewrites strings deep in a value and reports each path with its kind", () => {
    const r = redact({ user: { email: "ann@example.com", phones: ["+44 20 7946 0958", "n/a"] }, "odd key": "ip 10.0.0.1", n: 4111111111111111 }, ["pii"]);
    expect(r.value).toEqual({ user: { email: "[REDACTED:email]", phones: ["[REDACTED:phone]", "n/a"] }, "odd key": "ip [REDACTED:ip]", n: "[REDACTED:card]" });
    expect(r.redacted).toEqual([
      { path: "$.n", kind: "card" },
      { path: '$.user.email', kind: "email" },
      { path: "$.user.phones[0]", kind: "phone" },
      { path: '$["odd key"]', kind: "ip" },
    ].sort((a, b) => (a.path < b.path ? -1 : 1)));
  });
  it("only the kinds asked for", () => {
    expect(redact("ann@example.com 10.0.0.1", ["ip"]).value).toBe("ann@example.com [REDACTED:ip]");
  });
});
