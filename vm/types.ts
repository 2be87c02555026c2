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
  /** `await event("name", key: EXPR)`: the correlation value an event must carry to answer this interrupt. */
  key?: string | number;
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
  /** Audit records written atomically with the journal entries (append-only, never updated). */
  audit?: AuditRecord[];
  /** Events of the run (the trace), written atomically with the journal entries. */
  events?: VmEvent[];
}

/**
 * One append-only audit record: a policy decision (`kind: "policy"`), a tool call (`kind: "tool"`)
 * or an operator's decision about a stopped run (`kind: "operator"`: an answer given with resume,
 * a resolution of an effect in doubt). Values are never stored here, only which fields were redacted.
 */
export interface AuditRecord {
  runId: string;
  /** The journal key of the call the record is about. */
  step: string;
  principal: Json;
  kind: "policy" | "tool" | "operator";
  /** The hook, e.g. "before tool", "after model", "output"; for tool records: "call"; for operator records: "resume" or "resolve". */
  hook: string;
  /** The callee (tool, model, agent or graph name). */
  target: string;
  /** Policy and rule id (policy records); null for tool records. */
  policy: string | null;
  rule: string | null;
  /**
   * allow | deny | approve | redact | transform (policy); ok | failed (tool); approved | rejected |
   * answered (operator, resume); succeeded | retried | failed (operator, resolve).
   */
  outcome: string;
  /** Policy records: the rule's reason. Tool records: the failure (`kind: message`); for an MCP tool `mcp server.tool` first. */
  reason?: string;
  /** JSON paths of the fields that were redacted (e.g. "$.ticket.body"), with the PII kind. */
  redacted?: { path: string; kind: string }[];
  /** Operator records: who decided (`--by`; default the run's principal id). */
  by?: string;
  /** Operator records: the decider's comment (`--comment`). */
  comment?: string;
  at: number;
}

export interface AuditQuery {
  runId?: string;
  /** Inclusive bounds on `at` (ms since the epoch). */
  since?: number;
  until?: number;
  policy?: string;
  outcome?: string;
  kind?: AuditRecord["kind"];
  limit?: number;
}

/** One message of a session's history (multi-turn agent conversations across runs). */
export interface SessionEntry {
  /** Position in the session, from 0, assigned by the store. */
  seq?: number;
  runId: string;
  /** The agent that spoke or was spoken to. */
  agent: string;
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  /** Tool calls of an assistant turn / the call id a tool message answers (OpenAI shapes). */
  toolCalls?: Json;
  toolCallId?: string;
  at: number;
}

export interface SessionQuery {
  /** Only entries written by runs of this principal (`principal.id`). */
  principal?: string;
  /** Leave this session out (the current one). */
  excludeSession?: string;
}

/** A session entry with the session it belongs to and the principal id of the run that wrote it (null: unknown). */
export interface SessionMemoryEntry extends SessionEntry {
  sessionId: string;
  principal: string | null;
}

export { VersionConflict } from "./ports/errors.js";

/** A run store: the asynchronous ports the runtime, reports and CLI use (vm/ports/store.ts). */
export type { RunStore, RunLog, RunQueries, SessionStore } from "./ports/store.js";

/** One break in a run's hash chain: the first entry concerned (its seq) and what was done to it. */
export interface ChainProblem {
  log: "journal" | "audit";
  runId: string;
  seq: number;
  /** `head`: the count and hash recorded in the run's row do not match its entries. */
  kind: "edited" | "inserted" | "missing" | "reordered" | "head";
  message: string;
}

export interface ChainStatus {
  /** Entries stored. */
  entries: number;
  /** The chain value of the last one (sha256 hex): the head to keep outside the store. */
  head: string;
  problems: ChainProblem[];
}

export interface ChainReport {
  runId: string;
  journal: ChainStatus;
  audit: ChainStatus;
  /** When the store was upgraded to chained storage (schema 5) if the run is older: entries written before were chained then. */
  anchoredAt?: number;
}

// ---------------------------------------------------------------- events

export type VmEvent =
  | { type: "run.started"; runId: string; graph: string; at: number }
  /** A superstep of a graph invocation: the nodes that run together against one state snapshot. Key: `…graph:NAME/superstep:I`. */
  | { type: "superstep.started"; runId: string; key: string; graph: string; index: number; nodes: string[]; at: number }
  | { type: "superstep.finished"; runId: string; key: string; at: number; durationMs: number }
  | { type: "step.started"; runId: string; step: string; node: string; at: number }
  | { type: "step.finished"; runId: string; step: string; node: string; at: number; durationMs: number; status: "ok" | "failed" | "suspended" }
  | {
      type: "effect.requested";
      runId: string;
      key: string;
      kind: EffectKind;
      name: string;
      at: number;
      replayed: boolean;
      /** Model calls (prompt, agent): the plan's model declaration this attempt calls. */
      model?: string;
      /** Calls of an MCP tool (tool, compensation): its server-qualified name `server.tool`; `name` is the declared one. */
      qualifiedName?: string;
      /** The request (messages, tool arguments): only with `createRuntime({ captureContent: true })`. */
      request?: Json;
    }
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
      /** Model calls: the model declaration actually called (after fallbacks). */
      model?: string;
      /** Calls of an MCP tool: `server.tool` (see effect.requested). */
      qualifiedName?: string;
      /** Model calls: token usage and the cost frozen at call time (journaled, so a replay shows the same). */
      tokens?: { input: number; output: number };
      costUsd?: number;
      /** Why it failed (when `ok` is false). */
      error?: FailureInfo;
      /** The answer (model output, tool result): only with `createRuntime({ captureContent: true })`. */
      response?: Json;
    }
  | { type: "retry"; runId: string; key: string; attempt: number; delayMs: number; error: FailureInfo; at: number }
  | { type: "fallback"; runId: string; key: string; from: string; to: string; at: number }
  | { type: "compensation"; runId: string; key: string; tool: string; at: number }
  | { type: "run.suspended"; runId: string; pending: PendingInterrupt[]; at: number }
  | { type: "run.completed"; runId: string; output: Json; at: number; durationMs: number }
  | { type: "run.failed"; runId: string; error: FailureInfo; at: number; durationMs: number }
  /** An agent handed its conversation to another agent (`transfer_to_<to>`); `key` is the turn's key. */
  | { type: "handoff"; runId: string; key: string; from: string; to: string; at: number }
  /** Something a run went on without, e.g. an agent's `context` when no ContextProvider is configured. */
  | { type: "warning"; runId: string; key: string; message: string; at: number }
  /** A js tool's console output (`console.log` → stdout, `console.error` → stderr), secrets redacted. */
  | { type: "tool.log"; runId: string; key: string; tool: string; stream: "stdout" | "stderr"; text: string; at: number }
  /** A policy decision at a hook (one per deciding rule; the audit log has the same, durably). */
  | { type: "policy"; runId: string; key: string; hook: string; target: string; policy: string; rule: string | null; outcome: string; at: number; replayed: boolean }
  /**
   * A circuit breaker (per model declaration `model:NAME`, per tool `tool:NAME`) changed state,
   * seen by a call of run `runId`. Breakers are shared by every run of a runtime.
   */
  | { type: "breaker"; runId: string; target: string; state: BreakerState; at: number; failures: number };

export type BreakerState = "closed" | "open" | "half_open";

// ---------------------------------------------------------------- providers

export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  /** An assistant turn that calls tools (OpenAI's `tool_calls`); `content` may then be "". */
  toolCalls?: ToolCall[];
  /** A `tool` message: the id of the call it answers. */
  toolCallId?: string;
}

/** A function the model may call (OpenAI `tools: [{ type: "function", function }]`). */
export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments (an object schema). */
  parameters: Record<string, unknown>;
}

/** A call the model asked for; `arguments` is the JSON text the model wrote (parsed by the caller). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
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
  /** Functions the model may call instead of answering (agents: tools and `transfer_to_<agent>`). */
  tools?: ToolDefinition[];
  /**
   * Return the answer's text as `output`, unparsed and unvalidated, and make no repair round-trip:
   * the caller (the agent loop, vm/exec/agent.ts) parses, validates and repairs it in journaled turns.
   */
  raw?: boolean;
}

export interface ModelResponse {
  /** Parsed and validated output (a string for plain text). */
  output: Json;
  usage: { input: number; output: number };
  costUsd: number;
  /** What was repaired (e.g. "one repair round-trip", "stripped markdown fences"). */
  repaired?: string[];
  /** The model called functions instead of answering (`output` is then its text, often ""). */
  toolCalls?: ToolCall[];
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
  /** Receives the call's console output (a js tool's), already redacted; the interpreter emits `tool.log` events. */
  log?: (entry: { stream: "stdout" | "stderr"; text: string }) => void;
}

/** Calls tools (js modules, http); failures are thrown as VmFailure. */
export interface ToolProvider {
  call(req: ToolRequest, signal: AbortSignal): Promise<Json>;
}

/**
 * Assembles a plan `context` (retrieval, fusion, dedup, trimming to its token budget) for a query.
 * Agents with `context: NAME` call it once per agent (journaled) and put `text` in the system prompt.
 */
export interface ContextProvider {
  assemble(name: string, query: string, signal: AbortSignal, opts?: AssembleOptions): Promise<{ text: string; tokens: number; summarize?: SummaryRequest }>;
}

/** Who asks for an assembly (agents pass their run's), and how an over-budget one is condensed. */
export interface AssembleOptions {
  /** The run's session: `sessions()` sources leave it out (`exclude_current`, the default). */
  sessionId?: string;
  /** The run's principal: `sessions()` sources with `scope: "principal"` search its sessions only. */
  principal?: Json;
  /**
   * The caller calls the context's `summarize` prompt itself (the VM does, through its model path):
   * an assembly over its budget comes back trimmed, with `summarize` saying what to condense.
   */
  deferSummary?: boolean;
}

/** What a context's `summarize` prompt is asked to condense into at most `budget` tokens. */
export interface SummaryRequest {
  /** The prompt (`summarize: NAME`). */
  prompt: string;
  query: string;
  /** Every item kept after `top`, as `[source: id]` blocks. */
  text: string;
  budget: number;
}
