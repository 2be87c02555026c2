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
//
// The loop in named steps: `runAgent` opens a segment per agent (`openSegment`: the MetaPrompt, its
// context, the task) and takes turns (`takeTurn`) until a turn asks for tools (`toolTurn` in
// agent-tools.ts, which may hand off) or answers (`finalAnswer`, which may ask for a repair). The
// call's state is in agent-call.ts, the prompt texts and answer reading in agent-prompt.ts, contexts
// and sessions in agent-context.ts.
import { Effect } from "effect";
import type { AgentPlan, JsonSchema } from "../../compiler/plan/index.js";
import type { Scope } from "../expr.js";
import { contextKey, turnKey as keyOfTurn } from "../keys.js";
import { outputFormatInstructions } from "../template.js";
import type { ChatMessage, Json, ModelResponse } from "../types.js";
import { VmFailure } from "../types.js";
import { DEFAULT_MAX_HANDOFFS, DEFAULT_REPAIR_ROUNDS, say, type AgentCall, type AgentHost, type Segment, type TakenTurn, type Usage } from "./agent-call.js";
import { assembleContext, readSession, writeSession } from "./agent-context.js";
import { instructionsHaveFormat, isPlainText, journaled, lastUserText, metaPrompt, repairMessage, taskOf, type Turn } from "./agent-prompt.js";
import { toolDefinitions, toolTurn } from "./agent-tools.js";
import type { Stop } from "./types.js";

export { DEFAULT_MAX_HANDOFFS, DEFAULT_REPAIR_ROUNDS, type AgentHost, type AgentOptions } from "./agent-call.js";

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
    const call: AgentCall<U> = {
      host, name, key, step,
      schema: isPlainText(returns) ? null : returns,
      repairRounds: cx.agents?.repairRounds ?? DEFAULT_REPAIR_ROUNDS,
      maxHandoffs: cx.agents?.maxHandoffs ?? DEFAULT_MAX_HANDOFFS,
      usage: new Map(), undo: [], said: [], chain: [],
      history: yield* readSession(host, name, key, step),
      conversation: [], agent: name, agentArgs: args, segment: 0, turn: 0, repairs: 0,
    };
    for (;;) {
      const seg = yield* openSegment(call);
      // Turns of this agent until it answers or hands off.
      for (;;) {
        const taken = yield* takeTurn(call, seg);
        if (taken.res.toolCalls && taken.res.toolCalls.length > 0) {
          const handoff = yield* toolTurn(call, seg, taken, taken.res.toolCalls);
          if (!handoff) continue;
          call.agent = handoff.to;
          call.agentArgs = handoff.args;
          call.segment++;
          break;
        }
        const value = yield* finalAnswer(call, taken);
        if (value !== undefined) return { value, undo: call.undo };
      }
    }
  });
}

/** The MetaPrompt of the agent answering now, its task, its context and memory; the task is said. */
function openSegment<U>(call: AgentCall<U>): Effect.Effect<Segment, Stop> {
  const { host, key, step, schema } = call;
  return Effect.gen(function* () {
    const { agent, agentArgs, segment } = call;
    const a = host.cx.plan.agents[agent]!;
    const scope: Scope = { get: (n) => agentArgs[n] };
    const format = schema ? outputFormatInstructions(schema) : "";
    const task = segment === 0 || a.instructions.length > 0 ? taskOf(a, agentArgs, scope, format) : null;
    // The retrieval query: the task without the output format (a JSON Schema only dilutes the search).
    const query = (task !== null && format !== "" && instructionsHaveFormat(a.instructions) ? taskOf(a, agentArgs, scope, "") : task) ?? lastUserText(call.conversation) ?? JSON.stringify(agentArgs);
    const caller = { kind: "agent", name: agent } as const;
    const contextText = a.context ? yield* assembleContext(host, caller, "context", a.context, query, contextKey(key, "context", segment), key, step) : null;
    const memoryText = a.memory ? yield* assembleContext(host, caller, "memory", a.memory, query, contextKey(key, "memory", segment), key, step) : null;
    const system = metaPrompt(host.cx.plan, a, {
      format: instructionsHaveFormat(a.instructions) ? "" : format,
      context: a.context && contextText !== null ? { name: a.context, text: contextText } : null,
      memory: a.memory && memoryText !== null ? { name: a.memory, text: memoryText } : null,
    });
    if (task !== null) say(call, { role: "user", content: task });
    return { a, system, tools: toolDefinitions(host.cx.plan, a, agentArgs), toolNames: new Set(a.tools) };
  });
}

/** One model turn of the agent answering now, after checking its limits; its usage is counted. */
function takeTurn<U>(call: AgentCall<U>, seg: Segment): Effect.Effect<TakenTurn, Stop> {
  const { host, agent, schema } = call;
  return Effect.gen(function* () {
    const u = call.usage.get(agent) ?? { turns: 0, tokens: 0, cost: 0 };
    call.usage.set(agent, u);
    const over = overLimit(seg.a, u);
    if (over) return yield* Effect.fail(new VmFailure({ kind: "budget", retryable: false, step: call.key, message: `agent ${agent} hit its ${over}` }));
    const turnKey = keyOfTurn(call.key, call.turn++);
    const messages: ChatMessage[] = [{ role: "system", content: seg.system }, ...call.history, ...call.conversation];
    const req = { messages, schema, ...(seg.tools.length ? { tools: seg.tools } : {}), post: (r: ModelResponse, at: { startedAt: number; finishedAt: number }) => journaled(schema, r, at) };
    const res = (yield* host.turn(agent, seg.a.model, req, turnKey, call.step)) as unknown as Turn;
    u.turns++;
    u.tokens += (res.usage?.input ?? 0) + (res.usage?.output ?? 0);
    u.cost += res.costUsd ?? 0;
    if (typeof res.startedAt === "number") u.start ??= res.startedAt;
    if (typeof res.finishedAt === "number") u.last = res.finishedAt;
    const text = res.text ?? (typeof res.output === "string" ? res.output : JSON.stringify(res.output ?? null));
    return { res, turnKey, text, u };
  });
}

/**
 * A final answer, read against the return type when it arrived: the call's value (after the
 * after-agent hooks of the agents handed to, and the session write), or undefined when a repair
 * was asked for. Repairs are bounded (`repairRounds`).
 */
function finalAnswer<U>(call: AgentCall<U>, taken: TakenTurn): Effect.Effect<Json | undefined, Stop> {
  const { host, name, key, step, schema } = call;
  const { res, turnKey, text, u } = taken;
  return Effect.gen(function* () {
    if (!res.invalid) {
      let value: Json = res.output ?? null;
      // The answer as read (and as the after-model hooks left it), not the raw text.
      say(call, { role: "assistant", content: typeof value === "string" ? value : JSON.stringify(value) });
      // The after-agent hooks of the agents handed to, innermost first (the caller's runs in call()).
      for (const c of [...call.chain].reverse()) value = yield* host.guard({ phase: "after", name: c.agent, input: c.args, output: value }, c.key);
      yield* writeSession(host, name, key, step, call.said, u.last ?? 0);
      return value;
    }
    if (call.repairs >= call.repairRounds) {
      const repairs = call.repairs;
      return yield* Effect.fail(
        new VmFailure({
          kind: "schema",
          retryable: true,
          step: turnKey,
          message: `agent ${call.agent}: the answer does not fit ${name}'s return type after ${repairs} repair${repairs === 1 ? "" : "s"}: ${res.invalid.join("; ")}`,
        }),
      );
    }
    call.repairs++;
    say(call, { role: "assistant", content: text });
    say(call, { role: "user", content: repairMessage(res.invalid, schema) });
    return undefined;
  });
}

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
