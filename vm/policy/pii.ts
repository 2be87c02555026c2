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
// This module holds the public API and resolves overlaps; the detectors are pii-email.ts,
// pii-numbers.ts and pii-phone.ts, their validators pii-validators.ts, what they share pii-scan.ts.
//
// The detectors read the normal form of the text (vm/policy/normalize.ts: NFKC, invisible characters
// removed, homoglyphs and other-script digits folded) and findPii maps matches back to whole
// spans of the original (docs/security.md § Filters and PII detection).
import { normalize } from "./normalize.js";
import { email } from "./pii-email.js";
import { card, iban, ip, ssn } from "./pii-numbers.js";
import { phone } from "./pii-phone.js";
import { PII_KINDS, type Detector, type PiiKind, type PiiMatch } from "./pii-scan.js";

export { PII_KINDS, type PiiKind, type PiiMatch } from "./pii-scan.js";

/** The kinds a redaction or condition names: `pii` means all of them; unknown names are ignored. */
export function expandKinds(kinds: readonly string[]): PiiKind[] {
  if (kinds.includes("pii")) return [...PII_KINDS];
  return PII_KINDS.filter((k) => kinds.includes(k));
}

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
