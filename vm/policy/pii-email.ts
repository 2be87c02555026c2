// The email detector (pii.ts): addresses in any script, obfuscated at signs and dots (`[at]`,
// `(dot)`), never a file name (`icon@2x.png`), never a fragment of a word.
import type { Detector, PiiMatch } from "./pii-scan.js";

const FILE_EXTENSIONS = new Set(["png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "pdf", "tif", "tiff", "heic", "avif", "mp4", "mov", "js", "ts", "css", "json", "txt", "zip"]);

// Local part: letters and digits of any script, `._%+-'` inside (not first, `.` and `'` not last);
// the domain: labels of letters, digits and hyphens, a TLD of letters. The at sign and the dots may
// be written `[at]`, `(at)`, `{at}`, `<at>`, `[@]` and `[dot]`, `(dot)`, `[.]`, ... with a space
// either side. A candidate never starts or ends inside a word (`jörg@…` is taken whole or not at
// all), so no fragment is left.
//
// The scan is anchored on the at signs: a Unicode-aware regex tried at every letter of a text is
// ten times slower than the ASCII one it replaces, so the local part is read leftwards from each
// at sign, and the domain with a sticky regex right after it.
const E_AT = /\x20?[\[({<]\x20?(?:at|@)\x20?[\])}>]\x20?|@/gi;
const E_DOT = String.raw`(?:\.|\x20?[\[({<]\x20?(?:dot|\.)\x20?[\])}>]\x20?)`;
const E_LABEL = String.raw`[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}-]{0,61}[\p{L}\p{N}\p{M}])?`;
const E_DOMAIN = new RegExp(String.raw`(?:${E_LABEL}${E_DOT})+(\p{L}{2,24})(?![\p{L}\p{N}\p{M}_-])`, "iuy");
const WORDISH = /^[\p{L}\p{N}\p{M}]$/u;
const WORDISH_BMP = new Uint8Array(0x10000); // 0 unknown, 1 letter / digit / mark, 2 not
/** \p{L}, \p{N} or \p{M}. */
function wordish(cp: number): boolean {
  if (cp < 0x80) return (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122);
  if (cp > 0xffff) return WORDISH.test(String.fromCodePoint(cp));
  let k = WORDISH_BMP[cp]!;
  if (k === 0) WORDISH_BMP[cp] = k = WORDISH.test(String.fromCharCode(cp)) ? 1 : 2;
  return k === 1;
}
const LOCAL_PUNCT = "._%+-'";

/**
 * Where the local part before the at sign at `at` starts (at most 64 characters, read leftwards,
 * never into the previous match that ends at `floor`), or -1 when there is no valid local part.
 */
function localStart(text: string, at: number, floor: number): number {
  let start = at;
  let count = 0;
  while (start > 0 && count <= 64) {
    const lo = text.charCodeAt(start - 1);
    const hi = start > 1 ? text.charCodeAt(start - 2) : 0;
    const pair = (lo & 0xfc00) === 0xdc00 && (hi & 0xfc00) === 0xd800;
    const cp = pair ? text.codePointAt(start - 2)! : lo;
    if (!wordish(cp) && !LOCAL_PUNCT.includes(String.fromCharCode(cp))) break;
    start -= pair ? 2 : 1;
    count++;
  }
  if (count > 64 || start < floor) return -1;
  while (text[start] === "'") start++; // a quote before the address is not part of it
  const local = text.slice(start, at);
  if (!local || LOCAL_PUNCT.includes(local[0]!) || local.endsWith(".") || local.endsWith("'") || local.includes("..")) return -1;
  return start;
}

export const email: Detector = (text) => {
  const out: PiiMatch[] = [];
  let floor = 0; // the end of the previous match: a local part never reaches into it
  E_AT.lastIndex = 0;
  for (let at = E_AT.exec(text); at; at = E_AT.exec(text)) {
    const start = localStart(text, at.index, floor);
    if (start < 0) continue;
    E_DOMAIN.lastIndex = at.index + at[0].length;
    const d = E_DOMAIN.exec(text);
    if (!d || FILE_EXTENSIONS.has(d[1]!.toLowerCase())) continue;
    const end = d.index + d[0].length;
    out.push({ kind: "email", start, end, text: text.slice(start, end) });
    floor = end;
    E_AT.lastIndex = end;
  }
  return out;
};
