// `graph` declarations: state, nodes (run, map, await, set, retry, timeout, compensate), writes
// through reducers, edge conditions and their exhaustiveness. Node names and edge shapes are graph
// analysis's (compiler/analysis/).
import * as A from "../../syntax/ast.js";
import * as Ty from "../types.js";
import type { Env } from "../expr.js";
import { onErrorBindings } from "../../language/scopes.js";
import { AWAITS } from "../../plan/vocabulary.js";
import type { Checker } from "./checker.js";
import { calleeReturn, checkArgs, type Callable, CALLABLE } from "./calls.js";
import { durationValue, retryValue, declFile } from "./props.js";
import { callTool } from "./tool.js";
import { checkFields, paramsEnv } from "./types.js";

export function graphDecl(cx: Checker, file: string, g: A.GraphDecl) {
  const params = paramsEnv(cx, file, g.params);
  const retTy = g.returns ? cx.ctx.typeOf(file, g.returns) : undefined;
  const stateFields = A.graphState(g);
  if (g.members.filter((m) => m.kind === "State").length > 1) {
    const second = g.members.filter((m) => m.kind === "State")[1]!;
    cx.ctx.report("AWR2009", file, second.span, "a graph has one state block");
  }
  const state = checkFields(cx, file, stateFields, "state");
  for (const f of stateFields) {
    if (params.has(f.name.name)) cx.ctx.report("AWR2009", file, f.name.span, `state field "${f.name.name}" has the name of a parameter`);
  }
  const reducer = (name: string): string => {
    const f = stateFields.find((x) => x.name.name === name);
    return f ? A.fieldReducer(f) : "replace";
  };
  const vars = new Map<string, Ty.Ty>([...params, ...state]);
  const env: Env = { file, vars, hint: "graph expressions see the graph's parameters and state fields" };
  // Node names (reserved, duplicate), edge shapes and `max` are graph analysis's (AWR40xx).
  // A node reached through `on error -> n` sees the failure as `error` (optional when ordinary
  // edges reach it too; a parameter or state field named error wins).
  const handlers = A.onErrorHandlers(g);
  for (const n of A.graphNodes(g)) {
    const via = handlers.get(n.name.name);
    const nodeEnv: Env = via && !vars.has("error") ? { ...env, vars: new Map([...vars, ...onErrorBindings(via)]), hint: "graph expressions see the graph's parameters and state fields; a node reached through on error also sees error" } : env;
    checkNode(cx, file, n, nodeEnv, state, reducer);
  }
  for (const e of A.graphEdges(g)) {
    if (!e.when) continue;
    cx.ex.requireBool(e.when, env, "an edge condition");
    const k = constantBool(e.when);
    if (k !== undefined) {
      cx.ctx.report("AWR6005", file, e.when.span, k ? "this condition is always true: write the edge without when" : "this condition is always false: the edge is never taken");
    }
  }
  exhaustiveEdges(cx, file, g, env);
  const rets = g.members.filter((m): m is A.ReturnStmt => m.kind === "Return");
  for (const [i, r] of rets.entries()) {
    if (i > 0) cx.ctx.report("AWR2009", file, r.span, "a graph has one return");
    const t = cx.ex.check(r.value, env, retTy);
    if (retTy) cx.ex.expect(t, retTy, r.value, env, `the result of graph ${g.name.name}`);
  }
  for (const f of stateFields) {
    const n = f.name.name;
    const written = A.graphNodes(g).some((node) => node.stmts.some((s) => A.writeTarget(s)?.name === n));
    if (!written && !mentions(g, n) && n !== "") cx.ctx.report("AWR6004", file, f.name.span, `state field "${n}" is never written or read`);
  }
}

export function checkNode(cx: Checker, file: string, n: A.NodeDecl, env: Env, state: Map<string, Ty.Ty>, reducer: (f: string) => string) {
  const ctx = cx.ctx;
  let compensations = 0;
  for (const s of n.stmts) {
    // Two retry/timeout/on error statements are graph analysis's AWR4009; compensate is ours.
    if (s.kind === "Compensate" && compensations++ > 0) ctx.report("AWR4009", file, s.span, `node "${n.name.name}" has more than one compensate`);
    switch (s.kind) {
      case "Run": {
        const ret = runCall(cx, file, s.call, env);
        if (s.target) checkWrite(cx, file, s.target, ret, "one", s.call, env, state, reducer);
        break;
      }
      case "Map": {
        const src = ctx.resolve(cx.ex.check(s.source, env));
        let elem: Ty.Ty = Ty.ERROR;
        if (src.k === "list") elem = src.of;
        else if (src.k === "optional") ctx.report("AWR3001", file, s.source.span, `${cx.ex.text(s.source, env)} may be null: map over ${cx.ex.text(s.source, env)}! or give it a default`);
        else if (src.k === "any") elem = Ty.ANY;
        else if (src.k !== "error") ctx.report("AWR3001", file, s.source.span, `map needs a list, but ${cx.ex.text(s.source, env)} is ${Ty.show(src)}`);
        if (s.concurrency && (s.concurrency.kind !== "Number" || !s.concurrency.integer || s.concurrency.value < 1)) {
          ctx.report("AWR3001", file, s.concurrency.span, "concurrency must be a whole number of at least 1");
        }
        if (env.vars.has(s.variable.name)) ctx.report("AWR2009", file, s.variable.span, `"${s.variable.name}" already names a parameter or state field`);
        const inner: Env = { ...env, vars: new Map([...env.vars, [s.variable.name, elem]]) };
        const ret = runCall(cx, file, s.call, inner);
        if (s.target) checkWrite(cx, file, s.target, ret, "each", s.call, env, state, reducer);
        break;
      }
      case "Await": {
        const c = s.call;
        const name = c.callee.kind === "Name" ? c.callee.name : "";
        if (!(AWAITS as readonly string[]).includes(name)) {
          ctx.report("AWR3008", file, c.callee.span, 'await takes human("reason") or event("name")');
          break;
        }
        const positional = c.args.filter((a) => !a.name);
        const named = c.args.filter((a) => a.name);
        if (positional.length !== 1) ctx.report("AWR3002", file, c.span, name === "human" ? 'human takes one string: human("why a person is needed")' : 'event takes the event\'s name and, optionally, a correlation key: event("name") or event("name", key: order.id)');
        else cx.ex.expect(cx.ex.check(positional[0]!.value, env), Ty.STRING, positional[0]!.value, env, `the argument of ${name}()`);
        for (const a of named) {
          if (name === "event" && a.name!.name === "key" && named.filter((b) => b.name!.name === "key").length === 1) {
            // The key is compared with the one an event carries (POST /v1/events/{name}): a string or a number.
            cx.ex.expect(cx.ex.check(a.value, env), { k: "union", members: [Ty.STRING, Ty.INT, Ty.FLOAT] }, a.value, env, 'the key of event(...)');
          } else {
            ctx.report("AWR3002", file, a.name!.span, name === "event" ? `event takes one named argument, key: (got ${a.name!.name}:)` : `human takes no named arguments (got ${a.name!.name}:)`);
          }
        }
        if (s.target) {
          const ft = state.get(s.target.name);
          if (!ft) checkWrite(cx, file, s.target, Ty.ANY, "one", c, env, state, reducer);
          else if (ctx.resolve(Ty.nonNull(ft, ctx)).k === "any") {
            // untyped fields take whatever arrives
          }
        } else if (name === "human") {
          ctx.report("AWR3007", file, s.span, "the answer of await human(...) is lost: write it to a state field with -> field");
        }
        break;
      }
      case "Set": {
        const ft = state.get(s.target.name);
        const t = cx.ex.check(s.value, env, ft);
        checkWrite(cx, file, s.target, t, "one", s.value, env, state, reducer);
        break;
      }
      case "Retry":
        retryValue(cx, file, s.value);
        break;
      case "Timeout":
        durationValue(cx, file, s.value, "timeout");
        break;
      case "OnError":
        break; // the target node is checked by graph analysis
      case "Compensate":
        callTool(cx, file, s.call, env, "compensate");
        break;
    }
  }
  const work = n.stmts.filter((s) => s.kind === "Run" || s.kind === "Map" || s.kind === "Await" || s.kind === "Set");
  if (work.length === 0 && n.name.name !== "") {
    ctx.report("AWR4009", file, n.name.span, `node "${n.name.name}" does nothing: give it a run, map, await or set statement`);
  }
}

/** Checks `name(args)` in a node and returns what the call produces. */
export function runCall(cx: Checker, file: string, c: A.CallExpr, env: Env): Ty.Ty {
  if (c.callee.kind !== "Name") {
    if (c.callee.kind !== "ErrorExpr") cx.ctx.report("AWR3008", file, c.callee.span, "run takes the name of a prompt, agent, tool or graph");
    return Ty.ERROR;
  }
  const d = cx.ctx.expectDecl(file, { kind: "Ident", name: c.callee.name, span: c.callee.span }, CALLABLE, "prompt, agent, tool or graph") as Callable | undefined;
  if (c.recovered) return d ? calleeReturn(cx, d) : Ty.ERROR; // `run f -> x`: AWR4009 already said a call is missing
  if (!d) {
    c.args.forEach((a) => cx.ex.check(a.value, env));
    return Ty.ERROR;
  }
  checkArgs(cx, d, declFile(cx, d), c, env);
  return calleeReturn(cx, d);
}

/** A write of `value` to state field `target` through its reducer ("each": once per map result). */
export function checkWrite(cx: Checker, file: string, target: A.Ident, value: Ty.Ty, mode: "one" | "each", at: A.Expr, env: Env, state: Map<string, Ty.Ty>, reducer: (f: string) => string) {
  const ctx = cx.ctx;
  const ft = state.get(target.name);
  if (!ft) {
    if (target.name !== "") ctx.unknown(file, target, state.keys(), "state field", "AWR2005", "the graph");
    return;
  }
  const red = reducer(target.name);
  const fr = ctx.resolve(Ty.nonNull(ft, ctx));
  const fail = (expected: string, actual: Ty.Ty) =>
    ctx.report("AWR3006", file, target.span, `"${target.name}" (${Ty.show(ft)}, @reduce(${red})) cannot take ${cx.ex.text(at, env)}: ${expected}, but it produces ${Ty.show(actual)}${cx.ex.whyNot(actual, ft)}`);
  const whole = mode === "each" && red === "replace" ? Ty.list(value) : value;
  switch (red) {
    case "replace":
      if (!Ty.assignable(whole, ft, ctx)) fail(`it needs ${Ty.show(ft)}`, whole);
      return;
    case "append": {
      if (fr.k !== "list") return;
      const v = ctx.resolve(value);
      if (!Ty.assignable(value, fr.of, ctx) && !(v.k === "list" && Ty.assignable(v.of, fr.of, ctx))) fail(`appending needs ${Ty.show(fr.of)} or ${Ty.show(fr)}`, value);
      return;
    }
    case "merge": {
      const v = ctx.resolve(value);
      if (v.k !== "record" && v.k !== "map" && v.k !== "any" && v.k !== "error") fail("merging needs a record or map", value);
      return;
    }
    default:
      if (!Ty.isNumeric(value, ctx)) fail(`@reduce(${red}) needs a number`, value);
  }
}

/**
 * Edges out of one node that branch only on `x == member` of an enum or literal union, with no
 * `otherwise`, must cover every member: a value that no edge takes would end the branch silently.
 */
export function exhaustiveEdges(cx: Checker, file: string, g: A.GraphDecl, env: Env) {
  const bySource = new Map<string, A.EdgeDecl[]>();
  for (const e of A.graphEdges(g)) {
    if (e.from.length !== 1) continue;
    const k = e.from[0]!.name;
    bySource.set(k, [...(bySource.get(k) ?? []), e]);
  }
  for (const [src, edges] of bySource) {
    if (edges.some((e) => !e.when)) continue; // an unconditional or otherwise edge catches the rest
    let subject: string | undefined;
    let subjectExpr: A.Expr | undefined;
    const covered = new Set<string | number | boolean>();
    let analyzable = true;
    const collect = (c: A.Expr): boolean => {
      if (c.kind === "Binary" && c.op === "||") return collect(c.left) && collect(c.right);
      if (c.kind === "Binary" && c.op === "==") {
        const [subj, val] = isLiteralish(c.right) ? [c.left, c.right] : [c.right, c.left];
        const s = cx.ctx.sourceText(file, subj.span).replace(/\s+/g, "");
        if (subject !== undefined && s !== subject) return false;
        subject = s;
        subjectExpr = subj;
        const v = val.kind === "Name" ? val.name : val.kind === "String" || val.kind === "Number" || val.kind === "Bool" ? val.value : undefined;
        if (v === undefined) return false;
        covered.add(v);
        return true;
      }
      return false;
    };
    for (const e of edges) if (!collect(e.when!)) analyzable = false;
    if (!analyzable || !subjectExpr) continue;
    const t = cx.ctx.resolve(Ty.nonNull(cx.ex.check(subjectExpr, { ...env, vars: env.vars }), cx.ctx));
    const domain = t.k === "enum" ? t.members : t.k === "union" ? t.members.map((m) => cx.ctx.resolve(m)).flatMap((m) => (m.k === "literal" ? [m.value] : [])) : t.k === "bool" ? [true, false] : undefined;
    if (!domain) continue;
    const missing = domain.filter((v) => !covered.has(v));
    if (missing.length) {
      const last = edges[edges.length - 1]!;
      cx.ctx.report(
        "AWR3005",
        file,
        last.span,
        `no edge from "${src}" handles ${subject} == ${missing.map((m) => (typeof m === "string" && t.k === "enum" ? m : JSON.stringify(m))).join(", ")}; add an edge for ${missing.length > 1 ? "them" : "it"} or an otherwise edge`,
        [{ kind: "insert", offset: last.span.end, text: `\n  edge ${src} -> end otherwise`, title: `Add "edge ${src} -> end otherwise"` }],
      );
    }
  }
}

/** The value of a condition that does not depend on anything (`true`, `1 > 2`, `!false`). */
function constantBool(e: A.Expr): boolean | undefined {
  if (e.kind === "Bool") return e.value;
  if (e.kind === "Unary" && e.op === "!") {
    const v = constantBool(e.operand);
    return v === undefined ? undefined : !v;
  }
  if (e.kind === "Binary" && ["==", "!=", "<", "<=", ">", ">="].includes(e.op)) {
    const lit = (x: A.Expr) => (x.kind === "Number" || x.kind === "String" || x.kind === "Bool" ? x.value : undefined);
    const l = lit(e.left);
    const r = lit(e.right);
    if (l === undefined || r === undefined) return undefined;
    switch (e.op) {
      case "==": return l === r;
      case "!=": return l !== r;
      case "<": return l < r;
      case "<=": return l <= r;
      case ">": return l > r;
      default: return l >= r;
    }
  }
  return undefined;
}

function isLiteralish(e: A.Expr): boolean {
  return e.kind === "String" || e.kind === "Number" || e.kind === "Bool" || e.kind === "Name";
}

/** Whether a graph's expressions mention a name (reads of a state field). */
function mentions(g: A.GraphDecl, name: string): boolean {
  let found = false;
  const visit = (x: unknown): void => {
    if (found || !x || typeof x !== "object") return;
    const n = x as { kind?: string; name?: unknown };
    if (n.kind === "Name" && n.name === name) {
      found = true;
      return;
    }
    for (const [k, v] of Object.entries(x)) {
      if (k === "span" || k === "target") continue;
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === "object") visit(v);
    }
  };
  for (const m of g.members) if (m.kind !== "State") visit(m);
  return found;
}
