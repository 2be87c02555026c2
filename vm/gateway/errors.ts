// Maps what the `openai` SDK throws to the VM's classified failures (vm/types.ts).
//
// | what                                                   | kind       | retryable |
// | ------------------------------------------------------ | ---------- | --------- |
// | HTTP 429                                               | rate_limit | yes (retryAfterMs from retry-after-ms / retry-after) |
// | HTTP 408, 409, 5xx, connection errors, bad bodies      | transport  | yes       |
// | HTTP 401, 403                                          | auth       | no        |
// | HTTP 400 about context length / too large, HTTP 413    | schema     | no        |
// | other 4xx (404 unknown model, 422, 400 ...)            | transport  | no        |
// | a response body over the cap (openai.ts `cappedFetch`) | schema     | yes       |
// | SDK timeout, our per-call timer                        | timeout    | yes       |
// | the caller's AbortSignal                               | cancelled  | no        |
import type { APIError } from "openai";
import { loadedSdk } from "./sdk.js";
import { VmFailure, type FailureInfo } from "../types.js";

export interface AbortState {
  /** The caller's signal (cancellation). */
  caller: AbortSignal;
  /** True when our own per-call timer fired. */
  timedOut: boolean;
  timeoutMs: number | null;
}

const TOO_LARGE = /context[_ ]length|context window|maximum context|too (large|long)|reduce the length|max(imum)?[_ ]tokens? .*exceed|exceeds? .*(token|context)/i;

export function classify(err: unknown, model: string, abort: AbortState): VmFailure {
  const where = `model ${model}`;
  // An abort wins over whatever it caused: the SDK ends an aborted stream's iteration quietly, which
  // would otherwise look like a truncated stream.
  if (abort.caller.aborted) return fail({ kind: "cancelled", message: `${where}: the call was cancelled`, retryable: false });
  const sdk = loadedSdk();
  if (abort.timedOut || (sdk !== undefined && err instanceof sdk.APIConnectionTimeoutError))
    return fail({ kind: "timeout", message: `${where}: no answer within ${abort.timeoutMs ?? "the SDK's"} ms`, retryable: true });
  if (err instanceof VmFailure) return err;
  const big = tooLargeIn(err);
  if (big !== undefined)
    return fail({ kind: "schema", message: `${where}: the response body is larger than ${big} bytes (the answer limit, with room for JSON escapes); the gateway's limits option raises it (OpenAIGatewayOptions.limits)`, retryable: true });
  if ((sdk !== undefined && err instanceof sdk.APIUserAbortError) || isAbort(err))
    // Aborted, but neither by the caller nor by our timer: treat as a lost connection.
    return fail({ kind: "transport", message: `${where}: the request was aborted`, retryable: true });
  if (sdk !== undefined && err instanceof sdk.APIConnectionError)
    return fail({ kind: "transport", message: `${where}: connection error: ${causeOf(err)}`, retryable: true });
  if (sdk !== undefined && err instanceof sdk.APIError && typeof err.status === "number") return fromStatus(err.status, err, where);
  if (sdk !== undefined && err instanceof sdk.APIError)
    // A status-less API error: an error event inside a stream.
    return fail({ kind: "transport", message: `${where}: ${err.message}`, retryable: true });
  if (err instanceof SyntaxError) return fail({ kind: "transport", message: `${where}: malformed response body: ${err.message}`, retryable: true });
  const msg = err instanceof Error ? err.message : String(err);
  return fail({ kind: "transport", message: `${where}: ${msg}`, retryable: true });
}

function fromStatus(status: number, err: APIError, where: string): VmFailure {
  const detail = `${where}: HTTP ${status}: ${err.message}`;
  if (status === 429) {
    const info: FailureInfo = { kind: "rate_limit", message: detail, retryable: true };
    const after = retryAfterMs(err.headers);
    if (after !== undefined) info.retryAfterMs = after;
    return fail(info);
  }
  if (status === 401 || status === 403) return fail({ kind: "auth", message: detail, retryable: false });
  if (status === 408 || status === 409 || status >= 500) return fail({ kind: "transport", message: detail, retryable: true });
  if (status === 413 || (status === 400 && TOO_LARGE.test(`${err.message} ${err.code ?? ""}`)))
    return fail({ kind: "schema", message: `${detail} (the request is too large for the model)`, retryable: false });
  return fail({ kind: "transport", message: detail, retryable: false });
}

/** `retry-after-ms` (OpenAI, milliseconds) wins over `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const raw = headers.get("retry-after");
  if (!raw) return undefined;
  const secs = Number.parseFloat(raw);
  if (Number.isFinite(secs) && secs >= 0 && /^\s*[\d.]+\s*$/.test(raw)) return Math.round(secs * 1000);
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** The cap of a `BodyTooLarge` (openai.ts) thrown while reading a body, perhaps wrapped as a cause. */
function tooLargeIn(err: unknown): number | undefined {
  for (let e = err, i = 0; e instanceof Error && i < 4; e = (e as { cause?: unknown }).cause, i++)
    if (e.name === "BodyTooLarge") return (e as Error & { max: number }).max;
  return undefined;
}

const fail = (info: FailureInfo) => new VmFailure(info);

const isAbort = (e: unknown) => typeof e === "object" && e !== null && "name" in e && (e as { name: unknown }).name === "AbortError";

function causeOf(e: Error): string {
  const cause = (e as { cause?: unknown }).cause;
  const c = cause instanceof Error ? (((cause as { cause?: unknown }).cause as Error | undefined)?.message ?? cause.message) : undefined;
  return c ? `${e.message} (${c})` : e.message;
}
