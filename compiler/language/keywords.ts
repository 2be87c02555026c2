// What each keyword of the language does, in a sentence or two and a small example: hover shows it
// on a keyword no declaration or field claims (keywords are soft, so `node: string` is a field and
// hovers as one). `test/lsp/hover-keywords.test.ts` keeps it complete against the lexer's keywords.

export const KEYWORD_DOCS: Readonly<Record<string, string>> = {
  import: 'Loads the declarations of another file: `import "./tools.awr"`, or the standard library: `import "std/pii"`.',
  type: "Declares a record type: `type Ticket { id: string, priority: int = 3 }`. Fields may have defaults, `?` makes one optional.",
  enum: "Declares a closed set of names: `enum Severity { low, normal, high }`.",
  model: "Declares a model endpoint: provider, name, and optionally `base_url`, `api_key`, `timeout`, prices.",
  tool: 'Declares a tool with typed parameters and result, and its implementation: `impl: js("./crm.mjs#lookup")`, `http(...)`, `mcp(...)` or `builtin(...)`.',
  prompt: "Declares a typed LLM call: parameters, a template (`system`, `user`) and the output type the answer is validated against.",
  agent: "Declares a tool-using loop around a model: its role, goal, tools, handoffs and `limits { turns, tokens, cost }`.",
  context: 'Declares what an agent or prompt reads: sources (`vector("./kb/*.md")`, `keyword`, `structured`, `sessions()`), fused, ranked and trimmed to a token budget.',
  policy: "Declares rules checked at every boundary: `before tool refund { deny when input.amount > 1000 because \"...\" }`.",
  graph: "Declares a durable workflow: parameters, `state`, nodes, edges from `start` to `end`, and a `return`.",
  test: "Declares a test of a graph: `run g(...)`, `mock name => value`, then `expect` conditions. Run with `awr test`.",
  state: "The graph's typed state. Each field has a reducer that merges parallel writes: `state { total: int @reduce(sum) = 0 }`; tests read it as `state.total`.",
  node: "A step of a graph: statements (`run`, `set`, `await`, `map`) executed together; `retry`, `timeout`, `on error` and `compensate` apply to it.",
  edge: "Connects nodes: `edge a -> b`, fan-out `edge a -> [b, c]`, join `edge [b, c] -> d`, conditions `when`/`otherwise`, loop bound `max N`.",
  return: "The graph's result, evaluated over the final state: `return { id: ticket.id, refunded }`.",
  run: "Calls a prompt, agent, tool or sub-graph, journaled (a finished call is never repeated on resume): `run lookup(email) -> order`.",
  map: "Runs a call for each item of a list, in parallel up to `concurrency N`: `map q in queries concurrency 3 run investigator(query: q) -> findings`.",
  in: "Iterates (`map x in items`) or tests membership (`\"admin\" in principal.roles`).",
  concurrency: "How many items of a `map` run at once: `map o in orders concurrency 4 run …`.",
  await: 'Stops the run durably until someone answers: `await human("Approve the refund?") -> ok` or `await event("payment.settled", key: order.id) -> p`.',
  set: "Writes a state field (through its reducer): `set total = total + 1`.",
  retry: "Retries the node on retryable failures: `retry 2`, or `retry { max: 3, backoff: exponential(500ms, 8s) }` (a tool's own `retry:` property retries its calls).",
  timeout: "A deadline: for a node, a tool (`timeout: 5s`), a model or a run. When it passes, the call fails with kind `timeout` (retryable).",
  on: "Starts a failure handler: `on error -> escalate` routes a node's failure to another node.",
  error: "In `on error -> node`, the node's failure handler; in a handler or a test, the failure itself (`error.kind`, `error.message`).",
  compensate: "The undo of a node's effect, run if the graph fails later (saga): `compensate unpublish_report(report_id: publication!.id)`.",
  when: "A condition: of an edge (`edge a -> b when score > 0.8`), or of a policy rule (`deny when …`).",
  otherwise: "The edge taken when no `when` of the same node holds: `edge a -> fallback otherwise`.",
  max: "Bounds a loop edge: `edge step -> step when n < 10 max 10` (the compiler refuses unbounded loops).",
  mock: "In a test, a canned answer for a prompt, agent, tool or graph: `mock lookup => { id: \"A1\" }` (a list of answers is used in order).",
  then: 'In a test\'s `mock`, the next answer: `mock send_reply => fail("transport") then "msg-1"` (the last one repeats).',
  expect: "A test's assertion over `status`, `output`, `state`, `error` and `calls(name)`: `expect calls(refund) == 1`.",
  before: "A policy hook that runs before a call (`before tool`, `before prompt`, `before agent`, `before output`): it can deny, approve, redact or transform the input.",
  after: "A policy hook that runs after a call, on its output: it can deny, redact or transform it.",
  tagged: "Selects every tool with a tag in a policy hook: `before tool tagged payments.write { … }`.",
  deny: 'Refuses the call when the condition holds: `deny when input.amount > 1000 because "..."`. The run fails with kind `policy`.',
  allow: "Lets the call through when the condition holds, skipping the rules after it.",
  approve: "Pauses the run for a person's approval when the condition holds: `approve when input.amount > 100 because \"...\"`.",
  redact: "Removes kinds of personal data from the input or output: `redact card, iban, email`.",
  transform: "Rewrites a field of the input or output before it goes on: `transform input.text = truncate(trim(input.text), 1200)`.",
  because: "The reason a rule gives: shown to the caller, stored in the audit log.",
  source: 'A source of a context: `source docs = vector("./kb/*.md") { chunk: 400 }`.',
  true: "The boolean true.",
  false: "The boolean false.",
  null: "No value: what an optional (`T?`) holds when it is absent.",
};

/** The documentation of a keyword, or undefined for a word that is not one. */
export function keywordDoc(word: string): string | undefined {
  return Object.hasOwn(KEYWORD_DOCS, word) ? KEYWORD_DOCS[word] : undefined;
}
