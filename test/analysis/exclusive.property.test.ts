// The condition prover against brute force: random pairs of conditions over three paths with small
// domains (an enum, a number, a bool, each also null), evaluated with the VM's own evaluator over
// every assignment (a condition holds when it evaluates to `true`; an evaluation error does not
// hold, as in the interpreter). Soundness: "cannot hold together" is never said of conditions some
// assignment satisfies. Precision: inside the supported fragment, every truly impossible
// combination is recognised.
import { describe, expect, test } from "vitest";
import { canHold, exclusive, exhaustive, valueSets, type ConditionContext, type Outcome } from "../../compiler/analysis/exclusive.js";
import type { ExprIR } from "../../compiler/plan/types.js";
import type { BinaryOp, Expr } from "../../compiler/syntax/ast.js";
import { evaluate, scopeOf } from "../../vm/expr.js";
import type { Json } from "../../vm/types.js";
import { prng } from "../helpers/prng.js";

const span = { start: 0, end: 0 };
const MEMBERS = ["low", "normal", "high"];
const CONSTS = [0, 1, 2];

interface Cond {
  ast: Expr;
  ir: ExprIR;
  /** Outside the fragment the prover decides exactly (then only soundness is asserted). */
  opaque: boolean;
  text: string;
}

const name = (n: string): Cond => ({ ast: { kind: "Name", name: n, span }, ir: { k: "ref", name: n }, opaque: false, text: n });
const tn = (): Cond => ({
  ast: { kind: "Member", object: name("t").ast, name: { kind: "Ident", name: "n", span }, optional: false, span },
  ir: { k: "member", obj: { k: "ref", name: "t" }, name: "n", optional: false },
  opaque: false,
  text: "t.n",
});
const member = (m: string): Cond => ({ ast: { kind: "Name", name: m, span }, ir: { k: "lit", v: m }, opaque: false, text: m });
const num = (v: number): Cond => ({ ast: { kind: "Number", value: v, integer: Number.isInteger(v), span }, ir: { k: "lit", v }, opaque: false, text: String(v) });
const bool = (v: boolean): Cond => ({ ast: { kind: "Bool", value: v, span }, ir: { k: "lit", v }, opaque: false, text: String(v) });
const nul = (): Cond => ({ ast: { kind: "Null", span }, ir: { k: "lit", v: null }, opaque: false, text: "null" });
const bin = (op: BinaryOp, l: Cond, r: Cond): Cond => ({
  ast: { kind: "Binary", op, left: l.ast, right: r.ast, span },
  ir: { k: "binary", op, left: l.ir, right: r.ir },
  opaque: l.opaque || r.opaque,
  text: `(${l.text} ${op} ${r.text})`,
});
const not = (c: Cond): Cond => ({
  ast: { kind: "Unary", op: "!", operand: c.ast, span },
  ir: { k: "unary", op: "!", operand: c.ir },
  opaque: c.opaque,
  text: `!${c.text}`,
});
const list = (items: Cond[]): Cond => ({
  ast: { kind: "List", items: items.map((i) => i.ast), span },
  ir: { k: "list", items: items.map((i) => i.ir) },
  opaque: false,
  text: `[${items.map((i) => i.text).join(", ")}]`,
});

function generator(seed: number) {
  const rnd = prng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const flip = (op: BinaryOp, path: Cond, c: Cond) => (rnd() < 0.25 ? bin(op, c, path) : bin(op, path, c));
  const atom = (): Cond => {
    const r = rnd();
    if (r < 0.35) {
      if (rnd() < 0.3) {
        const items = [...MEMBERS, null].filter(() => rnd() < 0.45).map((m) => (m === null ? nul() : member(m)));
        const c = bin("in", name("r"), list(items));
        return rnd() < 0.3 ? not(c) : c;
      }
      return flip(pick(["==", "!="] as const), name("r"), rnd() < 0.15 ? nul() : member(pick(MEMBERS)));
    }
    if (r < 0.7) return flip(pick(["==", "!=", "<", "<=", ">", ">="] as const), tn(), rnd() < 0.1 ? nul() : num(pick(CONSTS)));
    if (r < 0.92) {
      const k = rnd();
      if (k < 0.4) return name("ok");
      if (k < 0.6) return not(name("ok"));
      return flip(pick(["==", "!="] as const), name("ok"), rnd() < 0.2 ? nul() : bool(rnd() < 0.5));
    }
    const opaque = bin(">", bin("+", tn(), num(1)), num(2));
    return { ...opaque, opaque: true };
  };
  const cond = (depth: number): Cond => {
    const r = rnd();
    if (depth === 0 || r < 0.5) return atom();
    if (r < 0.55) return not(cond(depth - 1));
    return bin(rnd() < 0.5 ? "&&" : "||", cond(depth - 1), cond(depth - 1));
  };
  return () => cond(3);
}

const CTX: ConditionContext = {
  locals: new Set(["r", "t", "ok"]),
  domain: (path) =>
    path === "r"
      ? valueSets.union(valueSets.strings(MEMBERS), valueSets.nul())
      : path === "t.n"
        ? valueSets.union(valueSets.numbers(), valueSets.nul())
        : path === "ok"
          ? valueSets.union(valueSets.bools(), valueSets.nul())
          : undefined,
};

// Every assignment: the numbers are the constants, the points between and around them.
const ASSIGNMENTS: Record<string, Json>[] = [];
for (const r of [...MEMBERS, null])
  for (const n of [-1, 0, 0.5, 1, 1.5, 2, 3, null])
    for (const ok of [true, false, null]) ASSIGNMENTS.push({ r, t: { n }, ok });

/** The outcome of a condition under one assignment, as the interpreter sees it. */
function value(c: Cond, a: Record<string, Json>): "T" | "F" | "E" {
  try {
    const v = evaluate(c.ir, scopeOf(a));
    return v === true ? "T" : v === false ? "F" : "E";
  } catch {
    return "E";
  }
}
const has = (o: Outcome, v: "T" | "F" | "E") => (o === "T" ? v === "T" : o === "F" ? v === "F" : o === "NT" ? v !== "T" : v !== "F");

const PAIRS = 10_000;

describe("the condition prover against brute force", () => {
  test(`${PAIRS} random pairs: sound always, exact inside the fragment`, () => {
    const next = generator(20240611);
    const outcomes: [Outcome, Outcome][] = [["T", "NT"], ["T", "F"], ["NF", "NT"]];
    const unsound: string[] = [];
    const imprecise: string[] = [];
    let exclusiveSeen = 0;
    for (let i = 0; i < PAIRS; i++) {
      const a = next();
      const b = next();
      const va = ASSIGNMENTS.map((x) => value(a, x));
      const vb = ASSIGNMENTS.map((x) => value(b, x));
      const exact = !a.opaque && !b.opaque;
      for (const [oa, ob] of outcomes) {
        const truth = va.some((v, k) => has(oa, v) && has(ob, vb[k]!));
        const said = canHold([{ expr: a.ast, outcome: oa }, { expr: b.ast, outcome: ob }], CTX);
        if (truth && !said) unsound.push(`${oa} ${a.text} / ${ob} ${b.text}`);
        if (exact && !truth && said) imprecise.push(`${oa} ${a.text} / ${ob} ${b.text}`);
      }
      const ex = exclusive(a.ast, b.ast, CTX);
      if (ex) exclusiveSeen++;
      const exTruth = !va.some((v, k) => v === "T" && vb[k] === "T");
      if (ex && !exTruth) unsound.push(`exclusive ${a.text} / ${b.text}`);
      const exh = exhaustive([a.ast, b.ast], CTX);
      const exhTruth = va.every((v, k) => v === "T" || vb[k] === "T");
      if (exh && !exhTruth) unsound.push(`exhaustive ${a.text} / ${b.text}`);
      if (exact && exhTruth && !exh) imprecise.push(`exhaustive ${a.text} / ${b.text}`);
      if (exact && exTruth && !ex) imprecise.push(`exclusive ${a.text} / ${b.text}`);
    }
    expect(unsound.slice(0, 5)).toEqual([]);
    expect(imprecise.slice(0, 5)).toEqual([]);
    // the generator reaches both answers often enough for the assertions to mean something
    expect(exclusiveSeen).toBeGreaterThan(PAIRS / 10);
    expect(exclusiveSeen).toBeLessThan(PAIRS * 0.9);
  });
});

describe("paths, literals and enum members", () => {
  const ctx: ConditionContext = { locals: new Set(["triage", "x", "ok"]) };
  const parse = (text: string): Expr => {
    // a tiny reader for the cases below: `P op C` joined by && / ||
    const orParts = text.split(" || ");
    if (orParts.length > 1) return orParts.map(parse).reduce((l, r) => ({ kind: "Binary", op: "||", left: l, right: r, span }));
    const andParts = text.split(" && ");
    if (andParts.length > 1) return andParts.map(parse).reduce((l, r) => ({ kind: "Binary", op: "&&", left: l, right: r, span }));
    const m = /^(!?)(\S+?)(?: (==|!=|<|<=|>|>=) (\S+))?$/.exec(text)!;
    const operand = (s: string): Expr => {
      if (/^-?\d/.test(s)) return { kind: "Number", value: Number(s), integer: Number.isInteger(Number(s)), span };
      if (s === "null") return { kind: "Null", span };
      const parts = s.split(/(?=[.!])|(?<=!)/);
      let e: Expr = { kind: "Name", name: parts[0]!, span };
      for (const p of parts.slice(1)) {
        if (p === "!") e = { kind: "NonNull", expr: e, span };
        else if (p.startsWith(".")) e = { kind: "Member", object: e, name: { kind: "Ident", name: p.slice(1), span }, optional: false, span };
      }
      return e;
    };
    let e: Expr = operand(m[2]!);
    if (m[3]) e = { kind: "Binary", op: m[3] as BinaryOp, left: e, right: operand(m[4]!), span };
    return m[1] ? { kind: "Unary", op: "!", operand: e, span } : e;
  };
  test.each([
    ["triage!.priority == low && triage!.n < 1000", "triage!.priority == high", true],
    ["x < 0.6", "x >= 0.6", true],
    ["0.6 > x", "x >= 0.6", true],
    ["x < 0.6", "x > 0.5", false],
    ["ok", "!ok", true],
    ["ok == true", "ok == false", true],
    ["x != low", "x == null", false],
    ["x == low || x == normal", "x == high", true],
    ["x == low || x == normal", "x == normal", false],
    ["triage!.priority == low", "triage.priority == high", true],
  ])("%s / %s exclusive: %s", (a, b, want) => {
    expect(exclusive(parse(a), parse(b), ctx)).toBe(want);
  });
});
