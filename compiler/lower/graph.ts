// Graphs → state fields, nodes of numbered statements, edges. Expressions in a graph see its
// parameters and state fields (and a `map` statement's variable) by name.

import type { CallExpr, EdgeDecl, Field, GraphDecl, NodeDecl } from "../syntax/ast.js";
import { fieldReducer, graphEdges, graphNodes, graphReturn, graphState, onErrorHandlers } from "../syntax/ast.js";
import type { CallTarget, Compensate, EdgePlan, GraphPlan, NodePlan, Reducer, Retry, StateFieldPlan, Stmt } from "../plan/types.js";
import { defaultRetry } from "../plan/format.js";
import { edgeId, nodeId, stmtId } from "../plan/ids.js";
import { constString, constValue } from "./const.js";
import type { LowerCtx } from "./context.js";
import { argsToIR, calleeName, exprToIR, type Locals } from "./expr.js";
import { compensateCall, durationMs, retryOf } from "./props.js";
import { fieldSchema, paramsSchema, typeSchema } from "./schema.js";


export function lowerGraph(ctx: LowerCtx, d: GraphDecl): GraphPlan {
  const graph = d.name.name;
  const state = graphState(d).filter((f) => f.name.name);
  const locals = new Set([...d.params, ...state].map((f) => f.name.name).filter(Boolean));
  const handlers = onErrorHandlers(d);
  const ret = graphReturn(d);
  return {
    params: paramsSchema(ctx, d.params),
    returns: typeSchema(ctx, d.returns),
    state: state.map((f) => lowerStateField(ctx, f)),
    // A node reached through `on error` reads the failure as `error` (unless a parameter or field has that name).
    nodes: graphNodes(d).map((n) => lowerNode(ctx, graph, n, handlers.has(n.name.name) ? new Set(locals).add("error") : locals)),
    edges: graphEdges(d).map((e, i) => lowerEdge(ctx, graph, e, i, locals)),
    return: ret ? exprToIR(ctx, ret.value, locals) : null,
    loc: ctx.loc(d.name.span),
  };
}

function lowerStateField(ctx: LowerCtx, f: Field): StateFieldPlan {
  const reduce = f.attrs.find((a) => a.name.name === "reduce");
  const reducer = fieldReducer(f);
  const fieldNoReduce: Field = { ...f, attrs: f.attrs.filter((a) => a !== reduce) };
  return {
    name: f.name.name,
    schema: fieldSchema(ctx, fieldNoReduce),
    reducer,
    default: constValue(f.default) ?? null,
    loc: ctx.loc(f.name.span),
  };
}

function lowerNode(ctx: LowerCtx, graph: string, n: NodeDecl, locals: Locals): NodePlan {
  const node = n.name.name;
  const stmts: Stmt[] = [];
  let retry: Retry = defaultRetry();
  let timeout: number | null = null;
  let onError: string | null = null;
  let compensate: Compensate | null = null;
  for (const s of n.stmts) {
    // Only executable statements are numbered, so adding `retry`/`timeout` keeps step ids.
    const id = stmtId(graph, node, stmts.length);
    const loc = ctx.loc(s.span);
    switch (s.kind) {
      case "Run":
        stmts.push({ id, op: "run", call: callTarget(ctx, s.call), args: callArgs(ctx, s.call, locals), into: s.target?.name || null, loc });
        break;
      case "Map": {
        const inner = new Set(locals).add(s.variable.name);
        const conc = constValue(s.concurrency);
        stmts.push({
          id,
          op: "map",
          var: s.variable.name,
          over: exprToIR(ctx, s.source, locals),
          concurrency: typeof conc === "number" && conc >= 1 ? Math.trunc(conc) : null,
          call: callTarget(ctx, s.call),
          args: callArgs(ctx, s.call, inner),
          into: s.target?.name || null,
          loc,
        });
        break;
      }
      case "Await":
        stmts.push({
          id,
          op: "await",
          kind: calleeName(s.call.callee) === "event" ? "event" : "human",
          arg: exprToIR(ctx, s.call.args.find((a) => !a.name)?.value, locals),
          key: awaitKey(ctx, s.call, locals),
          into: s.target?.name || null,
          loc,
        });
        break;
      case "Set":
        stmts.push({ id, op: "set", field: s.target.name, value: exprToIR(ctx, s.value, locals), loc });
        break;
      case "Retry":
        retry = retryOf(s.value);
        break;
      case "Timeout":
        timeout = durationMs(s.value);
        break;
      case "OnError":
        onError = s.target.name || null;
        break;
      case "Compensate":
        compensate = compensateCall(ctx, s.call, new Set(locals).add("result"));
        break;
    }
  }
  return { id: nodeId(graph, node), name: node, stmts, retry, timeout_ms: timeout, on_error: onError, compensate, loc: ctx.loc(n.name.span) };
}

/** What a `run` calls, by the kind of the declaration its callee names. */
function callTarget(ctx: LowerCtx, call: CallExpr): CallTarget {
  const name = calleeName(call.callee);
  const kind = ctx.sym(name)?.decl.kind;
  return {
    kind: kind === "AgentDecl" ? "agent" : kind === "ToolDecl" ? "tool" : kind === "GraphDecl" ? "graph" : "prompt",
    name,
  };
}

function callArgs(ctx: LowerCtx, call: CallExpr, locals: Locals) {
  const decl = ctx.sym(calleeName(call.callee))?.decl;
  const params = decl && "params" in decl ? decl.params : undefined;
  return argsToIR(ctx, call.args, params, locals);
}

function lowerEdge(ctx: LowerCtx, graph: string, e: EdgeDecl, i: number, locals: Locals): EdgePlan {
  const max = constValue(e.max);
  const edge: EdgePlan = {
    id: edgeId(graph, i),
    from: e.from.map((x) => x.name),
    to: e.to.map((x) => x.name),
    otherwise: e.otherwise,
    max: typeof max === "number" && max >= 1 ? Math.trunc(max) : null,
    loc: ctx.loc(e.span),
  };
  if (e.when) edge.when = exprToIR(ctx, e.when, locals);
  return edge;
}

/** `await event("name", key: EXPR)`: the correlation key's expression; null without one (and for `human`). */
function awaitKey(ctx: LowerCtx, call: CallExpr, locals: Locals) {
  const key = call.args.find((a) => a.name?.name === "key");
  return key ? exprToIR(ctx, key.value, locals) : null;
}
