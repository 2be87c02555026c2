// The call-like built-in forms of the language — expression functions, policy functions, tool
// implementations, sources, backoffs, awaits, test intrinsics — with their parameters and docs.
// Names come from compiler/plan/vocabulary.ts; this table must give every one of them a signature
// (it fails to compile otherwise). Signature help, hover and completion read it.
import {
  AWAITS,
  BACKOFFS,
  BUILTIN_FUNCTIONS,
  POLICY_FUNCTIONS,
  SOURCE_KINDS,
  TEST_INTRINSICS,
  TOOL_IMPL_KINDS,
  type BuiltinForm,
} from "../plan/vocabulary.js";
import { SOURCE_KINDS as SOURCE_SPECS } from "./props.js";

export interface Builtin {
  params: [label: string, doc?: string][];
  returns?: string;
  doc: string;
}

export const BUILTINS: Readonly<Record<BuiltinForm, Builtin>> = {
  len: { params: [["value: list | map | string"]], returns: "int", doc: "The number of items, entries or characters." },
  contains: { params: [["haystack: list | string"], ["needle"]], returns: "bool", doc: "Whether a list holds an item or a string a substring." },
  lower: { params: [["text: string"]], returns: "string", doc: "The text in lower case." },
  upper: { params: [["text: string"]], returns: "string", doc: "The text in upper case." },
  join: { params: [["items: list"], ["separator?: string"]], returns: "string", doc: "The items joined into one string." },
  keys: { params: [["value: map | record"]], returns: "list<string>", doc: "The keys of a map or record." },
  round: { params: [["value: float"], ["digits?: int"]], returns: "float", doc: "The value rounded to `digits` decimals." },
  js: { params: [['"path#export"', "A module relative to the file and the function it exports."]], doc: "A tool implemented by a JavaScript function." },
  http: { params: [['"METHOD url" | { method, url, headers }', "The url may hold {param} holes."]], doc: "A tool implemented by an HTTP request." },
  mcp: { params: [["server", "The MCP server."], ['"tool"', "The tool's name on that server."]], doc: "A tool served by an MCP server." },
  builtin: { params: [['"std.name"']], doc: "A tool of the runtime's standard library." },
  exponential: { params: [["initial: duration"], ["cap: duration"]], doc: "Retry backoff doubling from `initial` up to `cap`." },
  linear: { params: [["step: duration"], ["cap: duration"]], doc: "Retry backoff growing by `step` up to `cap`." },
  fixed: { params: [["delay: duration"]], doc: "Retry backoff with the same delay each time." },
  vector: { params: [['"glob"']], doc: SOURCE_SPECS.vector!.doc },
  keyword: { params: [['"file"']], doc: SOURCE_SPECS.keyword!.doc },
  structured: { params: [['"file.jsonl"']], doc: SOURCE_SPECS.structured!.doc },
  sessions: { params: [], doc: "sessions(): earlier conversations of the run's sessions store (cross-session memory); options `scope`, `exclude_current`, `roles`, `search`." },
  // Policy rules (docs/policies.md § Content filters, § Transform).
  contains_pii: {
    params: [["value", "Any value: every string in it is searched."], ['"kind"...', 'email, phone, card, iban, ssn, ip (none: every kind)']],
    returns: "bool",
    doc: "Whether the value holds personal data of these kinds (policy rules).",
  },
  matches: { params: [["value"], ['"regex"'], ['"flags"?', "i, m, s, u"]], returns: "bool", doc: "Whether a string in the value matches the regular expression (policy rules)." },
  contains_any: { params: [["value"], ['["word", ...]']], returns: "bool", doc: "Whether a string in the value contains one of the words or phrases, as whole words, ignoring case (policy rules)." },
  replace: { params: [["text: string"], ['"regex"'], ['"with"', "$1, $& refer to the match"], ['"flags"?']], returns: "string", doc: "Every match replaced (policy rules, for transform values)." },
  trim: { params: [["text: string"]], returns: "string", doc: "The text without leading and trailing whitespace (policy rules)." },
  truncate: { params: [["text: string"], ["n: int"]], returns: "string", doc: "At most n characters of the text (policy rules)." },
  human: { params: [['"reason"', "Why a person is needed (shown to them)."]], doc: "Suspends the run until a person answers." },
  event: {
    params: [['"event-name"'], ["key: value?", "A correlation value (string or number): only an event carrying this key answers (POST /v1/events/{name} with `key`)."]],
    doc: "Suspends the run until the named event arrives (with `key:`, the one event of that name carrying this correlation value).",
  },
  fail: { params: [['"kind"', "timeout, rate_limit, transport, schema, refusal, policy, tool, budget or cancelled"]], doc: "A mocked failure." },
  calls: { params: [["name", "A prompt, agent, tool or graph."]], returns: "int", doc: "How many times the run called it." },
  audit: { params: [["policy"]], doc: "The decisions a policy took during the run." },
};


/** Every call-like built-in form's name, family by family (semantic tokens colour them). */
export const BUILTIN_FORMS: readonly BuiltinForm[] = [...BUILTIN_FUNCTIONS, ...POLICY_FUNCTIONS, ...SOURCE_KINDS, ...TOOL_IMPL_KINDS, ...BACKOFFS, ...AWAITS, ...TEST_INTRINSICS];

/** The built-in form called `name`, if it is one. */
export function builtinForm(name: string): Builtin | undefined {
  return Object.hasOwn(BUILTINS, name) ? BUILTINS[name as BuiltinForm] : undefined;
}

/** `len(value: list | map | string) -> int` */
export function builtinSignature(name: string): string | undefined {
  const b = builtinForm(name);
  return b && `${name}(${b.params.map((p) => p[0]).join(", ")})${b.returns ? ` -> ${b.returns}` : ""}`;
}
