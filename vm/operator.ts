// What an operator does to a stopped run, checked before anything is journaled: answering a pending
// interrupt (`resume`) and resolving an effect in doubt (`resolve`). A refusal is a typed error
// (`RunRejection` and its subclasses) carrying what an API needs to answer with a status code — the
// CLI maps them to exit 2, a future HTTP server to 404/409/422 — and nothing is written.
import type { JsonSchema, Plan } from "../compiler/plan/index.js";
import { INPUT_LIMITS, breachOf, describeBreach, jsonDepth } from "./limits.js";
import { validate } from "./schema.js";
import type { AuditRecord, Json, JournalEntry, LoadedRun, PendingInterrupt, RunStatus } from "./types.js";

// The refusals are tagged errors of the port (vm/ports/errors.ts): RunNotFound (UnknownRun),
// NotWaiting, NotNeedingAttention, InvalidResumeValue.
export { RunRejection, RunNotFound, NotWaiting, NotNeedingAttention, InvalidResumeValue } from "./ports/errors.js";
import { NotNeedingAttention, InvalidResumeValue } from "./ports/errors.js";

/** A graph's input that does not fit its parameters (422): `checkInput`, before a run is stored. */
export class InvalidInput extends Error {
  readonly _tag = "InvalidInput";
  readonly status = 422;
  constructor(
    readonly graph: string,
    readonly expected: string,
    readonly errors: string[],
  ) {
    super(`the input does not fit graph ${graph}: expected ${expected}; ${errors.join("; ")}`);
    this.name = "InvalidInput";
  }
}

/**
 * Checks a graph's input against its parameters before a run is started, so that input which can
 * only fail is refused without storing a run (`awr run`). `start` itself still accepts it and ends
 * the run `failed` (kind `schema`), as test blocks expect.
 */
export function checkInput(plan: Plan, graph: string, input: Json): void {
  // A name from outside (a CLI flag, a request): `constructor` is no graph.
  const g = Object.hasOwn(plan.graphs, graph) ? plan.graphs[graph] : undefined;
  if (!g) return;
  checkInputLimits(plan, graph, input);
  const ok = validate(g.params as JsonSchema, input ?? {});
  if (!ok.ok) throw new InvalidInput(graph, describeSchema(g.params as JsonSchema), ok.errors);
}

/**
 * Hostile input is refused before anything recursive (validation, encoding, the store) sees it:
 * over `INPUT_LIMITS` (size, nesting) it is an `InvalidInput`. `runtime.start` calls this for
 * embedders; `checkInput` (what `awr run` calls) adds the graph's parameters.
 */
export function checkInputLimits(plan: Plan, graph: string, input: Json): void {
  const breach = breachOf(input, INPUT_LIMITS);
  if (!breach) return;
  const params = (Object.hasOwn(plan.graphs, graph) ? plan.graphs[graph]?.params : undefined) as JsonSchema | undefined;
  throw new InvalidInput(graph, params ? describeSchema(params) : "input", [
    `the input ${describeBreach(breach)}${breach.limit === "bytes" ? "; pass large data by reference (a file or URL a tool reads)" : ""}`,
  ]);
}

/** How deep a run's input may nest (objects and lists); AWR types are far shallower. */
export const MAX_INPUT_DEPTH = INPUT_LIMITS.maxDepth;
/** How large a run's input may be, as JSON in UTF-8 bytes (10 MB). */
export const MAX_INPUT_BYTES = INPUT_LIMITS.maxBytes;

export { jsonDepth };

/** The answer forms of an approval: exactly `true`, `false` or `{ "approved": bool, "comment"?: string }`. */
export const APPROVAL_SCHEMA: JsonSchema = {
  anyOf: [
    { type: "boolean" },
    { type: "object", properties: { approved: { type: "boolean" }, comment: { type: "string" } }, required: ["approved"], additionalProperties: false },
  ],
};

/** What an await into a field must supply: the field's type (an element of it for append). */
export function awaitSchema(field: Plan["graphs"][string]["state"][number]): JsonSchema {
  const s = field.schema as JsonSchema;
  if (field.reducer === "append" && s["type"] === "array" && s["items"]) return { ...(s["items"] as JsonSchema), ...(s["$defs"] ? { $defs: s["$defs"] } : {}) };
  // An optional field (anyOf with null) must still receive a value.
  const any = s["anyOf"] as JsonSchema[] | undefined;
  if (any?.length === 2 && any.some((x) => x["type"] === "null")) return { ...any.find((x) => x["type"] !== "null")!, ...(s["$defs"] ? { $defs: s["$defs"] } : {}) };
  return s;
}

/** The schema an answer to `p` must fit (null: anything, an await whose answer is not stored). */
export function answerSchema(plan: Plan, p: PendingInterrupt): JsonSchema | null {
  if (p.kind === "approval") return APPROVAL_SCHEMA;
  for (const g of Object.values(plan.graphs)) {
    for (const node of g.nodes) {
      for (const s of node.stmts) {
        if (s.id !== p.step || s.op !== "await") continue;
        const field = s.into ? g.state.find((f) => f.name === s.into) : undefined;
        return field ? awaitSchema(field) : null;
      }
    }
  }
  return null;
}

/** A short human description of a schema, for messages ("a record { subject: string, text: string }"). */
export function describeSchema(s: JsonSchema | boolean, defs: Record<string, JsonSchema> = {}, depth = 0): string {
  if (s === true) return "any value";
  if (s === false) return "nothing";
  const d = (s["$defs"] as Record<string, JsonSchema> | undefined) ?? defs;
  const ref = s["$ref"];
  if (typeof ref === "string") {
    const name = ref.split("/").pop()!;
    return depth > 1 || !d[name] ? name : describeSchema(d[name]!, d, depth + 1);
  }
  if (Array.isArray(s["enum"])) return `one of ${(s["enum"] as Json[]).map((v) => JSON.stringify(v)).join(", ")}`;
  if ("const" in s) return JSON.stringify(s["const"]);
  const alts = (s["anyOf"] ?? s["oneOf"]) as JsonSchema[] | undefined;
  if (alts) return alts.map((a) => describeSchema(a, d, depth)).join(" or ");
  const t = s["type"];
  if (Array.isArray(t)) return t.join(" or ");
  if (t === "array") return `a list of ${s["items"] ? describeSchema(s["items"] as JsonSchema, d, depth + 1) : "values"}`;
  if (t === "object") {
    const props = (s["properties"] ?? {}) as Record<string, JsonSchema>;
    const req = new Set((s["required"] as string[] | undefined) ?? []);
    const keys = Object.keys(props);
    if (!keys.length) return "a record";
    if (depth > 1) return "a record";
    return `{ ${keys.map((k) => `${k}${req.has(k) ? "" : "?"}: ${describeSchema(props[k]!, d, depth + 1)}`).join(", ")} }`;
  }
  return typeof t === "string" ? t : "any value";
}

/** Checks an answer to `p` (throws InvalidResumeValue) and returns it with defaults filled in. */
export function checkAnswer(plan: Plan, runId: string, p: PendingInterrupt, value: Json): Json {
  const schema = answerSchema(plan, p);
  if (!schema) return value;
  const ok = validate(schema, value);
  if (ok.ok) return ok.value;
  const expected = p.kind === "approval" ? `true, false or { "approved": true|false, "comment"?: string }` : describeSchema(schema);
  throw new InvalidResumeValue(runId, `${p.kind} "${p.reason}"`, expected, ok.errors);
}

/** What `resolve` does with the effect in doubt. */
export type Resolution = { succeeded: Json } | { retry: true } | { fail: string };

/** Who decided, and why (stored in the audit record of the decision). */
export interface Decider {
  /** Who (an operator's name; default: the run's principal id). */
  by?: string;
  comment?: string;
}

/** The intent of the effect a needs_attention run stopped on (its error's step), and its callee. */
export function effectInDoubt(loaded: LoadedRun): { intent: JournalEntry; tool: string | undefined } {
  const run = loaded.snapshot;
  if (run.status !== "needs_attention") throw new NotNeedingAttention(run.runId, run.status);
  const key = run.error?.step;
  const done = new Set(loaded.journal.filter((e) => e.phase === "outcome").map((e) => e.key));
  const intent = loaded.journal.find((e) => e.phase === "intent" && e.key === key && !done.has(e.key));
  if (!intent) throw new NotNeedingAttention(run.runId, run.status);
  const req = intent.value;
  const tool = req !== null && typeof req === "object" && !Array.isArray(req) && typeof req["tool"] === "string" ? req["tool"] : undefined;
  return { intent, tool };
}

/** Checks a `succeeded` result against the tool's declared return type; returns it with defaults. */
export function checkResult(plan: Plan, runId: string, tool: string | undefined, value: Json): Json {
  const decl = tool ? plan.tools[tool] : undefined;
  if (!decl) return value;
  const ok = validate(decl.returns as JsonSchema, value);
  if (ok.ok) return ok.value;
  throw new InvalidResumeValue(runId, `the result of tool ${tool}`, describeSchema(decl.returns as JsonSchema), ok.errors);
}

/** The audit record of an operator's decision (`kind: "operator"`). */
export function decisionRecord(
  run: LoadedRun["snapshot"],
  fields: { step: string; hook: "resume" | "resolve"; target: string; rule?: string | null; outcome: string; reason?: string },
  who: Decider,
  at: number,
): AuditRecord {
  const principalId = run.principal !== null && typeof run.principal === "object" && !Array.isArray(run.principal) ? run.principal["id"] : undefined;
  const by = who.by ?? (typeof principalId === "string" ? principalId : "anonymous");
  return {
    runId: run.runId,
    step: fields.step,
    principal: run.principal,
    kind: "operator",
    hook: fields.hook,
    target: fields.target,
    policy: null,
    rule: fields.rule ?? null,
    outcome: fields.outcome,
    ...(fields.reason !== undefined ? { reason: fields.reason } : {}),
    by,
    ...(who.comment !== undefined ? { comment: who.comment } : {}),
    at,
  };
}
