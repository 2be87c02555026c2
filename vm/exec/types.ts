// The shapes the execution modules share (vm/exec/): what an execution is given (ExecContext), what
// it answers (ExecResult), and `Exec`, the two paths that recurse through the modules — a graph runs
// nodes that call graphs — which the coordinator (interpreter.ts) provides. Every other path is a
// plain function of the module that owns its concern, so the modules import one another one way.
import type { Effect } from "effect";
import type { Plan } from "../../compiler/plan/index.js";
import type { Journal, NeedsAttention, Suspended } from "../journal.js";
import type { KeyFormat } from "../keys.js";
import type { AuditRecord, ContextProvider, FailureInfo, Json, ModelProvider, PendingInterrupt, SessionStore, ToolProvider, VmEvent, VmFailure } from "../types.js";
import type { AgentOptions } from "./agent-call.js";
import type { Mocks } from "./mocks.js";

export type Graph = Plan["graphs"][string];
export type Node = Graph["nodes"][number];
export type Edge = Graph["edges"][number];
export type Target = { kind: "prompt" | "agent" | "tool" | "graph"; name: string };
/** What stops a path: a failure, a suspension (an interrupt waits), or an effect in doubt. */
export type Stop = VmFailure | Suspended | NeedsAttention;

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
  /** Agents with `context:` assemble it through this provider (vm/exec/agent.ts). */
  contexts?: ContextProvider;
  /** The run's session (StartOptions.sessionId): agents read and extend its history in `sessions`. */
  sessionId?: string;
  sessions?: SessionStore;
  /** Repair rounds and the handoff bound of agent calls (defaults in vm/exec/agent.ts). */
  agents?: AgentOptions;
  /** Events carry requests and answers of calls (content capture for tracing). */
  captureContent?: boolean;
  /** The spelling of the run's effect keys (vm/keys.ts `keyFormatOf` its meta; absent: 1, an old run's). */
  keyFormat?: KeyFormat;
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

/** A registered compensation: the tool to call, with its arguments, if the graph fails later. */
export interface Undo {
  key: string;
  tool: string;
  args: Json;
}

/** What a node leaves for its superstep: writes (applied in step-id order) and undo steps. */
export interface NodeResult {
  writes: { field: string; value: Json; mode: "one" | "each"; order: string }[];
  undo: Undo[];
}

/** A finished graph: its output, its final state, the undo steps it registered. */
export interface GraphResult {
  output: Json;
  state: Record<string, Json>;
  undo: Undo[];
}

/** A finished call: its value and the undo steps it registered (its own and its callees'). */
export interface CallResult {
  value: Json;
  undo: Undo[];
}

/** One execution of a plan, as the modules see it (implemented by `Interpreter`). */
export interface Exec {
  readonly cx: ExecContext;
  readonly observed: Observations;
  /** False for a plan without policies: hooks pass values through without evaluating anything. */
  readonly hasPolicies: boolean;
  /** The state of the top-level graph as its last superstep left it (the result's `state`). */
  topState: Record<string, Json>;
  /** Runs a graph (graph.ts); `prefix` scopes its keys (empty for the top-level graph). */
  graph(name: string, input: Json, prefix: string): Effect.Effect<GraphResult, Stop>;
  /** A call of a prompt, agent, tool or graph (call.ts). */
  call(target: Target, args: Record<string, Json>, key: string, step: string, prefix: string): Effect.Effect<CallResult, Stop>;
}
