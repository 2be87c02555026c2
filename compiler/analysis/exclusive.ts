// A small prover over edge conditions: can these conditions hold (or fail) together? Used for
// exclusive `when` edges (two nodes that cannot run in one superstep), for `otherwise` (it fires
// when none of its siblings holds) and for exhaustive conditions (AWR4013).
//
// Semantics (vm/expr.ts and the interpreter, which reads a condition as "holds" when it evaluates
// to `true`; a condition that fails to evaluate does not hold): every (sub)condition has one of
// three outcomes, true (T), false (F) or an evaluation error (E).
// - A path is a name, `a.b`, `a?.b`, `a!`, `a[literal]` chain, compared canonically (without `!` and
//   `?`): `triage!.priority` and `triage?.priority` are one variable. Its value may be any JSON value,
//   null, or "err" (a link of the chain is missing, so reading it fails); reading through `?.` may
//   turn err into null. A domain (from the declared types) narrows what a path can hold.
// - `P == c` / `P != c` (c a literal or an enum member, either side): T or F, never E (deep equality,
//   null included: `x != low` holds when x is null). `P < c` (and <=, >, >=) with a number c: T or F
//   when P is a number, E otherwise (null included). `P in [c, ...]`: T or F. A bare path `P`: T when
//   it is true, F when false, else E (`!`, `&&`, `||` need bools).
// - `!`, `&&`, `||` follow the VM, short-circuits included: `a && b` is E when a is E, F when a is F.
// - Anything else (a call, arithmetic, two paths compared, ...) is an opaque atom: its own variable
//   keyed by its text, read as a bare path (expressions are pure, so equal text has equal value).
// Conditions become sets of assignments in disjunctive normal form (a conjunction maps each path to
// the set of values it may hold). The sets over-approximate: past a size cap a DNF becomes "anything",
// so the prover answers "may overlap" whenever it is unsure, and is exact inside the fragment above.
import type { Program } from "../semantic/program.js";
import { lookup } from "../semantic/program.js";
import type { Expr, Field, GraphDecl, TypeExpr } from "../syntax/ast.js";
import { graphState } from "../syntax/ast.js";
import { printExpr } from "./expr.js";

// ---------------------------------------------------------------- value sets

/** A set of numbers as sorted, disjoint intervals. */
interface Interval {
  lo: number;
  loIn: boolean;
  hi: number;
  hiIn: boolean;
}

/** A set of values a path can hold. */
export interface ValueSet {
  /** Reading the path fails (a missing link of the chain). */
  err: boolean;
  null: boolean;
  true: boolean;
  false: boolean;
  /** `only`: exactly these strings; else every string except these. */
  str: { only: boolean; set: ReadonlySet<string> };
  num: Interval[];
  /** Lists and records. */
  other: boolean;
}

const ALL_NUMBERS: Interval[] = [{ lo: -Infinity, loIn: false, hi: Infinity, hiIn: false }];
const NO_STRINGS = { only: true, set: new Set<string>() };
const ALL_STRINGS = { only: false, set: new Set<string>() };

export const EMPTY: ValueSet = { err: false, null: false, true: false, false: false, str: NO_STRINGS, num: [], other: false };
/** Any value, a failed read included. */
export const ANY: ValueSet = { err: true, null: true, true: true, false: true, str: ALL_STRINGS, num: ALL_NUMBERS, other: true };

export const valueSets = {
  strings: (xs: Iterable<string>): ValueSet => ({ ...EMPTY, str: { only: true, set: new Set(xs) } }),
  anyString: (): ValueSet => ({ ...EMPTY, str: ALL_STRINGS }),
  numbers: (): ValueSet => ({ ...EMPTY, num: ALL_NUMBERS }),
  bools: (): ValueSet => ({ ...EMPTY, true: true, false: true }),
  nul: (): ValueSet => ({ ...EMPTY, null: true }),
  other: (): ValueSet => ({ ...EMPTY, other: true }),
  err: (): ValueSet => ({ ...EMPTY, err: true }),
  union,
};

type Const = string | number | boolean | null;

function constSet(c: Const): ValueSet {
  if (c === null) return { ...EMPTY, null: true };
  if (typeof c === "boolean") return { ...EMPTY, [c ? "true" : "false"]: true };
  if (typeof c === "number") return { ...EMPTY, num: [{ lo: c, loIn: true, hi: c, hiIn: true }] };
  return { ...EMPTY, str: { only: true, set: new Set([c]) } };
}

function numRange(op: "<" | "<=" | ">" | ">=", c: number): ValueSet {
  const num =
    op === "<" || op === "<="
      ? [{ lo: -Infinity, loIn: false, hi: c, hiIn: op === "<=" }]
      : [{ lo: c, loIn: op === ">=", hi: Infinity, hiIn: false }];
  return { ...EMPTY, num };
}

function strUnion(a: ValueSet["str"], b: ValueSet["str"]): ValueSet["str"] {
  if (a.only && b.only) return { only: true, set: new Set([...a.set, ...b.set]) };
  if (!a.only && !b.only) return { only: false, set: new Set([...a.set].filter((x) => b.set.has(x))) };
  const [only, except] = a.only ? [a, b] : [b, a];
  return { only: false, set: new Set([...except.set].filter((x) => !only.set.has(x))) };
}

function strIntersect(a: ValueSet["str"], b: ValueSet["str"]): ValueSet["str"] {
  if (a.only && b.only) return { only: true, set: new Set([...a.set].filter((x) => b.set.has(x))) };
  if (!a.only && !b.only) return { only: false, set: new Set([...a.set, ...b.set]) };
  const [only, except] = a.only ? [a, b] : [b, a];
  return { only: true, set: new Set([...only.set].filter((x) => !except.set.has(x))) };
}

function emptyInterval(i: Interval): boolean {
  return i.lo > i.hi || (i.lo === i.hi && !(i.loIn && i.hiIn));
}

function numIntersect(a: Interval[], b: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const x of a)
    for (const y of b) {
      const [lo, loIn] = x.lo > y.lo ? [x.lo, x.loIn] : x.lo < y.lo ? [y.lo, y.loIn] : [x.lo, x.loIn && y.loIn];
      const [hi, hiIn] = x.hi < y.hi ? [x.hi, x.hiIn] : x.hi > y.hi ? [y.hi, y.hiIn] : [x.hi, x.hiIn && y.hiIn];
      const i = { lo, loIn, hi, hiIn };
      if (!emptyInterval(i)) out.push(i);
    }
  return normalize(out);
}

function numComplement(a: Interval[]): Interval[] {
  const out: Interval[] = [];
  let lo = -Infinity;
  let loIn = false;
  for (const x of normalize(a)) {
    const i = { lo, loIn, hi: x.lo, hiIn: !x.loIn };
    if (!emptyInterval(i) && !(i.lo === -Infinity && i.hi === -Infinity)) out.push(i);
    lo = x.hi;
    loIn = !x.hiIn;
  }
  const last = { lo, loIn, hi: Infinity, hiIn: false };
  if (!emptyInterval(last) && lo !== Infinity) out.push(last);
  return out;
}

/** Sorted, with overlapping or touching intervals merged. */
function normalize(xs: Interval[]): Interval[] {
  const sorted = xs.filter((i) => !emptyInterval(i)).sort((a, b) => a.lo - b.lo || (a.loIn === b.loIn ? 0 : a.loIn ? -1 : 1));
  const out: Interval[] = [];
  for (const x of sorted) {
    const last = out[out.length - 1];
    if (last && (x.lo < last.hi || (x.lo === last.hi && (x.loIn || last.hiIn)))) {
      if (x.hi > last.hi) {
        last.hi = x.hi;
        last.hiIn = x.hiIn;
      } else if (x.hi === last.hi) last.hiIn ||= x.hiIn;
    } else out.push({ ...x });
  }
  return out;
}

function union(a: ValueSet, b: ValueSet): ValueSet {
  return {
    err: a.err || b.err,
    null: a.null || b.null,
    true: a.true || b.true,
    false: a.false || b.false,
    str: strUnion(a.str, b.str),
    num: normalize([...a.num, ...b.num]),
    other: a.other || b.other,
  };
}

function intersect(a: ValueSet, b: ValueSet): ValueSet {
  return {
    err: a.err && b.err,
    null: a.null && b.null,
    true: a.true && b.true,
    false: a.false && b.false,
    str: strIntersect(a.str, b.str),
    num: numIntersect(a.num, b.num),
    other: a.other && b.other,
  };
}

function complement(a: ValueSet): ValueSet {
  return {
    err: !a.err,
    null: !a.null,
    true: !a.true,
    false: !a.false,
    str: { only: !a.str.only, set: a.str.set },
    num: numComplement(a.num),
    other: !a.other,
  };
}

function isEmpty(a: ValueSet): boolean {
  return !a.err && !a.null && !a.true && !a.false && !a.other && a.num.length === 0 && a.str.only && a.str.set.size === 0;
}

// ---------------------------------------------------------------- DNF

/** One conjunction: each named path holds a value of its set (paths not named: anything). */
type Conj = ReadonlyMap<string, ValueSet>;
/** A disjunction of conjunctions; `[]` is unsatisfiable, `[new Map()]` holds always. */
type Dnf = Conj[];

const TOP: Dnf = [new Map()];
const BOTTOM: Dnf = [];
/** Past this many conjunctions a set becomes "anything" (a sound over-approximation). */
const CAP = 256;

function or(a: Dnf, b: Dnf): Dnf {
  const out = simplify([...a, ...b]);
  return out.length > CAP ? TOP : out;
}

function subset(a: ValueSet, b: ValueSet): boolean {
  return isEmpty(intersect(a, complement(b)));
}

/** `x` implies `y`: y constrains no more paths, and no path more tightly. */
function implies(x: Conj, y: Conj): boolean {
  for (const [k, v] of y) if (!x.has(k) || !subset(x.get(k)!, v)) return false;
  return true;
}

/**
 * Keeps DNFs small: drops a conjunction another one implies, and merges two conjunctions that
 * differ in one path only (their union is one conjunction). Equivalent to the input.
 */
function simplify(d: Dnf): Dnf {
  if (d.some((c) => c.size === 0)) return TOP;
  let out = [...d];
  for (let changed = true; changed; ) {
    changed = false;
    outer: for (let i = 0; i < out.length; i++)
      for (let j = 0; j < out.length; j++) {
        if (i === j) continue;
        const x = out[i]!;
        const y = out[j]!;
        if (implies(x, y)) {
          out.splice(i, 1);
          changed = true;
          break outer;
        }
        if (x.size !== y.size) continue;
        let diff: string | undefined;
        let same = true;
        for (const [k, v] of x) {
          const w = y.get(k);
          if (!w) {
            same = false;
            break;
          }
          if (subset(v, w) && subset(w, v)) continue;
          if (diff !== undefined) {
            same = false;
            break;
          }
          diff = k;
        }
        if (same && diff !== undefined) {
          const m = new Map(x);
          m.set(diff, union(x.get(diff)!, y.get(diff)!));
          out = out.filter((_, k) => k !== i && k !== j);
          out.push(m);
          changed = true;
          break outer;
        }
      }
  }
  return out;
}

function and(a: Dnf, b: Dnf): Dnf {
  if (a.length * b.length > CAP * 4) return TOP;
  const out: Conj[] = [];
  for (const x of a)
    for (const y of b) {
      const m = new Map(x);
      let ok = true;
      for (const [k, v] of y) {
        const s = m.has(k) ? intersect(m.get(k)!, v) : v;
        if (isEmpty(s)) {
          ok = false;
          break;
        }
        m.set(k, s);
      }
      if (ok) out.push(m);
    }
  const simple = simplify(out);
  return simple.length > CAP ? TOP : simple;
}

function atomDnf(path: string, set: ValueSet): Dnf {
  return isEmpty(set) ? BOTTOM : [new Map([[path, set]])];
}

// ---------------------------------------------------------------- conditions

/** Which outcome of a condition is asked for: true, false, not true (false or error), not false. */
export type Outcome = "T" | "F" | "NT" | "NF";

export interface ConditionContext {
  /** Names bound in the graph (parameters, state fields): every other bare name is an enum member. */
  locals: ReadonlySet<string>;
  /** What a canonical path (`triage.priority`) can hold; undefined: anything. */
  domain?: (path: string) => ValueSet | undefined;
}

interface PathRef {
  key: string;
  /** Read through `?.`: a missing link reads as null (or fails further on). */
  optional: boolean;
}

/** A name/member/`!`/literal-index chain rooted at a local, canonically (`a!.b?.c` → `a.b.c`). */
function pathOf(e: Expr, ctx: ConditionContext): PathRef | undefined {
  switch (e.kind) {
    case "Name":
      return ctx.locals.has(e.name) ? { key: e.name, optional: false } : undefined;
    case "NonNull":
      return pathOf(e.expr, ctx);
    case "Member": {
      const p = pathOf(e.object, ctx);
      return p && { key: `${p.key}.${e.name.name}`, optional: p.optional || e.optional };
    }
    case "Index": {
      const p = pathOf(e.object, ctx);
      const i = constOf(e.index, ctx);
      return p && i !== undefined && (typeof i === "string" || typeof i === "number")
        ? { key: `${p.key}[${JSON.stringify(i)}]`, optional: p.optional }
        : undefined;
    }
    default:
      return undefined;
  }
}

/** A literal, a negated number, or an enum member (`low`, `Priority.low`) as its string value. */
function constOf(e: Expr, ctx: ConditionContext): Const | undefined {
  switch (e.kind) {
    case "String":
    case "Number":
    case "Bool":
      return e.value;
    case "Null":
      return null;
    case "Unary":
      return e.op === "-" && e.operand.kind === "Number" ? -e.operand.value : undefined;
    case "Name":
      return ctx.locals.has(e.name) || !e.name ? undefined : e.name;
    case "Member":
      return e.object.kind === "Name" && !ctx.locals.has(e.object.name) && !e.optional ? e.name.name : undefined;
    default:
      return undefined;
  }
}

const FLIP = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!=" } as const;

/** The T and F sets of an atom over the value of its path (E is the rest). */
function atomSets(e: Expr, ctx: ConditionContext): { path: PathRef; t: ValueSet; f: ValueSet } {
  if (e.kind === "Binary") {
    const op = e.op;
    if (op === "==" || op === "!=" || op === "<" || op === "<=" || op === ">" || op === ">=") {
      let path = pathOf(e.left, ctx);
      let c = constOf(e.right, ctx);
      let o: keyof typeof FLIP = op;
      if (!path || c === undefined) {
        path = pathOf(e.right, ctx);
        c = constOf(e.left, ctx);
        o = FLIP[op];
      }
      if (path && c !== undefined) {
        if (o === "==" || o === "!=") {
          const eq = constSet(c);
          const ne = intersect(complement(eq), complement(valueSets.err()));
          return o === "==" ? { path, t: eq, f: ne } : { path, t: ne, f: eq };
        }
        // `<` compares two numbers or two strings: with null or a bool it always fails
        if (c === null || typeof c === "boolean") return { path, t: EMPTY, f: EMPTY };
        if (typeof c === "number") {
          const t = numRange(o, c);
          return { path, t, f: { ...EMPTY, num: numComplement(t.num) } };
        }
      }
    } else if (op === "in" && e.right.kind === "List") {
      const path = pathOf(e.left, ctx);
      const items = e.right.items.map((i) => constOf(i, ctx));
      if (path && items.every((i) => i !== undefined)) {
        const t = items.map((i) => constSet(i!)).reduce(union, EMPTY);
        return { path, t, f: intersect(complement(t), complement(valueSets.err())) };
      }
    }
  }
  // a bare path, or an opaque atom read as one
  const path = pathOf(e, ctx) ?? { key: `#${printExpr(e)}`, optional: false };
  return { path, t: { ...EMPTY, true: true }, f: { ...EMPTY, false: true } };
}

function atom(e: Expr, outcome: Outcome, ctx: ConditionContext): Dnf {
  const { path, t, f } = atomSets(e, ctx);
  let set = outcome === "T" ? t : outcome === "F" ? f : complement(outcome === "NT" ? t : f);
  // through `?.`, a missing link may read as null: err then behaves as null does, or fails
  if (path.optional) {
    const nullIn = outcome === "T" ? t.null : outcome === "F" ? f.null : true;
    if (nullIn) set = union(set, valueSets.err());
  }
  return atomDnf(path.key, set);
}

/** The assignments under which `e` has `outcome`, over-approximated. */
function dnf(e: Expr, outcome: Outcome, ctx: ConditionContext): Dnf {
  if (e.kind === "Bool") return (outcome === "T" || outcome === "NF") === e.value ? TOP : BOTTOM;
  if (e.kind === "Unary" && e.op === "!") {
    const inner = ({ T: "F", F: "T", NT: "NF", NF: "NT" } as const)[outcome];
    return dnf(e.operand, inner, ctx);
  }
  if (e.kind === "Binary" && (e.op === "&&" || e.op === "||")) {
    const a = (o: Outcome) => dnf(e.left, o, ctx);
    const b = (o: Outcome) => dnf(e.right, o, ctx);
    if (e.op === "&&") {
      switch (outcome) {
        case "T":
          return and(a("T"), b("T"));
        case "F":
          return or(a("F"), and(a("T"), b("F")));
        case "NT":
          return or(a("NT"), b("NT"));
        case "NF":
          return and(a("NF"), or(a("NT"), b("NF")));
      }
    }
    switch (outcome) {
      case "T":
        return or(a("T"), and(a("F"), b("T")));
      case "F":
        return and(a("F"), b("F"));
      case "NT":
        return and(a("NT"), or(a("NF"), b("NT")));
      case "NF":
        return or(a("NF"), b("NF"));
    }
  }
  return atom(e, outcome, ctx);
}

/** A condition asked to have one outcome. */
export interface Constraint {
  expr: Expr;
  outcome: Outcome;
}

/** Whether some assignment gives every condition its outcome (true when unsure). */
export function canHold(constraints: readonly Constraint[], ctx: ConditionContext): boolean {
  let acc = TOP;
  for (const c of constraints) {
    acc = and(acc, dnf(c.expr, c.outcome, ctx));
    if (acc.length === 0) return false;
  }
  return acc.some((conj) => [...conj].every(([path, set]) => !isEmpty(ctx.domain?.(path) ? intersect(set, ctx.domain(path)!) : set)));
}

/** Two `when` conditions that can never both hold. */
export function exclusive(a: Expr, b: Expr, ctx: ConditionContext): boolean {
  return !canHold([{ expr: a, outcome: "T" }, { expr: b, outcome: "T" }], ctx);
}

/** Conditions of which one always holds (e.g. every member of an enum compared with `==`). */
export function exhaustive(conds: readonly Expr[], ctx: ConditionContext): boolean {
  return !canHold(
    conds.map((expr) => ({ expr, outcome: "NT" as const })),
    ctx,
  );
}

/** A guard: the constraints under which one choice of edges fires (used to combine groups). */
export type Guard = readonly Constraint[];

// ---------------------------------------------------------------- domains from declared types

/**
 * The condition context of a graph: its parameters and state fields as locals, and a domain for each
 * path from the declared types (`triage!.priority` of an enum holds one of its members).
 * - `sound` (the default) keeps every value a run can meet: a state field without a default is null
 *   until written, and a member of an optional record may be missing (err).
 * - `declared` trusts the declared types and `!` assertions (for advice: AWR4013).
 */
export function graphConditions(
  program: Program,
  file: string,
  graph: GraphDecl,
  mode: "sound" | "declared" = "sound",
): ConditionContext {
  const params = new Map(graph.params.map((f) => [f.name.name, f]));
  const state = new Map(graphState(graph).map((f) => [f.name.name, f]));
  const locals = new Set([...params.keys(), ...state.keys()]);
  const cache = new Map<string, ValueSet | undefined>();
  const domain = (path: string): ValueSet | undefined => {
    if (!cache.has(path)) cache.set(path, pathDomain(path));
    return cache.get(path);
  };
  const pathDomain = (path: string): ValueSet | undefined => {
    const m = /^[^.[]+/.exec(path);
    if (!m) return undefined;
    const root = m[0];
    const field = state.get(root) ?? params.get(root);
    if (!field?.type) return undefined;
    let t: Resolved | undefined = resolve(program, file, field.type);
    // a state field without a default is null until a node writes it
    let maybeNull = mode === "sound" && state.has(root) && !field.default;
    let maybeErr = false;
    for (const seg of path.slice(root.length).match(/\.[^.[]+|\[[^\]]*\]/g) ?? []) {
      if (!t) return undefined;
      if (seg.startsWith("[")) return undefined;
      if (t.nullable || maybeNull) maybeErr = true;
      maybeNull = false;
      if (t.kind !== "record") return undefined;
      const f = t.fields.get(seg.slice(1));
      if (!f?.type) return undefined;
      t = resolve(program, t.file, f.type);
    }
    if (!t) return undefined;
    let set = t.values;
    if (t.nullable || maybeNull) set = union(set, valueSets.nul());
    if (maybeErr && mode === "sound") set = union(set, valueSets.err());
    return set;
  };
  return { locals, domain };
}

type Resolved =
  | { kind: "record"; fields: Map<string, Field>; file: string; values: ValueSet; nullable: boolean }
  | { kind: "value"; values: ValueSet; nullable: boolean };

function resolve(program: Program, file: string, t: TypeExpr, depth = 0): Resolved | undefined {
  if (depth > 16) return undefined;
  switch (t.kind) {
    case "OptionalType": {
      const inner = resolve(program, file, t.inner, depth + 1);
      return inner && { ...inner, nullable: true };
    }
    case "LiteralType":
      return { kind: "value", values: constSet(t.value), nullable: false };
    case "UnionType": {
      const ms = t.members.map((m) => resolve(program, file, m, depth + 1));
      if (ms.some((m) => !m || m.kind === "record")) return undefined;
      return { kind: "value", values: ms.map((m) => m!.values).reduce(union, EMPTY), nullable: ms.some((m) => m!.nullable) };
    }
    case "NamedType": {
      const name = t.name.name;
      const prim: Record<string, ValueSet> = {
        string: valueSets.anyString(),
        int: valueSets.numbers(),
        float: valueSets.numbers(),
        bool: valueSets.bools(),
        list: valueSets.other(),
        map: valueSets.other(),
      };
      if (prim[name]) return { kind: "value", values: prim[name], nullable: false };
      const sym = lookup(program, file, name) ?? program.globals.get(name);
      if (sym?.decl.kind === "EnumDecl") return { kind: "value", values: valueSets.strings(sym.decl.members.map((m) => m.name)), nullable: false };
      if (sym?.decl.kind === "TypeDecl") {
        if (sym.decl.alias) return resolve(program, sym.file, sym.decl.alias, depth + 1);
        return { kind: "record", fields: new Map(sym.decl.fields.map((f) => [f.name.name, f])), file: sym.file, values: valueSets.other(), nullable: false };
      }
      return undefined;
    }
  }
}

/**
 * Conditions that only compare one path with `==` (joined by `||`) where the path's type is an
 * enum, a literal union or bool: the checker's AWR3005 already reports those when they miss a value.
 */
export function enumEqualityOnly(conds: readonly Expr[], ctx: ConditionContext): boolean {
  const keys = new Set<string>();
  const collect = (c: Expr): boolean => {
    if (c.kind === "Binary" && c.op === "||") return collect(c.left) && collect(c.right);
    if (c.kind !== "Binary" || c.op !== "==") return false;
    const p = pathOf(c.left, ctx) ?? pathOf(c.right, ctx);
    if (!p) return false;
    keys.add(p.key);
    return true;
  };
  if (!conds.every(collect) || keys.size !== 1) return false;
  const d = ctx.domain?.([...keys][0]!);
  return !!d && !d.other && d.num.length === 0 && d.str.only && (d.str.set.size > 0 || d.true || d.false);
}
