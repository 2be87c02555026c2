// The detectors of numbered identifiers (pii.ts): payment cards, IBANs, US social security numbers
// and IP addresses — a candidate pattern each, then a validator (pii-validators.ts).
import { isIPv6 } from "node:net";
import { NOT_IN_IBAN, SSN_LABEL, labelledAsIdentifier, scan, type Detector } from "./pii-scan.js";
import { IBAN_LENGTH, cardIssuer, ibanChecksumOk, luhn, ssnValid } from "./pii-validators.js";

// Plain 13–19 digits, or groups of 4 (last group 1–4), or Amex/Diners 4-6-4/5, one kind of separator.
// Separators: space (NBSP and other spaces after normalisation), dot or dash.
const CARD = new RegExp(String.raw`(?<![\w.-]|\d[ .-])(?=\d)` + NOT_IN_IBAN + String.raw`(?:\d{13,19}|\d{4}([ .-])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?|\d{4}([ .-])\d{6}\2\d{4,5})(?![\w]|[ .-]\d|,\d)`, "g");

export const card: Detector = (text) =>
  scan(text, CARD, "card", (m) => {
    const d = m[0].replace(/[ .-]/g, "");
    if (d.length < 13 || d.length > 19 || !luhn(d) || !cardIssuer(d) || labelledAsIdentifier(text, m.index)) return null;
    return { start: m.index, end: m.index + m[0].length };
  });

// Country, check digits, then 4-groups separated by single spaces or dashes (or none); upper or
// lower case; validated per country.
const IBAN = /(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,4})?)(?![A-Za-z0-9])/gi;

export const iban: Detector = (text) =>
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

export const ssn: Detector = (text) => [
  ...scan(text, SSN, "ssn", (m) => (ssnValid(m[1]!, m[3]!, m[4]!) && !labelledAsIdentifier(text, m.index) ? { start: m.index, end: m.index + m[0].length } : null)),
  ...scan(text, SSN_BARE, "ssn", (m) =>
    ssnValid(m[1]!, m[2]!, m[3]!) && SSN_LABEL.test(text.slice(Math.max(0, m.index - 32), m.index)) ? { start: m.index, end: m.index + m[0].length } : null,
  ),
];

const IPV4 = /(?<![\w.]|\d\.)(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)/g;
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})(?:%[A-Za-z0-9_]+)?(?![\w:]|\.\d)/g;

export const ip: Detector = (text) => [
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
