// The phone number detector (pii.ts): international (`+CC`, `00 CC`, ITU country codes, E.164
// lengths), North American (NANP rules) and national trunk formats (a leading 0, 10–11 digits).
import { NOT_IN_IBAN, labelledAsIdentifier, scan, type Detector } from "./pii-scan.js";
import { countryCodeOk, nanpOk } from "./pii-validators.js";

// International: +CC or 00 CC, then groups of digits (a "(0)" trunk and one "(area)" allowed).
const PHONE_INTL = new RegExp(String.raw`(?<![\w+]|\d[ .-])(?=[+0])` + NOT_IN_IBAN + String.raw`(?:\+|00[ ]?)[1-9]\d{0,2}(?:[ .-]?(?:\(0\)|\(\d{1,5}\)))?(?:[ .-]?\d{1,6}){1,6}(?![\w]|[.-]\d)`, "g");
// North American without country code, or with a leading 1.
const PHONE_NANP = /(?<![\w+(-]|\d[ .-])(?:1[ .-]?)?(?:\(\d{3}\) ?|\d{3}([-. ]))\d{3}([-. ])\d{4}(?![\w]|[-.]\d)/g;
// National with a trunk 0: groups of 2–5 digits, one kind of separator.
const PHONE_TRUNK = new RegExp(String.raw`(?<![\w+./-]|\d[ -])(?=0)` + NOT_IN_IBAN + String.raw`0[1-9]\d{0,3}([ -])\d{2,8}(?:\1\d{2,8}){0,3}(?![\w]|[-./:]\d|[ -]\d)`, "g");

export const phone: Detector = (text) => [
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
