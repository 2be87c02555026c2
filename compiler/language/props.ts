// What each property-bodied declaration accepts. One table per kind: the checker validates against
// it, the LSP completes from it, docs/language.md lists it (a test keeps the three in sync).
import { SOURCE_KINDS as SOURCE_KIND_NAMES, type SourceKind } from "../plan/vocabulary.js";

export interface PropSpec {
  /** What the value is, in words, for messages and completion details. */
  type: string;
  doc: string;
  required?: boolean;
  /** How a required property is written (shown when it is missing). */
  example?: string;
}

export const MODEL_PROPS: Record<string, PropSpec> = {
  provider: { type: "string", doc: 'the gateway: "openai" (any OpenAI-compatible endpoint)', required: true, example: 'provider: "openai"' },
  name: { type: "string", doc: "the provider's model name", required: true, example: 'name: "gpt-4o-mini"' },
  base_url: { type: 'string | env("VAR")', doc: "Endpoint base URL; defaults to OPENAI_BASE_URL or the provider's." },
  api_key: { type: 'env("VAR")', doc: "Where the key comes from; defaults to OPENAI_API_KEY. Never a literal key." },
  temperature: { type: "number 0..2", doc: "Sampling temperature." },
  top_p: { type: "number 0..1", doc: "Nucleus sampling." },
  seed: { type: "int", doc: "Sampling seed, where the provider supports it." },
  max_tokens: { type: "int", doc: "Upper bound of output tokens per call (also bounds the static cost)." },
  timeout: { type: "duration", doc: "Per-call timeout." },
  retry: { type: "int | { max, backoff, jitter }", doc: "Retries after the first attempt; backoff: exponential(initial, cap) | fixed(delay)." },
  fallback: { type: "list of models", doc: "Models tried in order when this one fails for good." },
  price: { type: "{ input, output }", doc: "USD per million input/output tokens; enables cost accounting." },
};

export const TOOL_PROPS: Record<string, PropSpec> = {
  description: { type: "string", doc: "Shown to models that may call the tool." },
  impl: { type: 'js("file#export") | http(...) | mcp(server, "tool") | builtin("std.…")', doc: "how the tool runs: js, http, mcp or builtin", required: true, example: 'impl: js("./tools/x.mjs#export")' },
  tags: { type: "list of dotted names", doc: "Labels policies select on, e.g. [pii.read]." },
  timeout: { type: "duration", doc: "Per-call timeout." },
  rate: { type: "N/s | N/m | N/h", doc: "Rate limit, e.g. 20/s." },
  concurrency: { type: "int", doc: "Maximum calls in flight." },
  allow: { type: "{ read, write, env }", doc: 'What a js tool\'s sandbox may touch beyond its module\'s directory: paths to read/write, env vars (secrets) it sees, e.g. { read: ["./data"], env: ["CRM_TOKEN"] }.' },
  idempotent: { type: "bool", doc: "Safe to repeat with the same idempotency key; re-issued after a crash." },
  retry: { type: "int | { max, backoff, jitter }", doc: "Retries after the first attempt." },
  compensate: { type: "tool call", doc: "The undo step, e.g. cancel_refund(receipt_id: result.id); `result` is this tool's output." },
};

export const PROMPT_PROPS: Record<string, PropSpec> = {
  model: { type: "model", doc: "the model that answers", required: true, example: "model: fast" },
  system: { type: "template", doc: "The system message." },
  user: { type: "template", doc: "The user message." },
  assistant: { type: "template", doc: "A prefilled assistant message." },
  context: { type: "context", doc: "Assembled context, available as {{ context }} in the messages." },
  temperature: { type: "number 0..2", doc: "Overrides the model's temperature." },
  max_tokens: { type: "int", doc: "Overrides the model's max_tokens." },
};

export const AGENT_PROPS: Record<string, PropSpec> = {
  model: { type: "model", doc: "the model driving the agent", required: true, example: "model: fast" },
  role: { type: "string", doc: "Who the agent is (first line of its system prompt)." },
  goal: { type: "string", doc: "What it must achieve." },
  rules: { type: "list of strings", doc: "Rules it must follow." },
  instructions: { type: "template", doc: "The task, with {{ }} holes over the agent's parameters." },
  tools: { type: "list of tools", doc: "Tools it may call." },
  handoffs: { type: "list of agents", doc: "Agents it may hand the conversation to." },
  context: { type: "context", doc: "Context assembled for each turn." },
  limits: { type: "{ turns, tokens, cost, time }", doc: "Budget: model turns, total tokens, USD and wall time." },
  memory: { type: "context", doc: "Cross-session memory, retrieved through a context." },
};

export const CONTEXT_PROPS: Record<string, PropSpec> = {
  fuse: { type: "rrf | concat", doc: "How ranked lists from several sources are merged (reciprocal rank fusion by default)." },
  top: { type: "int", doc: "How many chunks to keep after fusion." },
  budget: { type: "int", doc: "Token budget of the assembled context." },
  dedup: { type: "number 0..1", doc: "Similarity above which near-duplicate chunks are dropped." },
  cache: { type: "duration", doc: "How long an assembled result is reused for the same query." },
  embed: { type: "model", doc: "Not supported yet (AWR5012): the plan does not carry it. Choose the embedder where the context is assembled (awr context query --embedder openai:MODEL)." },
  summarize: { type: "prompt", doc: "A prompt that condenses the context when it exceeds the budget." },
};

export interface SourceSpec {
  doc: string;
  /** How many arguments the call takes (a path or glob, or none). */
  args: 0 | 1;
  /** Option name → its type in words (the checker parses these words: int, string, bool, list of …, "a" | "b"). */
  options: Record<string, string>;
}

/** Source kinds (names in compiler/plan/vocabulary.ts), in the vocabulary's order. */
export const SOURCE_KINDS: Record<string, SourceSpec> = sourceSpecs({
  vector: { doc: 'vector("glob"): files chunked, embedded and searched by similarity.', args: 1, options: { chunk: "int", overlap: "int" } },
  keyword: { doc: 'keyword("file"): BM25 keyword search over a JSONL or text corpus.', args: 1, options: { fields: "list of strings" } },
  structured: { doc: 'structured("file.jsonl"): records filtered by field.', args: 1, options: { key: "string" } },
  sessions: {
    doc: "sessions(): earlier sessions' conversations in the run store (cross-session memory); it takes no argument.",
    args: 0,
    options: { scope: '"principal" | "all"', exclude_current: "bool", roles: 'list of "user" | "assistant" | "tool"', search: '"keyword" | "vector"' },
  },
});

function sourceSpecs(specs: Record<SourceKind, SourceSpec>): Record<string, SourceSpec> {
  return Object.fromEntries(SOURCE_KIND_NAMES.map((k) => [k, specs[k]]));
}

export const PII_KINDS = ["pii", "email", "phone", "card", "iban", "ssn", "ip"] as const;

export { REDUCERS } from "../syntax/ast.js";

export const ATTRIBUTES: Record<string, string> = {
  format: "@format(email|uri|date|date-time|time|uuid|ipv4|ipv6|hostname) on strings",
  min: "@min(n) on numbers",
  max: "@max(n) on numbers",
  minLength: "@minLength(n) on strings and lists",
  maxLength: "@maxLength(n) on strings and lists",
  minItems: "@minItems(n) on lists",
  maxItems: "@maxItems(n) on lists (also bounds map fan-out in the static cost)",
  pattern: '@pattern("regex") on strings',
  description: '@description("text") on any field',
  reduce: "@reduce(replace|append|merge|sum|max|min) on graph state fields",
};

export const STRING_FORMATS = ["email", "uri", "url", "date", "date-time", "time", "uuid", "ipv4", "ipv6", "hostname"];
