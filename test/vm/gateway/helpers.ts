// Shared pieces of the gateway tests: a model plan entry, a request, and a small stand-in for the
// schema validator of vm/schema.ts (types, required, properties, enum, items, $ref into $defs).
import type { ModelRequest } from "../../../vm/types.js";
import type { SchemaValidator } from "../../../vm/gateway/structured.js";

export function modelPlan(over: Partial<ModelRequest["plan"]> = {}): ModelRequest["plan"] {
  return {
    provider: "openai",
    name: "gpt-test",
    base_url: null,
    api_key_env: null,
    temperature: 0,
    max_tokens: null,
    timeout_ms: 5000,
    retry: { max: 0, backoff: { kind: "constant", initial_ms: 0, max_ms: 0 }, jitter: false },
    fallback: [],
    price: null,
    loc: { file: "main.awr", line: 1, column: 1 },
    ...over,
  };
}

export const triageSchema = {
  $ref: "#/$defs/Triage",
  $defs: {
    Triage: {
      type: "object",
      properties: { priority: { enum: ["low", "normal", "urgent"] }, summary: { type: "string" } },
      required: ["priority", "summary"],
      additionalProperties: false,
    },
  },
};

export function request(over: Partial<ModelRequest> = {}): ModelRequest {
  return {
    model: "fast",
    plan: modelPlan(),
    messages: [
      { role: "system", content: "You triage tickets." },
      { role: "user", content: "Subject: site down" },
    ],
    schema: triageSchema,
    caller: "triage_prompt",
    ...over,
  };
}

type S = Record<string, any>;

export const validate: SchemaValidator = (schema, value) => {
  const errors: string[] = [];
  check(schema as S, value, "$", (schema as S).$defs ?? {}, errors);
  return errors.length ? { ok: false, errors } : { ok: true, value };
};

function check(s: S, v: unknown, path: string, defs: S, errors: string[]): void {
  if (typeof s.$ref === "string") return check(defs[s.$ref.replace("#/$defs/", "")], v, path, defs, errors);
  if (s.enum && !s.enum.includes(v)) errors.push(`${path}: must be one of ${s.enum.join(", ")}`);
  const t = s.type;
  if (t === "string" && typeof v !== "string") errors.push(`${path}: expected string`);
  if ((t === "number" || t === "integer") && typeof v !== "number") errors.push(`${path}: expected number`);
  if (t === "boolean" && typeof v !== "boolean") errors.push(`${path}: expected boolean`);
  if (t === "array") {
    if (!Array.isArray(v)) errors.push(`${path}: expected array`);
    else v.forEach((x, i) => s.items && check(s.items, x, `${path}[${i}]`, defs, errors));
  }
  if (t === "object") {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return void errors.push(`${path}: expected object`);
    const o = v as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in o)) errors.push(`${path}.${r}: required`);
    for (const [k, sub] of Object.entries(s.properties ?? {})) if (k in o) check(sub as S, o[k], `${path}.${k}`, defs, errors);
    if (s.additionalProperties === false) for (const k of Object.keys(o)) if (!(k in (s.properties ?? {}))) errors.push(`${path}.${k}: not allowed`);
  }
}
