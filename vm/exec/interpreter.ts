// The interpreter: a pure function of plan + input + journal. Graphs run in supersteps (every
// ready node against one snapshot, writes applied through reducers in step-id order); every source
// of non-determinism goes through the journal (journal.ts), so a resumed or replayed run takes the
// same path and never repeats a finished side effect.
import { Duration, Effect, Exit } from "effect";
import { declId, type ExprIR, type JsonSchema, type Plan, type ToolImplKind } from "../../compiler/plan/index.js";
import { evaluate, type Scope } from "../expr.js";
import { Journal, NeedsAttention, Suspended, canonical as canonicalJson, failureOf } from "../journal.js";
import { approved, auditRecords, denialMessage, evaluatePolicies, hookName, redact, type ClassifierAnswer, type Decision, type HookTarget, type PolicyCall } from "../policy/engine.js";
import { applyWrite, applyWrites, initialState } from "../reducers.js";
import { decide, withRetries } from "../retry.js";
import { toolArguments, validate } from "../schema.js";
import { awaitSchema } from "../operator.js";
import { outputFormatInstructions, renderSegments } from "../template.js";
import { assembleContext, runAgent, type AgentHost, type AgentOptions } from "./agent.js";
import { latestSnapshot, snapshotOf } from "./snapshot.js";
import { approvalKey, attemptKey, classifyKey, compensateKey, contextKey, idempotencyKey, mapItemKey, modelAttemptKey, modelHookKey, outputKey, snapshotKey, stepKey, stmtKey, subgraphScope, superstepKey, underClassifier, undoKey } from "../keys.js";
import { qualifiedToolName } from "../tools/registry.js";
import type { AuditRecord, ChatMessage, ContextProvider, EffectKind, FailureInfo, Json, ModelProvider, ModelResponse, PendingInterrupt, SessionStore, ToolDefinition, ToolProvider, VmEvent } from "../types.js";
import { VmFailure } from "../types.js";
import { MockModels, MockTools, Mocks } from "./mocks.js";

export { Mocks };

type Graph = Plan["graphs"][string];
type Node = Graph["nodes"][number];
type Stmt = Node["stmts"][number];
type Edge = Graph["edges"][number];
type Target = { kind: "prompt" | "agent" | "tool" | "graph"; name: string };
type Stop = VmFailure | Suspended | NeedsAttention;

export interface ExecContext {
  plan: Plan;
  runId: string;
  journal: Journal;
  models: ModelProvider;
  tools: ToolProvider;
  mocks?: Mocks;
  principal: Json;
  /** Retry delays and backoffs are skipped (tests, replay). */
  instant: boolean;
  /** Supersteps between snapshots of the top-level graph (0 or absent: none; see `snapshotOf`). */
  snapshotEvery?: number;
  emit(e: VmEvent): void;
  now(): number;
  /** Agents with `context:` assemble it through this provider (vm/agent.ts). */
  contexts?: ContextProvider;
  /** The run's session (StartOptions.sessionId): agents read and extend its history in `sessions`. */
  sessionId?: string;
  sessions?: SessionStore;
  /** Repair rounds and the handoff bound of agent calls (defaults in vm/agent.ts). */
  agents?: AgentOptions;
  /** Events carry requests and answers of calls (content capture for tracing). */
  captureContent?: boolean;
}

export type ExecResult =
  | { status: "completed"; output: Json; state: Record<string, Json> }
  | { status: "failed"; error: FailureInfo; state: Record<string, Json> }
  | { status: "suspended"; pending: PendingInterrupt[]; state: Record<string, Json> }
  | { status: "needs_attention"; error: FailureInfo; state: Record<string, Json> };

/** What an execution observed besides its result (for tests and reports). */
export interface Observations {
  calls: Map<string, number>;
  audit: AuditRecord[];
}

interface Undo {
  key: string;
  tool: string;
  args: Json;
}

interface NodeResult {
  writes: { field: string; value: Json; mode: "one" | "each"; order: string }[];
  undo: Undo[];
}

const MAX_SUPERSTEPS = 100_000;
/** Supersteps between snapshots of a top-level graph by default (RuntimeOptions.snapshots). */
export const DEFAULT_SNAPSHOT_EVERY = 100;

export class Interpreter {
  readonly observed: Observations = { calls: new Map(), audit: [] };
  /** The state of the top-level graph as the last superstep left it. */
  private topState: Record<string, Json> = {};

  private readonly hasPolicies: boolean;
  private readonly cx: ExecContext;

  constructor(cx: ExecContext) {
    // Mocks answer at the provider boundary (vm/mocks.ts): everything around a call runs as in production.
    this.cx = cx.mocks ? { ...cx, models: new MockModels(cx.mocks, cx.models), tools: new MockTools(cx.mocks, cx.tools) } : cx;
    this.hasPolicies = Object.keys(cx.plan.policies).length > 0;
  }

  /** Runs a graph to completion, suspension or failure. Never fails: the outcome is the result. */
  run(graphName: string, input: Json): Effect.Effect<ExecResult> {
    return this.graph(graphName, input, "").pipe(
      Effect.map(({ output, state }): ExecResult => ({ status: "completed", output, state })),
      Effect.catch((e: Stop) => Effect.succeed(this.stopped(e))),
    );
  }

  private stopped(e: Stop): ExecResult {
    const state = this.topState;
    if (e instanceof Suspended) return { status: "suspended", pending: e.pending, state };
    if (e instanceof NeedsAttention) return { status: "needs_attention", error: { kind: "tool", message: e.message, step: e.step, retryable: false }, state };
    return { status: "failed", error: e.info, state };
  }

  // ------------------------------------------------------------------ graphs

  private graph(name: string, input: Json, prefix: string): Effect.Effect<{ output: Json; state: Record<string, Json>; undo: Undo[] }, Stop> {
    const cx = this.cx;
    const g = cx.plan.graphs[name];
    if (!g) return Effect.fail(new VmFailure({ kind: "tool", message: `the plan has no graph "${name}"`, retryable: false }));
    const checked = validate(g.params as JsonSchema, input ?? {});
    if (!checked.ok) return Effect.fail(new VmFailure({ kind: "schema", message: `input of graph ${name}: ${checked.errors.join("; ")}`, retryable: false }));
    const params = checked.value as Record<string, Json>;
    const self = this;
    return Effect.gen(function* () {
      let state = initialState(g.state);
      const order = new Map(g.nodes.map((n, i) => [n.name, i]));
      const runs = new Map<string, number>();
      const taken = new Map<string, number>();
      const groups = edgeGroups(g.edges);
      const arrived = new Map<string, Set<string>>();
      const undo: Undo[] = [];
      const parked: PendingInterrupt[] = [];
      // The failure each `on error` handler about to run was routed with (it reads it as `error`).
      const failures = new Map<string, Json>();
      const handlers = handlersOf(g);
      let ready: string[];
      let steps = 0;
      // A resumed top-level graph starts from its latest snapshot, if any: what came before it is
      // not re-executed (docs/vm.md § Snapshots). `awr replay` re-executes everything and checks
      // each snapshot it passes instead.
      const top = prefix === "" && (cx.snapshotEvery ?? 0) > 0;
      // Snapshots written by earlier executions: each one this execution passes is checked.
      const stored = prefix === "" ? cx.journal.snapshots(name) : undefined;
      const restored = top && !cx.journal.replayOnly ? latestSnapshot(cx.journal, name)?.snapshot : undefined;
      if (restored) {
        ({ state, ready, steps } = restored);
        for (const [k, v] of restored.runs) runs.set(k, v);
        for (const [k, v] of restored.taken) taken.set(k, v);
        for (const [k, v] of restored.arrived) arrived.set(k, new Set(v));
        undo.push(...restored.undo);
        for (const [k, v] of restored.errors ?? []) failures.set(k, v);
      } else ready = self.fire(g, groups, arrived, taken, ["start"], state, params);
      if (prefix === "") self.topState = state;
      let snappedAt = restored?.steps ?? 0;
      let gap = cx.snapshotEvery ?? 0;
      while (ready.length) {
        if (++steps > MAX_SUPERSTEPS) return yield* Effect.fail(new VmFailure({ kind: "budget", message: `graph ${name} ran more than ${MAX_SUPERSTEPS} supersteps`, retryable: false }));
        const nodes = ready.map((n) => g.nodes[order.get(n)!]!).sort((a, b) => order.get(a.name)! - order.get(b.name)!);
        const superKey = superstepKey(prefix, name, steps - 1);
        const superAt = cx.now();
        cx.emit({ type: "superstep.started", runId: cx.runId, key: superKey, graph: name, index: steps - 1, nodes: nodes.map((n) => n.name), at: superAt });
        const snapshot = state;
        const runOne = (node: Node) => {
          const iter = runs.get(node.name) ?? 0;
          runs.set(node.name, iter + 1);
          const error = failures.get(node.name) ?? (handlers.has(node.name) ? null : undefined);
          return Effect.exit(self.node(g, node, order.get(node.name)!, iter, snapshot, params, prefix, error));
        };
        // One ready node (loops, chains) needs no fibers.
        const exits = nodes.length === 1 ? [yield* runOne(nodes[0]!)] : yield* Effect.forEach(nodes, runOne, { concurrency: "unbounded" });
        const finished: string[] = [];
        const routed: string[] = [];
        for (const n of nodes) failures.delete(n.name);
        let fatal: VmFailure | undefined;
        const writes: NodeResult["writes"] = [];
        for (const [i, exit] of exits.entries()) {
          const node = nodes[i]!;
          if (Exit.isSuccess(exit)) {
            writes.push(...exit.value.writes);
            undo.push(...exit.value.undo);
            finished.push(node.name);
            continue;
          }
          const err = Exit.isFailure(exit) ? errorOf(exit) : undefined;
          if (err instanceof Suspended) {
            parked.push(...err.pending);
            writes.push(...err.writes);
          }
          else if (err instanceof NeedsAttention) return yield* Effect.fail(err);
          else if (err instanceof VmFailure) {
            if (decide(err.info, { level: "node", hasOnError: node.on_error !== null }) === "route") {
              routed.push(node.on_error!);
              failures.set(node.on_error!, { kind: err.info.kind, message: err.info.message, step: err.info.step ?? null });
            }
            else fatal ??= err;
          } else return yield* Effect.die(exit);
        }
        state = applyWrites(state, g.state, writes);
        if (prefix === "") self.topState = state;
        const superEnd = cx.now();
        cx.emit({ type: "superstep.finished", runId: cx.runId, key: superKey, at: superEnd, durationMs: superEnd - superAt });
        if (fatal) {
          yield* self.compensate(undo);
          return yield* Effect.fail(fatal);
        }
        const next = new Set([...self.fire(g, groups, arrived, taken, finished, state, params), ...routed]);
        ready = [...next].filter((n) => n !== "end");
        // A snapshot only where a resume can start: no branch is waiting for an answer (a parked
        // node re-runs in its own superstep on resume) and there is more to run.
        if (stored && !parked.length && ready.length) {
          const earlier = stored.size ? stored.get(steps) : undefined;
          if (earlier || (top && steps - snappedAt >= gap)) {
            const key = snapshotKey(name, steps);
            const snap = snapshotOf({ state, ready, steps, runs, taken, arrived, undo, errors: failures });
            if (earlier) {
              // Written by an earlier execution of the run: this one must have come to the same place.
              if (canonicalJson(earlier.value) !== canonicalJson(snap)) {
                return yield* Effect.fail(new VmFailure({ kind: "nondeterminism", step: key, retryable: false, message: `graph ${name} reached superstep ${steps} in another state than the run recorded: the plan or its input changed since the run started` }));
              }
              cx.journal.replayed.add(key);
            } else if (!cx.journal.replayOnly) {
              yield* cx.journal.commit([{ key, step: declId("graph", name), kind: "graph", phase: "outcome", hash: "", at: cx.now(), value: snap }]);
              // The interval grows with the snapshot (one superstep per KiB of it), so snapshots add
              // O(1) bytes per superstep to the journal even when the state keeps growing.
              gap = Math.max(cx.snapshotEvery ?? 0, Math.ceil(JSON.stringify(snap).length / 1024));
            }
            snappedAt = steps;
          }
        }
      }
      if (parked.length) return yield* Effect.fail(new Suspended(parked));
      const scope = scopeOf(params, state);
      let output: Json = null;
      if (g.return) {
        output = yield* tryEval(g.return, scope, `the return of graph ${name}`);
        const ok = validate(g.returns as JsonSchema, output);
        if (!ok.ok) {
          yield* self.compensate(undo);
          return yield* Effect.fail(new VmFailure({ kind: "schema", message: `graph ${name} returned a value that does not fit its type: ${ok.errors.join("; ")}`, retryable: false }));
        }
        output = ok.value;
      }
      // The graph's result passes `before output` (conditions see the arguments) and `after output`
      // (they see the result too); both may deny, ask for approval or redact the result.
      output = yield* self.guarded({ phase: "before", target: "output", name, tags: [], input: params, subject: output }, outputKey(prefix, name));
      output = yield* self.guarded({ phase: "after", target: "output", name, tags: [], input: params, output }, outputKey(prefix, name));
      return { output, state, undo };
    });
  }

  /** The nodes made ready when `finishedNodes` finished (edges evaluated against `state`). */
  private fire(
    g: Graph,
    groups: Map<string, Edge[]>,
    arrived: Map<string, Set<string>>,
    taken: Map<string, number>,
    finishedNodes: string[],
    state: Record<string, Json>,
    params: Record<string, Json>,
  ): string[] {
    const out: string[] = [];
    const scope = scopeOf(params, state);
    // Only the groups a finished node is a source of, in declaration order.
    const touched = new Set(finishedNodes.flatMap((n) => groupsBySource(groups).get(n) ?? []));
    for (const key of groups.keys()) {
      if (!touched.has(key)) continue;
      const edges = groups.get(key)!;
      const from = edges[0]!.from;
      const hits = finishedNodes.filter((n) => from.includes(n));
      const seen = arrived.get(key) ?? new Set<string>();
      hits.forEach((h) => seen.add(h));
      if (!from.every((f) => seen.has(f))) {
        arrived.set(key, seen);
        continue;
      }
      arrived.delete(key);
      const canTake = (e: Edge) => e.max === null || (taken.get(e.id) ?? 0) < e.max;
      const take = (e: Edge) => {
        taken.set(e.id, (taken.get(e.id) ?? 0) + 1);
        out.push(...e.to);
      };
      let anyWhen = false;
      for (const e of edges) {
        if (e.otherwise) continue;
        if (!e.when) {
          if (canTake(e)) take(e);
          continue;
        }
        let hold = false;
        try {
          hold = evaluate(e.when, scope) === true;
        } catch {
          hold = false; // a condition that cannot be evaluated (a missing value) does not hold
        }
        if (hold && canTake(e)) {
          anyWhen = true;
          take(e);
        }
      }
      if (!anyWhen) for (const e of edges) if (e.otherwise && canTake(e)) take(e);
    }
    return [...new Set(out)];
  }

  // ------------------------------------------------------------------ nodes

  /** `error`: the failure an `on error` handler was routed with (null when an ordinary edge reached it; undefined for other nodes). */
  private node(g: Graph, node: Node, index: number, iter: number, snapshot: Record<string, Json>, params: Record<string, Json>, prefix: string, error?: Json): Effect.Effect<NodeResult, Stop> {
    const cx = this.cx;
    const self = this;
    const started = cx.now();
    const stepBase = stepKey(prefix, node.id, iter);
    cx.emit({ type: "step.started", runId: cx.runId, step: stepBase, node: node.name, at: started });
    // A node of `set` statements only (no effect, retry, timeout or compensation) is a pure function
    // of the snapshot: computed directly, without building an effect program per statement.
    if (isPure(node)) {
      return Effect.suspend(() => {
        const result: NodeResult = { writes: [], undo: [] };
        let local = snapshot;
        try {
          for (const [si, s] of node.stmts.entries()) {
            if (s.op !== "set") continue;
            local = writeLocal(g, local, result, s.field, evaluate(s.value, scopeOf(params, local, error)), "one", writeOrder(index, si));
          }
        } catch (err) {
          const f = err instanceof VmFailure ? err : new VmFailure({ kind: "expression", message: `set in node ${node.name}: ${err instanceof Error ? err.message : String(err)}`, retryable: false });
          cx.emit({ type: "step.finished", runId: cx.runId, step: stepBase, node: node.name, at: cx.now(), durationMs: cx.now() - started, status: "failed" });
          return Effect.fail(f.info.step ? f : new VmFailure({ ...f.info, step: stepBase }));
        }
        cx.emit({ type: "step.finished", runId: cx.runId, step: stepBase, node: node.name, at: cx.now(), durationMs: cx.now() - started, status: "ok" });
        return Effect.succeed(result);
      });
    }
    const attempt = (n: number): Effect.Effect<NodeResult, VmFailure | Suspended | NeedsAttention> => {
      const result: NodeResult = { writes: [], undo: [] };
      const body = Effect.gen(function* () {
        let local = { ...snapshot };
        for (const [si, s] of node.stmts.entries()) {
          const key = stmtKey(prefix, s.id, iter, n);
          const write = (field: string, value: Json, mode: "one" | "each") => {
            local = writeLocal(g, local, result, field, value, mode, writeOrder(index, si));
          };
          const scope = scopeOf(params, local, error);
          switch (s.op) {
            case "run": {
              const args = yield* tryEval(s.args, scope, `the arguments of ${s.call.name}`);
              const r = yield* self.call(s.call, args as Record<string, Json>, key, s.id, prefix);
              result.undo.push(...r.undo);
              if (s.into) write(s.into, r.value, "one");
              break;
            }
            case "map": {
              const over = yield* tryEval(s.over, scope, `the list of map ${s.var}`);
              if (!Array.isArray(over)) return yield* Effect.fail(new VmFailure({ kind: "expression", message: `map over ${s.var}: expected a list, got ${typeof over}`, step: key, retryable: false }));
              const results = yield* Effect.forEach(
                over.map((item, i) => [item, i] as const),
                ([item, i]) =>
                  Effect.gen(function* () {
                    const args = yield* tryEval(s.args, { get: (nm) => (nm === s.var ? item : scope.get(nm)) }, `the arguments of ${s.call.name}`);
                    return yield* self.call(s.call, args as Record<string, Json>, mapItemKey(key, i), s.id, prefix);
                  }),
                { concurrency: s.concurrency ?? "unbounded" },
              );
              for (const r of results) result.undo.push(...r.undo);
              if (s.into) write(s.into, results.map((r) => r.value), "each");
              break;
            }
            case "await": {
              const reason = String((yield* tryEval(s.arg, scope, "the reason of await")) ?? "");
              const field = s.into ? fieldsOf(g).get(s.into) : undefined;
              const value = yield* self.await(s.kind, reason, key, s.id, field ? awaitSchema(field) : null);
              if (s.into) write(s.into, value, "one");
              break;
            }
            case "set": {
              const value = yield* tryEval(s.value, scope, `set ${s.field}`);
              write(s.field, value, "one");
              break;
            }
          }
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
    };
    return withRetries(node.retry, attempt as (n: number) => Effect.Effect<NodeResult, VmFailure>, {
      instant: cx.instant,
      onRetry: (n, error) => cx.emit({ type: "retry", runId: cx.runId, key: stepBase, attempt: n, delayMs: 0, error, at: cx.now() }),
    }).pipe(
      Effect.tap(() => Effect.sync(() => cx.emit({ type: "step.finished", runId: cx.runId, step: stepBase, node: node.name, at: cx.now(), durationMs: cx.now() - started, status: "ok" }))),
      Effect.tapError((e) =>
        Effect.sync(() =>
          cx.emit({ type: "step.finished", runId: cx.runId, step: stepBase, node: node.name, at: cx.now(), durationMs: cx.now() - started, status: e instanceof Suspended ? "suspended" : "failed" }),
        ),
      ),
      Effect.mapError((e: Stop) => (e instanceof VmFailure && !e.info.step ? new VmFailure({ ...e.info, step: stepBase }) : e)),
    );
  }

  // ------------------------------------------------------------------ calls

  /** `tool.log` events: a js tool's console output, already redacted by the tool provider. */
  private toolLog(tool: string, key: string): Parameters<ToolProvider["call"]>[0]["log"] {
    const cx = this.cx;
    return ({ stream, text }) => cx.emit({ type: "tool.log", runId: cx.runId, key, tool, stream, text, at: cx.now() });
  }

  private count(name: string) {
    this.observed.calls.set(name, (this.observed.calls.get(name) ?? 0) + 1);
  }

  /** A call of a prompt, agent, tool or graph: policies, mocks, the journal, compensation. */
  private call(target: Target, args: Record<string, Json>, key: string, step: string, prefix: string): Effect.Effect<{ value: Json; undo: Undo[] }, Stop> {
    const cx = this.cx;
    const self = this;
    return Effect.gen(function* () {
      const tool = target.kind === "tool" ? cx.plan.tools[target.name] : undefined;
      const hook: HookTarget | undefined = target.kind === "tool" ? "tool" : target.kind === "agent" ? "agent" : undefined;
      // One validated value: the arguments are coerced, defaulted and validated before the hooks,
      // so `before tool` rules judge exactly what the tool receives (and what is journaled).
      if (tool) args = yield* self.toolArgs(target.name, tool, args);
      // `before tool` / `before agent`: a redaction rewrites the arguments the callee receives.
      if (hook) args = (yield* self.guarded({ phase: "before", target: hook, name: target.name, tags: tool?.tags ?? [], input: args }, key)) as Record<string, Json>;
      self.count(target.name);
      let value: Json;
      let inner: Undo[] = [];
      if (target.kind === "graph" && cx.mocks?.has(target.name)) {
        // A mocked sub-graph answers at the call (prompts, agents and tools at their provider: vm/mocks.ts).
        value = yield* self.effect(key, step, target.kind, target.name, { mock: target.name, args }, true, () => {
          const m = cx.mocks!.take(target.name);
          return "fail" in m
            ? Effect.fail(new VmFailure({ kind: m.fail as FailureInfo["kind"], message: `${target.name} failed (mocked: ${m.fail})`, retryable: true }))
            : "value" in m
              ? self.fits(target.name, m.value)
              : Effect.fail(new VmFailure({ kind: "schema", retryable: false, message: `${target.name} is a graph: its mocked answer cannot call tools` }));
        });
      } else if (target.kind === "tool") {
        // The tool's own `retry`: each attempt is a journaled effect (KEY, KEY@1, …) with its audit
        // record; all attempts carry the call's idempotency key (a retry is the same request).
        const attempt = (n: number) => {
          const akey = attemptKey(key, n);
          return self
            .effect(akey, step, "tool", target.name, { tool: target.name, args }, tool?.idempotent ?? false, () =>
              Effect.tryPromise({
                try: (signal) => cx.tools.call({ tool: target.name, plan: tool!, args, idempotencyKey: idempotencyKey(cx.runId, key), log: self.toolLog(target.name, akey) }, signal),
                catch: (e) => (e instanceof VmFailure ? e : new VmFailure(failureOf(e))),
              }),
            )
            .pipe(self.toolAudit(target, akey));
        };
        value = yield* (tool?.retry.max
          ? withRetries(tool.retry, attempt as (n: number) => Effect.Effect<Json, VmFailure>, {
              instant: cx.instant,
              onRetry: (n, error) => cx.emit({ type: "retry", runId: cx.runId, key, attempt: n, delayMs: 0, error, at: cx.now() }),
            })
          : attempt(0));
      } else if (target.kind === "graph") {
        const sub = yield* self.graph(target.name, args, subgraphScope(key));
        return { value: sub.output, undo: sub.undo };
      } else if (target.kind === "agent") {
        // The tool-calling loop (vm/agent.ts); undo steps of the tools it called come back with it.
        const r = yield* runAgent(self.agentHost(), target.name, args, key, step);
        value = r.value;
        inner = r.undo;
      } else {
        value = yield* self.model(target.kind, target.name, args, key, step);
      }
      if (hook) value = yield* self.guarded({ phase: "after", target: hook, name: target.name, tags: tool?.tags ?? [], input: args, output: value }, key);
      const undo: Undo[] = [...inner];
      if (tool?.compensate) {
        const scope: Scope = { get: (n) => (n === "result" ? value : args[n]) };
        const cargs = yield* tryEval(tool.compensate.args, scope, `the compensation of ${target.name}`);
        undo.push({ key, tool: tool.compensate.tool, args: cargs });
      }
      return { value, undo };
    });
  }

  /** A tool call's arguments as the tool receives them (`toolArguments`); a bad one fails before any policy. */
  private toolArgs(name: string, tool: Plan["tools"][string], args: Json): Effect.Effect<Record<string, Json>, VmFailure> {
    const r = toolArguments(name, tool.params as JsonSchema, args);
    return r.ok ? Effect.succeed(r.value) : Effect.fail(new VmFailure({ kind: "schema", retryable: false, message: r.message }));
  }

  /** A mocked sub-graph's answer goes through the graph's output type like a real one (defaults filled in). */
  private fits(graph: string, value: Json): Effect.Effect<Json, VmFailure> {
    const decl = this.cx.plan.graphs[graph];
    if (!decl) return Effect.succeed(value);
    const ok = validate(decl.returns as JsonSchema, value);
    return ok.ok
      ? Effect.succeed(ok.value)
      : Effect.fail(new VmFailure({ kind: "schema", retryable: false, message: `the mocked answer of ${graph} does not fit its type: ${ok.errors.join("; ")}` }));
  }

  /** One journaled effect with events. */
  private effect(key: string, step: string, kind: EffectKind, name: string, request: Json, idempotent: boolean, perform: () => Effect.Effect<Json, VmFailure>) {
    const cx = this.cx;
    let t0 = 0;
    // Model calls carry the model declaration in their request; their outcome is the journaled
    // ModelResponse, so tokens and the cost frozen at call time come back the same on replay.
    const r = request !== null && typeof request === "object" && !Array.isArray(request) ? request : undefined;
    const model = (kind === "prompt" || kind === "agent") && typeof r?.["model"] === "string" ? r["model"] : undefined;
    // MCP tools are namespaced by server: their events carry `server.tool` next to the declared name.
    const qualifiedName = kind === "tool" || kind === "compensation" ? mcpName(cx.plan, name) : undefined;
    let done: { replayed: boolean; ok: boolean; at: number } | undefined;
    const completed = (value: Json | undefined, error: FailureInfo | undefined) => {
      if (!done) return; // the journal stopped before the effect (non-determinism, needs attention)
      const { replayed, ok, at } = done;
      done = undefined;
      const e: VmEvent & { type: "effect.completed" } = { type: "effect.completed", runId: cx.runId, key, kind, name, at, durationMs: at - t0, replayed, ok };
      if (model !== undefined) e.model = model;
      if (qualifiedName !== undefined) e.qualifiedName = qualifiedName;
      const res = model !== undefined && value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
      const usage = res?.["usage"] as { input?: unknown; output?: unknown } | undefined;
      if (usage && typeof usage.input === "number" && typeof usage.output === "number") e.tokens = { input: usage.input, output: usage.output };
      if (typeof res?.["costUsd"] === "number") e.costUsd = res["costUsd"];
      if (error) e.error = error;
      if (cx.captureContent && ok) e.response = res && "output" in res ? (res["output"] ?? null) : (value ?? null);
      cx.emit(e);
    };
    return cx.journal
      .run(
        { key, step, kind, name, request, idempotent, perform },
        {
          requested: (replayed) => {
            t0 = cx.now();
            cx.emit({ type: "effect.requested", runId: cx.runId, key, kind, name, at: t0, replayed, ...(model === undefined ? {} : { model }), ...(qualifiedName === undefined ? {} : { qualifiedName }), ...(cx.captureContent ? { request } : {}) });
          },
          completed: (replayed, ok) => {
            done = { replayed, ok, at: cx.now() };
          },
        },
      )
      .pipe(
        Effect.tap((value) => Effect.sync(() => completed(value, undefined))),
        Effect.tapError((e) => Effect.sync(() => completed(undefined, e instanceof VmFailure ? e.info : undefined))),
      );
  }

  /**
   * A prompt: messages from the plan, the model chain with retries and fallbacks. With `context:`,
   * the context is assembled first (journaled as `KEY/context`; the query is the prompt's user
   * message, else its system message, rendered without the context and the output format) and
   * fills `{{ context }}`. (Agents: vm/agent.ts.)
   */
  private model(kind: "prompt", name: string, args: Record<string, Json>, key: string, step: string): Effect.Effect<Json, Stop> {
    const cx = this.cx;
    const self = this;
    const decl = cx.plan.prompts[name];
    if (!decl) return Effect.fail(new VmFailure({ kind: "tool", message: `the plan has no ${kind} "${name}"`, retryable: false }));
    const returns = decl.returns as JsonSchema;
    const schema = returns["type"] === "string" && Object.keys(returns).length === 1 ? null : returns;
    const scope: Scope = { get: (n) => args[n] };
    const format = schema ? outputFormatInstructions(schema) : "";
    const options = {
      ...(decl.temperature !== null ? { temperature: decl.temperature } : {}),
      ...(decl.max_tokens !== null ? { max_tokens: decl.max_tokens } : {}),
    };
    return Effect.gen(function* () {
      let context = "";
      if (decl.context !== null) {
        const asks = decl.messages.find((m) => m.role === "user") ?? decl.messages.find((m) => m.role === "system");
        const query = asks ? renderSegments(asks.segments, scope, {}) : JSON.stringify(args);
        context = (yield* assembleContext(self.agentHost(), { kind: "prompt", name }, "context", decl.context, query, contextKey(key, "context"), key, step)) ?? "";
      }
      const builtins = { output_format: format, context };
      const messages: ChatMessage[] = decl.messages.map((m) => ({ role: m.role, content: renderSegments(m.segments, scope, builtins) }));
      const r = yield* self.modelCall(kind, name, decl.model, { messages, schema, ...(Object.keys(options).length ? { options } : {}) }, key, step);
      return ((r as { output?: Json }).output ?? null) as Json;
    });
  }

  /**
   * One model call through the model chain (retries, fallbacks), each attempt a journaled effect
   * `KEY/MODEL@ATTEMPT` whose outcome is the ModelResponse. Prompts make one; an agent makes one per
   * turn (`tools`, `raw`; `post` turns the response into what is journaled: the parsed answer, timestamps).
   */
  private modelCall(
    kind: "prompt" | "agent",
    name: string,
    model: string | null,
    req: {
      messages: ChatMessage[];
      schema: JsonSchema | null;
      tools?: ToolDefinition[];
      raw?: boolean;
      /** A prompt's overrides of its models' settings (part of the journaled request when set). */
      options?: { temperature?: number; max_tokens?: number };
      post?: (r: ModelResponse, at: { startedAt: number; finishedAt: number }) => Json;
    },
    key: string,
    step: string,
  ): Effect.Effect<Json, Stop> {
    const cx = this.cx;
    const self = this;
    const { messages, schema } = req;
    const chain = modelChain(cx.plan, model);
    if (!chain.length) return Effect.fail(new VmFailure({ kind: "transport", message: `${kind} ${name} has no model`, retryable: false }));
    const tryModel = (i: number): Effect.Effect<Json, Stop> => {
      const m = chain[i]!;
      const plan = req.options ? { ...cx.plan.models[m]!, ...req.options } : cx.plan.models[m]!;
      // Policy hooks (vm/policy.ts): every model call passes `before model` (which may redact the
      // messages) and `after model` (which may redact the output), fallbacks included.
      return self.modelHooks(name, m, key, messages, (messages) => {
        const request: Json = { model: m, messages: messages as unknown as Json, schema: schema as Json };
        if (req.tools?.length) request["tools"] = req.tools as unknown as Json;
        if (req.options) request["options"] = req.options;
        const attempt = (n: number) =>
          self.effect(modelAttemptKey(key, m, n), step, kind, name, request, true, () => {
            const startedAt = cx.now();
            return Effect.tryPromise({
              try: (signal) =>
                cx.models.call({ model: m, plan, messages, schema, caller: name, ...(req.tools?.length ? { tools: req.tools } : {}), ...(req.raw ? { raw: true } : {}) }, signal),
              catch: (e) => (e instanceof VmFailure ? e : new VmFailure(failureOf(e))),
            }).pipe(Effect.map((r: ModelResponse) => (req.post ? req.post(r, { startedAt, finishedAt: cx.now() }) : (r as unknown as Json))));
          });
        return withRetries(plan.retry, attempt as (n: number) => Effect.Effect<Json, VmFailure>, {
          instant: cx.instant,
          onRetry: (n, error) => cx.emit({ type: "retry", runId: cx.runId, key, attempt: n, delayMs: 0, error, at: cx.now() }),
        });
      }).pipe(
        Effect.catch((e: Stop) => {
          if (!(e instanceof VmFailure) || decide(e.info, { level: "model", hasFallback: i + 1 < chain.length }) !== "fallback") return Effect.fail(e);
          cx.emit({ type: "fallback", runId: cx.runId, key, from: m, to: chain[i + 1]!, at: cx.now() });
          return tryModel(i + 1);
        }),
      );
    };
    return tryModel(0);
  }

  /**
   * The policy hooks of one model call. `before model` sees `{ model, caller, text, messages }` and
   * may redact the messages sent; `after model` sees `{ text, value }` and may redact the output.
   */
  private modelHooks(caller: string, model: string, key: string, messages: ChatMessage[], run: (messages: ChatMessage[]) => Effect.Effect<Json, Stop>): Effect.Effect<Json, Stop> {
    if (!this.hasPolicies) return run(messages);
    const self = this;
    const hkey = modelHookKey(key, model);
    return Effect.gen(function* () {
      const input = { model, caller, text: messages.map((m) => m.content).join("\n\n"), messages: messages as unknown as Json };
      const sent = (yield* self.guarded({ phase: "before", target: "model", name: model, tags: [], input, subject: { messages: input.messages } }, hkey)) as unknown as { messages: ChatMessage[] };
      const res = (yield* run(sent.messages)) as Record<string, Json>;
      const out = res["output"] ?? null;
      // An agent turn also carries the raw `text` (what goes back into the conversation): redacted alike.
      const raw = typeof res["text"] === "string" ? res["text"] : undefined;
      const output = { text: raw ?? (typeof out === "string" ? out : JSON.stringify(out)), value: out };
      const subject: Json = raw === undefined ? out : { output: out, text: raw };
      const value = yield* self.guarded({ phase: "after", target: "model", name: model, tags: [], input, output, subject }, hkey);
      if (value === subject) return res;
      return (raw === undefined ? { ...res, output: value } : { ...res, ...(value as Record<string, Json>) }) as Json;
    });
  }

  /** What the agent loop (vm/agent.ts) may do: model turns, tool calls and hooks, all through the paths above. */
  private agentHost(): AgentHost<Undo> {
    return {
      cx: this.cx,
      turn: (agent, model, req, key, step) => this.modelCall("agent", agent, model, { ...req, raw: true }, key, step),
      prompt: (name, args, key, step) => this.call({ kind: "prompt", name }, args, key, step, "").pipe(Effect.map((r) => r.value)),
      tool: (name, args, key, step) => this.call({ kind: "tool", name }, args, key, step, ""),
      guard: (call, key) => this.guarded({ ...call, target: "agent", tags: [] }, key),
      effect: (key, step, kind, name, request, idempotent, perform) => this.effect(key, step, kind, name, request, idempotent, perform),
      count: (name) => this.count(name),
    };
  }

  /**
   * Policies at a hook (vm/policy.ts): deny fails, approve suspends until answered, transform then
   * redact rewrite the value passing the hook: `subject` (default: the input before a call, the
   * output after it). Classifier calls the rules need are made first (`classify`). Every decision
   * is recorded in the audit log. The only way a call passes a hook.
   */
  private guarded(
    call: { phase: "before" | "after"; target: HookTarget; name: string; tags: string[]; input: Json; output?: Json; subject?: Json },
    key: string,
  ): Effect.Effect<Json, Stop> {
    const cx = this.cx;
    const value = call.subject !== undefined ? call.subject : call.phase === "after" ? (call.output ?? null) : call.input;
    if (!this.hasPolicies) return Effect.succeed(value);
    const pc: PolicyCall = { phase: call.phase, target: call.target, name: call.name, tags: call.tags, input: call.input, output: call.output ?? null, principal: cx.principal, subject: value };
    // A classifier's own model call (its key holds a `/classify:` segment) is not classified again.
    const opts = { classified: new Map<string, ClassifierAnswer>(), skipClassifiers: underClassifier(key) };
    const first = evaluatePolicies(cx.plan, pc, opts);
    const decided = first.pending.length ? this.classify(first, pc, opts, key) : Effect.succeed(first);
    return Effect.flatMap(decided, (d) => {
      const record = (reasonSuffix?: string, redacted?: { path: string; kind: string }[]) =>
        this.audit(auditRecords(d, call, { runId: cx.runId, step: key, principal: cx.principal, at: cx.now(), ...(redacted ? { redacted } : {}), ...(reasonSuffix ? { reasonSuffix } : {}) }));
      // What goes through: the transformed value (d.value), then redacted, so a transform cannot bring PII back.
      const pass = (reasonSuffix?: string): Json => {
        const r = redact(d.value, d.redact);
        record(reasonSuffix, r.redacted);
        return r.value;
      };
      if (d.outcome === "deny") {
        record();
        return Effect.fail(new VmFailure({ kind: "policy", retryable: false, step: key, message: denialMessage(d, call) }));
      }
      if (d.outcome === "approve") {
        const akey = approvalKey(key);
        if (!cx.journal.outcome(akey)) record("waiting for approval");
        return this.await("approval", d.reason ?? `${hookName(call)} ${call.name} needs approval (${d.rules.join(", ")})`, akey, d.rules[0]!, null).pipe(
          Effect.flatMap((answer) => {
            if (approved(answer)) return Effect.succeed(pass("approved"));
            this.audit(auditRecords({ ...d, outcome: "deny", redactions: [], transforms: [] }, call, { runId: cx.runId, step: key, principal: cx.principal, at: cx.now(), reasonSuffix: "not approved" }));
            return Effect.fail(new VmFailure({ kind: "policy", retryable: false, step: key, message: `${hookName(call)} ${call.name} was not approved (${d.rules.join(", ")})` }));
          }),
        );
      }
      return Effect.succeed(pass());
    });
  }

  /**
   * The classifier calls a decision waits for, then the decision again (until none is missing).
   * Each is a prompt call through `call()` — mocks, the journal, `modelCall` with its retries,
   * fallbacks, costs and model hooks — keyed `HOOK_KEY/RULE_ID/classify:PROMPT` (`#n` for the same
   * rule and prompt with other arguments). The calls one evaluation asks for run in parallel. A call
   * that fails answers `{ error }`: its rule denies.
   */
  private classify(first: Decision, call: PolicyCall, opts: { classified: Map<string, ClassifierAnswer>; skipClassifiers: boolean }, key: string): Effect.Effect<Decision, Stop> {
    const self = this;
    return Effect.gen(function* () {
      let d = first;
      const named = new Map<string, number>();
      while (d.pending.length) {
        // Keys first, in the order the engine listed the calls (deterministic); then the calls, in parallel.
        const calls = d.pending.map((p) => {
          const base = classifyKey(key, p.rule, p.prompt);
          const n = named.get(base) ?? 0;
          named.set(base, n + 1);
          return { p, ckey: classifyKey(key, p.rule, p.prompt, n) };
        });
        const answers = yield* Effect.forEach(
          calls,
          ({ p, ckey }) =>
            self.call({ kind: "prompt", name: p.prompt }, p.args as Record<string, Json>, ckey, p.rule, "").pipe(
              Effect.map((r): ClassifierAnswer => ({ value: r.value })),
              Effect.catch((e: Stop) => (e instanceof VmFailure ? Effect.succeed<ClassifierAnswer>({ error: `${e.info.kind}: ${e.info.message}` }) : Effect.fail(e))),
            ),
          { concurrency: "unbounded" },
        );
        calls.forEach(({ p }, i) => opts.classified.set(p.key, answers[i]!));
        d = evaluatePolicies(self.cx.plan, call, opts);
      }
      return d;
    });
  }

  /** A tool call's audit record (`kind: "tool"`, outcome ok | failed), for tools only. */
  private toolAudit(target: Target, key: string, hook = "call") {
    return <A, E>(eff: Effect.Effect<A, E>): Effect.Effect<A, E> => {
      if (target.kind !== "tool") return eff;
      const cx = this.cx;
      // An MCP tool's record names its server-qualified name: reason `mcp server.tool` (a failure: `mcp server.tool: kind: message`).
      const mcp = mcpName(cx.plan, target.name);
      const rec = (outcome: string, reason?: string): AuditRecord => ({
        runId: cx.runId, step: key, principal: cx.principal, kind: "tool", hook, target: target.name, policy: null, rule: null, outcome, at: cx.now(), ...(reason ? { reason } : {}),
      });
      const via = (detail?: string) => (mcp ? `mcp ${mcp}${detail ? `: ${detail}` : ""}` : detail);
      return eff.pipe(
        Effect.tap(() => Effect.sync(() => this.audit([rec("ok", via())]))),
        Effect.tapError((e) => Effect.sync(() => e instanceof VmFailure && this.audit([rec("failed", via(`${e.info.kind}: ${e.info.message}`))]))),
      );
    };
  }

  /** Appends audit records (policy decisions and tool calls) to what this execution observed, and hands them to the journal (stored with its next commit). */
  private audit(records: AuditRecord[]) {
    this.observed.audit.push(...records);
    for (const r of records) {
      this.cx.journal.audit(r);
      // Policy decisions are also events (spans and metrics); tool calls already have theirs. A
      // decision about a call the journal already finished is a replay's (resume, recovery):
      // before-hooks run ahead of the outcome, after-hooks see it served from the journal.
      if (r.kind === "policy" && r.policy !== null) {
        const j = this.cx.journal;
        const replayed = r.hook.startsWith("before") ? j.outcome(r.step) !== undefined : j.replayed.has(r.step);
        this.cx.emit({ type: "policy", runId: r.runId, key: r.step, hook: r.hook, target: r.target, policy: r.policy, rule: r.rule, outcome: r.outcome, at: r.at, replayed });
      }
    }
  }

  /** `await human/event` and approvals: the journal's answer, a mock, or a durable suspension. */
  private await(kind: "human" | "event" | "approval", reason: string, key: string, step: string, schema: JsonSchema | null): Effect.Effect<Json, Stop> {
    const cx = this.cx;
    const done = cx.journal.outcome(key);
    const check = (value: Json): Effect.Effect<Json, VmFailure> => {
      if (!schema) return Effect.succeed(value);
      const ok = validate(schema, value);
      return ok.ok ? Effect.succeed(ok.value) : Effect.fail(new VmFailure({ kind: "schema", step: key, retryable: false, message: `the answer to ${kind}("${reason}") does not fit: ${ok.errors.join("; ")}` }));
    };
    if (done) {
      // Served from the journal: `awr replay` counts it as reached.
      cx.journal.replayed.add(key);
      return check(done.value ?? null);
    }
    const mockName = kind === "approval" ? "human" : kind;
    if (cx.mocks?.has(mockName)) {
      return this.effect(key, step, kind === "event" ? "event" : "human", mockName, { await: kind, reason }, true, () => {
        const m = cx.mocks!.take(mockName);
        if ("fail" in m) return Effect.fail(new VmFailure({ kind: m.fail as FailureInfo["kind"], message: `${mockName} failed (mocked)`, retryable: false }));
        return "value" in m ? Effect.succeed(m.value) : Effect.fail(new VmFailure({ kind: "schema", retryable: false, message: `${mockName} answers with a value, not tool calls` }));
      }).pipe(Effect.flatMap(check));
    }
    return cx.journal.suspendAt(key, step, kind === "event" ? "event" : "human", { await: kind, reason }).pipe(Effect.andThen(Effect.fail(new Suspended([{ id: key, kind, reason, step }]))));
  }

  /** Runs the undo steps in reverse order, each journaled (exactly once, also across a crash). */
  private compensate(undo: Undo[]): Effect.Effect<void, NeedsAttention | Suspended> {
    const cx = this.cx;
    const self = this;
    return Effect.gen(function* () {
      for (const u of [...undo].reverse()) {
        const tool = cx.plan.tools[u.tool];
        cx.emit({ type: "compensation", runId: cx.runId, key: u.key, tool: u.tool, at: cx.now() });
        // A compensation is a tool call like any other: it passes the before-tool hook. A denied
        // (or not approved) compensation is skipped, recorded in the audit log; the others still run.
        // The hook judges the arguments the tool will receive; arguments that do not fit go on as
        // they are and fail in the provider, a journaled failed compensation.
        const fit = tool ? toolArguments(u.tool, tool.params as JsonSchema, u.args) : undefined;
        const allowed = yield* self
          .guarded({ phase: "before", target: "tool", name: u.tool, tags: tool?.tags ?? [], input: fit?.ok ? fit.value : u.args }, undoKey(u.key))
          .pipe(Effect.catch((e: Stop) => (e instanceof VmFailure ? Effect.succeed(undefined) : Effect.fail(e))));
        if (allowed === undefined) continue;
        const args = allowed as Record<string, Json>;
        self.count(u.tool);
        const perform = () =>
          Effect.tryPromise({
            try: (signal) => cx.tools.call({ tool: u.tool, plan: tool!, args, idempotencyKey: idempotencyKey(cx.runId, undoKey(u.key)), log: self.toolLog(u.tool, undoKey(u.key)) }, signal),
            catch: (e) => (e instanceof VmFailure ? e : new VmFailure(failureOf(e))),
          });
        // A failed compensation is recorded in the journal; the others still run.
        yield* self.effect(undoKey(u.key), u.key, "compensation", u.tool, { tool: u.tool, args }, tool?.idempotent ?? false, perform).pipe(
          self.toolAudit({ kind: "tool", name: u.tool }, undoKey(u.key), "compensate"),
          Effect.catch((e: VmFailure | NeedsAttention) => (e instanceof NeedsAttention ? Effect.fail(e) : Effect.void)),
        );
      }
    });
  }
}

// -------------------------------------------------------------------- helpers

function errorOf(exit: Exit.Exit<unknown, Stop>): Stop | undefined {
  if (!Exit.isFailure(exit)) return undefined;
  const found = exit.cause.reasons.find((r) => r._tag === "Fail");
  return found && found._tag === "Fail" ? (found.error as Stop) : undefined;
}

/** Names a graph expression sees: state fields, then parameters, then (in an `on error` handler) `error`. */
function scopeOf(params: Record<string, Json>, state: Record<string, Json>, error?: Json): Scope {
  return { get: (n) => (n in state ? state[n] : n in params ? params[n] : n === "error" ? error : undefined) };
}

const HANDLERS = new WeakMap<Graph, Set<string>>();

/** The nodes some node of the graph routes its failures to (`on error -> n`). */
function handlersOf(g: Graph): Set<string> {
  let h = HANDLERS.get(g);
  if (!h) HANDLERS.set(g, (h = new Set(g.nodes.flatMap((n) => (n.on_error ? [n.on_error] : [])))));
  return h;
}

function tryEval(e: ExprIR, scope: Scope, what: string): Effect.Effect<Json, VmFailure> {
  return Effect.try({
    try: () => evaluate(e, scope),
    catch: (err) => (err instanceof VmFailure ? err : new VmFailure({ kind: "expression", message: `${what}: ${err instanceof Error ? err.message : String(err)}`, retryable: false })),
  });
}

/** Edges grouped by their (sorted) source set: a group with several sources is a join. */
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

const FIELDS = new WeakMap<Graph, Map<string, Graph["state"][number]>>();

/** A graph's state fields by name (computed once per plan graph). */
function fieldsOf(g: Graph): Map<string, Graph["state"][number]> {
  let m = FIELDS.get(g);
  if (!m) FIELDS.set(g, (m = new Map(g.state.map((f) => [f.name, f]))));
  return m;
}

const BY_SOURCE = new WeakMap<Map<string, Edge[]>, Map<string, string[]>>();

/** For each node, the keys of the edge groups it is a source of. */
function groupsBySource(groups: Map<string, Edge[]>): Map<string, string[]> {
  let m = BY_SOURCE.get(groups);
  if (!m) {
    m = new Map();
    for (const [key, edges] of groups) for (const n of edges[0]!.from) m.set(n, [...(m.get(n) ?? []), key]);
    BY_SOURCE.set(groups, m);
  }
  return m;
}

function edgeGroups(edges: Edge[]): Map<string, Edge[]> {
  const groups = new Map<string, Edge[]>();
  for (const e of edges) {
    const k = [...e.from].sort().join(",");
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  return groups;
}

/** `server.tool` for a tool implemented by an MCP server (events and audit records name both); undefined for other tools. */
/** Which tool kinds name a remote tool that events and audit records show beside the declared name. */
const SERVER_QUALIFIED: Record<ToolImplKind, boolean> = { js: false, http: false, mcp: true, builtin: false };

function mcpName(plan: Plan, tool: string): string | undefined {
  const t = plan.tools[tool];
  return t?.impl && SERVER_QUALIFIED[t.impl.kind] ? qualifiedToolName(tool, t) : undefined;
}

/** A model and its fallbacks, depth-first, each once. */
export function modelChain(plan: Plan, model: string | null): string[] {
  const out: string[] = [];
  const visit = (m: string | null) => {
    if (!m || out.includes(m) || !plan.models[m]) return;
    out.push(m);
    plan.models[m]!.fallback.forEach(visit);
  };
  visit(model);
  return out;
}
