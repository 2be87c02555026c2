// Comparing two ASTs as a formatter must preserve them: spans and comments aside, identical.
import type { Module } from "../syntax/ast.js";

const DROPPED = new Set(["span", "pathSpan", "targetSpan", "comments", "file"]);

/**
 * A plain copy of `node` without spans and comments: what formatting must not change. Doc comments
 * (`doc`) stay, with the trailing whitespace of each line removed (the formatter trims it).
 */
export function withoutSpans(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutSpans);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (DROPPED.has(k) || v === undefined) continue;
    out[k] = k === "doc" && typeof v === "string" ? v.replace(/[ \t\r]+$/gm, "") : withoutSpans(v);
  }
  return out;
}

/** Whether two modules are the same program text up to layout and comments. */
export function sameAst(a: Module, b: Module): boolean {
  return JSON.stringify(withoutSpans(a)) === JSON.stringify(withoutSpans(b));
}
