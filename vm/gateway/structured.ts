// Structured output: how a plan's JSON Schema is sent to an OpenAI-compatible server and how the
// answer is mapped back.
//
// OpenAI's `response_format: { type: "json_schema" }` needs an object at the root. The plan's
// schemas are draft 2020-12 with named types under `$defs` and often a `$ref` root
// (`{ $ref: "#/$defs/Triage", $defs }`). So:
// - a root `type: "object"` schema is sent as is;
// - a `$ref` root that points at an object definition is inlined (`{ ...$defs[Name], $defs }`);
// - anything else (string, number, list, enum, union, ...) is wrapped:
//   `{ type: "object", properties: { value: <schema> }, required: ["value"], additionalProperties: false, $defs }`
//   (`$defs` hoisted to the new root so `#/$defs/...` references still resolve), and the answer's
//   `value` is unwrapped before validation. A model that forgets the wrapper and answers the bare
//   value is tolerated (noted in `repaired`).
// - `{ type: "string" }` with no other constraint is asked as plain text (no response_format).
// Validation always runs against the plan's original schema.
import type { Json } from "../types.js";

export type JsonSchema = Record<string, unknown>;

/** Validates a value against a JSON Schema (`vm/schema.ts` provides the real one). */
export type SchemaValidator = (schema: JsonSchema, value: unknown) => { ok: true; value: unknown } | { ok: false; errors: string[] };

export interface PreparedSchema {
  /** "text": ask for plain text; "json": send `sent` as response_format. */
  mode: "text" | "json";
  sent?: JsonSchema;
  /** True when the answer is `{ value: ... }` and must be unwrapped. */
  wrapped: boolean;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function prepareSchema(schema: JsonSchema | null): PreparedSchema {
  if (schema === null) return { mode: "text", wrapped: false };
  const keys = Object.keys(schema).filter((k) => k !== "description" && k !== "title" && k !== "$schema");
  if (schema.type === "string" && keys.length === 1) return { mode: "text", wrapped: false };
  if (schema.type === "object") return { mode: "json", sent: schema, wrapped: false };
  const { $defs, ...rest } = schema;
  const ref = typeof schema.$ref === "string" ? /^#\/\$defs\/(.+)$/.exec(schema.$ref) : null;
  if (ref && isObj($defs)) {
    const target = $defs[decodeRef(ref[1]!)];
    if (isObj(target) && target.type === "object") {
      const { $ref: _drop, ...siblings } = rest;
      return { mode: "json", sent: { ...siblings, ...target, $defs }, wrapped: false };
    }
  }
  const wrapper: JsonSchema = { type: "object", properties: { value: rest }, required: ["value"], additionalProperties: false };
  if ($defs !== undefined) wrapper.$defs = $defs;
  return { mode: "json", sent: wrapper, wrapped: true };
}

const decodeRef = (s: string) => decodeURIComponent(s).replace(/~1/g, "/").replace(/~0/g, "~");

/** The answer without the `{ value }` wrapper; `fix` is set when the model answered the bare value. */
export function unwrap(prepared: PreparedSchema, value: Json): { value: Json; fix?: string } {
  if (!prepared.wrapped) return { value };
  if (isObj(value) && "value" in value && Object.keys(value).length === 1) return { value: value.value as Json };
  return { value, fix: "accepted a value without the { value } wrapper" };
}

/** A json_schema name OpenAI accepts (`^[a-zA-Z0-9_-]{1,64}$`). */
export function schemaName(caller: string): string {
  const n = caller.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64);
  return n || "output";
}
