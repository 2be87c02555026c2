// The live model gateway: any OpenAI-compatible chat-completions endpoint (OpenAI, Azure's
// compatible endpoint, vLLM, Ollama, llama.cpp server) through the official `openai` SDK.
//
// One `call` = one or two HTTP round-trips: the answer, and at most one repair round-trip when the
// answer is not valid JSON or does not match the schema. With `req.tools` the model may call
// functions instead of answering: the calls come back in `toolCalls` (streamed ones are assembled
// from their deltas) and nothing is parsed or repaired. With `req.raw` (agents) the answer's text
// comes back unparsed and there is no repair round-trip: the agent loop (vm/exec/agent.ts) parses,
// validates and repairs in journaled turns of its own. Nothing else is retried here: the SDK's
// own retries are off (`maxRetries: 0`) because the VM retries with the plan's schedule and
// journals every attempt; failures come back as classified `VmFailure`s (see errors.ts).
//
// Secrets: the API key is a secret named after its variable (`[secret OPENAI_API_KEY]`, or the
// model's `api_key_env`), as is the password of a base URL with credentials. Everything that leaves
// `call` — the answer, tool calls, streamed deltas, every field of a failure (an endpoint may quote
// the key in an error body) — passes the redaction boundary (vm/redact-secrets.ts) first.
//
// Configuration per model (docs/plan.md `models.<name>`):
// - base URL: `base_url` when it is a URL; when it names an environment variable (`env("X")`,
//   `env:X`, or a bare `UPPER_CASE` name) that variable; else `OPENAI_BASE_URL`; else OpenAI's.
// - API key: the variable named by `api_key_env`, else `OPENAI_API_KEY`. A missing key is an `auth`
//   failure naming the variable, raised before any request.
// - `max_tokens` is sent as `max_tokens` (what vLLM, Ollama, llama.cpp and most compatible servers
//   accept) except against api.openai.com, where it is sent as `max_completion_tokens` (OpenAI
//   deprecated `max_tokens` and its reasoning models reject it). `maxTokensParam` overrides.
// - `timeout_ms` bounds each round-trip, including reading a streamed body: it is both the SDK's
//   `timeout` and a timer on our own AbortController.
import type OpenAI from "openai";
import type { ChatCompletionCreateParamsBase } from "openai/resources/chat/completions/completions.js";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions/completions.js";
import { VmFailure, type ChatMessage, type Json, type ModelProvider, type ModelRequest, type ModelResponse, type ToolCall } from "../types.js";
import { costOf, estimateMessages, estimateTokens, type Usage } from "./cost.js";
import { classify, type AbortState } from "./errors.js";
import { parseJsonAnswer } from "./json.js";
import { loadSdk, loadedSdk } from "./sdk.js";
import { prepareSchema, schemaName, unwrap, type PreparedSchema, type SchemaValidator } from "./structured.js";
import { Redactor } from "../redact-secrets.js";
import { MODEL_ANSWER_LIMITS, cappedFetch, describeBreach, textBreachOf, type ValueLimits } from "../limits.js";

export interface DeltaInfo {
  caller: string;
  model: string;
  /** 1: the answer; 2: the repair round-trip. */
  round: 1 | 2;
}

export interface OpenAIGatewayOptions {
  /** Validates answers against the plan's JSON Schema (`vm/schema.ts`). */
  validate: SchemaValidator;
  /** Where keys and base URLs are read from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Receives streamed text as it arrives. Setting it turns streaming on unless `stream: false`. */
  onDelta?: (text: string, info: DeltaInfo) => void;
  /** Stream answers (`stream: true` + `stream_options.include_usage`). Default: on when `onDelta` is set. */
  stream?: boolean;
  /** How `max_tokens` is sent; "auto" (default): `max_completion_tokens` for api.openai.com, `max_tokens` elsewhere. */
  maxTokensParam?: "auto" | "max_tokens" | "max_completion_tokens";
  /** Sent when set (the plan has no such fields yet; a plan entry's own `seed`/`top_p` win if it ever has them). */
  seed?: number;
  topP?: number;
  /**
   * The size (UTF-8 bytes) and JSON nesting an answer's text and each tool call's arguments may
   * have (default 4 MB, 128 levels; vm/limits.ts). Over it, the call fails `schema` (retryable).
   */
  limits?: Partial<ValueLimits>;
}

const OPENAI_URL = "https://api.openai.com/v1";

interface RoundResult {
  text: string;
  refusal: string | null;
  finishReason: string | null;
  usage: Usage | null;
  toolCalls: ToolCall[];
}

type Checked = { ok: true; value: Json; fixes: string[] } | { ok: false; errors: string[] };

export class OpenAIGateway implements ModelProvider {
  private readonly clients = new Map<string, OpenAI>();
  private readonly env: Record<string, string | undefined>;
  private readonly limits: ValueLimits;

  constructor(private readonly opts: OpenAIGatewayOptions) {
    this.env = opts.env ?? process.env;
    this.limits = { ...MODEL_ANSWER_LIMITS, ...opts.limits };
  }

  async call(req: ModelRequest, signal: AbortSignal): Promise<ModelResponse> {
    const secrets = this.secrets(req);
    try {
      return secrets.value(await this.answer(req, signal, secrets)) as ModelResponse;
    } catch (e) {
      throw secrets.error(e);
    }
  }

  /** The secrets of a call to `req.model`: its API key and the password of its base URL, when set. */
  private secrets(req: ModelRequest): Redactor {
    const r = new Redactor();
    const name = req.plan.api_key_env ?? "OPENAI_API_KEY";
    const key = this.env[name];
    if (key) r.add(name, key);
    try {
      const url = new URL(this.baseUrl(req));
      if (url.password) r.add("base_url password", decodeURIComponent(url.password));
    } catch {
      // no base URL (or not a URL): `answer` reports it
    }
    return r;
  }

  private async answer(req: ModelRequest, signal: AbortSignal, secrets: Redactor): Promise<ModelResponse> {
    if (signal.aborted) throw new VmFailure({ kind: "cancelled", message: `model ${req.model}: the call was cancelled`, retryable: false });
    const baseURL = this.baseUrl(req);
    await loadSdk();
    const client = this.client(baseURL, this.apiKey(req));
    const prepared = prepareSchema(req.schema);
    const repaired: string[] = [];
    const usage: Usage = { input: 0, output: 0 };
    let estimated = false;

    const round = async (messages: ChatMessage[], n: 1 | 2): Promise<RoundResult> => {
      const r = await this.round(client, baseURL, req, prepared, messages, signal, n, secrets);
      this.checkLimits(req, prepared, r);
      if (r.usage) {
        usage.input += r.usage.input;
        usage.output += r.usage.output;
      } else {
        estimated = true;
        usage.input += estimateMessages(messages);
        usage.output += estimateTokens(r.text);
      }
      if (r.refusal || r.finishReason === "content_filter")
        throw new VmFailure({
          kind: "refusal",
          message: `model ${req.model} refused: ${r.refusal ?? "the answer was blocked by the content filter"}`,
          retryable: false,
        });
      return r;
    };

    const first = await round(req.messages, 1);
    if (first.toolCalls.length > 0 || req.raw) {
      // Function calls, or an agent's raw answer: the agent loop interprets (and repairs) it.
      if (estimated) repaired.push("token usage estimated (chars/4): the server reported none");
      const response: ModelResponse = { output: first.text, usage, costUsd: costOf(req.plan.price, usage) };
      if (first.toolCalls.length > 0) response.toolCalls = first.toolCalls;
      if (repaired.length > 0) response.repaired = repaired;
      return response;
    }
    let checked = this.check(req, prepared, first);
    if (!checked.ok) {
      const messages: ChatMessage[] = [
        ...req.messages,
        { role: "assistant", content: first.text },
        { role: "user", content: repairMessage(checked.errors, prepared) },
      ];
      const second = await round(messages, 2);
      repaired.push("one repair round-trip");
      checked = this.check(req, prepared, second);
      if (!checked.ok)
        // Retryable: a fresh attempt (another sample, maybe a fallback model) may well answer correctly.
        throw new VmFailure({
          kind: "schema",
          message: `model ${req.model} (${req.caller}): the answer does not match the schema after one repair: ${checked.errors.join("; ")}`,
          retryable: true,
        });
    }
    repaired.push(...checked.fixes);
    if (estimated) repaired.push("token usage estimated (chars/4): the server reported none");
    const response: ModelResponse = { output: checked.value, usage, costUsd: costOf(req.plan.price, usage) };
    if (repaired.length > 0) response.repaired = repaired;
    return response;
  }

  // ------------------------------------------------------------ configuration

  private baseUrl(req: ModelRequest): string {
    const configured = req.plan.base_url;
    if (configured !== null && configured !== "") {
      const name = envNameOf(configured);
      if (name === undefined) return configured;
      const value = this.env[name];
      if (!value)
        throw new VmFailure({
          kind: "transport",
          message: `model ${req.model}: base_url names the environment variable ${name}, which is not set`,
          retryable: false,
        });
      return value;
    }
    return this.env.OPENAI_BASE_URL || OPENAI_URL;
  }

  private apiKey(req: ModelRequest): string {
    const name = req.plan.api_key_env ?? "OPENAI_API_KEY";
    const key = this.env[name];
    if (!key)
      throw new VmFailure({
        kind: "auth",
        message: `model ${req.model}: no API key: the environment variable ${name} is not set`,
        retryable: false,
      });
    return key;
  }

  private client(baseURL: string, apiKey: string): OpenAI {
    const id = `${baseURL}\u0000${apiKey}`;
    let c = this.clients.get(id);
    if (!c) {
      // The SDK's own logging is off: it would print to the embedding service's console (e.g.
      // "Could not parse message into JSON" on a malformed stream chunk); every failure reaches the
      // caller as a classified VmFailure instead.
      // The body is read through a cap, so a hostile endpoint cannot fill the heap before `checkLimits`.
      c = new (loadedSdk()!.default)({ apiKey, baseURL, maxRetries: 0, logLevel: "off", fetch: cappedFetch(bodyCap(this.limits), (max) => new BodyTooLarge(max)) });
      this.clients.set(id, c);
    }
    return c;
  }

  private maxTokensParam(baseURL: string): "max_tokens" | "max_completion_tokens" {
    const p = this.opts.maxTokensParam ?? "auto";
    if (p !== "auto") return p;
    try {
      return new URL(baseURL).hostname === "api.openai.com" ? "max_completion_tokens" : "max_tokens";
    } catch {
      return "max_tokens";
    }
  }

  // ------------------------------------------------------------ one round-trip

  private async round(
    client: OpenAI,
    baseURL: string,
    req: ModelRequest,
    prepared: PreparedSchema,
    messages: ChatMessage[],
    caller: AbortSignal,
    n: 1 | 2,
    secrets: Redactor,
  ): Promise<RoundResult> {
    const plan = req.plan as ModelRequest["plan"] & { seed?: unknown; top_p?: unknown };
    const body: ChatCompletionCreateParamsBase = { model: plan.name, messages: messages.map(toOpenAI) };
    if (req.tools && req.tools.length > 0) body.tools = req.tools.map(toolOf);
    if (plan.temperature !== null) body.temperature = plan.temperature;
    if (plan.max_tokens !== null) body[this.maxTokensParam(baseURL)] = plan.max_tokens;
    const seed = typeof plan.seed === "number" ? plan.seed : this.opts.seed;
    if (seed !== undefined) body.seed = seed;
    const topP = typeof plan.top_p === "number" ? plan.top_p : this.opts.topP;
    if (topP !== undefined) body.top_p = topP;
    if (prepared.mode === "json")
      body.response_format = { type: "json_schema", json_schema: { name: schemaName(req.caller), schema: prepared.sent!, strict: false } };

    const timeoutMs = plan.timeout_ms && plan.timeout_ms > 0 ? plan.timeout_ms : null;
    const controller = new AbortController();
    const abort: AbortState = { caller, timedOut: false, timeoutMs };
    const onCancel = () => controller.abort(caller.reason);
    caller.addEventListener("abort", onCancel, { once: true });
    const timer =
      timeoutMs === null
        ? undefined
        : setTimeout(() => {
            abort.timedOut = true;
            controller.abort(new Error(`timeout after ${timeoutMs} ms`));
          }, timeoutMs);
    const options = { signal: controller.signal, maxRetries: 0, ...(timeoutMs !== null ? { timeout: timeoutMs } : {}) };
    try {
      if (this.opts.stream ?? this.opts.onDelta !== undefined) {
        const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, options);
        let text = "";
        let refusal: string | null = null;
        let finishReason: string | null = null;
        let usage: Usage | null = null;
        // Streamed tool calls arrive in pieces keyed by `index`: the id and name first, then the
        // arguments' JSON text in fragments.
        const calls: { id: string; name: string; arguments: string }[] = [];
        for await (const chunk of stream) {
          for (const choice of chunk.choices ?? []) {
            if (choice.index !== 0) continue;
            for (const d of choice.delta?.tool_calls ?? []) {
              const c = (calls[d.index] ??= { id: "", name: "", arguments: "" });
              if (d.id) c.id = d.id;
              if (d.function?.name) c.name += d.function.name;
              if (d.function?.arguments) {
                c.arguments += d.function.arguments;
                if (c.arguments.length > this.limits.maxBytes) this.checkLimits(req, prepared, { text: "", toolCalls: [c] });
            }
            }
            const piece = choice.delta?.content;
            if (piece) {
              text += piece;
              if (text.length > this.limits.maxBytes) this.checkLimits(req, prepared, { text, toolCalls: [] });
              // Redacted piece by piece: a secret split across two deltas is not recognised here (the
              // assembled answer is redacted whole when it leaves `call`).
              this.opts.onDelta?.(secrets.text(piece), { caller: req.caller, model: req.model, round: n });
            }
            if (choice.delta?.refusal) refusal = (refusal ?? "") + choice.delta.refusal;
            if (choice.finish_reason) finishReason = choice.finish_reason;
          }
          if (chunk.usage) usage = { input: chunk.usage.prompt_tokens, output: chunk.usage.completion_tokens };
        }
        if (finishReason === null && refusal === null)
          throw new VmFailure({ kind: "transport", message: `model ${req.model}: the stream ended before the model finished`, retryable: true });
        return { text, refusal, finishReason, usage, toolCalls: calls.filter(Boolean).map((c, i) => ({ ...c, id: c.id || `call_${i}` })) };
      }
      const completion = await client.chat.completions.create(body as ChatCompletionCreateParamsBase & { stream?: false }, options);
      const choice = completion.choices?.[0];
      if (!choice) throw new VmFailure({ kind: "transport", message: `model ${req.model}: the response has no choices`, retryable: true });
      const usage = completion.usage ? { input: completion.usage.prompt_tokens, output: completion.usage.completion_tokens } : null;
      const toolCalls: ToolCall[] = [];
      for (const [i, c] of (choice.message?.tool_calls ?? []).entries())
        if (c.type === "function") toolCalls.push({ id: c.id || `call_${i}`, name: c.function.name, arguments: c.function.arguments ?? "" });
      return { text: choice.message?.content ?? "", refusal: choice.message?.refusal ?? null, finishReason: choice.finish_reason ?? null, usage, toolCalls };
    } catch (err) {
      throw classify(err, req.model, abort);
    } finally {
      if (timer) clearTimeout(timer);
      caller.removeEventListener("abort", onCancel);
    }
  }

  // ------------------------------------------------------------ output

  /** An answer or tool-call arguments over the limits fail the call before anything parses them. */
  private checkLimits(req: ModelRequest, prepared: PreparedSchema, r: Pick<RoundResult, "text" | "toolCalls">): void {
    // Plain text is never parsed as JSON: only its size counts.
    const answer = textBreachOf(r.text, prepared.mode === "text" && !req.raw ? { ...this.limits, maxDepth: Infinity } : this.limits);
    if (answer) throw tooLarge(req, `the answer ${describeBreach(answer)}`);
    for (const c of r.toolCalls) {
      const args = textBreachOf(c.arguments, this.limits);
      if (args) throw tooLarge(req, `the arguments of its call of ${c.name || "a tool"} ${describeBreach(args)}`);
    }
  }

  private check(req: ModelRequest, prepared: PreparedSchema, r: RoundResult): Checked {
    const cut = r.finishReason === "length" ? ["the answer was cut off at the token limit (finish_reason: length)"] : [];
    let value: Json;
    const fixes: string[] = [];
    if (prepared.mode === "text") {
      value = r.text;
    } else {
      const parsed = parseJsonAnswer(r.text);
      if (!parsed.ok) return { ok: false, errors: [parsed.error, ...cut] };
      fixes.push(...parsed.fixes);
      const u = unwrap(prepared, parsed.value);
      if (u.fix) fixes.push(u.fix);
      value = u.value;
    }
    if (req.schema === null) return { ok: true, value, fixes };
    const v = this.opts.validate(req.schema, value);
    if (!v.ok) return { ok: false, errors: [...v.errors, ...cut] };
    return { ok: true, value: v.value as Json, fixes };
  }
}

/** Retryable: another sample, or a fallback model, may well answer within the limits. */
function tooLarge(req: ModelRequest, what: string): VmFailure {
  return new VmFailure({
    kind: "schema",
    message: `model ${req.model} (${req.caller}): ${what}; the gateway's limits option raises it (OpenAIGatewayOptions.limits)`,
    retryable: true,
  });
}

/** The most a response body may hold: escapes can make an answer's JSON text up to six times longer. */
export function bodyCap(limits: ValueLimits): number {
  return limits.maxBytes * 6 + 1024 * 1024;
}

/** Thrown while a response body is read past `bodyCap`; errors.ts classifies it. */
export class BodyTooLarge extends Error {
  constructor(readonly max: number) {
    super(`the response body is larger than ${max} bytes`);
    this.name = "BodyTooLarge";
  }
}

function repairMessage(errors: string[], prepared: PreparedSchema): string {
  const lines = [
    "Your previous answer could not be used:",
    ...errors.map((e) => `- ${e}`),
    "",
    prepared.wrapped
      ? 'Answer again with only a JSON object of the form { "value": ... }, no prose and no code fences.'
      : "Answer again with only the corrected JSON, no prose and no code fences.",
  ];
  if (prepared.sent) lines.push(`It must match this JSON Schema: ${JSON.stringify(prepared.sent)}`);
  return lines.join("\n");
}

/** A VM chat message in the SDK's shape (assistant tool calls, tool results). */
function toOpenAI(m: ChatMessage): ChatCompletionMessageParam {
  if (m.role === "tool") return { role: "tool", content: m.content, tool_call_id: m.toolCallId ?? "" };
  if (m.role === "assistant" && m.toolCalls && m.toolCalls.length > 0)
    return {
      role: "assistant",
      content: m.content === "" ? null : m.content,
      tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } })),
    };
  return { role: m.role, content: m.content };
}

function toolOf(t: NonNullable<ModelRequest["tools"]>[number]): ChatCompletionTool {
  return { type: "function", function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters } };
}

/** The environment variable a `base_url` names: `env("X")`, `env:X`, `$X` or a bare `UPPER_CASE` name. */
export function envNameOf(baseUrl: string): string | undefined {
  const s = baseUrl.trim();
  if (s.includes("://")) return undefined;
  const m = /^env\(\s*["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*\)$/.exec(s) ?? /^(?:env:|\$)([A-Za-z_][A-Za-z0-9_]*)$/.exec(s) ?? /^([A-Z_][A-Z0-9_]*)$/.exec(s);
  return m ? m[1] : undefined;
}
