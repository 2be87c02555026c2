import { describe, expect, it } from "vitest";
import type { BinaryOpIR, ExprIR, JsonValue, Segment } from "../../compiler/plan/index.js";
import { compile } from "../../compiler/compile.js";
import { memoryHost } from "../helpers/memory-host.js";
import { deepEqual, evaluate, exprToText, roundTo, scopeOf, stringify, type Scope } from "../../vm/expr.js";
import { VmFailure, type Json } from "../../vm/types.js";

// ---------------------------------------------------------------- IR builders

const lit = (v: JsonValue): ExprIR => ({ k: "lit", v });
const ref = (name: string): ExprIR => ({ k: "ref", name });
const mem = (obj: ExprIR, name: string, optional = false): ExprIR => ({ k: "member", obj, name, optional });
const idx = (obj: ExprIR, index: ExprIR): ExprIR => ({ k: "index", obj, index });
const nn = (expr: ExprIR): ExprIR => ({ k: "nonnull", expr });
const bin = (op: BinaryOpIR, left: ExprIR, right: ExprIR): ExprIR => ({ k: "binary", op, left, right });
const not = (operand: ExprIR): ExprIR => ({ k: "unary", op: "!", operand });
const neg = (operand: ExprIR): ExprIR => ({ k: "unary", op: "-", operand });
const call = (fn: string, ...args: ExprIR[]): ExprIR => ({ k: "call", fn, args });
const rec = (fields: Record<string, ExprIR>): ExprIR => ({ k: "record", fields: Object.entries(fields).map(([key, value]) => ({ key, value })) });
const list = (...items: ExprIR[]): ExprIR => ({ k: "list", items });
const tpl = (...segments: Segment[]): ExprIR => ({ k: "template", segments });

const env: Record<string, Json> = {
  n: 7,
  s: "Hello",
  nothing: null,
  yes: true,
  no: false,
  xs: [1, 2, 3],
  tags: ["a", "b"],
  triage: { priority: "urgent", confidence: 0.4, nested: { deep: 1 } },
  m: { b: 2, a: 1 },
};
const scope = scopeOf(env);
const ev = (e: ExprIR, sc: Scope = scope): Json => evaluate(e, sc);

/** The VmFailure an evaluation throws (fails the test if it does not). */
function failure(e: ExprIR, sc: Scope = scope): VmFailure {
  try {
    evaluate(e, sc);
  } catch (err) {
    expect(err).toBeInstanceOf(VmFailure);
    const f = err as VmFailure;
    expect(f.info.kind).toBe("expression");
    return f;
  }
  throw new Error(`expected ${exprToText(e)} to fail`);
}
const msg = (e: ExprIR, sc: Scope = scope) => failure(e, sc).message;

// ---------------------------------------------------------------- tests

describe("literals, names, records, lists", () => {
  it("evaluates literals of every JSON kind", () => {
    for (const v of [null, true, 3.5, "x", [1, "a"], { a: { b: [] } }] as JsonValue[]) expect(ev(lit(v))).toEqual(v);
  });
  it("looks names up in the scope", () => {
    expect(ev(ref("n"))).toBe(7);
    expect(ev(ref("nothing"))).toBeNull();
  });
  it("fails on an unknown name", () => {
    expect(msg(ref("nope"))).toBe("unknown name nope");
  });
  it("builds records (keys in order, later duplicates win) and lists", () => {
    const r = ev(rec({ b: ref("n"), a: lit("x") }));
    expect(r).toEqual({ b: 7, a: "x" });
    expect(Object.keys(r as object)).toEqual(["b", "a"]);
    const dup: ExprIR = { k: "record", fields: [{ key: "a", value: lit(1) }, { key: "a", value: lit(2) }] };
    expect(ev(dup)).toEqual({ a: 2 });
    expect(ev(list(lit(1), ref("s"), list()))).toEqual([1, "Hello", []]);
  });
  it("keeps a __proto__ key as data", () => {
    const r = ev({ k: "record", fields: [{ key: "__proto__", value: lit(1) }] }) as Record<string, Json>;
    expect(Object.keys(r)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
  });
});

describe("member, index, non-null", () => {
  it("reads fields; a missing field is null", () => {
    expect(ev(mem(ref("triage"), "priority"))).toBe("urgent");
    expect(ev(mem(mem(ref("triage"), "nested"), "deep"))).toBe(1);
    expect(ev(mem(ref("triage"), "missing"))).toBeNull();
    expect(ev(mem(ref("triage"), "constructor"))).toBeNull(); // never an inherited property
  });
  it("?. on null is null; . on null fails naming the expression", () => {
    expect(ev(mem(ref("nothing"), "x", true))).toBeNull();
    expect(ev(mem(ref("triage"), "priority", true))).toBe("urgent");
    expect(msg(mem(ref("nothing"), "x"))).toBe("nothing.x: nothing is null");
    expect(msg(mem(mem(ref("triage"), "missing"), "deep"))).toBe("triage.missing.deep: triage.missing is null");
  });
  it("fails reading a field of a non-record", () => {
    expect(msg(mem(ref("n"), "x"))).toBe("n.x: expected a record, got 7");
    expect(msg(mem(ref("xs"), "x"))).toBe("xs.x: expected a record, got a list of 3");
  });
  it("indexes lists (out of range is null) and maps (missing key is null)", () => {
    expect(ev(idx(ref("xs"), lit(0)))).toBe(1);
    expect(ev(idx(ref("xs"), lit(2)))).toBe(3);
    expect(ev(idx(ref("xs"), lit(3)))).toBeNull();
    expect(ev(idx(ref("xs"), lit(-1)))).toBeNull();
    expect(ev(idx(ref("m"), lit("a")))).toBe(1);
    expect(ev(idx(ref("m"), lit("zz")))).toBeNull();
    expect(ev(idx(ref("m"), lit("toString")))).toBeNull();
  });
  it("fails indexing with the wrong key type, or null, or a scalar", () => {
    expect(msg(idx(ref("xs"), lit(1.5)))).toBe("xs[1.5]: a list index must be an integer, got 1.5");
    expect(msg(idx(ref("xs"), lit("0")))).toBe('xs["0"]: a list index must be an integer, got "0"');
    expect(msg(idx(ref("m"), lit(0)))).toBe('m[0]: a record key must be a string, got 0');
    expect(msg(idx(ref("nothing"), lit(0)))).toBe("nothing[0]: nothing is null");
    expect(msg(idx(ref("s"), lit(0)))).toBe('s[0]: cannot index "Hello"');
  });
  it("x! passes a value through and fails on null", () => {
    expect(ev(nn(ref("n")))).toBe(7);
    expect(ev(nn(lit(false)))).toBe(false);
    expect(msg(nn(ref("nothing")))).toBe("nothing! is null");
    expect(msg(mem(nn(mem(ref("triage"), "missing")), "x"))).toBe("triage.missing! is null");
  });
});

describe("unary operators", () => {
  it("! negates bools and - numbers", () => {
    expect(ev(not(ref("yes")))).toBe(false);
    expect(ev(not(not(ref("yes"))))).toBe(true);
    expect(ev(neg(ref("n")))).toBe(-7);
    expect(Object.is(ev(neg(lit(0))), 0)).toBe(true); // no -0
  });
  it("fails on the wrong type", () => {
    expect(msg(not(ref("n")))).toBe("!n: ! expects a bool, got 7");
    expect(msg(neg(ref("s")))).toBe('-s: - expects a number, got "Hello"');
    expect(msg(not(ref("nothing")))).toBe("!nothing: ! expects a bool, got null");
  });
});

describe("logical operators", () => {
  const boom = nn(ref("nothing")); // fails if evaluated
  it("&& and || short-circuit", () => {
    expect(ev(bin("&&", ref("no"), boom))).toBe(false);
    expect(ev(bin("||", ref("yes"), boom))).toBe(true);
    expect(ev(bin("&&", ref("yes"), ref("no")))).toBe(false);
    expect(ev(bin("&&", ref("yes"), ref("yes")))).toBe(true);
    expect(ev(bin("||", ref("no"), ref("no")))).toBe(false);
    expect(ev(bin("||", ref("no"), ref("yes")))).toBe(true);
  });
  it("fail on non-bools", () => {
    expect(msg(bin("&&", ref("n"), ref("yes")))).toBe("n && yes: && expects bools, got 7 on the left");
    expect(msg(bin("||", ref("no"), ref("s")))).toBe('no || s: || expects bools, got "Hello" on the right');
  });
  it("?? defaults null and short-circuits", () => {
    expect(ev(bin("??", ref("nothing"), lit("d")))).toBe("d");
    expect(ev(bin("??", ref("n"), boom))).toBe(7);
    expect(ev(bin("??", lit(false), lit(true)))).toBe(false);
    expect(ev(bin("??", mem(ref("nothing"), "x", true), lit(0)))).toBe(0);
  });
});

describe("equality and comparison", () => {
  it("== and != are deep and structural", () => {
    expect(ev(bin("==", lit({ a: [1, { b: null }], c: "x" }), lit({ c: "x", a: [1, { b: null }] })))).toBe(true);
    expect(ev(bin("==", lit([1, 2]), lit([2, 1])))).toBe(false);
    expect(ev(bin("==", lit(1), lit("1")))).toBe(false);
    expect(ev(bin("==", lit(null), ref("nothing")))).toBe(true);
    expect(ev(bin("==", lit({ a: 1 }), lit({ a: 1, b: 2 })))).toBe(false);
    expect(ev(bin("==", lit({ a: null }), lit({})))).toBe(false);
    expect(ev(bin("!=", ref("xs"), lit([1, 2, 3])))).toBe(false);
    expect(ev(bin("!=", lit("a"), lit("b")))).toBe(true);
    expect(ev(bin("==", mem(ref("triage"), "priority"), lit("urgent")))).toBe(true);
  });
  it("orders numbers and strings", () => {
    const cases: [BinaryOpIR, JsonValue, JsonValue, boolean][] = [
      ["<", 1, 2, true],
      ["<", 2, 2, false],
      ["<=", 2, 2, true],
      [">", 3, 2, true],
      [">=", 1, 2, false],
      ["<", "apple", "banana", true],
      [">", "b", "B", true],
      ["<=", "a", "a", true],
    ];
    for (const [op, l, r, want] of cases) expect(ev(bin(op, lit(l), lit(r))), `${l} ${op} ${r}`).toBe(want);
  });
  it("fails comparing mixed or non-scalar values", () => {
    expect(msg(bin("<", ref("n"), ref("s")))).toBe('n < s: < compares two numbers or two strings, got 7 and "Hello"');
    expect(msg(bin(">=", ref("nothing"), lit(1)))).toBe("nothing >= 1: >= compares two numbers or two strings, got null and 1");
    expect(msg(bin("<", ref("xs"), ref("xs")))).toContain("got a list of 3 and a list of 3");
  });
});

describe("in", () => {
  it("list membership by deep equality", () => {
    expect(ev(bin("in", lit(2), ref("xs")))).toBe(true);
    expect(ev(bin("in", lit(4), ref("xs")))).toBe(false);
    expect(ev(bin("in", lit({ a: [1] }), lit([{ a: [1] }])))).toBe(true);
    expect(ev(bin("in", lit("1"), ref("xs")))).toBe(false);
  });
  it("map key and substring", () => {
    expect(ev(bin("in", lit("a"), ref("m")))).toBe(true);
    expect(ev(bin("in", lit("toString"), ref("m")))).toBe(false);
    expect(ev(bin("in", lit("ell"), ref("s")))).toBe(true);
    expect(ev(bin("in", lit("x"), ref("s")))).toBe(false);
    expect(ev(bin("in", lit(""), ref("s")))).toBe(true);
  });
  it("nothing is in null", () => {
    expect(ev(bin("in", lit("billing"), mem(ref("nothing"), "roles", true)))).toBe(false);
  });
  it("fails on the wrong types", () => {
    expect(msg(bin("in", lit(1), ref("m")))).toBe('1 in m: a record key must be a string, got 1');
    expect(msg(bin("in", lit(1), ref("s")))).toBe('1 in s: a substring must be a string, got 1');
    expect(msg(bin("in", lit(1), ref("n")))).toBe("1 in n: in needs a list, record or string on the right, got 7");
  });
});

describe("arithmetic", () => {
  it("adds, subtracts, multiplies, divides, takes remainders", () => {
    expect(ev(bin("+", ref("n"), lit(0.5)))).toBe(7.5);
    expect(ev(bin("-", ref("n"), lit(10)))).toBe(-3);
    expect(ev(bin("*", ref("n"), lit(3)))).toBe(21);
    expect(ev(bin("/", ref("n"), lit(2)))).toBe(3.5);
    expect(ev(bin("%", ref("n"), lit(3)))).toBe(1);
    expect(ev(bin("%", lit(-7), lit(3)))).toBe(-1);
    expect(ev(bin("+", lit(0.1), lit(0.2)))).toBe(0.1 + 0.2);
    expect(Object.is(ev(bin("*", lit(-1), lit(0))), 0)).toBe(true);
  });
  it("+ joins two strings", () => {
    expect(ev(bin("+", ref("s"), lit(", world")))).toBe("Hello, world");
  });
  it("fails on type errors", () => {
    expect(msg(bin("+", ref("s"), ref("n")))).toBe('s + n: + adds two numbers or joins two strings, got "Hello" and 7');
    expect(msg(bin("+", ref("xs"), ref("xs")))).toContain("+ adds two numbers or joins two strings");
    expect(msg(bin("-", ref("s"), lit(1)))).toBe('s - 1: - expects numbers, got "Hello" and 1');
    expect(msg(bin("*", ref("nothing"), lit(1)))).toBe("nothing * 1: * expects numbers, got null and 1");
  });
  it("fails on division by zero and on overflow", () => {
    expect(msg(bin("/", ref("n"), lit(0)))).toBe("n / 0: division by zero");
    expect(msg(bin("%", ref("n"), bin("-", lit(1), lit(1))))).toBe("n % (1 - 1): division by zero");
    expect(msg(bin("*", lit(1e308), lit(10)))).toBe("1e+308 * 10: the result is not a finite number");
  });
  it("prints nested expressions with the parentheses precedence needs", () => {
    expect(msg(bin("*", bin("+", ref("s"), lit("!")), lit(2)))).toBe('(s + "!") * 2: * expects numbers, got "Hello!" and 2');
  });
});

describe("templates", () => {
  it("renders text and holes; null is empty; records and lists are JSON", () => {
    const t = tpl(
      { text: "n=" },
      { expr: ref("n") },
      { text: " s=" },
      { expr: ref("s") },
      { text: " null=[" },
      { expr: ref("nothing") },
      { text: "] b=" },
      { expr: ref("yes") },
      { text: " xs=" },
      { expr: ref("xs") },
      { text: " r=" },
      { expr: mem(ref("triage"), "nested") },
      { builtin: "output_format" },
    );
    expect(ev(t)).toBe('n=7 s=Hello null=[] b=true xs=[1,2,3] r={"deep":1}');
  });
  it("a failing hole fails the template", () => {
    expect(msg(tpl({ text: "x" }, { expr: nn(ref("nothing")) }))).toBe("nothing! is null");
  });
  it("stringify follows the same rules", () => {
    expect([null, 1.5, false, "a", [], {}].map((v) => stringify(v as Json))).toEqual(["", "1.5", "false", "a", "[]", "{}"]);
  });
});

describe("builtins", () => {
  it("len of lists, strings (code points) and maps", () => {
    expect(ev(call("len", ref("xs")))).toBe(3);
    expect(ev(call("len", ref("s")))).toBe(5);
    expect(ev(call("len", lit("héllo 👋")))).toBe(7);
    expect(ev(call("len", ref("m")))).toBe(2);
    expect(ev(call("len", lit([])))).toBe(0);
    expect(msg(call("len", ref("n")))).toBe("len(n): len expects a list, string or map, got 7");
    expect(msg(call("len", ref("nothing")))).toBe("len(nothing): len expects a list, string or map, got null");
  });
  it("contains on lists (deep) and strings", () => {
    expect(ev(call("contains", ref("tags"), lit("b")))).toBe(true);
    expect(ev(call("contains", ref("tags"), lit("c")))).toBe(false);
    expect(ev(call("contains", lit([[1, 2]]), lit([1, 2])))).toBe(true);
    expect(ev(call("contains", ref("s"), lit("llo")))).toBe(true);
    expect(ev(call("contains", ref("s"), lit("LLO")))).toBe(false);
    expect(msg(call("contains", ref("s"), lit(1)))).toBe('contains(s, 1): contains on a string expects a string to look for, got 1');
    expect(msg(call("contains", ref("m"), lit("a")))).toBe('contains(m, "a"): contains expects a list or string, got a record');
  });
  it("lower and upper", () => {
    expect(ev(call("lower", ref("s")))).toBe("hello");
    expect(ev(call("upper", ref("s")))).toBe("HELLO");
    expect(ev(call("upper", lit("straße")))).toBe("STRASSE");
    expect(msg(call("lower", ref("n")))).toBe("lower(n): lower expects a string, got 7");
  });
  it("join with and without a separator", () => {
    expect(ev(call("join", ref("tags")))).toBe("ab");
    expect(ev(call("join", ref("tags"), lit(", ")))).toBe("a, b");
    expect(ev(call("join", lit([1, null, "x", true]), lit("-")))).toBe("1--x-true");
    expect(ev(call("join", lit([]), lit(",")))).toBe("");
    expect(msg(call("join", ref("s")))).toBe('join(s): join expects a list, got "Hello"');
    expect(msg(call("join", ref("tags"), lit(1)))).toBe("join(tags, 1): join expects a string separator, got 1");
  });
  it("keys in insertion order", () => {
    expect(ev(call("keys", ref("m")))).toEqual(["b", "a"]);
    expect(ev(call("keys", lit({})))).toEqual([]);
    expect(msg(call("keys", ref("xs")))).toBe("keys(xs): keys expects a map or record, got a list of 3");
  });
  it("round to digits, half away from zero", () => {
    expect(ev(call("round", lit(2.5)))).toBe(3);
    expect(ev(call("round", lit(-2.5)))).toBe(-3);
    expect(ev(call("round", lit(2.4)))).toBe(2);
    expect(ev(call("round", lit(3.14159), lit(2)))).toBe(3.14);
    expect(ev(call("round", lit(1.005), lit(2)))).toBe(1.01);
    expect(ev(call("round", lit(1234.5), lit(-2)))).toBe(1200);
    expect(ev(call("round", lit(1e300), lit(2)))).toBe(1e300);
    expect(Object.is(ev(call("round", lit(-0.4))), 0)).toBe(true);
    expect(roundTo(0.125, 2)).toBe(0.13);
    expect(msg(call("round", ref("s")))).toBe('round(s): round expects a number, got "Hello"');
    expect(msg(call("round", lit(1), lit(0.5)))).toBe("round(1, 0.5): round expects an integer number of digits between -15 and 15, got 0.5");
  });
  it("checks the number of arguments", () => {
    expect(msg(call("len"))).toBe("len(): len takes 1 argument, got 0");
    expect(msg(call("contains", ref("xs")))).toBe("contains(xs): contains takes 2 arguments, got 1");
    expect(msg(call("join", ref("xs"), lit(""), lit("")))).toBe('join(xs, "", ""): join takes 1 or 2 arguments, got 3');
    expect(msg(call("round", lit(1), lit(1), lit(1)))).toBe("round(1, 1, 1): round takes 1 or 2 arguments, got 3");
  });
  it("unknown functions go to the scope's call hook, else fail", () => {
    expect(msg(call("calls", lit("resolver")))).toBe("unknown function calls");
    const counts: Record<string, number> = { resolver: 2 };
    const sc = scopeOf(env, (fn, args) => (fn === "calls" ? (counts[args[0] as string] ?? 0) : undefined));
    expect(ev(bin("==", call("calls", lit("resolver")), lit(2)), sc)).toBe(true);
    expect(ev(call("calls", lit("other")), sc)).toBe(0);
    expect(msg(call("audit", lit("p")), sc)).toBe("unknown function audit");
    // builtins cannot be overridden by the hook
    const greedy = scopeOf(env, () => "hooked");
    expect(ev(call("len", ref("xs")), greedy)).toBe(3);
  });
});

describe("helpers", () => {
  it("deepEqual", () => {
    expect(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(deepEqual([], {})).toBe(false);
    expect(deepEqual({}, [])).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
  });
  it("exprToText prints source-like text", () => {
    expect(exprToText(bin("||", bin("==", mem(nn(ref("triage")), "priority"), lit("urgent")), bin("<", mem(nn(ref("triage")), "confidence"), lit(0.6))))).toBe(
      'triage!.priority == "urgent" || triage!.confidence < 0.6',
    );
    expect(exprToText(mem(ref("a"), "b", true))).toBe("a?.b");
  });
  it("failures are not retryable", () => {
    expect(failure(nn(ref("nothing"))).info.retryable).toBe(false);
  });
});

describe("on compiled plans", () => {
  const src = `
enum Priority { low, normal, urgent }
type Triage { priority: Priority, confidence: float, summary: string }
graph route(t: Triage, tags: list<string>) -> string {
  state {
    n: float = 0
    label: string?
  }
  node a { set label = #"{{ upper(t.summary) }} ({{ len(tags) }} tags: {{ join(tags, ", ") }})"# }
  node b { set n = round(t.confidence * 100) }
  edge start -> a
  edge a -> b when t.priority == urgent || t.confidence < 0.6 && !("skip" in tags)
  edge a -> end otherwise
  edge b -> end
  return label ?? ""
}
`;
  const result = compile(["main.awr"], memoryHost({ "main.awr": src }), { plan: true });
  if (!result.plan) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  const plan = result.plan;
  const g = plan.graphs.route!;
  const sc = (t: Json, tags: Json, state: Record<string, Json> = { n: 0, label: null }) => scopeOf({ t, tags, ...state });

  it("evaluates edge conditions, set values, templates and return", () => {
    const when = g.edges.find((e) => e.when)!.when!;
    const t = { priority: "low", confidence: 0.5, summary: "disk full" };
    expect(evaluate(when, sc(t, []))).toBe(true);
    expect(evaluate(when, sc(t, ["skip"]))).toBe(false);
    expect(evaluate(when, sc({ ...t, priority: "urgent" }, ["skip"]))).toBe(true);
    const [setA] = g.nodes[0]!.stmts;
    const [setB] = g.nodes[1]!.stmts;
    expect(setA!.op === "set" && evaluate(setA.value, sc(t, ["x", "y"]))).toBe("DISK FULL (2 tags: x, y)");
    expect(setB!.op === "set" && evaluate(setB.value, sc({ ...t, confidence: 0.666 }, []))).toBe(67);
    expect(evaluate(g.return!, sc(t, []))).toBe("");
    expect(evaluate(g.return!, sc(t, [], { n: 0, label: "x" }))).toBe("x");
  });
});
