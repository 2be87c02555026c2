// `impl: http(...)` tools and the HTTP plumbing shared with the `std.http.*` builtins.
//
// A tool's URL may hold `{param}` holes, filled from the arguments (URL-encoded). The arguments not
// used by a hole go as a JSON body (POST, PUT, PATCH) or as the query string (GET, DELETE, HEAD,
// OPTIONS). A 2xx response is the result: JSON when the server says `application/json` (or
// `…+json`), else the text (an empty body is null). Other statuses fail, classified:
// 429 → rate_limit (retryable, with Retry-After), 408 → timeout (retryable), 5xx → transport
// (retryable), 401/403 → auth, other 4xx → tool (neither retryable). A network error is transport.
// URL and header values may hold `{env:NAME}` secret holes (secrets.ts), filled at call time.
import type { ToolImpl } from "../../compiler/plan/index.js";
import type { Json } from "../types.js";
import { clip, errorMessage, fail } from "./failures.js";
import type { SecretScope } from "./secrets.js";

export type HttpImpl = Extract<ToolImpl, { kind: "http" }> & { headers?: Record<string, string> };
export type Fetch = typeof globalThis.fetch;

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/**
 * The method and URL of an http impl. `http("GET https://…")` is accepted by the checker but lowered
 * today as `{ method: "POST", url: "GET https://…" }`; a URL that starts with a method is read as
 * "METHOD url" here so both shapes work.
 */
export function methodAndUrl(impl: HttpImpl): { method: string; url: string } {
  const m = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(impl.url);
  if (m && METHODS.has(m[1]!.toUpperCase())) return { method: m[1]!.toUpperCase(), url: m[2]! };
  return { method: (impl.method || "POST").toUpperCase(), url: impl.url.trim() };
}

function paramText(v: Json): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Fills `{name}` holes of `template` from `args`; returns the URL and the arguments left over. */
export function fillUrl(template: string, args: Record<string, Json>, tool: string): { url: string; rest: Record<string, Json> } {
  const rest: Record<string, Json> = { ...args };
  const url = template.replace(/\{([A-Za-z_][\w]*)\}/g, (_, name: string) => {
    const v = args[name];
    if (v === undefined || v === null) throw fail("tool", `tool ${tool}: the URL hole {${name}} has no argument`, false);
    delete rest[name];
    return encodeURIComponent(paramText(v));
  });
  return { url, rest };
}

/** The request an http tool sends for `args`. */
export function buildHttpRequest(
  impl: HttpImpl,
  args: Record<string, Json>,
  tool: string,
  extraHeaders: Record<string, string> = {},
  secrets?: SecretScope,
): { method: string; url: string; init: RequestInit } {
  const { method, url: template } = methodAndUrl(impl);
  const withSecrets = secrets ? secrets.fill(template, `tool ${tool}`, encodeURIComponent) : template;
  const { url: filled, rest } = fillUrl(withSecrets, args, tool);
  let url: URL;
  try {
    url = new URL(filled);
  } catch {
    throw fail("tool", `tool ${tool}: invalid URL "${filled}"`, false);
  }
  const headers = new Headers({ accept: "application/json, text/plain;q=0.9, */*;q=0.8" });
  for (const [k, v] of Object.entries(impl.headers ?? {})) headers.set(k, secrets ? secrets.fill(v, `tool ${tool}`) : v);
  for (const [k, v] of Object.entries(extraHeaders)) headers.set(k, v);
  const init: RequestInit = { method, headers };
  if (BODY_METHODS.has(method)) {
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    init.body = JSON.stringify(rest);
  } else {
    for (const [k, v] of Object.entries(rest)) {
      if (v === null) continue;
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, paramText(item));
      else url.searchParams.append(k, paramText(v));
    }
  }
  return { method, url: url.href, init };
}

/** fetch with network errors mapped to a retryable `transport` failure. */
export async function send(fetchFn: Fetch, url: string, init: RequestInit, tool: string): Promise<Response> {
  try {
    return await fetchFn(url, init);
  } catch (e) {
    if (init.signal?.aborted) throw e; // the caller's deadline or cancellation reports it
    const cause = (e as { cause?: unknown }).cause;
    const detail = cause ? `${errorMessage(e)} (${errorMessage(cause)})` : errorMessage(e);
    throw fail("transport", `tool ${tool}: ${init.method ?? "GET"} ${url} failed: ${detail}`, true);
  }
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The failure for a non-2xx response of an http tool (the body redacted before it is clipped). */
export function statusFailure(res: Response, body: string, method: string, url: string, tool: string, secrets?: SecretScope) {
  const what = `tool ${tool}: ${method} ${url} returned ${res.status}${res.statusText ? ` ${res.statusText}` : ""}${body ? `: ${clip(body, 200, secrets)}` : ""}`;
  const s = res.status;
  if (s === 429) {
    const after = retryAfterMs(res.headers.get("retry-after"));
    return fail("rate_limit", what, true, after === undefined ? {} : { retryAfterMs: after });
  }
  if (s === 408) return fail("timeout", what, true);
  if (s >= 500) {
    const after = retryAfterMs(res.headers.get("retry-after"));
    return fail("transport", what, true, after === undefined ? {} : { retryAfterMs: after });
  }
  if (s === 401 || s === 403) return fail("auth", what, false);
  return fail("tool", what, false);
}

function isJsonType(contentType: string | null): boolean {
  if (!contentType) return false;
  const mime = contentType.split(";")[0]!.trim().toLowerCase();
  return mime === "application/json" || mime.endsWith("+json");
}

/** Performs an http tool call and returns its parsed result. */
export async function callHttpTool(
  fetchFn: Fetch,
  impl: HttpImpl,
  args: Record<string, Json>,
  tool: string,
  signal: AbortSignal,
  extraHeaders: Record<string, string> = {},
  secrets?: SecretScope,
): Promise<Json> {
  const { method, url, init } = buildHttpRequest(impl, args, tool, extraHeaders, secrets);
  init.signal = signal;
  const res = await send(fetchFn, url, init, tool);
  const text = await res.text();
  if (res.status < 200 || res.status > 299) throw statusFailure(res, text, method, url, tool, secrets);
  if (text === "") return null;
  if (!isJsonType(res.headers.get("content-type"))) return text;
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw fail("schema", `tool ${tool}: ${method} ${url} sent invalid JSON (${errorMessage(e)}): ${clip(text, 200, secrets)}`, false);
  }
}

/** The response shape of `std.http.*` (stdlib/std/http.awr `HttpResponse`). */
export interface HttpResponseValue {
  [key: string]: Json;
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A `std.http.get` / `std.http.post` request: any status is a value; only transport errors fail. */
export async function rawRequest(
  fetchFn: Fetch,
  tool: string,
  method: string,
  url: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
): Promise<HttpResponseValue> {
  try {
    new URL(url);
  } catch {
    throw fail("tool", `tool ${tool}: invalid URL "${url}"`, false);
  }
  const h = new Headers(headers);
  if (body !== undefined && !h.has("content-type")) h.set("content-type", "application/json");
  const init: RequestInit = { method, headers: h, signal };
  if (body !== undefined) init.body = body;
  const res = await send(fetchFn, url, init, tool);
  const text = await res.text();
  const out: Record<string, string> = {};
  res.headers.forEach((v, k) => (out[k] = v));
  return { status: res.status, headers: out, body: text };
}
