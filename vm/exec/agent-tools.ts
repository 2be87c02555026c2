// The tools of an agent call: the function definitions the model is offered (its tools, then one
// `transfer_to_<agent>` per handoff), the arguments it wrote, each tool call it asked for through
// the interpreter's tool path (hooks, mocks, journal, compensation), and the handoff a turn makes.
import { Effect, Exit } from "effect";
import type { AgentPlan, JsonSchema, Plan } from "../../compiler/plan/index.js";
import { lenientValue } from "../gateway/json.js";
import { validate } from "../schema.js";
import type { Json, PendingInterrupt, ToolCall, ToolDefinition } from "../types.js";
import { VmFailure } from "../types.js";
import { Suspended } from "../journal.js";
import { agentToolKey, handoffKey } from "../keys.js";
import { say, type AgentCall, type AgentHost, type Handoff, type Segment, type TakenTurn } from "./agent-call.js";
import { HANDOFF_PREFIX } from "./agent-prompt.js";
import { errorOf } from "./scope.js";
import type { Stop } from "./types.js";

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

// ------------------------------------------------------------------ a turn that calls tools

/**
 * A turn that asked for tools: the calls run in parallel (each ends; no sibling is interrupted
 * half-way), their answers are said as tool messages, and the first transfer the agent may make is
 * the handoff (returned; null: the loop takes another turn of the same agent).
 */
export function toolTurn<U>(call: AgentCall<U>, seg: Segment, taken: TakenTurn, calls: ToolCall[]): Effect.Effect<Handoff | null, Stop> {
  const { host, step } = call;
  const { turnKey } = taken;
  return Effect.gen(function* () {
    say(call, { role: "assistant", content: taken.text, toolCalls: calls });
    const transfers = calls.map((c, i) => [c, i] as const).filter(([c]) => c.name.startsWith(HANDOFF_PREFIX) && seg.a.handoffs.includes(c.name.slice(HANDOFF_PREFIX.length)));
    const first = transfers[0]?.[0];
    const results = yield* Effect.forEach(
      calls.map((c, i) => [c, i] as const),
      ([c, i]) => {
        const answer = (content: string) => Effect.succeed<Exit.Exit<{ content: string; undo: U[] }, Stop>>(Exit.succeed({ content, undo: [] }));
        if (first && c === first) return answer("");
        if (transfers.some(([t]) => t === c)) return answer(`error: only one transfer per turn; ${first!.name} was taken`);
        return Effect.exit(toolCall(host, c, seg.toolNames, seg.a, agentToolKey(turnKey, i), step));
      },
      { concurrency: "unbounded" },
    );
    const pending: PendingInterrupt[] = [];
    for (const exit of results) {
      // Undo steps in call order, never in completion order.
      if (Exit.isSuccess(exit)) {
        call.undo.push(...exit.value.undo);
        continue;
      }
      const e = errorOf(exit);
      if (e instanceof Suspended) pending.push(...e.pending);
      else if (e) return yield* Effect.fail(e);
      else return yield* Effect.die(exit);
    }
    if (pending.length) return yield* Effect.fail(new Suspended(pending));
    const transfer = first ? yield* handOff(call, first, turnKey) : { handoff: null, answer: "" };
    for (const [i, c] of calls.entries()) {
      const exit = results[i]!;
      const content = first && c === first ? transfer.answer : Exit.isSuccess(exit) ? exit.value.content : "";
      say(call, { role: "tool", content, toolCallId: c.id });
    }
    const { handoff } = transfer;
    if (handoff) {
      call.chain.push({ agent: handoff.to, args: handoff.args, key: handoffKey(turnKey) });
      host.cx.emit({ type: "handoff", runId: host.cx.runId, key: turnKey, from: call.agent, to: handoff.to, at: host.cx.now() });
      host.count(handoff.to);
    }
    return handoff;
  });
}

/**
 * A transfer the model asked for: its target's arguments, the before-agent hook, the bound on
 * handoffs. A refusal the model can act on is the transfer's answer, not a failure.
 */
function handOff<U>(call: AgentCall<U>, transfer: ToolCall, turnKey: string): Effect.Effect<{ handoff: Handoff | null; answer: string }, Stop> {
  const { host, name, chain, maxHandoffs } = call;
  return Effect.gen(function* () {
    const to = transfer.name.slice(HANDOFF_PREFIX.length);
    const prepared = handoffArgs(host.cx.plan, to, transfer.arguments, call.agentArgs);
    if (!prepared.ok) return { handoff: null, answer: `error: cannot transfer to ${to}: ${prepared.error}` };
    if (chain.length >= maxHandoffs) {
      return yield* Effect.fail(
        new VmFailure({ kind: "budget", retryable: false, step: turnKey, message: `agent ${name} hit the handoff limit: ${chain.length} of ${maxHandoffs} handoffs in one call (${[name, ...chain.map((c) => c.agent)].join(" → ")} → ${to})` }),
      );
    }
    const allowed = yield* Effect.exit(host.guard({ phase: "before", name: to, input: prepared.args }, handoffKey(turnKey)));
    if (Exit.isSuccess(allowed)) return { handoff: { to, args: prepared.args }, answer: `Transferred to ${to}.` };
    const e = errorOf(allowed);
    if (!(e instanceof VmFailure) || e.info.kind !== "policy") return yield* Effect.fail(e ?? new VmFailure({ kind: "tool", message: "the handoff hook failed", retryable: false }));
    return { handoff: null, answer: `error: the transfer to ${to} was refused: ${e.info.message}` };
  });
}
