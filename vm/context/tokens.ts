// Token counting for budgets: the `cl100k_base` BPE of js-tiktoken (the GPT-4 / GPT-3.5 tokenizer),
// loaded once, lazily (its ranks take ~0.3 s to build). Budgets are counted with this one tokenizer
// whatever model later reads the text: it is a real BPE, not a chars/4 estimate, so "never exceed
// the budget" is checked on the exact token count of the assembled text.
import { Tiktoken } from "js-tiktoken/lite";
import cl100k from "js-tiktoken/ranks/cl100k_base";

export const TOKENIZER = "cl100k_base";

let encoder: Tiktoken | undefined;

function enc(): Tiktoken {
  encoder ??= new Tiktoken(cl100k);
  return encoder;
}

export function encode(text: string): number[] {
  return enc().encode(text, [], []);
}

export function decode(tokens: number[]): string {
  return enc().decode(tokens);
}

export function countTokens(text: string): number {
  return text === "" ? 0 : encode(text).length;
}

/**
 * The longest prefix of `text` (cut at a token boundary) with at most `max` tokens. A cut that
 * splits a multi-byte character drops the partial character, so re-encoding never grows.
 */
export function truncateToTokens(text: string, max: number): string {
  if (max <= 0) return "";
  const tokens = encode(text);
  if (tokens.length <= max) return text;
  for (let n = max; n > 0; n--) {
    const cut = decode(tokens.slice(0, n)).replace(/\uFFFD+$/u, "");
    if (countTokens(cut) <= max) return cut;
  }
  return "";
}
