// The mocks of a test block, answered at the provider boundary: a mocked prompt or agent is answered
// by a `ModelProvider` and a mocked tool by a `ToolProvider`, so the interpreter's ordinary path runs
// unchanged around them — model hooks (`before/after model`: redaction, transforms, deny), output
// validation and repair, the agent loop, `before/after tool` hooks, retries, fallbacks, audit
// records, the journal and costs. Only a mocked graph (and `human`/`event`) is answered at the call.
import { checkAnswer } from "./agent-prompt.js";
import { costOf } from "../gateway/cost.js";
import { validate } from "../schema.js";
import type { FailureKind, Json, ModelProvider, ModelRequest, ModelResponse, ToolProvider, ToolRequest } from "../types.js";
import { VmFailure } from "../types.js";

/**
 * One canned answer: a value, a failure of a kind, or (agents) a model turn that calls tools —
 * `transfer_to_<agent>` for a handoff.
 */
export type MockAnswer = { value: Json } | { fail: string } | { toolCalls: { name: string; args: Json }[] };

/** Canned answers of a test block: each call of NAME takes the next value (the last one repeats). */
export class Mocks {
  private readonly used = new Map<string, number>();
  constructor(private readonly table: Map<string, MockAnswer[]>) {}
  has(name: string): boolean {
    return this.table.has(name);
  }
  take(name: string): MockAnswer {
    const values = this.table.get(name)!;
    const i = this.used.get(name) ?? 0;
    this.used.set(name, i + 1);
    return values[Math.min(i, values.length - 1)]!;
  }
}

/** A mocked failure is the provider failing with that kind (retried and fallen back from as in production). */
function failure(name: string, kind: string): VmFailure {
  return new VmFailure({ kind: kind as FailureKind, message: `${name} failed (mocked: ${kind})`, retryable: true });
}

/**
 * Answers the model calls of mocked prompts and agents (by `caller`) from their mock queue; other
 * callers go to `inner`. A prompt's answer is read against its schema like the gateway reads one
 * (tolerant parsing, defaults) and, when it does not fit, the "repair round-trip" takes the next
 * answer of the queue; still not fitting is a retryable `schema` failure. An agent turn (`raw`)
 * comes back as the loop's own turn: a final answer (the loop validates and repairs it) or tool calls.
 */
export class MockModels implements ModelProvider {
  constructor(
    private readonly mocks: Mocks,
    private readonly inner: ModelProvider,
  ) {}

  call(req: ModelRequest, signal: AbortSignal): Promise<ModelResponse> {
    if (!this.mocks.has(req.caller)) return this.inner.call(req, signal);
    return Promise.resolve().then(() => this.answer(req));
  }

  private answer(req: ModelRequest): ModelResponse {
    const usage = { input: 0, output: 0 };
    const res = (output: Json, extra: Partial<ModelResponse> = {}): ModelResponse => ({ output, usage, costUsd: costOf(req.plan.price, usage), ...extra });
    const take = (): Exclude<MockAnswer, { fail: string }> => {
      const m = this.mocks.take(req.caller);
      if ("fail" in m) throw failure(req.caller, m.fail);
      return m;
    };
    const first = take();
    if ("toolCalls" in first) {
      if (!req.raw) throw new VmFailure({ kind: "schema", retryable: false, message: `${req.caller} is a prompt: a mocked answer of it cannot call tools` });
      return res("", { toolCalls: first.toolCalls.map((c, i) => ({ id: `call_${i}`, name: c.name, arguments: JSON.stringify(c.args) })) });
    }
    // An agent's turn: the loop reads the answer against the return type (and repairs) itself.
    if (req.raw) return res(first.value);
    // The mocked value as written first (it is already a value); else read tolerantly, like text.
    const read = (value: Json) => {
      const direct = req.schema ? validate(req.schema, value) : undefined;
      return direct?.ok ? { ok: true as const, value: direct.value as Json, fixes: [] } : checkAnswer(req.schema, value);
    };
    let checked = read(first.value);
    const repaired: string[] = [];
    if (!checked.ok) {
      const again = take();
      if ("toolCalls" in again) throw new VmFailure({ kind: "schema", retryable: false, message: `${req.caller} is a prompt: a mocked answer of it cannot call tools` });
      repaired.push("one repair round-trip");
      const errors = checked.errors;
      checked = read(again.value);
      if (!checked.ok) {
        throw new VmFailure({
          kind: "schema",
          retryable: true,
          message: `the mocked answer of ${req.caller} does not fit its type (model ${req.model}, after one repair): ${[...new Set([...errors, ...checked.errors])].join("; ")}`,
        });
      }
    }
    repaired.push(...checked.fixes);
    return res(checked.value, repaired.length ? { repaired } : {});
  }
}

/**
 * Answers the calls of mocked tools from their mock queue, validated against the tool's return type
 * as the tool router validates a result; other tools go to `inner` (the real js/http/MCP tools).
 */
export class MockTools implements ToolProvider {
  constructor(
    private readonly mocks: Mocks,
    private readonly inner: ToolProvider,
  ) {}

  call(req: ToolRequest, signal: AbortSignal): Promise<Json> {
    if (!this.mocks.has(req.tool)) return this.inner.call(req, signal);
    return Promise.resolve().then(() => {
      const m = this.mocks.take(req.tool);
      if ("fail" in m) throw failure(req.tool, m.fail);
      if ("toolCalls" in m) throw new VmFailure({ kind: "schema", retryable: false, message: `${req.tool} is a tool: its mocked answer cannot call tools` });
      const ok = validate(req.plan.returns, m.value);
      if (!ok.ok) throw new VmFailure({ kind: "schema", retryable: false, message: `the mocked answer of ${req.tool} does not fit its type: ${ok.errors.join("; ")}` });
      return ok.value;
    });
  }
}
