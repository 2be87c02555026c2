// PII detection: candidate patterns plus validators, one per kind (docs/policies.md § PII).
// No well-kept npm package covers all six kinds offline (libphonenumber-js is not available here;
// ibantools / card-validator cover one kind each), so the patterns are ours and measured on the
// labelled corpus in test/policy/corpus/ (recall and false positives are printed by
// test/policy/pii-corpus.test.ts).
//
// - email: local@domain.tld (letters of any script, `'` in the local part; `[at]` / `[dot]` and
//   other bracketed forms), the TLD alphabetic and not a file extension (`icon@2x.png` is not one).
// - phone: international (`+CC …`, `00 CC …`, the country code checked against ITU codes, 8–15
//   digits as E.164 allows), North American (`(415) 555-0132`, `415-555-0132`, NANP area and
//   exchange rules) and national trunk formats (`020 7946 0958`, `01 23 45 67 89`: a leading 0,
//   10–11 digits in groups with one kind of separator).
// - card: 13–19 digits (plain or in 4-groups / Amex 4-6-5, separated by spaces, dots or dashes), a
//   known issuer prefix and a valid Luhn.
// - iban: upper or lower case, grouped by spaces or dashes or not; the country's registered length
//   and a valid ISO 7064 mod-97 checksum.
// - ssn: AAA-GG-SSSS (or spaced, or dotted) with area 001–899 except 666, group 01–99, serial 0001–9999;
//   nine bare digits only right after "SSN" / "social security (number)".
// - ip: IPv4 (four octets 0–255, no leading zeros, not part of a longer dotted number) and IPv6
//   (validated by node:net, zones and IPv4-mapped forms included).
//
// A number labelled as another kind of identifier right before it ("order #", "invoice", "part
// no.", "SKU", "tracking", "version", "serial", "ISBN", ...) is not taken for a phone number, an
// SSN or an IPv4 address.
//
// The detectors read the normal form of the text (vm/policy/normalize.ts: NFKC, invisible characters
// removed, homoglyphs and other-script digits folded) and findPii maps matches back to whole
// spans of the original (docs/security.md § Filters and PII detection).
import { isIPv6 } from "node:net";
import { normalize } from "./normalize.js";

export const PII_KINDS = ["email", "phone", "card", "iban", "ssn", "ip"] as const;
export type PiiKind = (typeof PII_KINDS)[number];

export interface PiiMatch {
  kind: PiiKind;
  /** UTF-16 offsets into the text (end exclusive). */
  start: number;
  end: number;
  text: string;
}

/** The kinds a redaction or condition names: `pii` means all of them; unknown names are ignored. */
export function expandKinds(kinds: readonly string[]): PiiKind[] {
  if (kinds.includes("pii")) return [...PII_KINDS];
  return PII_KINDS.filter((k) => kinds.includes(k));
}

// ---------------------------------------------------------------- validators

export function luhn(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let alt = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let n = digits.charCodeAt(i) - 48;
    if (alt && (n *= 2) > 9) n -= 9;
    sum += n;
    alt = !alt;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes (IIN ranges) of the major card networks. */
function cardIssuer(d: string): boolean {
  const p2 = Number(d.slice(0, 2));
  const p3 = Number(d.slice(0, 3));
  const p4 = Number(d.slice(0, 4));
  const p6 = Number(d.slice(0, 6));
  const n = d.length;
  if (d[0] === "4") return n === 13 || n === 16 || n === 19; // Visa
  if (p2 >= 51 && p2 <= 55) return n === 16; // Mastercard
  if (p4 >= 2221 && p4 <= 2720) return n === 16; // Mastercard 2-series
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925)) return n >= 16 && n <= 19; // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19; // JCB
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39 || p4 === 3095) return n >= 14 && n <= 19; // Diners
  if (p2 === 62) return n >= 16 && n <= 19; // UnionPay
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 12 && n <= 19; // Maestro
  if (p4 === 2200 || p4 === 2201 || p4 === 2202 || p4 === 2203 || p4 === 2204) return n === 16; // Mir
  return false;
}

/** Registered IBAN lengths by country (ISO 13616 registry). */
const IBAN_LENGTH: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24,
  DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27,
  GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28,
  PS: 29, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23,
  TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/** ISO 7064 mod 97-10 over the rearranged IBAN (letters as 10..35): valid when the remainder is 1. */
export function ibanChecksumOk(iban: string): boolean {
  const s = iban.replace(/[ -]/g, "").toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(s) || IBAN_LENGTH[s.slice(0, 2)] !== s.length) return false;
  return mod97(s.slice(4) + s.slice(0, 4)) === 1;
}

export function mod97(s: string): number {
  let r = 0;
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    const v = c >= 65 ? String(c - 55) : ch;
    for (const dch of v) r = (r * 10 + (dch.charCodeAt(0) - 48)) % 97;
  }
  return r;
}

export function ssnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  if (a === 0 || a === 666 || a >= 900) return false;
  if (Number(group) === 0 || Number(serial) === 0) return false;
  // Numbers published in advertising, never issued to a person.
  const whole = `${area}${group}${serial}`;
  return whole !== "078051120" && whole !== "219099999";
}

/** ITU-T E.164 country calling codes (1–3 digits). */
const COUNTRY_CODES = new Set(
  (
    "1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 " +
    "211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245 246 247 248 249 " +
    "250 251 252 253 254 255 256 257 258 260 261 262 263 264 265 266 267 268 269 290 291 297 298 299 350 351 352 353 354 355 356 357 358 359 " +
    "370 371 372 373 374 375 376 377 378 380 381 382 383 385 386 387 389 420 421 423 500 501 502 503 504 505 506 507 508 509 590 591 592 593 " +
    "594 595 596 597 598 599 670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689 690 691 692 850 852 853 855 856 880 886 " +
    "960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 992 993 994 995 996 998"
  ).split(" "),
);

function countryCodeOk(digits: string): boolean {
  return [1, 2, 3].some((n) => COUNTRY_CODES.has(digits.slice(0, n)));
}

/** NANP: area code and exchange start with 2–9; the area code is not an N11 service code. */
function nanpOk(ten: string): boolean {
  if (!/^[2-9]\d\d[2-9]\d{6}$/.test(ten)) return false;
  return !(ten[1] === "1" && ten[2] === "1");
}

const FILE_EXTENSIONS = new Set(["png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "pdf", "tif", "tiff", "heic", "avif", "mp4", "mov", "js", "ts", "css", "json", "txt", "zip"]);

// ---------------------------------------------------------------- context

/** A number labelled as another kind of identifier right before it is not personal data. */
const IDENTIFIER_LABEL =
  /\b(?:order|orders|invoice|inv|ref|reference|part|parts|sku|serial|sn|s\/n|model|tracking|ticket|case|version|ver|build|release|section|chapter|isbn|issn|po|item|batch|lot|shipment|confirmation|booking|receipt|transaction|txn|claim|policy|patent|catalog|catalogue|product|article|doc|document|bug|issue|pr|job|route|flight|rule|step|figure|table|page|v)\s*(?:#|no\.?|nr\.?|num(?:ber)?\.?|id)?\s*[:#]?\s*$/i;

function labelledAsIdentifier(text: string, start: number): boolean {
  return IDENTIFIER_LABEL.test(text.slice(Math.max(0, start - 32), start));
}

const SSN_LABEL = /\b(?:ssn|ss#|social security(?: number| no\.?| #)?)\s*(?:is|:|#)?\s*$/i;

// ---------------------------------------------------------------- detectors

type Detector = (text: string) => PiiMatch[];

/** Not the continuation of an IBAN-shaped token (`GB54 BARC 5649 …` with a bad checksum is no card or phone). */
const NOT_IN_IBAN = String.raw`(?<!\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4})* ?)`;

function scan(text: string, re: RegExp, kind: PiiKind, accept: (m: RegExpExecArray) => { start: number; end: number } | null | false): PiiMatch[] {
  const out: PiiMatch[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const r = accept(m);
    if (r) out.push({ kind, start: r.start, end: r.end, text: text.slice(r.start, r.end) });
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}

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

const email: Detector = (text) => {
  const out: PiiMatch[] = [];
  let floor = 0; // the end of the previous match: a local part never reaches into it
  E_AT.lastIndex = 0;
  for (let at = E_AT.exec(text); at; at = E_AT.exec(text)) {
    // The local part, leftwards from the at sign: at most 64 characters.
    let start = at.index;
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
    if (count > 64 || start < floor) continue;
    while (text[start] === "'") start++; // a quote before the address is not part of it
    const local = text.slice(start, at.index);
    if (!local || LOCAL_PUNCT.includes(local[0]!) || local.endsWith(".") || local.endsWith("'") || local.includes("..")) continue;
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

// Plain 13–19 digits, or groups of 4 (last group 1–4), or Amex/Diners 4-6-4/5, one kind of separator.
// Separators: space (NBSP and other spaces after normalisation), dot or dash.
const CARD = new RegExp(String.raw`(?<![\w.-]|\d[ .-])(?=\d)` + NOT_IN_IBAN + String.raw`(?:\d{13,19}|\d{4}([ .-])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?|\d{4}([ .-])\d{6}\2\d{4,5})(?![\w]|[ .-]\d|,\d)`, "g");

const card: Detector = (text) =>
  scan(text, CARD, "card", (m) => {
    const d = m[0].replace(/[ .-]/g, "");
    if (d.length < 13 || d.length > 19 || !luhn(d) || !cardIssuer(d) || labelledAsIdentifier(text, m.index)) return null;
    return { start: m.index, end: m.index + m[0].length };
  });

// Country, check digits, then 4-groups separated by single spaces or dashes (or none); upper or
// lower case; validated per country.
const IBAN = /(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,4})?)(?![A-Za-z0-9])/gi;

const iban: Detector = (text) =>
  scan(text, IBAN, "iban", (m) => {
    const raw = m[1]!;
    const country = raw.slice(0, 2).toUpperCase();
    const len = IBAN_LENGTH[country];
    if (!len) return null;
    // A greedy candidate may run into a following word: keep the country's length of characters.
    let count = 0;
    let end = 0;
    for (; end < raw.length && count < len; end++) if (raw[end] !== " " && raw[end] !== "-") count++;
    if (count !== len) return null;
    const candidate = raw.slice(0, end);
    const rest = raw.slice(end);
    if (rest && rest[0] !== " " && rest[0] !== "-") return null;
    // Either all upper case or all lower case (a word like "Ab12" is not an IBAN).
    if (candidate !== candidate.toUpperCase() && candidate !== candidate.toLowerCase()) return null;
    if (!ibanChecksumOk(candidate)) return null;
    return { start: m.index, end: m.index + candidate.length };
  });

const SSN = /(?<![\w.-])(\d{3})([- .])(\d{2})\2(\d{4})(?![\w]|[-.]\d)/g;
const SSN_BARE = /(?<![\w-])(\d{3})(\d{2})(\d{4})(?![\w-])/g;

const ssn: Detector = (text) => [
  ...scan(text, SSN, "ssn", (m) => (ssnValid(m[1]!, m[3]!, m[4]!) && !labelledAsIdentifier(text, m.index) ? { start: m.index, end: m.index + m[0].length } : null)),
  ...scan(text, SSN_BARE, "ssn", (m) =>
    ssnValid(m[1]!, m[2]!, m[3]!) && SSN_LABEL.test(text.slice(Math.max(0, m.index - 32), m.index)) ? { start: m.index, end: m.index + m[0].length } : null,
  ),
];

const IPV4 = /(?<![\w.]|\d\.)(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)/g;
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})(?:%[A-Za-z0-9_]+)?(?![\w:]|\.\d)/g;

const ip: Detector = (text) => [
  ...scan(text, IPV4, "ip", (m) => (labelledAsIdentifier(text, m.index) ? null : { start: m.index, end: m.index + m[0].length })),
  ...scan(text, IPV6, "ip", (m) => {
    const zone = m[0].indexOf("%");
    const addr = zone >= 0 ? m[0].slice(0, zone) : m[0];
    if (!isIPv6(addr)) return null;
    // Too weak alone: "::", a form without "::" that has fewer than 8 groups, and one-group compressed
    // forms other than "::1"-like and "2001::"-like ones.
    if (addr === "::" || !/[0-9a-f]/i.test(addr)) return null;
    const groups = addr.split(":").filter(Boolean).length;
    if (!addr.includes("::") && groups < 8 && !addr.includes(".")) return null;
    if (addr.includes("::") && groups === 1 && !/^::[0-9a-f]{1,4}$/i.test(addr) && !/^[0-9a-f]{3,4}::$/i.test(addr)) return null;
    return { start: m.index, end: m.index + m[0].length };
  }),
];

// International: +CC or 00 CC, then groups of digits (a "(0)" trunk and one "(area)" allowed).
const PHONE_INTL = new RegExp(String.raw`(?<![\w+]|\d[ .-])(?=[+0])` + NOT_IN_IBAN + String.raw`(?:\+|00[ ]?)[1-9]\d{0,2}(?:[ .-]?(?:\(0\)|\(\d{1,5}\)))?(?:[ .-]?\d{1,6}){1,6}(?![\w]|[.-]\d)`, "g");
// North American without country code, or with a leading 1.
const PHONE_NANP = /(?<![\w+(-]|\d[ .-])(?:1[ .-]?)?(?:\(\d{3}\) ?|\d{3}([-. ]))\d{3}([-. ])\d{4}(?![\w]|[-.]\d)/g;
// National with a trunk 0: groups of 2–5 digits, one kind of separator.
const PHONE_TRUNK = new RegExp(String.raw`(?<![\w+./-]|\d[ -])(?=0)` + NOT_IN_IBAN + String.raw`0[1-9]\d{0,3}([ -])\d{2,8}(?:\1\d{2,8}){0,3}(?![\w]|[-./:]\d|[ -]\d)`, "g");

const phone: Detector = (text) => [
  ...scan(text, PHONE_INTL, "phone", (m) => {
    const s = m[0].replace(/\(0\)/, "");
    const digits = s.replace(/\D/g, "");
    const cc = m[0].startsWith("+") ? digits : digits.slice(2);
    if (cc.length < 8 || cc.length > 15 || !countryCodeOk(cc)) return null;
    if (m[0].startsWith("00") && labelledAsIdentifier(text, m.index)) return null;
    if (cc.startsWith("1") && !nanpOk(cc.slice(1, 11))) return null;
    return { start: m.index, end: m.index + m[0].length };
  }),
  ...scan(text, PHONE_NANP, "phone", (m) => {
    const digits = m[0].replace(/\D/g, "");
    const ten = digits.length === 11 ? digits.slice(1) : digits;
    if (ten.length !== 10 || !nanpOk(ten)) return null;
    if (m[0].startsWith("(") === false && m[1] && m[2] && m[1] !== m[2]) return null;
    if (labelledAsIdentifier(text, m.index)) return null;
    return { start: m.index, end: m.index + m[0].length };
  }),
  ...scan(text, PHONE_TRUNK, "phone", (m) => {
    const digits = m[0].replace(/\D/g, "");
    if (digits.length < 10 || digits.length > 11) return null;
    if (labelledAsIdentifier(text, m.index)) return null;
    return { start: m.index, end: m.index + m[0].length };
  }),
];

/** Earlier kinds win an overlap: an email's digits are not a phone number, an IBAN's not a card. */
const DETECTORS: [PiiKind, Detector][] = [
  ["email", email],
  ["iban", iban],
  ["card", card],
  ["ip", ip],
  ["ssn", ssn],
  ["phone", phone],
];

/**
 * Every PII match of the given kinds in `text`, non-overlapping, in text order. The detectors read
 * the normalised text (vm/policy/normalize.ts: NFKC, invisible characters removed, homoglyphs and digits
 * of other scripts folded, every space a space); a match's offsets and text are those of the
 * ORIGINAL string, covering the whole value (invisible characters inside it included). All kinds
 * are detected so that an overlap is resolved the same way whichever kinds are asked for; only the
 * asked kinds are returned.
 */
export function findPii(text: string, kinds: readonly PiiKind[] = PII_KINDS): PiiMatch[] {
  const norm = normalize(text);
  const found = detectAll(norm.text).filter((m) => kinds.includes(m.kind));
  if (norm.identity) return found;
  const out: PiiMatch[] = [];
  for (const m of found) {
    const { start, end } = norm.span(m.start, m.end);
    const last = out[out.length - 1];
    // Two matches from one chunk of the original (a ligature split between them): one span.
    if (last && start < last.end) {
      last.end = Math.max(last.end, end);
      last.text = text.slice(last.start, last.end);
      continue;
    }
    out.push({ kind: m.kind, start, end, text: text.slice(start, end) });
  }
  return out;
}

/** The matches of every kind in an (already normalised) text: earlier detectors win overlaps. */
function detectAll(text: string): PiiMatch[] {
  if (text.length < 7) return [];
  // Kept sorted by start and non-overlapping, so an overlap check is a binary search.
  const taken: PiiMatch[] = [];
  for (const [, detect] of DETECTORS) {
    const found = detect(text).sort((a, b) => a.start - b.start || b.end - a.end);
    for (const m of found) {
      let lo = 0;
      let hi = taken.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (taken[mid]!.start < m.start) lo = mid + 1;
        else hi = mid;
      }
      // Neighbours: the last match starting before m, and the first starting at or after it.
      if (lo > 0 && taken[lo - 1]!.end > m.start) continue;
      if (lo < taken.length && taken[lo]!.start < m.end) continue;
      taken.splice(lo, 0, m);
    }
  }
  return taken;
}

export function containsPii(text: string, kinds: readonly PiiKind[] = PII_KINDS): boolean {
  return findPii(text, kinds).length > 0;
}

/** Replaces each match by `[REDACTED:kind]`; returns the new text and the kinds replaced. */
export function redactText(text: string, kinds: readonly PiiKind[]): { text: string; kinds: PiiKind[] } {
  const found = findPii(text, kinds);
  if (!found.length) return { text, kinds: [] };
  let out = "";
  let at = 0;
  for (const m of found) {
    out += text.slice(at, m.start) + `[REDACTED:${m.kind}]`;
    at = m.end;
  }
  return { text: out + text.slice(at), kinds: [...new Set(found.map((m) => m.kind))] };
}
