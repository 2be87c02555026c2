import { describe, expect, it } from "vitest";
import type { JsonSchema, Plan } from "../../compiler/plan/index.js";
import { compile } from "../../compiler/compile.js";
import { memoryHost } from "../helpers/memory-host.js";
import { coerce, describeJson, isValid, MAX_ERRORS, validate } from "../../vm/schema.js";
import type { Json } from "../../vm/types.js";

function planOf(src: string): Plan {
  const r = compile(["main.awr"], memoryHost({ "main.awr": src }), { plan: true });
  if (!r.plan) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return r.plan;
}

const plan = planOf(`
/// A node of a tree.
type Tree { name: string @minLength(1) @maxLength(5), kids: list<Tree> = [], parent: Tree? }
enum Priority { low, normal, urgent }
type Triage {
  priority: Priority
  category: "billing" | "bug" | "account" | "other"
  summary: string @maxLength(280)
  confidence: float @min(0) @max(1)
}
type Ticket {
  id: string @pattern("^T[0-9]+$")
  email: string @format(email)
  tags: list<string> @minItems(1) @maxItems(2) = ["general"]
  total: float @min(0)
  count: int
  note: string?
  p: Priority = low
  lit: 3 | true
  one: "only"
  m: map<int>
  u: int | string
  d: duration
  anything: any
  when: string? @format(date)
  short: list<int> @maxLength(2)
}
type Formats {
  email: string? @format(email)
  uri: string? @format(uri)
  date: string? @format(date)
  dt: string? @format("date-time")
  url: string? @format(url)
  time: string? @format(time)
  uuid: string? @format(uuid)
  ipv4: string? @format(ipv4)
  ipv6: string? @format(ipv6)
  hostname: string? @format(hostname)
}
type Holder { triage: Triage, triages: list<Triage> = [], byName: map<Triage> = {} }
tool refund(order_id: string, amount: float, notify: bool = false, count: int?, ids: list<int> = [], tri: Triage?, any: any = null) -> bool {
  impl: js("./x.mjs#refund")
}
graph g(h: Holder, t: Ticket, tree: Tree, f: Formats) -> int {
  state { n: int @reduce(sum) = 0 }
  node a { set n = 1 }
  edge start -> a
  edge a -> end
  return n
}
`);

const T = (name: string): JsonSchema => plan.types[name]!;

const okTicket = {
  id: "T12",
  email: "a@b.co",
  total: 0,
  count: 2,
  lit: 3,
  one: "only",
  m: { a: 1 },
  u: "x",
  d: 500,
  anything: { whatever: [1] },
  short: [1],
};

function errorsOf(schema: JsonSchema, value: unknown): string[] {
  const r = validate(schema, value);
  if (r.ok) throw new Error(`expected ${JSON.stringify(value)} to be invalid`);
  return r.errors;
}
function valueOf(schema: JsonSchema, value: unknown): Json {
  const r = validate(schema, value);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.value;
}

describe("validate: objects, required, additionalProperties, defaults", () => {
  it("accepts a valid value and fills defaults of missing properties", () => {
    const v = valueOf(T("Ticket"), okTicket) as Record<string, Json>;
    expect(v.tags).toEqual(["general"]);
    expect(v.p).toBe("low"); // `$ref` plus `default`
    expect("note" in v).toBe(false); // optional without default stays absent
    expect(Object.keys(v).slice(0, Object.keys(okTicket).length)).toEqual(Object.keys(okTicket)); // input order kept
  });
  it("does not mutate the input and copies defaults", () => {
    const input = structuredClone(okTicket);
    const v1 = valueOf(T("Ticket"), input) as Record<string, Json[]>;
    expect(input).toEqual(okTicket);
    v1.tags!.push("mutated");
    const v2 = valueOf(T("Ticket"), input) as Record<string, Json[]>;
    expect(v2.tags).toEqual(["general"]);
  });
  it("keeps given values over defaults, also null for optional fields", () => {
    const v = valueOf(T("Ticket"), { ...okTicket, tags: ["a"], p: "urgent", note: null }) as Record<string, Json>;
    expect(v.tags).toEqual(["a"]);
    expect(v.p).toBe("urgent");
    expect(v.note).toBeNull();
  });
  it("fills defaults in nested values (lists and maps of records, recursive types)", () => {
    const tree = valueOf(T("Tree"), { name: "root", kids: [{ name: "a" }, { name: "b", kids: [{ name: "c" }] }] });
    expect(tree).toEqual({ name: "root", kids: [{ name: "a", kids: [] }, { name: "b", kids: [{ name: "c", kids: [] }] }] });
    const holder = valueOf(T("Holder"), { triage: { priority: "low", category: "bug", summary: "s", confidence: 1 } });
    expect(holder).toMatchObject({ triages: [], byName: {} });
  });
  it("reports missing required properties and unexpected ones", () => {
    expect(errorsOf(T("Triage"), { priority: "low", category: "bug", confidence: 0.5, extra: 1 })).toEqual([
      "$.extra: unexpected property (allowed: priority, category, summary, confidence)",
      "$.summary: missing required property",
    ]);
  });
  it("treats an undefined property (from a JS tool) as absent", () => {
    expect(valueOf(T("Tree"), { name: "x", parent: undefined })).toEqual({ name: "x", kids: [] });
  });
  it("names nested paths", () => {
    expect(errorsOf(T("Holder"), { triage: { priority: "high", category: "bug", summary: "s", confidence: 0.5 } })).toEqual([
      '$.triage.priority: expected one of low, normal, urgent, got "high"',
    ]);
    expect(
      errorsOf(T("Holder"), {
        triage: { priority: "low", category: "bug", summary: "s", confidence: 0.5 },
        triages: [{ priority: "low", category: "bug", summary: "s", confidence: 2 }],
        byName: { "a b": { priority: "low", category: "bug", summary: "s" } },
      }),
    ).toEqual(["$.triages[0].confidence: must be <= 1, got 2", '$.byName["a b"].confidence: missing required property']);
    expect(errorsOf(T("Tree"), { name: "r", kids: [{ name: "" }, { name: "ok", parent: { name: "toolong" } }] })).toEqual([
      "$.kids[0].name: must be at least 1 character long, got 0",
      "$.kids[1].parent.name: must be at most 5 characters long, got 7",
    ]);
  });
  it("reports every error of a value, capped with a count", () => {
    const bad = Array.from({ length: 30 }, () => "x");
    const errors = errorsOf({ type: "array", items: { type: "integer" } }, bad);
    expect(errors).toHaveLength(MAX_ERRORS + 1);
    expect(errors[0]).toBe('$[0]: expected integer, got "x"');
    expect(errors[MAX_ERRORS]).toBe("… and 10 more errors");
  });
});

describe("validate: types", () => {
  const cases: [string, JsonSchema, unknown, string][] = [
    ["string", { type: "string" }, 1, "$: expected string, got 1"],
    ["integer", { type: "integer" }, 1.5, "$: expected integer, got 1.5"],
    ["integer (string)", { type: "integer" }, "3", '$: expected integer, got "3"'],
    ["number", { type: "number" }, null, "$: expected number, got null"],
    ["boolean", { type: "boolean" }, "true", '$: expected boolean, got "true"'],
    ["null", { type: "null" }, 0, "$: expected null, got 0"],
    ["array", { type: "array", items: {} }, {}, "$: expected array, got an object"],
    ["object", { type: "object", properties: {}, required: [], additionalProperties: false }, [1], "$: expected object, got an array of 1 items"],
    ["object (null)", { type: "object" }, null, "$: expected object, got null"],
    ["not JSON", { type: "number" }, Number.NaN, "$: expected number, got NaN (not a JSON number)"],
    ["not JSON (Date)", { type: "object" }, new Date(0), "$: expected object, got a non-JSON value (Date)"],
    ["several types", { type: ["string", "null"] }, 1, "$: expected string or null, got 1"],
  ];
  for (const [name, schema, value, error] of cases) {
    it(name, () => expect(errorsOf(schema, value)).toEqual([error]));
  }
  it("integers are numbers; any accepts everything", () => {
    expect(isValid({ type: "number" }, 3)).toBe(true);
    expect(isValid({ type: "integer" }, 3)).toBe(true);
    expect(isValid({ type: "integer" }, 3.0)).toBe(true);
    expect(isValid({}, { a: [null] })).toBe(true);
    expect(isValid(true, "x")).toBe(true);
    expect(errorsOf(false as unknown as JsonSchema, 1)).toEqual(["$: no value is allowed here, got 1"]);
    expect(isValid(T("Ticket"), { ...okTicket, anything: null })).toBe(true);
  });
  it("duration is a non-negative integer", () => {
    expect(errorsOf(T("Ticket"), { ...okTicket, d: -1 })).toEqual(["$.d: must be >= 0, got -1"]);
    expect(errorsOf(T("Ticket"), { ...okTicket, d: 1.5 })).toEqual(["$.d: expected integer, got 1.5"]);
  });
  it("a type error stops the checks of that value (no cascade)", () => {
    expect(errorsOf(T("Ticket"), { ...okTicket, email: 5 })).toEqual(["$.email: expected string, got 5"]);
  });
});

describe("validate: enum, const, literal unions", () => {
  it("enum of strings (enums and literal unions)", () => {
    expect(errorsOf(T("Priority"), "high")).toEqual(['$: expected one of low, normal, urgent, got "high"']);
    expect(errorsOf(T("Triage"), { priority: "low", category: "food", summary: "s", confidence: 0 })).toEqual([
      '$.category: expected one of billing, bug, account, other, got "food"',
    ]);
    expect(isValid(T("Priority"), "urgent")).toBe(true);
  });
  it("enum of other literals, and const", () => {
    expect(isValid(T("Ticket"), { ...okTicket, lit: true })).toBe(true);
    expect(errorsOf(T("Ticket"), { ...okTicket, lit: "3" })).toEqual(['$.lit: expected one of 3, true, got "3"']);
    expect(errorsOf(T("Ticket"), { ...okTicket, one: "other" })).toEqual(['$.one: expected "only", got "other"']);
    expect(isValid({ enum: [{ a: [1] }] }, { a: [1] })).toBe(true);
  });
});

describe("validate: anyOf", () => {
  it("optional values: null or the type, with the type's errors when not null", () => {
    expect(isValid(T("Ticket"), { ...okTicket, note: null })).toBe(true);
    expect(errorsOf(T("Ticket"), { ...okTicket, note: 3 })).toEqual(["$.note: expected string or null, got 3"]);
    expect(errorsOf(T("Ticket"), { ...okTicket, when: "2024-02-30" })).toEqual(['$.when: expected a date (YYYY-MM-DD) (format date), got "2024-02-30"']);
    expect(errorsOf(T("Tree"), { name: "a", parent: { name: 1 } })).toEqual(["$.parent.name: expected string, got 1"]);
  });
  it("unions", () => {
    expect(isValid(T("Ticket"), { ...okTicket, u: 3 })).toBe(true);
    expect(errorsOf(T("Ticket"), { ...okTicket, u: 3.5 })).toEqual(["$.u: expected integer or string, got 3.5"]);
    expect(errorsOf(T("Ticket"), { ...okTicket, u: null })).toEqual(["$.u: expected integer or string, got null"]);
  });
  it("names $defs types; several near branches report the closest", () => {
    const s: JsonSchema = {
      anyOf: [{ $ref: "#/$defs/A" }, { $ref: "#/$defs/B" }],
      $defs: {
        A: { type: "object", properties: { a: { type: "integer" } }, required: ["a"], additionalProperties: false },
        B: { type: "object", properties: { b: { type: "integer" }, c: { type: "integer" } }, required: ["b", "c"], additionalProperties: false },
      },
    };
    expect(errorsOf(s, "x")).toEqual(['$: expected A or B, got "x"']);
    expect(errorsOf(s, { a: "1" })).toEqual(["$: expected A or B, got an object; the closest match fails with:", '$.a: expected integer, got "1"']);
    expect(valueOf(s, { b: 1, c: 2 })).toEqual({ b: 1, c: 2 });
  });
  it("the first matching branch fills defaults", () => {
    const s: JsonSchema = { anyOf: [{ type: "object", properties: { a: { type: "integer", default: 1 } }, required: [], additionalProperties: false }, { type: "null" }] };
    expect(valueOf(s, {})).toEqual({ a: 1 });
    expect(valueOf(s, null)).toBeNull();
  });
});

describe("validate: numbers, strings, lists", () => {
  it("minimum and maximum", () => {
    expect(errorsOf(T("Triage"), { priority: "low", category: "bug", summary: "s", confidence: -0.1 })).toEqual(["$.confidence: must be >= 0, got -0.1"]);
    expect(isValid(T("Triage"), { priority: "low", category: "bug", summary: "s", confidence: 1 })).toBe(true);
    expect(isValid(T("Triage"), { priority: "low", category: "bug", summary: "s", confidence: 0 })).toBe(true);
    expect(errorsOf({ type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 }, 1)).toEqual(["$: must be < 1, got 1"]);
    expect(errorsOf({ type: "number", multipleOf: 0.1 }, 0.35)).toEqual(["$: must be a multiple of 0.1, got 0.35"]);
    expect(isValid({ type: "number", multipleOf: 0.1 }, 0.3)).toBe(true);
  });
  it("minLength and maxLength count code points", () => {
    expect(isValid(T("Tree"), { name: "👋👋👋👋👋" })).toBe(true);
    expect(errorsOf(T("Tree"), { name: "👋👋👋👋👋👋" })).toEqual(["$.name: must be at most 5 characters long, got 6"]);
    expect(errorsOf(T("Triage"), { priority: "low", category: "bug", summary: "x".repeat(281), confidence: 0 })).toEqual([
      "$.summary: must be at most 280 characters long, got 281",
    ]);
  });
  it("pattern (unanchored unless the pattern anchors)", () => {
    expect(errorsOf(T("Ticket"), { ...okTicket, id: "X12" })).toEqual(['$.id: must match the pattern ^T[0-9]+$, got "X12"']);
    expect(isValid({ type: "string", pattern: "b+" }, "abbc")).toBe(true);
    expect(isValid({ type: "string", pattern: "\\p{L}+" }, "é")).toBe(true);
  });
  it("minItems and maxItems (also from @minLength/@maxLength on lists)", () => {
    expect(errorsOf(T("Ticket"), { ...okTicket, tags: [] })).toEqual(["$.tags: must have at least 1 item, got 0"]);
    expect(errorsOf(T("Ticket"), { ...okTicket, tags: ["a", "b", "c"] })).toEqual(["$.tags: must have at most 2 items, got 3"]);
    expect(errorsOf(T("Ticket"), { ...okTicket, short: [1, 2, 3] })).toEqual(["$.short: must have at most 2 items, got 3"]);
    expect(errorsOf(T("Ticket"), { ...okTicket, tags: [1] })).toEqual(["$.tags[0]: expected string, got 1"]);
  });
  it("map values", () => {
    expect(errorsOf(T("Ticket"), { ...okTicket, m: { a: 1, b: "2" } })).toEqual(['$.m.b: expected integer, got "2"']);
  });
});

describe("validate: formats", () => {
  const good: Record<string, string[]> = {
    email: ["a@b.co", "first.last+tag@example.org"],
    uri: ["https://example.com/x?y=1", "mailto:a@b.co", "urn:isbn:0451450523"],
    url: ["http://localhost:8080/"],
    date: ["2024-02-29", "1999-12-31"],
    dt: ["2024-01-31T09:30:00Z", "2024-01-31T09:30:00.123+02:00", "2024-01-31t09:30:00z"],
    time: ["09:30:00", "23:59:59.5Z", "10:00:00+01:00"],
    uuid: ["123e4567-e89b-12d3-a456-426614174000"],
    ipv4: ["192.168.0.1"],
    ipv6: ["::1", "2001:db8::8a2e:370:7334"],
    hostname: ["example.com", "localhost"],
  };
  const bad: Record<string, [string, string]> = {
    email: ["not-an-email", "an email address"],
    uri: ["/relative/path", "an absolute URI"],
    url: ["example.com", "an absolute URL"],
    date: ["2023-02-29", "a date (YYYY-MM-DD)"],
    dt: ["2024-01-31 09:30", "a date-time (RFC 3339, e.g. 2024-01-31T09:30:00Z)"],
    time: ["25:00:00", "a time (HH:MM:SS)"],
    uuid: ["123e4567", "a UUID"],
    ipv4: ["256.1.1.1", "an IPv4 address"],
    ipv6: ["1::2::3", "an IPv6 address"],
    hostname: ["-bad-.com", "a hostname"],
  };
  const formatName: Record<string, string> = { dt: "date-time" };
  for (const [field, values] of Object.entries(good)) {
    it(`${field}: accepts valid values and rejects invalid ones`, () => {
      for (const v of values) expect(validate(T("Formats"), { [field]: v }), v).toMatchObject({ ok: true });
      const [v, what] = bad[field]!;
      expect(errorsOf(T("Formats"), { [field]: v })).toEqual([`$.${field}: expected ${what} (format ${formatName[field] ?? field}), got ${JSON.stringify(v)}`]);
    });
  }
  it("ignores formats it does not know", () => {
    expect(isValid({ type: "string", format: "color" }, "blue-ish")).toBe(true);
  });
});

describe("validate: $ref", () => {
  it("follows references through $defs, recursively", () => {
    let deep: Json = { name: "leaf" };
    for (let i = 0; i < 50; i++) deep = { name: "n", kids: [deep] };
    expect(isValid(T("Tree"), deep)).toBe(true);
  });
  it("reports a reference the schema does not define", () => {
    expect(errorsOf({ $ref: "#/$defs/Missing" }, 1)).toEqual(["$: the schema refers to #/$defs/Missing, which it does not define"]);
  });
  it("validates graph params and tool params", () => {
    const params = plan.graphs.g!.params;
    expect(errorsOf(params, { h: {}, t: okTicket, f: {} })).toEqual(["$.h.triage: missing required property", "$.tree: missing required property"]);
    const tool = plan.tools.refund!.params;
    expect(valueOf(tool, { order_id: "o", amount: 1 })).toEqual({ order_id: "o", amount: 1, notify: false, ids: [], any: null });
  });
  it("gives the same answers on repeated use of one schema (compiled validators are cached)", () => {
    const s = T("Ticket");
    for (let i = 0; i < 3; i++) {
      expect(isValid(s, okTicket)).toBe(true);
      expect(errorsOf(s, { ...okTicket, count: "x" })).toEqual(['$.count: expected integer, got "x"']);
    }
  });
});

describe("describeJson", () => {
  it("describes values compactly", () => {
    expect(describeJson("x".repeat(100))).toBe(`"${"x".repeat(58)}…"`);
    expect(describeJson([])).toBe("an empty array");
    expect(describeJson(false)).toBe("false");
    expect(describeJson(undefined)).toBe("a non-JSON value (undefined)");
  });
});

describe("coerce", () => {
  const tool = plan.tools.refund!.params;
  it("turns numeric strings into numbers and true/false into booleans where the schema wants them", () => {
    expect(coerce(tool, { order_id: "42", amount: "12.5", notify: "true", count: "3", ids: ["1", "2"] })).toEqual({
      order_id: "42",
      amount: 12.5,
      notify: true,
      count: 3,
      ids: [1, 2],
    });
    expect(coerce(tool, { order_id: "o", amount: "-1e3", notify: "false" })).toEqual({ order_id: "o", amount: -1000, notify: false });
  });
  it("changes nothing else", () => {
    const args = { order_id: 42, amount: " 12", notify: "yes", count: "3.x", ids: "1", any: "5", extra: "7" };
    expect(coerce(tool, args)).toEqual(args);
    expect(coerce(tool, { amount: "0x10" })).toEqual({ amount: "0x10" });
    expect(coerce(tool, { amount: "" })).toEqual({ amount: "" });
    expect(coerce(tool, { amount: "NaN" })).toEqual({ amount: "NaN" });
    expect(coerce(tool, { notify: "True" })).toEqual({ notify: "True" });
  });
  it("keeps strings where strings are allowed (unions with string)", () => {
    expect(coerce(T("Ticket"), { ...okTicket, u: "3", count: "4", total: "5" })).toMatchObject({ u: "3", count: 4, total: 5 });
  });
  it("follows $ref, optional types and nested records", () => {
    expect(coerce(tool, { tri: { priority: "low", category: "bug", summary: "1", confidence: "0.5" } })).toEqual({
      tri: { priority: "low", category: "bug", summary: "1", confidence: 0.5 },
    });
    expect(coerce(T("Ticket"), { m: { a: "1" } })).toEqual({ m: { a: 1 } });
    expect(coerce(T("Tree"), { name: "1", kids: [{ name: "2" }] })).toEqual({ name: "1", kids: [{ name: "2" }] });
  });
  it("coerced tool arguments then validate", () => {
    const r = validate(tool, coerce(tool, { order_id: "o", amount: "3" }));
    expect(r).toEqual({ ok: true, value: { order_id: "o", amount: 3, notify: false, ids: [], any: null } });
  });
  it("does not mutate its input", () => {
    const input = { order_id: "o", amount: "3" };
    coerce(tool, input);
    expect(input).toEqual({ order_id: "o", amount: "3" });
  });
});
