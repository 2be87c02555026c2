// Chunking: a document is cut at markdown headings, then packed paragraph by paragraph into chunks
// of at most `maxTokens` tokens. A paragraph longer than that is cut at sentence ends, and a
// sentence longer than that at token boundaries. When a section needs several chunks, each chunk
// after the first starts with the last `overlap` tokens of the previous one (so a fact that
// straddles a cut is whole in one of them); a heading always starts a fresh chunk, without overlap.
import { countTokens, decode, encode, truncateToTokens } from "./tokens.js";

export interface ChunkOptions {
  /** Maximum tokens per chunk (the source's `chunk` option). */
  maxTokens: number;
  /** Tokens repeated from the end of the previous chunk of the same section (the `overlap` option). */
  overlap: number;
}

export interface Chunk {
  /** 0-based position in the document. */
  index: number;
  text: string;
  tokens: number;
}

export const DEFAULT_CHUNK: ChunkOptions = { maxTokens: 512, overlap: 64 };

const HEADING = /^#{1,6}\s/;

export function chunkText(text: string, opts: ChunkOptions = DEFAULT_CHUNK): Chunk[] {
  const max = Math.max(8, Math.floor(opts.maxTokens));
  const overlap = Math.max(0, Math.min(Math.floor(opts.overlap), Math.floor(max / 2)));
  const out: string[] = [];
  for (const section of sections(text)) {
    const pieces = section.flatMap((p) => splitLong(p, max));
    let current: string[] = [];
    let used = 0;
    const flush = () => {
      if (current.length > 0) out.push(current.join("\n\n"));
      current = [];
      used = 0;
    };
    for (const piece of pieces) {
      const t = countTokens(piece);
      // +2: the blank line between paragraphs is at most two tokens.
      if (current.length > 0 && used + 2 + t > max) {
        const previous = current.join("\n\n");
        flush();
        if (overlap > 0) {
          const tail = tailTokens(previous, Math.min(overlap, max - t - 2));
          if (tail) {
            current.push(tail);
            used = countTokens(tail);
          }
        }
      }
      current.push(piece);
      used += (current.length > 1 ? 2 : 0) + t;
    }
    flush();
  }
  // The packing estimate above is exact up to merges across the joins; enforce the bound.
  return out.map((c, index) => {
    let chunk = c;
    let tokens = countTokens(chunk);
    if (tokens > max) {
      chunk = truncateToTokens(chunk, max);
      tokens = countTokens(chunk);
    }
    return { index, text: chunk, tokens };
  });
}

/** Paragraph lists, one per heading section (the heading is the first paragraph of its section). */
function sections(text: string): string[][] {
  const result: string[][] = [];
  let current: string[] = [];
  const paragraphs = text
    .replace(/\r\n?/g, "\n")
    .split(/\n[ \t]*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== "");
  for (const p of paragraphs) {
    // A heading directly followed by its text in one paragraph still starts a section.
    if (HEADING.test(p) && current.length > 0) {
      result.push(current);
      current = [];
    }
    current.push(p);
  }
  if (current.length > 0) result.push(current);
  return result;
}

function splitLong(paragraph: string, max: number): string[] {
  if (countTokens(paragraph) <= max) return [paragraph];
  // Sentence ends and line breaks; only whitespace is lost.
  const sentences = paragraph.split(/(?<=[.!?])\s+|\s*\n\s*/).filter((s) => s !== "");
  const out: string[] = [];
  let current = "";
  for (const s of sentences) {
    const candidate = current === "" ? s : `${current} ${s}`;
    if (countTokens(candidate) <= max) {
      current = candidate;
      continue;
    }
    if (current !== "") out.push(current);
    current = "";
    if (countTokens(s) <= max) current = s;
    else out.push(...splitTokens(s, max));
  }
  if (current !== "") out.push(current);
  return out;
}

/** Cuts at token boundaries, never inside a character (a cut there would decode to U+FFFD). */
function splitTokens(text: string, max: number): string[] {
  const tokens = encode(text);
  const out: string[] = [];
  let start = 0;
  while (start < tokens.length) {
    let n = Math.min(max, tokens.length - start);
    while (n > 1 && decode(tokens.slice(start, start + n)).endsWith("\uFFFD")) n--;
    out.push(decode(tokens.slice(start, start + n)));
    start += n;
  }
  return out.filter((p) => p.trim() !== "");
}

function tailTokens(text: string, n: number): string {
  if (n <= 0) return "";
  const tokens = encode(text);
  if (tokens.length <= n) return text;
  return decode(tokens.slice(tokens.length - n))
    .replace(/^\uFFFD+/u, "")
    .trim();
}
