// Failure helpers of the tool provider: every way a tool call can fail becomes a classified
// VmFailure (DESIGN §5) carrying the tool's name in its message.
import { VmFailure, type FailureInfo, type FailureKind } from "../types.js";

export function fail(kind: FailureKind, message: string, retryable: boolean, extra: Partial<FailureInfo> = {}): VmFailure {
  return new VmFailure({ kind, message, retryable, ...extra });
}

/** True for a VmFailure, also one from another copy of this module (a tool may throw one). */
export function isVmFailure(e: unknown): e is VmFailure {
  return (
    typeof e === "object" &&
    e !== null &&
    (e as { _tag?: unknown })._tag === "VmFailure" &&
    typeof (e as { info?: { kind?: unknown } }).info?.kind === "string"
  );
}

/** A result over the result limits (vm/limits.ts); not retryable: asked again, a tool answers as much again. */
export function resultTooLarge(what: string): VmFailure {
  return fail("schema", `${what}; return a reference (a file, a URL, an id) instead of the data, or raise ToolsOptions.resultLimits`, false);
}

/** JSON.stringify recursing out of stack: the value nests far deeper than any limit. */
export const isStackOverflow = (message: string) => /maximum call stack/i.test(message);

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  if (typeof e === "string") return e;
  try {
    return JSON.stringify(e) ?? String(e);
  } catch {
    return String(e);
  }
}

/**
 * Shortens text quoted in a message (a response body, a value). With `secrets`, the text is
 * redacted first: a truncation must never cut a secret in half before redaction sees it whole.
 */
export function clip(text: string, max = 200, secrets?: { text(s: string): string }): string {
  const t = (secrets ? secrets.text(text) : text).replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
