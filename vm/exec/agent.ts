// The agent runtime: the tool-calling loop of an `agent` declaration (docs/agents.md).
//
//   model turn ──► tool calls (in parallel, each through the interpreter's tool path) ──► tool
//   messages ──► model turn ──► … ──► a final answer that validates against the return type
//
// Everything non-deterministic is a journaled effect with a deterministic key derived from the
// call's key K (built by vm/keys.ts), so a resumed run replays finished turns and tool calls
// instead of repeating them:
//
//   K/session                  the session history read (with a session id)
//   K/context<S>               the assembled context of the S-th agent of the call (`context:`)
//   K/context<S>/summary       its `summarize` prompt, when the assembly went over its budget (a
//                              prompt call: mocks, model hooks, K/context<S>/summary/<MODEL>@<N>)
//   K/memory<S>[/summary]      the same for the agent's `memory:` context
//   K/turn<T>/<MODEL>@<N>      model turn T (counted across handoffs), attempt N of that model
//   K/turn<T>/call<I>          the I-th tool call the model asked for in turn T (tool path: hooks,
//                              mocks, journal, compensation)
//   K/turn<T>/handoff          the before-agent hook of a handoff's target (approvals wait here)
//   K/session/append           the session write
//
// Limits (`limits { turns, tokens, cost, time }`) are per agent of the call, checked before each
// turn from journaled usage and journaled timestamps, so a resumed or replayed run decides the same.
import { Effect, Exit } from "effect";
import type { AgentPlan, JsonSchema, Plan, Segment } from "../../compiler/plan/index.js";
import type { Scope } from "../expr.js";
import { lenientValue, parseJsonAnswer } from "../gateway/json.js";
import { prepareSchema, unwrap } from "../gateway/structured.js";
import { NeedsAttention, Suspended, failureOf } from "../journal.js";
import { agentToolKey, contextKey, handoffKey, sessionAppendKey, sessionKey, summaryKey, turnKey as keyOfTurn } from "../keys.js";
import { coerce, validate } from "../schema.js";
import { outputFormatInstructions, renderSegments } from "../template.js";
import type { ChatMessage, ContextProvider, EffectKind, Json, ModelResponse, PendingInterrupt, SessionEntry, SessionStore, SummaryRequest, ToolCall, ToolDefinition, VmEvent } from "../types.js";
import { VmFailure } from "../types.js";

type Stop = VmFailure | Suspended | NeedsAttention;

/** Defaults of the loop's bounds; `createRuntime({ agents })` overrides them. */
export interface AgentOptions {
  /** Repair turns after an answer that does not validate (default 2). */
  repairRounds?: number;
  /** Handoffs within one agent call (default 5): a cycle A → B → A … stops here with a `budget` failure. */
  maxHandoffs?: number;
}

export const DEFAULT_REPAIR_ROUNDS = 2;
export const DEFAULT_MAX_HANDOFFS = 5;
export const HANDOFF_PREFIX = "transfer_to_";

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

/**
 * A turn as journaled: the response with the final answer already read against the schema (`output`
 * parsed and validated, fixes added to `repaired`) or the reasons it could not be (`invalid`), the
 * model's text (`text`) and the turn's times.
 */
type Turn = ModelResponse & { text?: string; invalid?: string[]; startedAt?: number; finishedAt?: number };

/** What a turn journals (see Turn): computed once, when the answer arrives. */
function journaled(schema: JsonSchema | null, r: ModelResponse, at: { startedAt: number; finishedAt: number }): Json {
  const out: Turn = { ...r, ...at };
  const raw = r.output ?? null;
  out.text = typeof raw === "string" ? raw : JSON.stringify(raw);
  if (!r.toolCalls?.length) {
    const checked = checkAnswer(schema, raw);
    if (checked.ok) {
      out.output = checked.value;
      if (checked.fixes.length) out.repaired = [...(r.repaired ?? []), ...checked.fixes];
    } else out.invalid = checked.errors;
  }
  return out as unknown as Json;
}

/** Usage of one agent within a call (the quantities `limits` bound). */
interface Usage {
  turns: number;
  tokens: number;
  cost: number;
  /** Journaled start of the agent's first turn and end of its last one. */
  start?: number;
  last?: number;
}

/** A message of the conversation and the agent that was running when it was written. */
interface Said {
  agent: string;
  message: ChatMessage;
}

/**
 * Runs agent `name` with `args` until its answer validates against its return type, a limit is hit
 * (`budget`), or repairs are exhausted (`schema`). Handoffs continue the same call with another
 * agent; the answer of the last agent is the call's result.
 */
export function runAgent<U>(host: AgentHost<U>, name: string, args: Record<string, Json>, key: string, step: string): Effect.Effect<{ value: Json; undo: U[] }, Stop> {
  const { cx } = host;
  return Effect.gen(function* () {
    const origin = cx.plan.agents[name];
    if (!origin) return yield* Effect.fail(new VmFailure({ kind: "tool", message: `the plan has no agent "${name}"`, retryable: false }));
    // The caller's return type decides what the call answers, whoever answers it after handoffs.
    const returns = origin.returns as JsonSchema;
    const schema = isPlainText(returns) ? null : returns;
    const repairRounds = cx.agents?.repairRounds ?? DEFAULT_REPAIR_ROUNDS;
    const maxHandoffs = cx.agents?.maxHandoffs ?? DEFAULT_MAX_HANDOFFS;
    const usage = new Map<string, Usage>();
    const undo: U[] = [];
    const said: Said[] = [];
    const chain: { agent: string; args: Record<string, Json>; key: string }[] = [];

    // Session history: what earlier calls of this session said (journaled: read once per call).
    const history: ChatMessage[] = [];
    if (cx.sessionId !== undefined && cx.sessions) {
      const sessions = cx.sessions;
      const sid = cx.sessionId;
      const entries = (yield* host.effect(sessionKey(key), step, "agent", name, { session: sid }, true, () => sessions.session(sid).pipe(Effect.map((entries) => entries as unknown as Json), Effect.orDie))) as unknown as SessionEntry[];
      history.push(...entries.flatMap(messageOfEntry));
    }

    let agent = name;
    let agentArgs = args;
    let segment = 0;
    let turn = 0;
    let repairs = 0;
    // The conversation of this call so far (without system prompts); carried over on handoff.
    const conversation: ChatMessage[] = [];
    const say = (m: ChatMessage) => {
      conversation.push(m);
      said.push({ agent, message: m });
    };

    for (;;) {
      const a = cx.plan.agents[agent]!;
      // The MetaPrompt of this agent, its task, its context.
      const scope: Scope = { get: (n) => agentArgs[n] };
      const format = schema ? outputFormatInstructions(schema) : "";
      const task = segment === 0 || a.instructions.length > 0 ? taskOf(a, agentArgs, scope, format) : null;
      // The retrieval query: the task without the output format (a JSON Schema only dilutes the search).
      const query = (task !== null && format !== "" && instructionsHaveFormat(a.instructions) ? taskOf(a, agentArgs, scope, "") : task) ?? lastUserText(conversation) ?? JSON.stringify(agentArgs);
      const caller = { kind: "agent", name: agent } as const;
      const contextText = a.context ? yield* assembleContext(host, caller, "context", a.context, query, contextKey(key, "context", segment), key, step) : null;
      const memoryText = a.memory ? yield* assembleContext(host, caller, "memory", a.memory, query, contextKey(key, "memory", segment), key, step) : null;
      const system = metaPrompt(cx.plan, a, {
        format: instructionsHaveFormat(a.instructions) ? "" : format,
        context: a.context && contextText !== null ? { name: a.context, text: contextText } : null,
        memory: a.memory && memoryText !== null ? { name: a.memory, text: memoryText } : null,
      });
      if (task !== null) say({ role: "user", content: task });
      const tools = toolDefinitions(cx.plan, a, agentArgs);
      const toolNames = new Set(a.tools);

      // Turns of this agent until it answers or hands off.
      let handoff: { to: string; args: Record<string, Json> } | null = null;
      for (;;) {
        const u = usage.get(agent) ?? { turns: 0, tokens: 0, cost: 0 };
        usage.set(agent, u);
        const over = overLimit(a, u);
        if (over) return yield* Effect.fail(new VmFailure({ kind: "budget", retryable: false, step: key, message: `agent ${agent} hit its ${over}` }));
        const turnKey = keyOfTurn(key, turn++);
        const messages: ChatMessage[] = [{ role: "system", content: system }, ...history, ...conversation];
        const res = (yield* host.turn(agent, a.model, { messages, schema, ...(tools.length ? { tools } : {}), post: (r, at) => journaled(schema, r, at) }, turnKey, step)) as unknown as Turn;
        u.turns++;
        u.tokens += (res.usage?.input ?? 0) + (res.usage?.output ?? 0);
        u.cost += res.costUsd ?? 0;
        if (typeof res.startedAt === "number") u.start ??= res.startedAt;
        if (typeof res.finishedAt === "number") u.last = res.finishedAt;
        const text = res.text ?? (typeof res.output === "string" ? res.output : JSON.stringify(res.output ?? null));

        if (res.toolCalls && res.toolCalls.length > 0) {
          const calls = res.toolCalls;
          say({ role: "assistant", content: text, toolCalls: calls });
          // Tool calls run in parallel; each one ends (no sibling is interrupted half-way).
          const transfers = calls.map((c, i) => [c, i] as const).filter(([c]) => c.name.startsWith(HANDOFF_PREFIX) && a.handoffs.includes(c.name.slice(HANDOFF_PREFIX.length)));
          const first = transfers[0];
          const results = yield* Effect.forEach(
            calls.map((c, i) => [c, i] as const),
            ([c, i]) => {
              const answer = (content: string) => Effect.succeed<Exit.Exit<{ content: string; undo: U[] }, Stop>>(Exit.succeed({ content, undo: [] }));
              if (first && c === first[0]) return answer("");
              if (transfers.some(([t]) => t === c)) return answer(`error: only one transfer per turn; ${first![0].name} was taken`);
              return Effect.exit(toolCall(host, c, toolNames, a, agentToolKey(turnKey, i), step));
            },
            { concurrency: "unbounded" },
          );
          const pending: PendingInterrupt[] = [];
          for (const exit of results) {
            // Undo steps in call order, never in completion order.
            if (Exit.isSuccess(exit)) {
              undo.push(...exit.value.undo);
              continue;
            }
            const e = errorOf(exit);
            if (e instanceof Suspended) pending.push(...e.pending);
            else if (e) return yield* Effect.fail(e);
            else return yield* Effect.die(exit);
          }
          if (pending.length) return yield* Effect.fail(new Suspended(pending));
          // The handoff: its target's arguments, policies, the bound on handoffs.
          let transferAnswer = "";
          if (first) {
            const [call] = first;
            const to = call.name.slice(HANDOFF_PREFIX.length);
            const prepared = handoffArgs(cx.plan, to, call.arguments, agentArgs);
            if (!prepared.ok) transferAnswer = `error: cannot transfer to ${to}: ${prepared.error}`;
            else if (chain.length >= maxHandoffs) {
              return yield* Effect.fail(
                new VmFailure({ kind: "budget", retryable: false, step: turnKey, message: `agent ${name} hit the handoff limit: ${chain.length} of ${maxHandoffs} handoffs in one call (${[name, ...chain.map((c) => c.agent)].join(" → ")} → ${to})` }),
              );
            } else {
              const allowed = yield* Effect.exit(host.guard({ phase: "before", name: to, input: prepared.args }, handoffKey(turnKey)));
              if (Exit.isSuccess(allowed)) {
                handoff = { to, args: prepared.args };
                transferAnswer = `Transferred to ${to}.`;
              } else {
                const e = errorOf(allowed);
                if (!(e instanceof VmFailure) || e.info.kind !== "policy") return yield* Effect.fail(e ?? new VmFailure({ kind: "tool", message: "the handoff hook failed", retryable: false }));
                transferAnswer = `error: the transfer to ${to} was refused: ${e.info.message}`;
              }
            }
          }
          for (const [i, c] of calls.entries()) {
            const exit = results[i]!;
            const content = first && c === first[0] ? transferAnswer : Exit.isSuccess(exit) ? exit.value.content : "";
            say({ role: "tool", content, toolCallId: c.id });
          }
          if (handoff) {
            chain.push({ agent: handoff.to, args: handoff.args, key: handoffKey(turnKey) });
            cx.emit({ type: "handoff", runId: cx.runId, key: turnKey, from: agent, to: handoff.to, at: cx.now() });
            host.count(handoff.to);
            break;
          }
          continue;
        }

        // A final answer, read against the return type when it arrived; repaired a bounded number of times.
        if (!res.invalid) {
          let value: Json = res.output ?? null;
          // The answer as read (and as the after-model hooks left it), not the raw text.
          say({ role: "assistant", content: typeof value === "string" ? value : JSON.stringify(value) });
          // The after-agent hooks of the agents handed to, innermost first (the caller's runs in call()).
          for (const c of [...chain].reverse()) value = yield* host.guard({ phase: "after", name: c.agent, input: c.args, output: value }, c.key);
          yield* writeSession(host, name, key, step, said, u.last ?? 0);
          return { value, undo };
        }
        if (repairs >= repairRounds)
          return yield* Effect.fail(
            new VmFailure({
              kind: "schema",
              retryable: true,
              step: turnKey,
              message: `agent ${agent}: the answer does not fit ${name}'s return type after ${repairs} repair${repairs === 1 ? "" : "s"}: ${res.invalid.join("; ")}`,
            }),
          );
        repairs++;
        say({ role: "assistant", content: text });
        say({ role: "user", content: repairMessage(res.invalid, schema) });
      }
      agent = handoff.to;
      agentArgs = handoff.args;
      segment++;
    }
  });
}

// ------------------------------------------------------------------ the MetaPrompt

/**
 * The system prompt of an agent, in this order (each part only when present):
 * 1. `You are <role>.`  2. `Goal: <goal>`  3. `Rules:` as a list  4. the handoffs it may make
 * 5. `Context (<name>):` and the assembled text  6. `Memory (<name>):` and the assembled text of
 * the `memory:` context, when it found something  7. the output format (the return type's JSON Schema).
 */
export function metaPrompt(
  plan: Plan,
  a: AgentPlan,
  parts: { format: string; context: { name: string; text: string } | null; memory?: { name: string; text: string } | null },
): string {
  const out: string[] = [];
  if (a.role) out.push(`You are ${a.role}.`);
  if (a.goal) out.push(`Goal: ${a.goal}`);
  if (a.rules.length) out.push(`Rules:\n${a.rules.map((r) => `- ${r}`).join("\n")}`);
  if (a.handoffs.length) {
    const lines = a.handoffs.map((h) => {
      const t = plan.agents[h];
      const what = [t?.role, t?.goal].filter(Boolean).join(": ");
      return `- ${HANDOFF_PREFIX}${h}${what ? ` — ${what}` : ""}`;
    });
    out.push(`When another agent should take over, hand the conversation over by calling one of:\n${lines.join("\n")}`);
  }
  if (parts.context) out.push(`Context (${parts.context.name}):\n${parts.context.text}`);
  if (parts.memory && parts.memory.text !== "") out.push(`Memory (${parts.memory.name}):\n${parts.memory.text}`);
  if (parts.format) out.push(parts.format);
  return out.join("\n\n");
}

/** The user message: the rendered `instructions`, else the arguments as JSON. */
function taskOf(a: AgentPlan, args: Record<string, Json>, scope: Scope, format: string): string {
  return a.instructions.length ? renderSegments(a.instructions, scope, { output_format: format }) : `Input:\n${JSON.stringify(args, null, 2)}`;
}

function instructionsHaveFormat(segments: Segment[]): boolean {
  return segments.some((s) => "builtin" in s && s.builtin === "output_format");
}

function lastUserText(conversation: ChatMessage[]): string | undefined {
  for (let i = conversation.length - 1; i >= 0; i--) if (conversation[i]!.role === "user") return conversation[i]!.content;
  return undefined;
}

// ------------------------------------------------------------------ contexts

/**
 * The text of an agent's `context:` (or `memory:`), or a prompt's `context:`, for `query`: one journaled assembly (`ckey`),
 * told the run's session and principal (for `sessions()` sources), and — when it went over its
 * budget and the context has a `summarize` prompt — that prompt's condensation, a prompt call of
 * the run (`ckey/summary`: mocks, model hooks, retries, fallbacks, cost, journal). A replay or
 * resume serves both from the journal. null: no provider (a warning event; the agent runs without).
 */
export function assembleContext<U>(
  host: Pick<AgentHost<U>, "cx" | "effect" | "prompt">,
  caller: { kind: "agent" | "prompt"; name: string },
  what: "context" | "memory",
  ctxName: string,
  query: string,
  ckey: string,
  key: string,
  step: string,
): Effect.Effect<string | null, Stop> {
  const { cx } = host;
  return Effect.gen(function* () {
    // Without a provider the agent runs without its context — unless the journal already holds
    // the assembly (a replay, or a resume in a process configured differently): that is served.
    const contexts = cx.contexts;
    if (!contexts && cx.journal.outcome(ckey) === undefined) {
      cx.emit({
        type: "warning",
        runId: cx.runId,
        key,
        message: `${caller.kind} ${caller.name} declares ${what} ${ctxName}, but the runtime has no context provider (createRuntime({ contexts })): the ${caller.kind} runs without it`,
        at: cx.now(),
      });
      return null;
    }
    const who = { deferSummary: true, ...(cx.sessionId !== undefined ? { sessionId: cx.sessionId } : {}), ...(cx.principal !== undefined ? { principal: cx.principal } : {}) };
    const assembled = (yield* host.effect(ckey, step, caller.kind, caller.name, { context: ctxName, query }, true, () =>
      Effect.tryPromise({
        try: (signal) =>
          contexts
            ? (contexts.assemble(ctxName, query, signal, who) as Promise<unknown> as Promise<Json>)
            : Promise.reject(new VmFailure({ kind: "tool", retryable: false, message: `no context provider to assemble ${ctxName}` })),
        catch: (e) => (e instanceof VmFailure ? e : new VmFailure({ ...failureOf(e), message: `context ${ctxName}: ${failureOf(e).message}` })),
      }),
    )) as { text?: unknown; summarize?: SummaryRequest } | null;
    const req = assembled?.summarize;
    if (!req) return String(assembled?.text ?? "");
    // Loaded on first use: the tokenizer is not needed by runs without summaries.
    const { fitSummary, summaryArgs } = yield* Effect.promise(() => import("../context/summary.js"));
    const prompt = cx.plan.prompts[req.prompt];
    const answer = yield* host.prompt(req.prompt, prompt ? summaryArgs(prompt, req) : { text: req.text, query: req.query, budget: req.budget }, summaryKey(ckey), step);
    return fitSummary(answer, req.budget).text;
  });
}

// ------------------------------------------------------------------ tools and handoffs

/** The agent's tools as function definitions, then one `transfer_to_<agent>` per handoff. */
export function toolDefinitions(plan: Plan, a: AgentPlan, args: Record<string, Json>): ToolDefinition[] {
  const defs: ToolDefinition[] = [];
  for (const t of a.tools) {
    const tool = plan.tools[t];
    if (!tool) continue;
    defs.push({ name: t, ...(tool.description ? { description: tool.description } : {}), parameters: objectSchema(tool.params as JsonSchema) });
  }
  for (const h of a.handoffs) {
    const target = plan.agents[h];
    if (!target) continue;
    const params = objectSchema(target.params as JsonSchema);
    // Parameters the current agent has under the same name are carried over: the model may omit them.
    const required = Array.isArray(params["required"]) ? (params["required"] as string[]).filter((r) => !(r in args)) : undefined;
    const what = [target.role, target.goal].filter(Boolean).join(": ");
    defs.push({
      name: `${HANDOFF_PREFIX}${h}`,
      description: `Hand the conversation over to the agent ${h}${what ? ` (${what})` : ""}. It answers in your place.`,
      parameters: { ...params, ...(required ? { required } : {}) },
    });
  }
  return defs;
}

/** A function's parameters must be an object schema. */
function objectSchema(s: JsonSchema): JsonSchema {
  return s["type"] === "object" ? s : { type: "object", properties: {}, ...s };
}

/** The arguments of a handoff target: the model's, completed by same-named arguments of the current agent. */
function handoffArgs(plan: Plan, to: string, raw: string, current: Record<string, Json>): { ok: true; args: Record<string, Json> } | { ok: false; error: string } {
  const target = plan.agents[to]!;
  const parsed = parseArguments(raw);
  if (!parsed.ok) return parsed;
  const props = ((target.params as JsonSchema)["properties"] ?? {}) as Record<string, unknown>;
  const merged: Record<string, Json> = {};
  for (const k of Object.keys(props)) if (k in current) merged[k] = current[k]!;
  Object.assign(merged, parsed.args);
  const v = validate(target.params as JsonSchema, merged);
  return v.ok ? { ok: true, args: v.value as Record<string, Json> } : { ok: false, error: v.errors.join("; ") };
}

function parseArguments(raw: string): { ok: true; args: Record<string, Json> } | { ok: false; error: string } {
  if (raw.trim() === "") return { ok: true, args: {} };
  let value: Json | undefined;
  try {
    value = JSON.parse(raw) as Json;
  } catch {
    value = lenientValue(raw.trim())?.value;
  }
  if (value === undefined) return { ok: false, error: `the arguments are not JSON: ${raw.slice(0, 200)}` };
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { ok: false, error: "the arguments must be a JSON object" };
  return { ok: true, args: value as Record<string, Json> };
}

/**
 * One tool call the model asked for, as the text of its `tool` message. Failures the model can act
 * on (a refused or failing tool, bad arguments) become the message; interrupts (approvals), needs
 * attention and cancellation stop the loop.
 */
function toolCall<U>(host: AgentHost<U>, c: ToolCall, allowed: Set<string>, a: AgentPlan, key: string, step: string): Effect.Effect<{ content: string; undo: U[] }, Stop> {
  const said = (content: string) => Effect.succeed({ content, undo: [] as U[] });
  if (!allowed.has(c.name)) {
    const names = [...a.tools, ...a.handoffs.map((h) => `${HANDOFF_PREFIX}${h}`)];
    return said(`error: there is no tool ${c.name}; the tools are ${names.join(", ") || "none"}`);
  }
  const parsed = parseArguments(c.arguments);
  if (!parsed.ok) return said(`error: ${parsed.error}`);
  return host.tool(c.name, parsed.args, key, step).pipe(
    Effect.map((r) => ({ content: typeof r.value === "string" ? r.value : JSON.stringify(r.value), undo: r.undo })),
    Effect.catch((e: Stop) => {
      if (e instanceof VmFailure && !FATAL.has(e.info.kind)) return said(`error (${e.info.kind}): ${e.info.message}`);
      return Effect.fail(e);
    }),
  );
}

/** Failures of a tool call that end the agent call instead of being shown to the model. */
const FATAL = new Set(["cancelled", "nondeterminism", "budget"]);

// ------------------------------------------------------------------ limits

/** The limit an agent reached before its next turn, described, or null. */
function overLimit(a: AgentPlan, u: Usage): string | null {
  const l = a.limits;
  if (l.turns !== null && u.turns >= l.turns) return `turns limit: ${u.turns} of ${l.turns} turns used`;
  if (l.tokens !== null && u.tokens >= l.tokens) return `tokens limit: ${u.tokens} of ${l.tokens} tokens used`;
  if (l.cost !== null && u.cost >= l.cost) return `cost limit: ${round(u.cost)} of ${l.cost} USD spent`;
  if (l.time_ms !== null && u.start !== undefined && u.last !== undefined && u.last - u.start >= l.time_ms) return `time limit: ${u.last - u.start} of ${l.time_ms} ms elapsed`;
  return null;
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

// ------------------------------------------------------------------ the final answer

function isPlainText(s: JsonSchema): boolean {
  return s["type"] === "string" && Object.keys(s).length === 1;
}

export type CheckedAnswer = { ok: true; value: Json; fixes: string[] } | { ok: false; errors: string[] };

/**
 * Schema-aligned reading of a final answer: text is parsed tolerantly (markdown fences, prose around
 * the JSON, trailing commas, single quotes, unquoted keys, comments), a `{ value }` wrapper is
 * removed, numeric and boolean strings are read where the schema wants numbers or booleans, then the
 * value is validated (defaults filled in). An already-parsed answer (recorded, mocked) is validated as is.
 */
export function checkAnswer(schema: JsonSchema | null, output: Json): CheckedAnswer {
  if (schema === null) return typeof output === "string" ? { ok: true, value: output, fixes: [] } : { ok: true, value: JSON.stringify(output), fixes: [] };
  const prepared = prepareSchema(schema);
  const fixes: string[] = [];
  let value: Json = output;
  if (typeof output === "string" && prepared.mode === "json") {
    const parsed = parseJsonAnswer(output);
    if (!parsed.ok) {
      // A bare string that fits (e.g. an enum answered without quotes) is an answer too.
      const bare = validate(schema, output.trim());
      if (bare.ok) return { ok: true, value: bare.value, fixes: ["read the bare text as the answer"] };
      return { ok: false, errors: [parsed.error] };
    }
    fixes.push(...parsed.fixes);
    value = parsed.value;
  }
  const u = unwrap(prepared, value);
  if (u.fix) fixes.push(u.fix);
  value = u.value;
  let v = validate(schema, value);
  if (!v.ok) {
    const coerced = coerce(schema, value);
    const again = validate(schema, coerced);
    if (again.ok) {
      fixes.push("read numbers and booleans written as strings");
      v = again;
    }
  }
  return v.ok ? { ok: true, value: v.value, fixes } : { ok: false, errors: v.errors };
}


function repairMessage(errors: string[], schema: JsonSchema | null): string {
  const prepared = prepareSchema(schema);
  return [
    "Your previous answer could not be used:",
    ...errors.map((e) => `- ${e}`),
    "",
    prepared.wrapped ? 'Answer again with only a JSON object of the form { "value": ... }, no prose and no code fences.' : "Answer again with only the corrected JSON, no prose and no code fences.",
    ...(prepared.sent ? [`It must match this JSON Schema: ${JSON.stringify(prepared.sent)}`] : []),
  ].join("\n");
}

// ------------------------------------------------------------------ sessions

function messageOfEntry(e: SessionEntry): ChatMessage[] {
  if (e.role === "system") return [];
  const m: ChatMessage = { role: e.role, content: e.content };
  if (Array.isArray(e.toolCalls) && e.toolCalls.length) m.toolCalls = e.toolCalls as unknown as ToolCall[];
  if (e.toolCallId !== undefined) m.toolCallId = e.toolCallId;
  return [m];
}

/**
 * Appends what this call said to the session, once: a journaled effect, and its perform checks the
 * store for this run's entries with the same time stamp (a crash between the write and its
 * journal record does not append twice).
 */
function writeSession<U>(host: AgentHost<U>, name: string, key: string, step: string, said: Said[], at: number): Effect.Effect<void, Stop> {
  const { cx } = host;
  if (cx.sessionId === undefined || !cx.sessions || said.length === 0) return Effect.void;
  const sessions = cx.sessions;
  const sid = cx.sessionId;
  const entries: SessionEntry[] = said.map(({ agent, message }) => ({
    runId: cx.runId,
    agent,
    role: message.role,
    content: message.content,
    ...(message.toolCalls ? { toolCalls: message.toolCalls as unknown as Json } : {}),
    ...(message.toolCallId !== undefined ? { toolCallId: message.toolCallId } : {}),
    at,
  }));
  return host
    .effect(sessionAppendKey(key), step, "agent", name, { session: sid, append: entries.length, at }, true, () =>
      sessions.session(sid).pipe(
        Effect.flatMap((existing) => {
          const first = entries[0]!;
          const done = existing.some((e) => e.runId === first.runId && e.at === first.at && e.agent === first.agent && e.content === first.content);
          return done ? Effect.succeed(existing.length) : sessions.appendSession(sid, entries);
        }),
        Effect.orDie,
      ),
    )
    .pipe(Effect.asVoid);
}

// ------------------------------------------------------------------ helpers

function errorOf(exit: Exit.Exit<unknown, Stop>): Stop | undefined {
  if (!Exit.isFailure(exit)) return undefined;
  const found = exit.cause.reasons.find((r) => r._tag === "Fail");
  return found && found._tag === "Fail" ? (found.error as Stop) : undefined;
}
