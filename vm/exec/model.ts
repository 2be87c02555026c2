// Model calls: a prompt's messages rendered from the plan, then the model chain (the model and its
// fallbacks), each attempt a journaled effect `KEY/MODEL@ATTEMPT` behind the model hooks. The agent
// loop (agent.ts) makes its turns through `modelCall` too.
import { Effect } from "effect";
import type { JsonSchema, Plan } from "../../compiler/plan/index.js";
import type { Scope } from "../expr.js";
import { failureOf } from "../journal.js";
import { contextKey, modelAttemptKey } from "../keys.js";
import { decide, withRetries } from "../retry.js";
import { outputFormatInstructions, renderSegments } from "../template.js";
import type { ChatMessage, Json, ModelResponse, ToolDefinition } from "../types.js";
import { VmFailure } from "../types.js";
import { assembleContext } from "./agent-context.js";
import { effect } from "./effect.js";
import { modelHooks } from "./guard.js";
import type { Exec, Stop } from "./types.js";

/** One model request as the chain sends it to each model. */
export interface ModelCallRequest {
  messages: ChatMessage[];
  schema: JsonSchema | null;
  tools?: ToolDefinition[];
  raw?: boolean;
  /** A prompt's overrides of its models' settings (part of the journaled request when set). */
  options?: { temperature?: number; max_tokens?: number };
  post?: (r: ModelResponse, at: { startedAt: number; finishedAt: number }) => Json;
}

/**
 * A prompt: messages from the plan, the model chain with retries and fallbacks. With `context:`,
 * the context is assembled first (journaled as `KEY/context`; the query is the prompt's user
 * message, else its system message, rendered without the context and the output format) and
 * fills `{{ context }}`. (Agents: agent.ts.)
 */
export function prompt(ex: Exec, name: string, args: Record<string, Json>, key: string, step: string): Effect.Effect<Json, Stop> {
  const cx = ex.cx;
  const decl = cx.plan.prompts[name];
  if (!decl) return Effect.fail(new VmFailure({ kind: "tool", message: `the plan has no prompt "${name}"`, retryable: false }));
  const returns = decl.returns as JsonSchema;
  const schema = returns["type"] === "string" && Object.keys(returns).length === 1 ? null : returns;
  const scope: Scope = { get: (n) => args[n] };
  const format = schema ? outputFormatInstructions(schema) : "";
  const options = {
    ...(decl.temperature !== null ? { temperature: decl.temperature } : {}),
    ...(decl.max_tokens !== null ? { max_tokens: decl.max_tokens } : {}),
  };
  return Effect.gen(function* () {
    let context = "";
    if (decl.context !== null) {
      const asks = decl.messages.find((m) => m.role === "user") ?? decl.messages.find((m) => m.role === "system");
      const query = asks ? renderSegments(asks.segments, scope, {}) : JSON.stringify(args);
      const host = {
        cx,
        effect: effect.bind(null, cx),
        prompt: (p: string, a: Record<string, Json>, k: string, s: string) => ex.call({ kind: "prompt", name: p }, a, k, s, "").pipe(Effect.map((r) => r.value)),
      };
      context = (yield* assembleContext(host, { kind: "prompt", name }, "context", decl.context, query, contextKey(key, "context"), key, step)) ?? "";
    }
    const builtins = { output_format: format, context };
    const messages: ChatMessage[] = decl.messages.map((m) => ({ role: m.role, content: renderSegments(m.segments, scope, builtins) }));
    const r = yield* modelCall(ex, "prompt", name, decl.model, { messages, schema, ...(Object.keys(options).length ? { options } : {}) }, key, step);
    return ((r as { output?: Json }).output ?? null) as Json;
  });
}

/**
 * One model call through the model chain (retries, fallbacks), each attempt a journaled effect
 * `KEY/MODEL@ATTEMPT` whose outcome is the ModelResponse. Prompts make one; an agent makes one per
 * turn (`tools`, `raw`; `post` turns the response into what is journaled: the parsed answer, timestamps).
 */
export function modelCall(ex: Exec, kind: "prompt" | "agent", name: string, model: string | null, req: ModelCallRequest, key: string, step: string): Effect.Effect<Json, Stop> {
  const cx = ex.cx;
  const chain = modelChain(cx.plan, model);
  if (!chain.length) return Effect.fail(new VmFailure({ kind: "transport", message: `${kind} ${name} has no model`, retryable: false }));
  const tryModel = (i: number): Effect.Effect<Json, Stop> => {
    const m = chain[i]!;
    // Policy hooks (guard.ts): every model call passes `before model` (which may redact the
    // messages) and `after model` (which may redact the output), fallbacks included.
    return modelHooks(ex, name, m, key, req.messages, (messages) => modelAttempts(ex, kind, name, m, { ...req, messages }, key, step)).pipe(
      Effect.catch((e: Stop) => {
        if (!(e instanceof VmFailure) || decide(e.info, { level: "model", hasFallback: i + 1 < chain.length }) !== "fallback") return Effect.fail(e);
        cx.emit({ type: "fallback", runId: cx.runId, key, from: m, to: chain[i + 1]!, at: cx.now() });
        return tryModel(i + 1);
      }),
    );
  };
  return tryModel(0);
}

/** The attempts at one model of the chain: its own `retry`, each attempt journaled. */
function modelAttempts(ex: Exec, kind: "prompt" | "agent", name: string, m: string, req: ModelCallRequest, key: string, step: string): Effect.Effect<Json, VmFailure> {
  const cx = ex.cx;
  const { messages, schema } = req;
  const plan = req.options ? { ...cx.plan.models[m]!, ...req.options } : cx.plan.models[m]!;
  const request: Json = { model: m, messages: messages as unknown as Json, schema: schema as Json };
  if (req.tools?.length) request["tools"] = req.tools as unknown as Json;
  if (req.options) request["options"] = req.options;
  const attempt = (n: number) =>
    effect(cx, modelAttemptKey(key, m, n), step, kind, name, request, true, () => {
      const startedAt = cx.now();
      return Effect.tryPromise({
        try: (signal) => cx.models.call({ model: m, plan, messages, schema, caller: name, ...(req.tools?.length ? { tools: req.tools } : {}), ...(req.raw ? { raw: true } : {}) }, signal),
        catch: (e) => (e instanceof VmFailure ? e : new VmFailure(failureOf(e))),
      }).pipe(Effect.map((r: ModelResponse) => (req.post ? req.post(r, { startedAt, finishedAt: cx.now() }) : (r as unknown as Json))));
    });
  return withRetries(plan.retry, attempt as (n: number) => Effect.Effect<Json, VmFailure>, {
    instant: cx.instant,
    onRetry: (n, error) => cx.emit({ type: "retry", runId: cx.runId, key, attempt: n, delayMs: 0, error, at: cx.now() }),
  });
}

/** A model and its fallbacks, depth-first, each once. */
export function modelChain(plan: Plan, model: string | null): string[] {
  const out: string[] = [];
  const visit = (m: string | null) => {
    if (!m || out.includes(m) || !plan.models[m]) return;
    out.push(m);
    plan.models[m]!.fallback.forEach(visit);
  };
  visit(model);
  return out;
}
