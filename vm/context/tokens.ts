// Token counting for budgets: the `cl100k_base` BPE (the GPT-4 / GPT-3.5 tokenizer), its ranks
// from js-tiktoken. Budgets are counted with this one tokenizer whatever model later reads the text:
// it is a real BPE, not a chars/4 estimate, so "never exceed the budget" is checked on the exact
// token count of the assembled text.
//
// The encoder is js-tiktoken's algorithm over the same ranks, built lazily, once, on the first count.
// js-tiktoken's own constructor base64-decodes all 100,256 ranks into byte-string keys (~0.3 s of a
// cold `awr run`, docs/performance.md § Cold starts); here the ranks stay keyed by their base64 text
// as the data has them, and a piece is looked up by its bytes' base64, so building is one pass of
// Map.set (~10× faster). test/context/tokens.test.ts checks every encode, decode and count against
// js-tiktoken itself.
import cl100k from "js-tiktoken/ranks/cl100k_base";

export const TOKENIZER = "cl100k_base";

interface Encoder {
  pattern: RegExp;
  /** A token's bytes as base64 → its rank. */
  ranks: Map<string, number>;
  /** Rank → the token's bytes as base64. */
  byRank: string[];
}

let encoder: Encoder | undefined;

function enc(): Encoder {
  if (encoder) return encoder;
  const ranks = new Map<string, number>();
  const byRank: string[] = [];
  // Each line: a name, the first rank, then the tokens (base64) of consecutive ranks.
  for (const line of cl100k.bpe_ranks.split("\n")) {
    if (line === "") continue;
    const parts = line.split(" ");
    let rank = Number.parseInt(parts[1]!, 10);
    for (let i = 2; i < parts.length; i++, rank++) {
      ranks.set(parts[i]!, rank);
      byRank[rank] = parts[i]!;
    }
  }
  encoder = { pattern: new RegExp(cl100k.pat_str, "ug"), ranks, byRank };
  return encoder;
}

/**
 * The tokens of `text`, special-token texts (`<|endoftext|>`) encoded as ordinary text — as
 * js-tiktoken's `encode(text, [], [])`.
 */
export function encode(text: string): number[] {
  const { pattern, ranks } = enc();
  const out: number[] = [];
  for (const match of text.matchAll(pattern)) {
    const piece = Buffer.from(match[0], "utf8");
    const whole = ranks.get(piece.toString("base64"));
    if (whole !== undefined) out.push(whole);
    else bytePairEncode(piece, ranks, out);
  }
  return out;
}

/** js-tiktoken's byte-pair merge: merge the adjacent pair of lowest rank (the first on a tie) until none has one. */
function bytePairEncode(piece: Buffer, ranks: Map<string, number>, out: number[]): void {
  const rankOf = (start: number, end: number) => ranks.get(piece.toString("base64", start, end));
  if (piece.length === 1) {
    const r = rankOf(0, 1);
    if (r !== undefined) out.push(r);
    return;
  }
  // Part i spans [starts[i], starts[i + 1]); the last boundary is the piece's end.
  const starts = Array.from({ length: piece.length + 1 }, (_, i) => i);
  while (starts.length > 2) {
    let min: number | undefined;
    let at = -1;
    for (let i = 0; i < starts.length - 2; i++) {
      const r = rankOf(starts[i]!, starts[i + 2]!);
      if (r !== undefined && (min === undefined || r < min)) {
        min = r;
        at = i;
      }
    }
    if (min === undefined) break;
    starts.splice(at + 1, 1);
  }
  for (let i = 0; i < starts.length - 1; i++) {
    const r = rankOf(starts[i]!, starts[i + 1]!);
    if (r !== undefined) out.push(r);
  }
}

const utf8 = new TextDecoder("utf-8");

export function decode(tokens: number[]): string {
  const { byRank } = enc();
  const parts: Buffer[] = [];
  for (const t of tokens) {
    const b64 = byRank[t];
    if (b64 !== undefined) parts.push(Buffer.from(b64, "base64"));
  }
  return utf8.decode(Buffer.concat(parts));
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
