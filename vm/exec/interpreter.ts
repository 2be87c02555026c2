// The interpreter: a pure function of plan + input + journal. Graphs run in supersteps (every
// ready node against one snapshot, writes applied through reducers in step-id order); every source
// of non-determinism goes through the journal (vm/journal.ts), so a resumed or replayed run takes
// the same path and never repeats a finished side effect.
//
// This class only composes the modules of vm/exec/, one per concern:
//   graph.ts       supersteps, on-error routing, snapshots, the graph's output
//   edges.ts       the nodes edges make ready: conditions, otherwise, max bounds, joins
//   node.ts        node bodies and their statements (run, map, await, set), retry and timeout
//   call.ts        calls of prompts, agents, tools and graphs (tool retries, mocked graphs)
//   model.ts       prompts and the model chain (fallbacks, retries); agent*.ts the agent loop
//   effect.ts      journaled effects, their events, audit records, call counts
//   guard.ts       policy hooks at the boundaries (deny, approve, transform, redact, classifiers)
//   await.ts       human and event awaits, approvals: the journal's answer, a mock, or suspension
//   compensate.ts  saga compensation when a graph fails
import { Effect } from "effect";
import { NeedsAttention, Suspended } from "../journal.js";
import type { Json } from "../types.js";
import { call } from "./call.js";
import { runGraph } from "./graph.js";
import { MockModels, MockTools, Mocks } from "./mocks.js";
import type { CallResult, Exec, ExecContext, ExecResult, GraphResult, Observations, Stop, Target } from "./types.js";

export { Mocks };
export { DEFAULT_SNAPSHOT_EVERY } from "./graph.js";
export type { ExecContext, ExecResult, Observations } from "./types.js";

export class Interpreter implements Exec {
  readonly observed: Observations = { calls: new Map(), audit: [] };
  topState: Record<string, Json> = {};
  readonly hasPolicies: boolean;
  readonly cx: ExecContext;

  constructor(cx: ExecContext) {
    // Mocks answer at the provider boundary (mocks.ts): everything around a call runs as in production.
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

  graph(name: string, input: Json, prefix: string): Effect.Effect<GraphResult, Stop> {
    return runGraph(this, name, input, prefix);
  }

  call(target: Target, args: Record<string, Json>, key: string, step: string, prefix: string): Effect.Effect<CallResult, Stop> {
    return call(this, target, args, key, step, prefix);
  }

  private stopped(e: Stop): ExecResult {
    const state = this.topState;
    if (e instanceof Suspended) return { status: "suspended", pending: e.pending, state };
    if (e instanceof NeedsAttention) return { status: "needs_attention", error: { kind: "tool", message: e.message, step: e.step, retryable: false }, state };
    return { status: "failed", error: e.info, state };
  }
}
