// Text normalisation for the content filters and PII detection (docs/security.md § Filters and PII
// detection). One function, `normalize`, used by `contains_any`, `matches` and `findPii`, so a
// filter and a detector see the same text an attacker's disguise hides:
//
// - NFKC (full-width letters and digits, ligatures, superscripts, circled digits, compatibility
//   spaces such as NBSP);
// - default-ignorable code points removed (zero-width space / joiner / non-joiner U+200B–U+200D,
//   word joiner U+2060, BOM U+FEFF, soft hyphen U+00AD, bidi controls, variation selectors, ...);
// - every other space separator (\p{Zs}) becomes " ";
// - decimal digits of any script (\p{Nd}: Arabic-Indic, Devanagari, ...) become ASCII digits;
// - Cyrillic and Greek letters that look like Latin ones become those Latin letters (CONFUSABLES);
// - optionally, lower case (`caseFold`).
//
// It returns the normalised text and a map back to the original: the text is cut into chunks (a
// code point plus the combining marks after it), each chunk is normalised on its own, and every
// UTF-16 unit of the result remembers the chunk it came from. `span(start, end)` of a range of the
// normalised text is the range of the original covering every chunk that produced it, so a
// redaction of a match replaces the whole original value: the invisible characters inside it, and
// a whole ligature or full-width character even when the match starts inside its expansion.
//
// Pure ASCII text is its own normal form (only `caseFold` changes it, without changing lengths),
// so the common case costs one scan and no map.

/** Cyrillic and Greek letters drawn like a Latin letter (the common ones; after NFKC). */
const CONFUSABLES: Record<string, string> = {
  // Cyrillic capitals
  "\u0410": "A", "\u0412": "B", "\u0415": "E", "\u041A": "K", "\u041C": "M", "\u041D": "H", "\u041E": "O", "\u0420": "P",
  "\u0421": "C", "\u0422": "T", "\u0423": "Y", "\u0425": "X", "\u0405": "S", "\u0406": "I", "\u0408": "J", "\u04AE": "Y",
  "\u04C0": "I", "\u051A": "Q", "\u051C": "W",
  // Cyrillic small
  "\u0430": "a", "\u0435": "e", "\u043E": "o", "\u0440": "p", "\u0441": "c", "\u0443": "y", "\u0445": "x", "\u0455": "s",
  "\u0456": "i", "\u0458": "j", "\u0501": "d", "\u04BB": "h", "\u051B": "q", "\u051D": "w", "\u04CF": "l",
  // Greek capitals
  "\u0391": "A", "\u0392": "B", "\u0395": "E", "\u0396": "Z", "\u0397": "H", "\u0399": "I", "\u039A": "K", "\u039C": "M",
  "\u039D": "N", "\u039F": "O", "\u03A1": "P", "\u03A4": "T", "\u03A5": "Y", "\u03A7": "X", "\u03F9": "C", "\u037F": "J",
  // Greek small
  "\u03BF": "o", "\u03BD": "v", "\u03B9": "i", "\u03BA": "k", "\u03C1": "p", "\u03C5": "u", "\u03B1": "a", "\u03F2": "c",
  "\u03F3": "j",
  // Latin look-alikes that NFKC keeps
  "\u0131": "i", "\u0237": "j", "\u0251": "a", "\u0261": "g", "\u026A": "i",
};

const MARK = /^\p{M}$/u;
const IGNORABLE = /^\p{Default_Ignorable_Code_Point}$/u;
const SPACE = /^\p{Zs}$/u;
const DIGIT = /^\p{Nd}$/u;
const ASCII = /^[\x00-\x7f]*$/;

/** The value 0–9 of a decimal digit of any script (Unicode keeps each script's digits as a contiguous 0–9 run). */
const DIGIT_VALUE = new Map<number, number>();
function digitValue(cp: number): number {
  let v = DIGIT_VALUE.get(cp);
  if (v === undefined) {
    // Runs of ten are contiguous and can be adjacent (U+1D7CE…): count back to the start of the run.
    let start = cp;
    while (DIGIT.test(String.fromCodePoint(start - 1))) start--;
    v = (cp - start) % 10;
    DIGIT_VALUE.set(cp, v);
  }
  return v;
}

/** Whether a code point is a combining mark (\p{M}); BMP answers are remembered. */
const MARK_BMP = new Uint8Array(0x10000); // 0 unknown, 1 mark, 2 not a mark
function isMark(cp: number): boolean {
  if (cp > 0xffff) return MARK.test(String.fromCodePoint(cp));
  let k = MARK_BMP[cp]!;
  if (k === 0) MARK_BMP[cp] = k = MARK.test(String.fromCharCode(cp)) ? 1 : 2;
  return k === 1;
}

const CHUNK_CACHE = [new Map<string, string>(), new Map<string, string>()] as const; // [as is, case-folded]

/** Invisible characters removed; spaces, digits and homoglyphs folded (of an NFKC text). */
function fold(nf: string): string {
  let out = "";
  for (const ch of nf) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out += ch;
    else if (IGNORABLE.test(ch)) continue;
    else if (SPACE.test(ch)) out += " ";
    else if (DIGIT.test(ch)) out += String(digitValue(cp));
    else out += CONFUSABLES[ch] ?? ch;
  }
  return out;
}

/** The normal form of one chunk (a code point and its combining marks). */
function foldChunk(chunk: string, caseFold: boolean): string {
  const cache = CHUNK_CACHE[caseFold ? 1 : 0];
  const hit = cache.get(chunk);
  if (hit !== undefined) return hit;
  let out = fold(chunk.normalize("NFKC"));
  // Homoglyphs first (a Greek capital Τ is a T, its small τ is no t), then lower case, then the
  // small homoglyphs lower-casing produced.
  if (caseFold) out = fold(out.toLowerCase());
  if (cache.size > 5000) cache.clear();
  cache.set(chunk, out);
  return out;
}

export interface NormalizeOptions {
  /** Lower-case the text too (for case-insensitive consumers such as `contains_any`). */
  caseFold?: boolean;
}

export interface Normalized {
  /** The normalised text. */
  text: string;
  /** The original text. */
  source: string;
  /** True when `text` has the same offsets as `source` (ASCII input). */
  identity: boolean;
  /** The range of `source` that produced `text.slice(start, end)` (end exclusive); whole chunks. */
  span(start: number, end: number): { start: number; end: number };
}

/**
 * The last few results: one policy hook tests the same strings with several rules (contains_any,
 * matches, contains_pii), and a string is normalised once for all of them.
 */
const RECENT = [new Map<string, Normalized>(), new Map<string, Normalized>()] as const; // [as is, case-folded]
const RECENT_MAX = 32;

/** Normalises `source` (see the head of this file) and keeps the way back to its offsets. */
export function normalize(source: string, opts: NormalizeOptions = {}): Normalized {
  const caseFold = opts.caseFold === true;
  if (ASCII.test(source)) {
    return { text: caseFold ? source.toLowerCase() : source, source, identity: true, span: (start, end) => ({ start, end }) };
  }
  const recent = RECENT[caseFold ? 1 : 0];
  const hit = recent.get(source);
  if (hit) return hit;
  const result = normalizeChunks(source, caseFold);
  if (source.length <= 65_536) {
    if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!);
    recent.set(source, result);
  }
  return result;
}

function normalizeChunks(source: string, caseFold: boolean): Normalized {
  const parts: string[] = [];
  // starts[i] / ends[i]: the original range of the chunk that produced unit i of the text.
  const starts: number[] = [];
  const ends: number[] = [];
  const n = source.length;
  for (let i = 0; i < n; ) {
    const c = source.charCodeAt(i);
    let j = i + (c >= 0xd800 && c < 0xdc00 && i + 1 < n && (source.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1);
    // Combining marks belong to the chunk of the code point they follow (all marks are ≥ U+0300).
    while (j < n && source.charCodeAt(j) >= 0x300) {
      const cp = source.codePointAt(j)!;
      if (!isMark(cp)) break;
      j += cp > 0xffff ? 2 : 1;
    }
    let out: string;
    if (j === i + 1 && c < 0x80) out = caseFold && c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : source[i]!;
    else out = foldChunk(source.slice(i, j), caseFold);
    parts.push(out);
    for (let k = 0; k < out.length; k++) {
      starts.push(i);
      ends.push(j);
    }
    i = j;
  }
  const text = parts.join("");
  return {
    text,
    source,
    identity: false,
    span(start, end) {
      if (end <= start) {
        const at = start < starts.length ? starts[start]! : n;
        return { start: at, end: at };
      }
      return { start: starts[start]!, end: ends[end - 1]! };
    },
  };
}
