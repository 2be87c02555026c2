// The plan body: the contract between the compiler and the VM. The zod schema is the source of
// truth; the TypeScript types are inferred from it (ExprIR is recursive, so it is declared by hand
// and the schema is checked against it). docs/plan.md documents every field.
//
// Only what validates plans needs this module's values (codec.ts's `decodePlan`, tests); the
// compiler imports its types alone (`import type`), and its values from format.ts, so `awr check`
// and `awr build` load no zod.
//
// Architecture Invariant: this folder imports nothing from compiler/syntax, semantic, analysis or
// lower. The VM loads plans with compiler/plan alone.

import { z } from "zod";
import { AWAITS, SOURCE_KINDS, type ToolImplKind } from "./vocabulary.js";

export { PLAN_FORMAT, PLAN_FORMAT_SINCE, defaultRetry } from "./format.js";

// ---------------------------------------------------------------- expression IR

export type UnaryOpIR = "!" | "-";
export type BinaryOpIR = "||" | "&&" | "??" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "+" | "-" | "*" | "/" | "%";

/** A template segment: literal text, an expression hole, or a hole the VM fills itself. */
export type Segment = { text: string } | { expr: ExprIR } | { builtin: "output_format" | "context" };

/** A pure, JSON-able expression tree. The VM evaluates it against an environment of names. */
export type ExprIR =
  | { k: "lit"; v: JsonValue }
  | { k: "ref"; name: string }
  | { k: "member"; obj: ExprIR; name: string; optional: boolean }
  | { k: "index"; obj: ExprIR; index: ExprIR }
  | { k: "nonnull"; expr: ExprIR }
  | { k: "call"; fn: string; args: ExprIR[] }
  | { k: "unary"; op: UnaryOpIR; operand: ExprIR }
  | { k: "binary"; op: BinaryOpIR; left: ExprIR; right: ExprIR }
  | { k: "record"; fields: { key: string; value: ExprIR }[] }
  | { k: "list"; items: ExprIR[] }
  | { k: "template"; segments: Segment[] };

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export const JsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(JsonValueSchema), z.record(z.string(), JsonValueSchema)]),
);

export const UnaryOpSchema = z.enum(["!", "-"]);
export const BinaryOpSchema = z.enum(["||", "&&", "??", "==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "*", "/", "%"]);

export const SegmentSchema: z.ZodType<Segment> = z.lazy(() =>
  z.union([
    z.strictObject({ text: z.string() }),
    z.strictObject({ expr: ExprSchema }),
    z.strictObject({ builtin: z.enum(["output_format", "context"]) }),
  ]),
);

export const ExprSchema: z.ZodType<ExprIR> = z.lazy(() =>
  z.discriminatedUnion("k", [
    z.strictObject({ k: z.literal("lit"), v: JsonValueSchema }),
    z.strictObject({ k: z.literal("ref"), name: z.string() }),
    z.strictObject({ k: z.literal("member"), obj: ExprSchema, name: z.string(), optional: z.boolean() }),
    z.strictObject({ k: z.literal("index"), obj: ExprSchema, index: ExprSchema }),
    z.strictObject({ k: z.literal("nonnull"), expr: ExprSchema }),
    z.strictObject({ k: z.literal("call"), fn: z.string(), args: z.array(ExprSchema) }),
    z.strictObject({ k: z.literal("unary"), op: UnaryOpSchema, operand: ExprSchema }),
    z.strictObject({ k: z.literal("binary"), op: BinaryOpSchema, left: ExprSchema, right: ExprSchema }),
    z.strictObject({ k: z.literal("record"), fields: z.array(z.strictObject({ key: z.string(), value: ExprSchema })) }),
    z.strictObject({ k: z.literal("list"), items: z.array(ExprSchema) }),
    z.strictObject({ k: z.literal("template"), segments: z.array(SegmentSchema) }),
  ]),
);

// ---------------------------------------------------------------- shared pieces

/** 1-based line and column (UTF-16 units) of the construct's first character. */
export const LocSchema = z.strictObject({ file: z.string(), line: z.number().int(), column: z.number().int() });

/** A JSON Schema (draft 2020-12) object, self-contained: named types it uses are under `$defs`. */
export const JsonSchemaSchema = z.record(z.string(), z.unknown());

const nonNegInt = z.number().int().nonnegative();
const ms = nonNegInt;

export const BackoffSchema = z.strictObject({
  kind: z.enum(["exponential", "linear", "constant"]),
  initial_ms: ms,
  max_ms: ms,
});

/** `max` retries after the first attempt; delays come from `backoff`, randomised when `jitter`. */
export const RetrySchema = z.strictObject({ max: nonNegInt, backoff: BackoffSchema, jitter: z.boolean() });

/** Named arguments of a call, as a `record` expression evaluated in the caller's environment. */
const ArgsSchema = ExprSchema;

/** An undo step: a tool called with arguments evaluated when the compensation runs. */
export const CompensateSchema = z.strictObject({ tool: z.string(), args: ArgsSchema });

// ---------------------------------------------------------------- declarations

export const ModelSchema = z.strictObject({
  provider: z.string(),
  name: z.string(),
  base_url: z.string().nullable(),
  /** Name of the environment variable holding the API key (null: the provider's default). */
  api_key_env: z.string().nullable(),
  temperature: z.number().nullable(),
  max_tokens: nonNegInt.nullable(),
  timeout_ms: ms.nullable(),
  retry: RetrySchema,
  fallback: z.array(z.string()),
  /** USD per million tokens. */
  price: z.strictObject({ input: z.number().nonnegative(), output: z.number().nonnegative() }).nullable(),
  loc: LocSchema,
});

/** One shape per tool implementation kind (compiler/plan/vocabulary.ts): a new kind needs its shape here. */
const TOOL_IMPL_SHAPES = {
  js: z.strictObject({ kind: z.literal("js"), module: z.string(), export: z.string() }),
  http: z.strictObject({ kind: z.literal("http"), method: z.string(), url: z.string(), headers: z.record(z.string(), z.string()) }),
  mcp: z.strictObject({ kind: z.literal("mcp"), server: z.string(), tool: z.string() }),
  builtin: z.strictObject({ kind: z.literal("builtin"), name: z.string() }),
} satisfies { [K in ToolImplKind]: z.ZodObject<{ kind: z.ZodLiteral<K> }> };

export const ToolImplSchema = z.discriminatedUnion("kind", [TOOL_IMPL_SHAPES.js, TOOL_IMPL_SHAPES.http, TOOL_IMPL_SHAPES.mcp, TOOL_IMPL_SHAPES.builtin]);
/** Compiles only while the union above names every kind of the vocabulary. */
type Covers<Want extends Have, Have> = Want;
type _EveryToolImplKind = Covers<ToolImplKind, z.infer<typeof ToolImplSchema>["kind"]>;

export const ToolSchema = z.strictObject({
  params: JsonSchemaSchema,
  returns: JsonSchemaSchema,
  description: z.string().nullable(),
  impl: ToolImplSchema.nullable(),
  tags: z.array(z.string()),
  timeout_ms: ms.nullable(),
  rate: z.strictObject({ count: z.number().positive(), per_ms: z.number().int().positive() }).nullable(),
  idempotent: z.boolean(),
  compensate: CompensateSchema.nullable(),
  /** Maximum calls of this tool in flight at once (absent: no limit). */
  concurrency: z.number().int().positive().optional(),
  /**
   * What a `js` tool's sandboxed process may touch beyond its module's directory: files to read
   * and write (paths relative to the declaring file) and environment variables (secrets) it sees.
   * Absent: the module's directory, read-only, and no environment.
   */
  allow: z.strictObject({ read: z.array(z.string()), write: z.array(z.string()), env: z.array(z.string()) }).optional(),
  /** Retries of a failed call (each attempt journaled as `KEY`, `KEY@1`, …; the same idempotency key). */
  retry: RetrySchema,
  loc: LocSchema,
});

export const MessageSchema = z.strictObject({
  role: z.enum(["system", "user", "assistant"]),
  segments: z.array(SegmentSchema),
});

export const PromptSchema = z.strictObject({
  params: JsonSchemaSchema,
  returns: JsonSchemaSchema,
  model: z.string().nullable(),
  messages: z.array(MessageSchema),
  /** `context: kb`: assembled before the call (journaled), the text of `{{ context }}`. */
  context: z.string().nullable(),
  /** Override the model's `temperature` / `max_tokens` for this prompt. */
  temperature: z.number().nullable(),
  max_tokens: nonNegInt.nullable(),
  loc: LocSchema,
});

export const LimitsSchema = z.strictObject({
  turns: nonNegInt.nullable(),
  tokens: nonNegInt.nullable(),
  cost: z.number().nonnegative().nullable(),
  time_ms: ms.nullable(),
});

export const AgentSchema = z.strictObject({
  params: JsonSchemaSchema,
  returns: JsonSchemaSchema,
  model: z.string().nullable(),
  role: z.string().nullable(),
  goal: z.string().nullable(),
  rules: z.array(z.string()),
  instructions: z.array(SegmentSchema),
  tools: z.array(z.string()),
  handoffs: z.array(z.string()),
  context: z.string().nullable(),
  /** `memory: past`: a second context (cross-session memory), assembled after `context`. */
  memory: z.string().nullable(),
  limits: LimitsSchema,
  loc: LocSchema,
});

export const ContextSourceSchema = z.strictObject({
  name: z.string(),
  kind: z.enum(SOURCE_KINDS),
  args: z.array(JsonValueSchema),
  options: z.record(z.string(), JsonValueSchema),
  loc: LocSchema,
});

export const ContextSchema = z.strictObject({
  sources: z.array(ContextSourceSchema),
  fuse: z.string(),
  top: nonNegInt.nullable(),
  budget: nonNegInt.nullable(),
  dedup: z.number().nullable(),
  cache_ms: ms.nullable(),
  /** The prompt that condenses an over-budget assembly (called with query, text, budget). */
  summarize: z.string().nullable(),
  loc: LocSchema,
});

export const RuleSchema = z.strictObject({
  id: z.string(),
  action: z.enum(["deny", "allow", "approve", "redact", "transform"]),
  /** For `redact`: the PII kinds as written (`pii` means every kind). Empty otherwise. */
  kinds: z.array(z.string()),
  /** For `transform`: the field written, as written (`["input", "a", "b"]`, `["output"]`). */
  path: z.array(z.string()).min(1).optional(),
  /** For `transform`: the new value. */
  value: ExprSchema.optional(),
  /**
   * The prompts the rule calls as classifiers (in `when` or `value`), sorted; absent when none. Such
   * a call is `{ k: "call", fn: PROMPT, args: [a record of the named arguments] }`.
   */
  classifiers: z.array(z.string()).optional(),
  when: ExprSchema.optional(),
  because: ExprSchema.optional(),
  loc: LocSchema,
});

export const SelectorSchema = z.union([z.strictObject({ name: z.string() }), z.strictObject({ tag: z.string() })]);

export const HookSchema = z.strictObject({
  id: z.string(),
  phase: z.enum(["before", "after"]),
  target: z.enum(["model", "tool", "agent", "output"]),
  /** null: every model/tool/agent/output. */
  selector: SelectorSchema.nullable(),
  rules: z.array(RuleSchema),
  loc: LocSchema,
});

export const PolicySchema = z.strictObject({ hooks: z.array(HookSchema), loc: LocSchema });

export const StateFieldSchema = z.strictObject({
  name: z.string(),
  schema: JsonSchemaSchema,
  reducer: z.enum(["replace", "append", "merge", "sum", "max", "min"]),
  /** Initial value (null when the field has no default). */
  default: JsonValueSchema,
  loc: LocSchema,
});

/** What a `run`/`map` statement calls. */
export const CallTargetSchema = z.strictObject({
  kind: z.enum(["prompt", "agent", "tool", "graph"]),
  name: z.string(),
});

export const StmtSchema = z.discriminatedUnion("op", [
  z.strictObject({
    id: z.string(),
    op: z.literal("run"),
    call: CallTargetSchema,
    args: ArgsSchema,
    into: z.string().nullable(),
    loc: LocSchema,
  }),
  z.strictObject({
    id: z.string(),
    op: z.literal("map"),
    var: z.string(),
    over: ExprSchema,
    concurrency: z.number().int().positive().nullable(),
    call: CallTargetSchema,
    args: ArgsSchema,
    into: z.string().nullable(),
    loc: LocSchema,
  }),
  z.strictObject({
    id: z.string(),
    op: z.literal("await"),
    kind: z.enum(AWAITS),
    /** The reason (human) or event name (event). */
    arg: ExprSchema,
    /** `await event("name", key: EXPR)`: the correlation value an event must carry to reach this run (null: any). */
    key: ExprSchema.nullable(),
    into: z.string().nullable(),
    loc: LocSchema,
  }),
  z.strictObject({ id: z.string(), op: z.literal("set"), field: z.string(), value: ExprSchema, loc: LocSchema }),
]);

export const NodeSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  stmts: z.array(StmtSchema),
  retry: RetrySchema,
  timeout_ms: ms.nullable(),
  on_error: z.string().nullable(),
  compensate: CompensateSchema.nullable(),
  loc: LocSchema,
});

export const EdgeSchema = z.strictObject({
  id: z.string(),
  from: z.array(z.string()).min(1),
  to: z.array(z.string()).min(1),
  when: ExprSchema.optional(),
  otherwise: z.boolean(),
  max: z.number().int().positive().nullable(),
  loc: LocSchema,
});

export const CostBoundSchema = z.strictObject({
  model_calls: z.number().nonnegative().nullable(),
  tokens: z.number().nonnegative().nullable(),
  usd: z.number().nonnegative().nullable(),
  unbounded_reason: z.string().optional(),
});

export const GraphSchema = z.strictObject({
  params: JsonSchemaSchema,
  returns: JsonSchemaSchema,
  state: z.array(StateFieldSchema),
  nodes: z.array(NodeSchema),
  edges: z.array(EdgeSchema),
  return: ExprSchema.nullable(),
  cost: CostBoundSchema.optional(),
  loc: LocSchema,
});

/** A mocked answer: a value, a failure of a kind, or (agents) a model turn that calls tools. */
export const MockValueSchema = z.union([
  z.strictObject({ value: ExprSchema }),
  z.strictObject({ fail: z.string() }),
  z.strictObject({ tool_calls: z.array(z.strictObject({ name: z.string(), args: ExprSchema })) }),
]);

export const TestSchema = z.strictObject({
  run: z.strictObject({ graph: z.string(), args: ArgsSchema }).nullable(),
  /** The run's principal (`{ id, roles?, attrs? }`); null: `{ id: "test", roles: [], attrs: {} }`. */
  principal: ExprSchema.nullable(),
  mocks: z.array(z.strictObject({ name: z.string(), values: z.array(MockValueSchema), loc: LocSchema })),
  expects: z.array(z.strictObject({ id: z.string(), expr: ExprSchema, loc: LocSchema })),
  loc: LocSchema,
});

const byName = <T extends z.ZodType>(s: T) => z.record(z.string(), s);

export const PlanSchema = z.strictObject({
  format: z.number().int(),
  compiler: z.string(),
  entry: z.array(z.string()),
  types: byName(JsonSchemaSchema),
  models: byName(ModelSchema),
  tools: byName(ToolSchema),
  prompts: byName(PromptSchema),
  agents: byName(AgentSchema),
  contexts: byName(ContextSchema),
  policies: byName(PolicySchema),
  graphs: byName(GraphSchema),
  tests: byName(TestSchema),
});

export type Plan = z.infer<typeof PlanSchema>;
export type Loc = z.infer<typeof LocSchema>;
export type JsonSchema = z.infer<typeof JsonSchemaSchema>;
export type Backoff = z.infer<typeof BackoffSchema>;
export type Retry = z.infer<typeof RetrySchema>;
export type Compensate = z.infer<typeof CompensateSchema>;
export type ModelPlan = z.infer<typeof ModelSchema>;
export type ToolImpl = z.infer<typeof ToolImplSchema>;
export type ToolPlan = z.infer<typeof ToolSchema>;
export type Message = z.infer<typeof MessageSchema>;
export type PromptPlan = z.infer<typeof PromptSchema>;
export type Limits = z.infer<typeof LimitsSchema>;
export type AgentPlan = z.infer<typeof AgentSchema>;
export type ContextSourcePlan = z.infer<typeof ContextSourceSchema>;
export type ContextPlan = z.infer<typeof ContextSchema>;
export type RulePlan = z.infer<typeof RuleSchema>;
export type HookPlan = z.infer<typeof HookSchema>;
export type PolicyPlan = z.infer<typeof PolicySchema>;
export type Reducer = z.infer<typeof StateFieldSchema>["reducer"];
export type StateFieldPlan = z.infer<typeof StateFieldSchema>;
export type CallTarget = z.infer<typeof CallTargetSchema>;
export type Stmt = z.infer<typeof StmtSchema>;
export type NodePlan = z.infer<typeof NodeSchema>;
export type EdgePlan = z.infer<typeof EdgeSchema>;
export type CostBound = z.infer<typeof CostBoundSchema>;
export type GraphPlan = z.infer<typeof GraphSchema>;
export type MockValue = z.infer<typeof MockValueSchema>;
export type TestPlan = z.infer<typeof TestSchema>;
