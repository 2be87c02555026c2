// Token usage and cost, shared by the live gateway and the recorded provider.
import type { ChatMessage, ModelRequest } from "../types.js";

export interface Usage {
  input: number;
  output: number;
}

/** USD for `usage` at the plan's price (USD per million tokens); 0 when the model has no price. */
export function costOf(price: ModelRequest["plan"]["price"], usage: Usage): number {
  if (!price) return 0;
  return (usage.input * price.input) / 1e6 + (usage.output * price.output) / 1e6;
}

/** A rough token estimate (chars / 4, rounded up), used only when a server reports no usage. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function estimateMessages(messages: readonly ChatMessage[]): number {
  return messages.reduce((n, m) => n + estimateTokens(m.content), 0);
}
