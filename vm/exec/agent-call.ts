// The state of one agent call (agent.ts): the host it runs on (the interpreter's paths), who is
// answering now, what was said, what each agent used, the undo steps registered.
import type { Effect } from "effect";
import type { AgentPlan, JsonSchema, Plan } from "../../compiler/plan/index.js";
import type { NeedsAttention } from "../journal.js";
import type { ChatMessage, ContextProvider, EffectKind, Json, ModelResponse, SessionStore, ToolDefinition, VmEvent, VmFailure } from "../types.js";
import type { Said } from "./agent-context.js";
import type { Turn } from "./agent-prompt.js";
import type { Stop } from "./types.js";

/** Defaults of the loop's bounds; `createRuntime({ agents })` overrides them. */
export interface AgentOptions {
  /** Repair turns after an answer that does not validate (default 2). */
  repairRounds?: number;
  /** Handoffs within one agent call (default 5): a cycle A → B → A … stops here with a `budget` failure. */
  maxHandoffs?: number;
}

export const DEFAULT_REPAIR_ROUNDS = 2;
export const DEFAULT_MAX_HANDOFFS = 5;

/** What the loop needs from the interpreter: every effect goes through the interpreter's own paths. */
export interface AgentHost<U> {
  cx: {
    plan: Plan;
    runId: string;
    now(): number;
    emit(e: VmEvent): void;
    contexts?: ContextProvider;
    /** Journaled outcomes: a replay serves a recorded context assembly even without a provider. */
    journal: { outcome(key: string): unknown };
    sessionId?: string;
    sessions?: SessionStore;
    /** The run's principal: `sessions()` context sources scoped by principal search its sessions. */
    principal?: Json;
    agents?: AgentOptions;
  };
  /**
   * One model turn (model chain, retries, fallbacks; journaled per attempt). `post` turns the
   * provider's response into the journaled value (here: the answer read against the schema, and
   * the turn's start and end times).
   */
  turn(
    agent: string,
    model: string | null,
    req: { messages: ChatMessage[]; schema: JsonSchema | null; tools?: ToolDefinition[]; post: (r: ModelResponse, at: { startedAt: number; finishedAt: number }) => Json },
    key: string,
    step: string,
  ): Effect.Effect<Json, Stop>;
  /** A prompt call through the interpreter's call path (mocks, model hooks, retries, fallbacks, journal): a context's `summarize`. */
  prompt(name: string, args: Record<string, Json>, key: string, step: string): Effect.Effect<Json, Stop>;
  /** A tool call through the interpreter's tool path (before/after-tool hooks, mocks, journal, compensation). */
  tool(name: string, args: Record<string, Json>, key: string, step: string): Effect.Effect<{ value: Json; undo: U[] }, Stop>;
  /** The before/after-agent hooks of the policies, for handoff targets. */
  guard(call: { phase: "before" | "after"; name: string; input: Json; output?: Json }, key: string): Effect.Effect<Json, Stop>;
  effect(key: string, step: string, kind: EffectKind, name: string, request: Json, idempotent: boolean, perform: () => Effect.Effect<Json, VmFailure>): Effect.Effect<Json, VmFailure | NeedsAttention>;
  /** Counts a call for `calls(NAME)` in tests. */
  count(name: string): void;
}

/** Usage of one agent within a call (the quantities `limits` bound). */
export interface Usage {
  turns: number;
  tokens: number;
  cost: number;
  /** Journaled start of the agent's first turn and end of its last one. */
  start?: number;
  last?: number;
}

/** One agent call as it goes: who is answering now, what was said, what it used and registered. */
export interface AgentCall<U> {
  host: AgentHost<U>;
  /** The called agent (its return type decides the answer, whoever gives it after handoffs). */
  name: string;
  key: string;
  step: string;
  schema: JsonSchema | null;
  repairRounds: number;
  maxHandoffs: number;
  usage: Map<string, Usage>;
  undo: U[];
  /** Everything said in this call, by agent (appended to the session at the end). */
  said: Said[];
  /** The agents handed to, with their arguments and hook keys. */
  chain: { agent: string; args: Record<string, Json>; key: string }[];
  /** The session's earlier messages. */
  history: ChatMessage[];
  /** The conversation of this call so far (without system prompts); carried over on handoff. */
  conversation: ChatMessage[];
  /** The agent answering now (a handoff changes it), its arguments and its segment number. */
  agent: string;
  agentArgs: Record<string, Json>;
  segment: number;
  /** Turns so far (counted across handoffs) and repairs so far. */
  turn: number;
  repairs: number;
}

/** One agent's part of the call: its system prompt and the tools it is offered. */
export interface Segment {
  a: AgentPlan;
  system: string;
  tools: ToolDefinition[];
  toolNames: Set<string>;
}

/** One model turn as the loop reads it. */
export interface TakenTurn {
  res: Turn;
  turnKey: string;
  text: string;
  u: Usage;
}

export type Handoff = { to: string; args: Record<string, Json> };

/** Adds a message to the conversation, said by the agent answering now. */
export function say<U>(call: AgentCall<U>, m: ChatMessage): void {
  call.conversation.push(m);
  call.said.push({ agent: call.agent, message: m });
}
