// Size and depth limits on values the runtime receives from outside: a run's input, a model's answer
// and tool-call arguments, a tool's result. Measured without recursion and stopping at the limit, so
// that a hostile value is refused before anything recursive (validation, encoding, the journal)
// could overflow its stack or the heap. docs/security.md § Hostile input has the table.
import type { Json } from "./types.js";

export interface ValueLimits {
  /** Bytes of the value as JSON text (UTF-8). */
  maxBytes: number;
  /** Nesting of objects and lists. */
  maxDepth: number;
}

/** A run's input (`checkInput`; AWR types are far shallower than 128). */
export const INPUT_LIMITS: ValueLimits = { maxBytes: 10 * 1024 * 1024, maxDepth: 128 };
/** A model's answer text and each tool call's arguments (the gateway). */
export const MODEL_ANSWER_LIMITS: ValueLimits = { maxBytes: 4 * 1024 * 1024, maxDepth: 128 };
/** A tool's result (js, http, MCP, builtins). */
export const TOOL_RESULT_LIMITS: ValueLimits = { maxBytes: 10 * 1024 * 1024, maxDepth: 128 };

/** Which limit a value broke, by how much: the data of a refusal's message. */
export interface LimitBreach {
  limit: "bytes" | "depth";
  max: number;
  /** The size or depth measured (for depth: at least `max + 1`, measuring stops there). */
  actual: number;
}

/** The first limit `value` breaks, or undefined. */
export function breachOf(value: Json, limits: ValueLimits): LimitBreach | undefined {
  const depth = jsonDepth(value, limits.maxDepth);
  if (depth > limits.maxDepth) return { limit: "depth", max: limits.maxDepth, actual: depth };
  const bytes = jsonBytes(value, limits.maxBytes);
  if (bytes > limits.maxBytes) return { limit: "bytes", max: limits.maxBytes, actual: bytes };
  return undefined;
}

/** The first limit JSON (or any) text breaks: its UTF-8 length and the bracket nesting it would parse to. */
export function textBreachOf(text: string, limits: ValueLimits): LimitBreach | undefined {
  // UTF-8 bytes are at least the UTF-16 length and at most three times it: measure only when unsure.
  if (text.length > limits.maxBytes) return { limit: "bytes", max: limits.maxBytes, actual: Buffer.byteLength(text, "utf8") };
  if (text.length * 3 > limits.maxBytes) {
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > limits.maxBytes) return { limit: "bytes", max: limits.maxBytes, actual: bytes };
  }
  const depth = textDepth(text, limits.maxDepth);
  if (depth > limits.maxDepth) return { limit: "depth", max: limits.maxDepth, actual: depth };
  return undefined;
}

/** "4.0 MB (4194304 bytes)" or "129 levels": how a breach reads in a message. */
export function describeBreach(b: LimitBreach): string {
  return b.limit === "bytes"
    ? `is ${mb(b.actual)} MB (${b.actual} bytes), over the limit of ${mb(b.max)} MB (${b.max} bytes)`
    : `nests deeper than ${b.max} levels (at least ${b.actual})`;
}

const mb = (n: number) => (n / (1024 * 1024)).toFixed(1);

/** The nesting depth of a JSON value, counted without recursion and no further than `limit + 1`. */
export function jsonDepth(value: Json, limit: number): number {
  let max = 0;
  const stack: [Json, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (d + 1 > max) max = d + 1;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/**
 * The length of `value` as compact JSON in UTF-8 bytes (strings counted without escapes, which only
 * add), counted without recursion, stopping once past `limit`. Call it after `jsonDepth`.
 */
export function jsonBytes(value: Json, limit: number): number {
  let total = 0;
  const stack: Json[] = [value];
  while (stack.length) {
    const v = stack.pop()!;
    if (v === null) total += 4;
    else if (typeof v === "string") total += 2 + Buffer.byteLength(v, "utf8");
    else if (typeof v === "number") total += String(v).length;
    else if (typeof v === "boolean") total += v ? 4 : 5;
    else if (Array.isArray(v)) {
      total += 2 + Math.max(0, v.length - 1);
      for (const c of v) stack.push(c);
    } else {
      const keys = Object.keys(v);
      total += 2 + Math.max(0, keys.length - 1);
      for (const k of keys) {
        total += Buffer.byteLength(k, "utf8") + 3;
        stack.push(v[k]!);
      }
    }
    if (total > limit) return total;
  }
  return total;
}

/** The bracket nesting of JSON text (string-aware), no further than `limit + 1`. */
export function textDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== "") {
      if (c === 92) i++; // backslash
      else if (text[i] === quote) quote = "";
      continue;
    }
    if (c === 34) quote = '"';
    else if (c === 123 || c === 91) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if ((c === 125 || c === 93) && depth > 0) depth--;
  }
  return max;
}

/**
 * `fetch` whose response bodies error with `tooLarge(max)` once they pass `max` bytes (a declared
 * content-length over it fails at once), so a hostile endpoint cannot fill the heap.
 */
export function cappedFetch(max: number, tooLarge: (max: number) => Error, inner: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    const res = await inner(input, init);
    if (!res.body) return res;
    const declared = Number(res.headers.get("content-length") ?? "");
    if (Number.isFinite(declared) && declared > max) {
      void res.body.cancel().catch(() => {});
      throw tooLarge(max);
    }
    let seen = 0;
    const counted = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctl) {
          seen += chunk.byteLength;
          if (seen > max) ctl.error(tooLarge(max));
          else ctl.enqueue(chunk);
        },
      }),
    );
    return new Response(counted, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
