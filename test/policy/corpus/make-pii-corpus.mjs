// Generates pii-corpus.jsonl beside this file: labelled texts for the normalising PII detectors
// (docs/security.md § Filters and PII detection), one value (or none) per line:
//
//   { "class": "documented" | "evasive" | "negative", "kind": "card" | ... | null, "value"?: "...", "text": "..." }
//
// - documented: the formats docs/policies.md § PII lists, in plain ASCII;
// - evasive: the same values disguised the way text copied from documents, chat clients and
//   attackers disguises them: NBSP / narrow / thin spaces, dots and dashes as separators, zero-width
//   characters and soft hyphens inside, full-width and Arabic-Indic digits, Cyrillic homoglyphs,
//   lower-case and dashed IBANs, dotted SSNs, bracketed e-mail obfuscation (`a [at] b [dot] co`),
//   non-ASCII and apostrophe local parts;
// - negative: hard negatives: the same disguises around numbers that fail Luhn or mod-97, IBAN
//   look-alikes, SSNs outside the issued ranges, versions, dates, order ids, prices, UUIDs, hashes,
//   prose with @ signs, and non-Latin prose.
//
// Deterministic (seeded mulberry32): `node test/policy/corpus/make-pii-corpus.mjs` rewrites the
// same file. Card numbers and IBANs are synthetic, phone numbers use fictional ranges.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { luhnDigit, mod97 } from "./checksums.mjs";

const OUT = process.env.PII_CORPUS_OUT ?? import.meta.dirname;
let state = Number(process.env.PII_CORPUS_SEED ?? 20250612) >>> 0;
const rnd = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const int = (a, b) => a + Math.floor(rnd() * (b - a + 1));
const digits = (n) => Array.from({ length: n }, () => int(0, 9)).join("");


// ------------------------------------------------------------------ disguises

const NBSP = "\u00A0";
const NNBSP = "\u202F";
const THIN = "\u2009";
const INVISIBLE = ["\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD"];
const fullWidth = (s) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
const fullWidthDigits = (s) => s.replace(/\d/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
const arabicIndic = (s) => s.replace(/\d/g, (c) => String.fromCharCode(0x0660 + Number(c)));
const devanagari = (s) => s.replace(/\d/g, (c) => String.fromCharCode(0x0966 + Number(c)));
const CYR = { a: "а", e: "е", o: "о", p: "р", c: "с", x: "х", y: "у", A: "А", B: "В", E: "Е", K: "К", M: "М", H: "Н", O: "О", P: "Р", C: "С", T: "Т", X: "Х" };
/** Replaces the Latin letters that have a Cyrillic twin (at least one) by that twin. */
const cyrillic = (s) => {
  const idx = [...s].map((c, i) => (CYR[c] ? i : -1)).filter((i) => i >= 0);
  if (!idx.length) return s;
  const chosen = new Set(idx.filter(() => rnd() < 0.5));
  if (!chosen.size) chosen.add(pick(idx));
  return [...s].map((c, i) => (chosen.has(i) ? CYR[c] : c)).join("");
};
/** Inserts an invisible character at 1–3 inner positions. */
const invisible = (s) => {
  const chars = [...s];
  for (let k = int(1, 3); k > 0; k--) chars.splice(int(1, chars.length - 1), 0, pick(INVISIBLE));
  return chars.join("");
};
const group4 = (s, sep = " ") => s.replace(/(.{4})(?=.)/g, `$1${sep}`);

// ------------------------------------------------------------------ values

const CARD_PREFIXES = [["4", 16], ["4", 16], ["51", 16], ["55", 16], ["2221", 16], ["6011", 16], ["3530", 16], ["62", 16], ["34", 15], ["37", 15], ["4", 13], ["36", 14]];
function cardDigits(good = true) {
  const [p, n] = pick(CARD_PREFIXES.filter(([, n]) => good || n === 16));
  const body = p + digits(n - p.length - 1);
  const check = luhnDigit(body);
  return body + (good ? check : String((Number(check) + int(1, 9)) % 10));
}
const groupCard = (d, sep) => (d.length === 15 ? `${d.slice(0, 4)}${sep}${d.slice(4, 10)}${sep}${d.slice(10)}` : d.length === 14 ? `${d.slice(0, 4)}${sep}${d.slice(4, 10)}${sep}${d.slice(10)}` : group4(d, sep));

const IBAN_BBAN = {
  DE: () => digits(18), GB: () => pick(["NWBK", "BARC", "HBUK"]) + digits(14), FR: () => digits(23), ES: () => digits(20), NL: () => pick(["ABNA", "RABO", "INGB"]) + digits(10),
  BE: () => digits(12), CH: () => digits(17), AT: () => digits(16), PL: () => digits(24), SE: () => digits(20), IE: () => pick(["AIBK", "BOFI"]) + digits(14), MT: () => "MALT" + digits(23),
};
function ibanValue(good = true) {
  const c = pick(Object.keys(IBAN_BBAN));
  const bban = IBAN_BBAN[c]();
  let check = String(98 - mod97(bban + c + "00")).padStart(2, "0");
  if (!good) check = String((Number(check) + int(1, 40)) % 97).padStart(2, "0").replace(/^(0[01])$/, "42");
  return c + check + bban;
}
function ssnParts(good = true) {
  if (good) {
    let a;
    do a = int(1, 899);
    while (a === 666);
    return [String(a).padStart(3, "0"), String(int(1, 99)).padStart(2, "0"), String(int(1, 9999)).padStart(4, "0")];
  }
  return pick([
    () => ["000", String(int(10, 99)), digits(3) + "1"],
    () => ["666", String(int(10, 99)), digits(3) + "1"],
    () => [String(int(900, 999)), String(int(10, 99)), digits(3) + "1"],
    () => [String(int(100, 665)), "00", digits(3) + "1"],
    () => [String(int(100, 665)), String(int(10, 99)), "0000"],
  ])();
}
const FIRST = ["anna", "james", "li", "fatima", "olu", "maria", "john", "priya", "lukas", "chloe", "mateo", "yuki", "sam", "noah", "emma", "sofia", "omar"];
const LAST = ["smith", "garcia", "nguyen", "okafor", "rossi", "tanaka", "kowalski", "dubois", "patel", "haddad", "berg", "silva", "kim"];
const DOMAINS = ["example.com", "example.org", "mail.example.net", "company.co.uk", "shop.example.io", "example.de", "post.example.fr", "proton.me"];
const localPart = () => pick([`${pick(FIRST)}.${pick(LAST)}`, `${pick(FIRST)}_${pick(LAST)}`, `${pick(FIRST)}${int(1, 99)}`, `${pick(FIRST)}-${pick(LAST)}`, `${pick(FIRST)}.${pick(LAST)}+news`]);
const emailValue = () => `${localPart()}@${pick(DOMAINS)}`;
const PHONES = [
  () => `+1 (${pick(["212", "415", "312", "617"])}) 555-01${digits(2)}`,
  () => `(${pick(["212", "415", "646"])}) 555-01${digits(2)}`,
  () => `${pick(["212", "415", "503"])}-555-01${digits(2)}`,
  () => `${pick(["480", "312", "773"])}.555.01${digits(2)}`,
  () => `+44 20 7946 0${digits(3)}`,
  () => `+44 7700 900${digits(3)}`,
  () => `020 7946 0${digits(3)}`,
  () => `+49 30 ${digits(8)}`,
  () => `+33 6 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`,
  () => `01 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`,
  () => `+61 2 ${digits(4)} ${digits(4)}`,
  () => `+31 20 ${digits(3)} ${digits(4)}`,
];
const spacedPhone = () => {
  for (;;) {
    const p = pick(PHONES)();
    if (p.includes(" ")) return p;
  }
};
const IPS = [
  () => `192.168.${int(0, 255)}.${int(1, 254)}`,
  () => `10.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
  () => `203.0.113.${int(1, 254)}`,
  () => `${int(1, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
  () => `2001:db8:${int(1, 0xfff).toString(16)}::${int(1, 0xfff).toString(16)}`,
  () => `fe80::${int(1, 0xffff).toString(16)}:${int(1, 0xffff).toString(16)}:${int(1, 0xffff).toString(16)}:${int(1, 0xffff).toString(16)}`,
];

// ------------------------------------------------------------------ sentences

const SENTENCES = {
  email: [(v) => `Please send the invoice to ${v} before Friday.`, (v) => `Customer wrote from ${v} asking about a refund.`, (v) => `Contact: ${v}`, (v) => `My new address is ${v}, thanks!`, (v) => `{"email":"${v}"}`],
  phone: [(v) => `Call me back at ${v} after 5pm.`, (v) => `Phone: ${v}`, (v) => `You can reach the desk on ${v}.`, (v) => `Mobile ${v} (WhatsApp too)`],
  card: [(v) => `My card number is ${v}, expiry 09/27.`, (v) => `Charge ${v} for the renewal.`, (v) => `card: ${v}`, (v) => `Please refund to the card ending in that number: ${v}.`],
  iban: [(v) => `Wire it to ${v} please.`, (v) => `IBAN: ${v}`, (v) => `Our bank account is ${v} (Acme GmbH).`, (v) => `Bitte überweisen Sie auf ${v}.`],
  ssn: [(v) => `SSN ${v} on the W-9 form.`, (v) => `My social is ${v}.`, (v) => `The applicant's number: ${v}`],
  ip: [(v) => `Login from ${v} was blocked.`, (v) => `Server ${v} stopped answering.`, (v) => `client_ip=${v} status=403`],
};
const sentence = (kind, v) => pick(SENTENCES[kind])(v);

const lines = [];
const add = (cls, kind, value, text) => lines.push(kind ? { class: cls, kind, value, text } : { class: cls, kind: null, text });

// ------------------------------------------------------------------ documented

const DOCUMENTED = {
  email: emailValue,
  phone: () => pick(PHONES)(),
  card: () => {
    const d = cardDigits();
    return pick([() => d, () => groupCard(d, " "), () => groupCard(d, "-")])();
  },
  iban: () => {
    const v = ibanValue();
    return rnd() < 0.6 ? group4(v) : v;
  },
  ssn: () => {
    const p = ssnParts();
    return p.join(rnd() < 0.7 ? "-" : " ");
  },
  ip: () => pick(IPS)(),
};
for (const [kind, make] of Object.entries(DOCUMENTED)) {
  for (let i = 0; i < 22; i++) {
    const v = make();
    add("documented", kind, v, sentence(kind, v));
  }
}

// ------------------------------------------------------------------ evasive

const EVASIVE = {
  card: [
    () => groupCard(cardDigits(), NBSP),
    () => groupCard(cardDigits(), NNBSP),
    () => groupCard(cardDigits(), THIN),
    () => groupCard(cardDigits(), "."),
    () => groupCard(cardDigits(), "\u200B"),
    () => invisible(cardDigits()),
    () => invisible(groupCard(cardDigits(), " ")),
    () => fullWidthDigits(groupCard(cardDigits(), " ")),
    () => fullWidth(cardDigits()),
    () => arabicIndic(groupCard(cardDigits(), " ")),
  ],
  iban: [
    () => group4(ibanValue()).toLowerCase(),
    () => ibanValue().toLowerCase(),
    () => group4(ibanValue(), "-"),
    () => group4(ibanValue(), "-").toLowerCase(),
    () => group4(ibanValue(), NBSP),
    () => invisible(group4(ibanValue())),
    () => cyrillic(group4(ibanValue())),
    () => fullWidth(ibanValue()),
  ],
  phone: [
    () => spacedPhone().replace(/ /g, NBSP),
    () => spacedPhone().replace(/ /g, NNBSP),
    () => invisible(pick(PHONES)()),
    () => fullWidthDigits(pick(PHONES)()),
    () => fullWidth(pick(PHONES)()),
    () => devanagari(pick(PHONES)()),
  ],
  ssn: [
    () => ssnParts().join("."),
    () => ssnParts().join(NBSP),
    () => invisible(ssnParts().join("-")),
    () => fullWidthDigits(ssnParts().join("-")),
    () => arabicIndic(ssnParts().join("-")),
  ],
  email: [
    () => `${localPart()} [at] ${pick(DOMAINS).replace(/\./g, " [dot] ")}`,
    () => `${localPart()}[at]${pick(DOMAINS).replace(/\./g, "[dot]")}`,
    () => `${localPart()}(at)${pick(DOMAINS)}`,
    () => `${localPart()} (at) ${pick(DOMAINS).replace(/\./g, " (dot) ")}`,
    () => `${localPart()}{at}${pick(DOMAINS)}`,
    () => `${localPart()}[@]${pick(DOMAINS).replace(/\./g, "[.]")}`,
    () => `${localPart()} [AT] ${pick(DOMAINS).replace(/\./g, " [DOT] ")}`,
    () => invisible(emailValue()),
    () => cyrillic(emailValue()),
    () => fullWidth(emailValue()),
    () => `${localPart()}＠${pick(DOMAINS)}`,
    () => `${pick(["jörg", "müller", "zoë", "josé", "łukasz", "søren", "ana.núñez", "françois"])}@${pick(DOMAINS)}`,
    () => `${pick(["o'brien", "d'angelo", "o'neil.kate"])}@${pick(DOMAINS)}`,
    () => `${localPart()}@${pick(["bücher.example", "mail.exämple.de", "straße.example.com"])}`,
  ],
  ip: [
    () => fullWidthDigits(pick(IPS.slice(0, 4))()),
    () => fullWidth(pick(IPS.slice(0, 4))()),
    () => invisible(pick(IPS.slice(0, 4))()),
    () => arabicIndic(pick(IPS.slice(0, 4))()),
  ],
};
const EVASIVE_COUNT = { card: 30, iban: 28, phone: 24, ssn: 20, email: 42, ip: 16 };
for (const [kind, makers] of Object.entries(EVASIVE)) {
  for (let i = 0; i < EVASIVE_COUNT[kind]; i++) {
    const v = makers[i % makers.length]();
    add("evasive", kind, v, sentence(kind, v));
  }
}

// ------------------------------------------------------------------ hard negatives

const hex = (n) => Array.from({ length: n }, () => "0123456789abcdef"[int(0, 15)]).join("");
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(["8", "9", "a", "b"])}${hex(3)}-${hex(12)}`;
const NEGATIVES = [
  // numbers that fail Luhn, in every disguise the detector accepts
  () => `My card number is ${cardDigits(false)}, expiry 09/27.`,
  () => `card: ${group4(cardDigits(false))}`,
  () => `Charge ${group4(cardDigits(false), ".")} for the renewal.`,
  () => `Charge ${group4(cardDigits(false), NBSP)} for the renewal.`,
  () => `card: ${fullWidthDigits(group4(cardDigits(false)))}`,
  () => `card: ${invisible(cardDigits(false))}`,
  // IBAN look-alikes: bad checksums, wrong lengths, unknown countries, mixed case
  () => `IBAN: ${group4(ibanValue(false))}`,
  () => `Wire it to ${group4(ibanValue(false)).toLowerCase()} please.`,
  () => `IBAN: ${group4(ibanValue(false), "-")}`,
  () => `IBAN: ${cyrillic(group4(ibanValue(false)))}`,
  () => `IBAN: ${group4(ibanValue().slice(0, -2))}`,
  () => `Account ZZ${digits(2)} ${digits(4)} ${digits(4)} ${digits(4)} ${digits(4)} ${digits(2)}`,
  () => `Reference De${digits(20)} attached.`,
  // SSNs outside the issued ranges
  () => `SSN ${ssnParts(false).join("-")} on the W-9 form.`,
  () => `My social is ${ssnParts(false).join(".")}.`,
  // versions, dates, ids, prices, uuids, hashes
  () => `Upgrade to v${int(1, 30)}.${int(0, 40)}.${int(0, 20)} before the ${int(1, 9)}.${int(0, 9)}.${int(0, 9)}-beta.${int(1, 9)} release is removed.`,
  () => `Please install version ${int(1, 12)}.${int(0, 9)}.${int(0, 9)}.${int(0, 999)} of the driver.`,
  () => `The meeting moved to ${int(2020, 2026)}-${String(int(1, 12)).padStart(2, "0")}-${String(int(1, 28)).padStart(2, "0")} at ${int(8, 18)}:${pick(["00", "15", "30", "45"])}.`,
  () => `Due on ${String(int(1, 28)).padStart(2, "0")}.${String(int(1, 12)).padStart(2, "0")}.${int(2020, 2026)}, paid on ${int(1, 12)}/${int(1, 28)}/${int(2020, 2026)}.`,
  () => `Your order ORD-${int(2019, 2026)}-${digits(6)} has been dispatched.`,
  () => `Order #${digits(5)}-${digits(5)} ships tomorrow.`,
  () => `Invoice INV-${int(2019, 2026)}-${digits(6)} is due.`,
  () => `The laptop costs $${int(1, 9)},${digits(3)}.${digits(2)} and the dock € ${int(1, 9)}.${digits(3)},00.`,
  () => `Budget approved: USD ${int(10, 99)},${digits(3)},${digits(3)} for the year.`,
  () => `request_id=${uuid()} took ${int(1, 999)}ms`,
  () => `commit ${hex(40)} fixed it`,
  () => `sha256: ${hex(64)}`,
  () => `Tracking number 1Z${hex(6).toUpperCase()}${digits(10)} (UPS).`,
  () => `ISBN 978-${int(0, 1)}-${digits(3)}-${digits(5)}-${int(0, 9)}`,
  () => `pi is about 3.${digits(15)} and e is 2.${digits(15)}`,
  () => `Coordinates ${int(10, 60)}.${digits(4)}, ${int(1, 30)}.${digits(4)}`,
  () => `Build ${int(1, 9)}.${int(0, 99)}.${digits(4)}.${digits(4)} is ready.`,
  () => `Population 1.${digits(3)}.${digits(3)}.${digits(3)} (census).`,
  // prose with @ signs and bracketed words
  () => pick(["@channel please review the deploy.", "Meet me @ the lobby at noon.", "3 apples @ $4.99 each.", "Follow @jane_doe for updates.", "npm i @types/node@20 --save-dev", "Use the @Component decorator.", "Ping @here when done."]),
  () => pick(["Look [at] the logs first.", "We met (at) home, (dot) connected later.", "See icon@2x.png and logo@3x.jpg.", "root@localhost denied access", "Shortcut: Ctrl+@ opens the menu.", "Email me at home later."]),
  () => pick(["Version 2.0 @ 50% off.", "The value was x@y (no domain).", "Price list: item @ 10, item @ 20.", "Cc: the team @ office."]),
  // non-Latin prose (homoglyph folding must not invent PII)
  () => pick(["Привет, как дела? Встреча в 10:30.", "Ο καιρός είναι καλός σήμερα.", "موعد الاجتماع ٢٠٢٤ في الساعة ١٠", "会议时间是下午三点，请准时参加。", "Ｔｈｅ ｐｒｉｃｅ ｉｓ ４２ ｅｕｒｏｓ．", "Номер заказа 48213, сумма 1 500 руб."]),
];
for (let i = 0; i < 180; i++) add("negative", null, undefined, NEGATIVES[i % NEGATIVES.length]());

// Non-ASCII characters escaped, so invisible ones are visible in a review of the file.
const escapeNonAscii = (s) => s.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
writeFileSync(join(OUT, "pii-corpus.jsonl"), lines.map((l) => escapeNonAscii(JSON.stringify(l))).join("\n") + "\n");
const count = (c) => lines.filter((l) => l.class === c).length;
console.log(`pii-corpus.jsonl: ${count("documented")} documented, ${count("evasive")} evasive, ${count("negative")} negative lines`);
