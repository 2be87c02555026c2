// A context's `summarize: PROMPT`: when the budget drops or cuts something, the prompt condenses
// every item kept after `top` into the budget. The prompt is called with the arguments it declares
// among `text` (the items as `[source: id]` blocks), `query` and `budget` (tokens), and its answer,
// cut to the budget, becomes the assembled text.
//
// In a run the VM makes that call (vm/exec/agent.ts, through the interpreter's model path: policy
// hooks, retries, fallbacks, cost, journal); outside a run (`awr context query --models`) the
// assembler calls the prompt's model directly (`promptSummarizer` in assembler.ts).
import type { JsonSchema, Plan } from "../../compiler/plan/index.js";
import type { Json, SummaryRequest } from "../types.js";
import { countTokens, truncateToTokens } from "./tokens.js";

/** Condenses `text` (the candidates that did not all fit) into at most `budget` tokens. */
export type Summarizer = (input: { context: string; query: string; text: string; budget: number }, signal: AbortSignal) => Promise<string>;

/** The arguments of the summarize prompt: those of `text`, `query` and `budget` it declares. */
export function summaryArgs(prompt: Pick<Plan["prompts"][string], "params">, req: Pick<SummaryRequest, "query" | "text" | "budget">): Record<string, Json> {
  const declared = Object.keys(((prompt.params as JsonSchema)["properties"] ?? {}) as Record<string, unknown>);
  const all: Record<string, Json> = { text: req.text, query: req.query, budget: req.budget };
  return Object.fromEntries(declared.filter((k) => k in all).map((k) => [k, all[k]!]));
}

/** The summary as assembled: the answer trimmed and cut to the budget, and its tokens. */
export function fitSummary(answer: Json, budget: number): { text: string; tokens: number } {
  const text = truncateToTokens((typeof answer === "string" ? answer : JSON.stringify(answer)).trim(), budget);
  return { text, tokens: countTokens(text) };
}
