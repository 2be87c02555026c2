// The names of the language's built-in forms that the plan and the VM share: one const tuple per
// family. Everything else derives from these — the checker, lowering, the plan's schema, the VM's
// switches and the editor (compiler/language/builtins.ts adds types and docs). A switch over one of
// these families is exhaustive (a `satisfies Record<Name, ...>` map or `assertNever`), so adding a
// name here fails to compile until every place that must handle it does.

/** How a tool runs: `impl: js(...) | http(...) | mcp(...) | builtin(...)`. */
export const TOOL_IMPL_KINDS = ["js", "http", "mcp", "builtin"] as const;
export type ToolImplKind = (typeof TOOL_IMPL_KINDS)[number];

/** Functions any expression may call (compiler/semantic/expr.ts types them, vm/expr.ts runs them). */
export const BUILTIN_FUNCTIONS = ["len", "contains", "lower", "upper", "join", "keys", "round"] as const;
export type BuiltinFunction = (typeof BUILTIN_FUNCTIONS)[number];

/** Functions of policy rules: content filters and the string functions of transform values (vm/policy/filters.ts runs them). */
export const POLICY_FUNCTIONS = ["contains_pii", "matches", "contains_any", "replace", "trim", "truncate"] as const;
export type PolicyFunction = (typeof POLICY_FUNCTIONS)[number];

/** Where a context's chunks come from: `source docs = vector("./kb/*.md")`. */
export const SOURCE_KINDS = ["vector", "keyword", "structured", "sessions"] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Retry backoffs: `retry { backoff: exponential(500ms, 8s) }`. */
export const BACKOFFS = ["exponential", "linear", "fixed"] as const;
export type BackoffKind = (typeof BACKOFFS)[number];

/** What a node may await: `await human("reason") -> answer`, `await event("name")`. */
export const AWAITS = ["human", "event"] as const;
export type AwaitKind = (typeof AWAITS)[number];

/** Calls only a test block knows: `mock x -> fail("timeout")`, `expect calls(x) == 1`, `audit(p)`. */
export const TEST_INTRINSICS = ["fail", "calls", "audit"] as const;
export type TestIntrinsic = (typeof TEST_INTRINSICS)[number];

/** How a step fails (a test's and an `on error` node's `error.kind`; the VM's FailureInfo.kind). */
export const FAILURE_KINDS = ["timeout", "rate_limit", "transport", "schema", "refusal", "policy", "tool", "budget", "cancelled"] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Every call-like built-in form, by name. */
export type BuiltinForm = ToolImplKind | BuiltinFunction | PolicyFunction | SourceKind | BackoffKind | AwaitKind | TestIntrinsic;

/** The end of an exhaustive switch: a new member of a union fails to compile here until handled. */
export function assertNever(x: never, what = "value"): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x)}`);
}
