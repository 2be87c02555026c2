// The VM's contracts: journal entries, the run store, failures, events, and the providers that
// perform effects (models, tools). Implementations live beside this file; the interpreter only
// talks to these interfaces.
import type { JsonValue, Plan } from "../compiler/plan/index.js";

export type Json = JsonValue;

// ---------------------------------------------------------------- failures

/** Every failure the VM reports is classified (DESIGN §5). */
export type FailureKind =
  | "timeout"
  | "rate_limit"
  | "transport"
  | "schema"
  | "refusal"
  | "policy"
  | "tool"
  | "budget"
  | "cancelled"
  | "auth"
  | "nondeterminism"
  | "expression";

export interface FailureInfo {
  kind: FailureKind;
  message: string;
  /** The step id (plan id plus invocation) where it happened. */
  step?: string;
  /** False for failures a retry cannot fix (4xx auth, schema too large, a policy deny, ...). */
  retryable?: boolean;
  /** A server-requested delay before retrying (Retry-After), in ms. */
  retryAfterMs?: number;
}

/** A failure as a value (effect error channel). */
export class VmFailure extends Error {
  readonly _tag = "VmFailure";
  constructor(readonly info: FailureInfo) {
    super(info.message);
  }
}

// ---------------------------------------------------------------- journal

export type EffectKind = "prompt" | "agent" | "tool" | "graph" | "human" | "event" | "time" | "random" | "compensation";

/**
 * One journal record. Every effect writes an `intent` before it runs and an `outcome` after; the
 * pair shares `key`, a deterministic name of the invocation (plan step id + loop iteration + map
 * index + attempt, prefixed by the sub-graph path). `hash` is a hash of the request: on replay a
 * different hash for the same key is a NonDeterminism error naming the step.
 */
export interface JournalEntry {
  /** Position in the run's journal, from 0, assigned by the store on commit. */
  seq?: number;
  key: string;
  /** The plan step id (without the invocation suffix). */
  step: string;
  kind: EffectKind;
  phase: "intent" | "outcome";
  hash: string;
  /** Milliseconds since the epoch (informational; never read by the interpreter). */
  at: number;
  /** intent: the request; outcome: the result. May be large (the store moves big ones to blobs). */
  value?: Json;
  /** outcome of a failed effect. */
  error?: FailureInfo;
}

// ---------------------------------------------------------------- runs and the store

export type RunStatus = "running" | "completed" | "failed" | "suspended" | "needs_attention" | "cancelled";

export interface PendingInterrupt {
  /** Stable id: the journal key of the await. */
  id: string;
  kind: "human" | "event" | "approval";
  reason: string;
  step: string;
}

export interface RunRecord {
  runId: string;
  graph: string;
  /** The blob hash (sha256) of the encoded plan the run executes; the plan is a blob in the store. */
  planHash: string;
  input: Json;
  principal: Json;
  status: RunStatus;
  output?: Json;
  error?: FailureInfo;
  pending?: PendingInterrupt[];
  /** Where the run came from, for whoever resumes it: e.g. `{ root }`, the directory of its js tools. */
  meta?: Json;
  createdAt: number;
  updatedAt: number;
}

export interface LoadedRun {
  snapshot: RunRecord;
  journal: JournalEntry[];
  /** Increases with every commit; `commit` fails with a conflict when it moved. */
  version: number;
}

/** Follow-up work handed off atomically with a commit (e.g. "resume run X"); an outbox. */
export interface Dispatch {
  kind: string;
  runId: string;
  payload?: Json;
}

export interface CommitRequest {
  runId: string;
  expectVersion: number;
  append: JournalEntry[];
  /** Fields of the run record to update (status, output, error, pending, updatedAt). */
  update?: Partial<Omit<RunRecord, "runId" | "createdAt">>;
  dispatch?: Dispatch[];
}

export class VersionConflict extends Error {
  readonly _tag = "VersionConflict";
  constructor(
    readonly runId: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`run ${runId} moved: expected version ${expected}, found ${actual}`);
  }
}

/**
 * Durable storage of runs. Shaped for many workers sharing one database later: `load` gives a
 * consistent view with a version; `commit` appends journal entries and updates the run atomically,
 * failing with VersionConflict if another worker committed first. Synchronous (better-sqlite3 is);
 * the interpreter wraps calls in effects.
 */
export interface RunStore {
  create(run: RunRecord): void;
  load(runId: string): LoadedRun | undefined;
  /** Returns the new version. Throws VersionConflict. */
  commit(req: CommitRequest): number;
  list(opts?: { limit?: number; status?: RunStatus }): RunRecord[];
  /** Content-addressed blobs (plans, large payloads): returns the sha256 hex. */
  putBlob(bytes: Uint8Array): string;
  getBlob(hash: string): Uint8Array | undefined;
  /** Dispatches not yet taken (oldest first); `take` removes them. */
  takeDispatches(limit?: number): Dispatch[];
  close(): void;
}

// ---------------------------------------------------------------- events

export type VmEvent =
  | { type: "run.started"; runId: string; graph: string; at: number }
  | { type: "step.started"; runId: string; step: string; node: string; at: number }
  | { type: "step.finished"; runId: string; step: string; node: string; at: number; durationMs: number; status: "ok" | "failed" | "suspended" }
  | { type: "effect.requested"; runId: string; key: string; kind: EffectKind; name: string; at: number; replayed: boolean }
  | {
      type: "effect.completed";
      runId: string;
      key: string;
      kind: EffectKind;
      name: string;
      at: number;
      durationMs: number;
      replayed: boolean;
      ok: boolean;
      tokens?: { input: number; output: number };
      costUsd?: number;
    }
  | { type: "retry"; runId: string; key: string; attempt: number; delayMs: number; error: FailureInfo; at: number }
  | { type: "fallback"; runId: string; key: string; from: string; to: string; at: number }
  | { type: "compensation"; runId: string; key: string; tool: string; at: number }
  | { type: "run.suspended"; runId: string; pending: PendingInterrupt[]; at: number }
  | { type: "run.completed"; runId: string; output: Json; at: number; durationMs: number }
  | { type: "run.failed"; runId: string; error: FailureInfo; at: number; durationMs: number };

// ---------------------------------------------------------------- providers

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** One model call as the gateway sees it. */
export interface ModelRequest {
  /** The plan's model declaration name and its entry. */
  model: string;
  plan: Plan["models"][string];
  messages: ChatMessage[];
  /** JSON Schema of the expected output (structured output), or null for plain text. */
  schema: Record<string, unknown> | null;
  /** Name of the prompt or agent that makes the call (for mocks, recordings and events). */
  caller: string;
}

export interface ModelResponse {
  /** Parsed and validated output (a string for plain text). */
  output: Json;
  usage: { input: number; output: number };
  costUsd: number;
  /** What was repaired (e.g. "one repair round-trip", "stripped markdown fences"). */
  repaired?: string[];
}

/** Calls models. The gateway implements it over the `openai` SDK; tests and offline runs use mocks. */
export interface ModelProvider {
  call(req: ModelRequest, signal: AbortSignal): Promise<ModelResponse>;
}

export interface ToolRequest {
  tool: string;
  plan: Plan["tools"][string];
  args: Record<string, Json>;
  /** Stable across retries and crashes of one invocation: `runId/stepKey`. */
  idempotencyKey: string;
}

/** Calls tools (js modules, http); failures are thrown as VmFailure. */
export interface ToolProvider {
  call(req: ToolRequest, signal: AbortSignal): Promise<Json>;
}
