// Calls: a node's `run` of a prompt, agent, tool or graph. Arguments are checked, the before/after
// hooks guard the call (guard.ts), the callee runs through the journal — a tool's attempts, a
// prompt's model chain (model.ts), the agent loop (agent.ts), a sub-graph (graph.ts, through the
// coordinator) or a test's mock — and its compensation is registered.
import { Effect } from "effect";
import type { JsonSchema, Plan } from "../../compiler/plan/index.js";
import type { Scope } from "../expr.js";
import { failureOf } from "../journal.js";
import { attemptKey, idempotencyKey, subgraphScope } from "../keys.js";
import { withRetries } from "../retry.js";
import { toolArguments, validate } from "../schema.js";
import type { FailureInfo, Json } from "../types.js";
import { VmFailure } from "../types.js";
import { runAgent, type AgentHost } from "./agent.js";
import { count, effect, toolAudit, toolLog } from "./effect.js";
import { guarded } from "./guard.js";
import { modelCall, prompt } from "./model.js";
import { tryEval } from "./scope.js";
import type { CallResult, Exec, Stop, Target, Undo } from "./types.js";

/** A call of a prompt, agent, tool or graph: policies, mocks, the journal, compensation. */
export function call(ex: Exec, target: Target, args: Record<string, Json>, key: string, step: string, prefix: string): Effect.Effect<CallResult, Stop> {
  const cx = ex.cx;
  return Effect.gen(function* () {
    const tool = target.kind === "tool" ? cx.plan.tools[target.name] : undefined;
    const hook = target.kind === "tool" ? "tool" : target.kind === "agent" ? "agent" : undefined;
    // One validated value: the arguments are coerced, defaulted and validated before the hooks,
    // so `before tool` rules judge exactly what the tool receives (and what is journaled).
    if (tool) args = yield* toolArgs(target.name, tool, args);
    // `before tool` / `before agent`: a redaction rewrites the arguments the callee receives.
    if (hook) args = (yield* guarded(ex, { phase: "before", target: hook, name: target.name, tags: tool?.tags ?? [], input: args }, key)) as Record<string, Json>;
    count(ex, target.name);
    let value: Json;
    let inner: Undo[] = [];
    if (target.kind === "graph" && cx.mocks?.has(target.name)) {
      value = yield* mockedGraph(ex, target.name, args, key, step);
    } else if (target.kind === "tool") {
      value = yield* toolAttempts(ex, target.name, args, key, step);
    } else if (target.kind === "graph") {
      const sub = yield* ex.graph(target.name, args, subgraphScope(key));
      return { value: sub.output, undo: sub.undo };
    } else if (target.kind === "agent") {
      // The tool-calling loop (agent.ts); undo steps of the tools it called come back with it.
      const r = yield* runAgent(agentHost(ex), target.name, args, key, step);
      value = r.value;
      inner = r.undo;
    } else {
      value = yield* prompt(ex, target.name, args, key, step);
    }
    if (hook) value = yield* guarded(ex, { phase: "after", target: hook, name: target.name, tags: tool?.tags ?? [], input: args, output: value }, key);
    const undo: Undo[] = [...inner];
    if (tool?.compensate) {
      const scope: Scope = { get: (n) => (n === "result" ? value : args[n]) };
      const cargs = yield* tryEval(tool.compensate.args, scope, `the compensation of ${target.name}`);
      undo.push({ key, tool: tool.compensate.tool, args: cargs });
    }
    return { value, undo };
  });
}

/**
 * A tool call with the tool's own `retry`: each attempt is a journaled effect (KEY, KEY@1, …) with
 * its audit record; all attempts carry the call's idempotency key (a retry is the same request).
 */
function toolAttempts(ex: Exec, name: string, args: Record<string, Json>, key: string, step: string): Effect.Effect<Json, Stop> {
  const cx = ex.cx;
  const tool = cx.plan.tools[name];
  const attempt = (n: number) => {
    // Spelled by the run's key format: in format 1 attempt N of a tool was node attempt N's key.
    const akey = attemptKey(key, n, cx.keyFormat ?? 1);
    return effect(cx, akey, step, "tool", name, { tool: name, args }, tool?.idempotent ?? false, () =>
      Effect.tryPromise({
        try: (signal) => cx.tools.call({ tool: name, plan: tool!, args, idempotencyKey: idempotencyKey(cx.runId, key), log: toolLog(cx, name, akey) }, signal),
        catch: (e) => (e instanceof VmFailure ? e : new VmFailure(failureOf(e))),
      }),
    ).pipe(toolAudit(ex, { kind: "tool", name }, akey));
  };
  return tool?.retry.max
    ? withRetries(tool.retry, attempt as (n: number) => Effect.Effect<Json, VmFailure>, {
        instant: cx.instant,
        onRetry: (n, error) => cx.emit({ type: "retry", runId: cx.runId, key, attempt: n, delayMs: 0, error, at: cx.now() }),
      })
    : attempt(0);
}

/** A mocked sub-graph answers at the call (prompts, agents and tools at their provider: mocks.ts). */
function mockedGraph(ex: Exec, name: string, args: Record<string, Json>, key: string, step: string): Effect.Effect<Json, Stop> {
  const cx = ex.cx;
  return effect(cx, key, step, "graph", name, { mock: name, args }, true, () => {
    const m = cx.mocks!.take(name);
    return "fail" in m
      ? Effect.fail(new VmFailure({ kind: m.fail as FailureInfo["kind"], message: `${name} failed (mocked: ${m.fail})`, retryable: true }))
      : "value" in m
        ? fits(cx.plan, name, m.value)
        : Effect.fail(new VmFailure({ kind: "schema", retryable: false, message: `${name} is a graph: its mocked answer cannot call tools` }));
  });
}

/** A tool call's arguments as the tool receives them (`toolArguments`); a bad one fails before any policy. */
function toolArgs(name: string, tool: Plan["tools"][string], args: Json): Effect.Effect<Record<string, Json>, VmFailure> {
  const r = toolArguments(name, tool.params as JsonSchema, args);
  return r.ok ? Effect.succeed(r.value) : Effect.fail(new VmFailure({ kind: "schema", retryable: false, message: r.message }));
}

/** A mocked sub-graph's answer goes through the graph's output type like a real one (defaults filled in). */
function fits(plan: Plan, graph: string, value: Json): Effect.Effect<Json, VmFailure> {
  const decl = plan.graphs[graph];
  if (!decl) return Effect.succeed(value);
  const ok = validate(decl.returns as JsonSchema, value);
  return ok.ok
    ? Effect.succeed(ok.value)
    : Effect.fail(new VmFailure({ kind: "schema", retryable: false, message: `the mocked answer of ${graph} does not fit its type: ${ok.errors.join("; ")}` }));
}

/** What the agent loop (agent.ts) may do: model turns, tool calls and hooks, all through the paths above. */
function agentHost(ex: Exec): AgentHost<Undo> {
  const cx = ex.cx;
  return {
    cx,
    turn: (agent, model, req, key, step) => modelCall(ex, "agent", agent, model, { ...req, raw: true }, key, step),
    prompt: (name, args, key, step) => ex.call({ kind: "prompt", name }, args, key, step, "").pipe(Effect.map((r) => r.value)),
    tool: (name, args, key, step) => ex.call({ kind: "tool", name }, args, key, step, ""),
    guard: (c, key) => guarded(ex, { ...c, target: "agent", tags: [] }, key),
    effect: (key, step, kind, name, request, idempotent, perform) => effect(cx, key, step, kind, name, request, idempotent, perform),
    count: (name) => count(ex, name),
  };
}
