// Template strings of prompts and agents: segments → text. Holes are expressions evaluated in the
// caller's scope (vm/expr.ts: strings as is, null as "", records and lists as compact JSON);
// `{{ output_format }}` is filled by the VM with instructions describing the expected output.
import type { JsonSchema, Segment } from "../compiler/plan/index.js";
import { renderTemplate, type Scope } from "./expr.js";

/** What the VM fills builtin holes with. */
export interface TemplateBuiltins {
  /** The text of `{{ output_format }}` (see `outputFormatInstructions`); "" when absent. */
  output_format?: string;
  /** The assembled text of a prompt's `context:` (`{{ context }}`); "" when absent. */
  context?: string;
}

/** Renders segments to text. Throws VmFailure (kind "expression") when a hole fails. */
export function renderSegments(segments: Segment[], scope: Scope, builtins: TemplateBuiltins = {}): string {
  return renderTemplate(segments, scope, builtins);
}

/**
 * The text of `{{ output_format }}` for a prompt's or agent's `returns` schema: one compact,
 * deterministic instruction (the schema as given, key order kept). `null` (plain text output) → "".
 */
export function outputFormatInstructions(schema: JsonSchema | null): string {
  if (!schema) return "";
  return `Answer with a JSON value matching this JSON Schema: ${JSON.stringify(schema)}\nReply with the JSON value only, without prose or markdown fences.`;
}
