// Nodes: one node of a superstep runs its statements against the superstep's snapshot (`run`, `map`,
// `await`, `set`), with its `retry`, `timeout` and `compensate`. Its writes are seen by its later
// statements at once and by other nodes after the superstep (graph.ts applies them in step-id order).
import { Duration, Effect } from "effect";
import { evaluate } from "../expr.js";
import { Suspended } from "../journal.js";
import { compensateKey, mapItemKey, stepKey, stmtKey } from "../keys.js";
import { awaitSchema } from "../operator.js";
import { applyWrite } from "../reducers.js";
import { withRetries } from "../retry.js";
import type { Json } from "../types.js";
import { VmFailure } from "../types.js";
import { awaitAnswer } from "./await.js";
import { fieldsOf, scopeOf, tryEval } from "./scope.js";
import type { Exec, Graph, Node, NodeResult, Stop } from "./types.js";

type Stmt = Node["stmts"][number];

/** Where a node runs: its graph, its declaration index, its run count, the superstep's view. */
export interface NodeRun {
  g: Graph;
  node: Node;
  index: number;
  iter: number;
  snapshot: Record<string, Json>;
  params: Record<string, Json>;
  prefix: string;
  /** The failure an `on error` handler was routed with (null when an ordinary edge reached it; undefined for other nodes). */
  error?: Json;
}

/** Runs one node: its attempts (retry, timeout), with `step.started` / `step.finished` events. */
export function runNode(ex: Exec, at: NodeRun): Effect.Effect<NodeResult, Stop> {
  const cx = ex.cx;
  const { node } = at;
  const started = cx.now();
  const stepBase = stepKey(at.prefix, node.id, at.iter);
  cx.emit({ type: "step.started", runId: cx.runId, step: stepBase, node: node.name, at: started });
  const finished = (status: "ok" | "failed" | "suspended") => cx.emit({ type: "step.finished", runId: cx.runId, step: stepBase, node: node.name, at: cx.now(), durationMs: cx.now() - started, status });
  // A node of `set` statements only (no effect, retry, timeout or compensation) is a pure function
  // of the snapshot: computed directly, without building an effect program per statement.
  if (isPure(node)) return pureNode(at, stepBase, finished);
  const attempt = (n: number) => nodeAttempt(ex, at, stepBase, n);
  return withRetries(node.retry, attempt as (n: number) => Effect.Effect<NodeResult, VmFailure>, {
    instant: cx.instant,
    onRetry: (n, error) => cx.emit({ type: "retry", runId: cx.runId, key: stepBase, attempt: n, delayMs: 0, error, at: cx.now() }),
  }).pipe(
    Effect.tap(() => Effect.sync(() => finished("ok"))),
    Effect.tapError((e) => Effect.sync(() => finished(e instanceof Suspended ? "suspended" : "failed"))),
    Effect.mapError((e: Stop) => (e instanceof VmFailure && !e.info.step ? new VmFailure({ ...e.info, step: stepBase }) : e)),
  );
}

/** A node of `set` statements only, evaluated without effects. */
function pureNode(at: NodeRun, stepBase: string, finished: (status: "ok" | "failed") => void): Effect.Effect<NodeResult, Stop> {
  const { g, node, index, params, error } = at;
  return Effect.suspend(() => {
    const result: NodeResult = { writes: [], undo: [] };
    let local = at.snapshot;
    try {
      for (const [si, s] of node.stmts.entries()) {
        if (s.op !== "set") continue;
        local = writeLocal(g, local, result, s.field, evaluate(s.value, scopeOf(params, local, error)), "one", writeOrder(index, si));
      }
    } catch (err) {
      const f = err instanceof VmFailure ? err : new VmFailure({ kind: "expression", message: `set in node ${node.name}: ${err instanceof Error ? err.message : String(err)}`, retryable: false });
      finished("failed");
      return Effect.fail(f.info.step ? f : new VmFailure({ ...f.info, step: stepBase }));
    }
    finished("ok");
    return Effect.succeed(result);
  });
}

/** Attempt `n` of a node: its statements in order, then its compensation; bounded by its timeout. */
function nodeAttempt(ex: Exec, at: NodeRun, stepBase: string, n: number): Effect.Effect<NodeResult, Stop> {
  const { node, params, error } = at;
  const result: NodeResult = { writes: [], undo: [] };
  const body = Effect.gen(function* () {
    let local = { ...at.snapshot };
    for (const [si, s] of node.stmts.entries()) {
      const write = (field: string, value: Json, mode: "one" | "each") => {
        local = writeLocal(at.g, local, result, field, value, mode, writeOrder(at.index, si));
      };
      yield* statement(ex, at, s, stmtKey(at.prefix, s.id, at.iter, n), scopeOf(params, local, error), write, result);
    }
    if (node.compensate) {
      const args = yield* tryEval(node.compensate.args, scopeOf(params, local, error), `the compensation of node ${node.name}`);
      result.undo.push({ key: compensateKey(stepBase, n), tool: node.compensate.tool, args });
    }
    return result;
  }).pipe(Effect.mapError((e: Stop) => (e instanceof Suspended && !e.writes.length ? new Suspended(e.pending, [...result.writes]) : e)));
  if (node.timeout_ms === null) return body;
  return body.pipe(
    Effect.timeoutOrElse({
      duration: Duration.millis(node.timeout_ms),
      orElse: () => Effect.fail(new VmFailure({ kind: "timeout", message: `node ${node.name} took longer than ${node.timeout_ms} ms`, step: stepBase, retryable: true })),
    }),
  );
}

/**
 * One statement of a node attempt, keyed `key`; `write` records a write to the state. A generator
 * the attempt's body delegates to (`yield*`): no effect is built per statement.
 */
function* statement(
  ex: Exec,
  at: NodeRun,
  s: Stmt,
  key: string,
  scope: ReturnType<typeof scopeOf>,
  write: (field: string, value: Json, mode: "one" | "each") => void,
  result: NodeResult,
) {
  switch (s.op) {
    case "run": {
      const args = yield* tryEval(s.args, scope, `the arguments of ${s.call.name}`);
      const r = yield* ex.call(s.call, args as Record<string, Json>, key, s.id, at.prefix);
      result.undo.push(...r.undo);
      if (s.into) write(s.into, r.value, "one");
      return;
    }
    case "map": {
      const over = yield* tryEval(s.over, scope, `the list of map ${s.var}`);
      if (!Array.isArray(over)) return yield* Effect.fail(new VmFailure({ kind: "expression", message: `map over ${s.var}: expected a list, got ${typeof over}`, step: key, retryable: false }));
      const results = yield* Effect.forEach(
        over.map((item, i) => [item, i] as const),
        ([item, i]) =>
          Effect.gen(function* () {
            const args = yield* tryEval(s.args, { get: (nm) => (nm === s.var ? item : scope.get(nm)) }, `the arguments of ${s.call.name}`);
            return yield* ex.call(s.call, args as Record<string, Json>, mapItemKey(key, i), s.id, at.prefix);
          }),
        { concurrency: s.concurrency ?? "unbounded" },
      );
      for (const r of results) result.undo.push(...r.undo);
      if (s.into) write(s.into, results.map((r) => r.value), "each");
      return;
    }
    case "await": {
      const reason = String((yield* tryEval(s.arg, scope, "the reason of await")) ?? "");
      const correlation = s.key ? yield* tryEval(s.key, scope, "the key of await event") : null;
      if (correlation !== null && typeof correlation !== "string" && typeof correlation !== "number") {
        return yield* Effect.fail(new VmFailure({ kind: "expression", message: `the key of await event("${reason}") must be a string or a number, got ${Array.isArray(correlation) ? "a list" : typeof correlation}`, step: key, retryable: false }));
      }
      const field = s.into ? fieldsOf(at.g).get(s.into) : undefined;
      const value = yield* awaitAnswer(ex.cx, s.kind, reason, key, s.id, field ? awaitSchema(field) : null, correlation ?? undefined);
      if (s.into) write(s.into, value, "one");
      return;
    }
    case "set": {
      const value = yield* tryEval(s.value, scope, `set ${s.field}`);
      write(s.field, value, "one");
      return;
    }
  }
}

/** The step-id order of a write: node declaration index, then statement index. */
function writeOrder(node: number, stmt: number): string {
  return `${String(node).padStart(6, "0")}:${String(stmt).padStart(4, "0")}`;
}

/**
 * Applies a write to a node's local view (later statements of the node see it) and records it for
 * the superstep, which applies every node's writes in step-id order.
 */
function writeLocal(g: Graph, local: Record<string, Json>, result: NodeResult, field: string, value: Json, mode: "one" | "each", order: string): Record<string, Json> {
  const f = fieldsOf(g).get(field);
  if (!f) return local;
  const next = { ...local, [field]: applyWrite(f.reducer, local[field] ?? null, value, mode) };
  result.writes.push({ field, value, mode, order });
  return next;
}

function isPure(node: Node): boolean {
  return node.retry.max === 0 && node.timeout_ms === null && node.compensate === null && node.stmts.every((s) => s.op === "set");
}
