// The messages of the agent loop: the system prompt (the MetaPrompt), the task, and the final
// answer read against the return type — tolerantly, then repaired with a message naming what was
// wrong (a bounded number of times, agent.ts).
import type { AgentPlan, JsonSchema, Plan, Segment } from "../../compiler/plan/index.js";
import type { Scope } from "../expr.js";
import { parseJsonAnswer } from "../gateway/json.js";
import { prepareSchema, unwrap } from "../gateway/structured.js";
import { coerce, validate } from "../schema.js";
import { renderSegments } from "../template.js";
import type { ChatMessage, Json, ModelResponse } from "../types.js";

export const HANDOFF_PREFIX = "transfer_to_";

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
export function taskOf(a: AgentPlan, args: Record<string, Json>, scope: Scope, format: string): string {
  return a.instructions.length ? renderSegments(a.instructions, scope, { output_format: format }) : `Input:\n${JSON.stringify(args, null, 2)}`;
}

export function instructionsHaveFormat(segments: Segment[]): boolean {
  return segments.some((s) => "builtin" in s && s.builtin === "output_format");
}

export function lastUserText(conversation: ChatMessage[]): string | undefined {
  for (let i = conversation.length - 1; i >= 0; i--) if (conversation[i]!.role === "user") return conversation[i]!.content;
  return undefined;
}

// ------------------------------------------------------------------ the final answer

/**
 * A turn as journaled: the response with the final answer already read against the schema (`output`
 * parsed and validated, fixes added to `repaired`) or the reasons it could not be (`invalid`), the
 * model's text (`text`) and the turn's times.
 */
export type Turn = ModelResponse & { text?: string; invalid?: string[]; startedAt?: number; finishedAt?: number };

/** What a turn journals (see Turn): computed once, when the answer arrives. */
export function journaled(schema: JsonSchema | null, r: ModelResponse, at: { startedAt: number; finishedAt: number }): Json {
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

export function isPlainText(s: JsonSchema): boolean {
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

export function repairMessage(errors: string[], schema: JsonSchema | null): string {
  const prepared = prepareSchema(schema);
  return [
    "Your previous answer could not be used:",
    ...errors.map((e) => `- ${e}`),
    "",
    prepared.wrapped ? 'Answer again with only a JSON object of the form { "value": ... }, no prose and no code fences.' : "Answer again with only the corrected JSON, no prose and no code fences.",
    ...(prepared.sent ? [`It must match this JSON Schema: ${JSON.stringify(prepared.sent)}`] : []),
  ].join("\n");
}
