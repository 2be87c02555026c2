// Generates the labelled PII corpus (positives.json, negatives.json) beside this file.
// Deterministic (seeded): `node test/policy/corpus/generate.mjs` rewrites the same files.
// Values are synthetic: card numbers are Luhn-valid test-like numbers, IBANs carry correct
// mod-97 check digits for random account numbers, phone numbers use fictional ranges where a
// country has one (NANP 555-01xx, UK 7946/7700 900xxx), addresses come from documentation blocks.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { luhnDigit, mod97 } from "./checksums.mjs";

const DIR = import.meta.dirname;
/** The committed corpus uses the default seed; other seeds give fresh samples of the same templates. */
let seed = Number(process.env.PII_CORPUS_SEED ?? 0x5eed1234);
const OUT = process.env.PII_CORPUS_OUT ?? DIR;
const rnd = () => {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const digits = (n) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join("");
const int = (a, b) => a + Math.floor(rnd() * (b - a + 1));

function iban(country, bban) {
  const check = String(98 - mod97(bban + country + "00")).padStart(2, "0");
  return country + check + bban;
}
const group4 = (s) => s.replace(/(.{4})(?=.)/g, "$1 ");

// ------------------------------------------------------------------ values

const CARD_PREFIXES = [
  ["4", 16], ["4", 16], ["4", 13], ["51", 16], ["53", 16], ["55", 16], ["2221", 16], ["2720", 16], ["34", 15], ["37", 15],
  ["6011", 16], ["65", 16], ["644", 16], ["3530", 16], ["3589", 16], ["36", 14], ["300", 14], ["62", 16], ["62", 19], ["4", 19],
];
function cardNumber() {
  const [p, n] = pick(CARD_PREFIXES);
  const body = p + digits(n - p.length - 1);
  const d = body + luhnDigit(body);
  const style = int(0, 3);
  if (n === 15 && style > 0) return `${d.slice(0, 4)}${style === 1 ? " " : "-"}${d.slice(4, 10)}${style === 1 ? " " : "-"}${d.slice(10)}`;
  if (n === 14 && style > 0) return `${d.slice(0, 4)} ${d.slice(4, 10)} ${d.slice(10)}`;
  if (style === 1) return group4(d);
  if (style === 2) return group4(d).replace(/ /g, "-");
  return d;
}
function badLuhnCard() {
  for (;;) {
    const [p, n] = pick(CARD_PREFIXES.filter(([, n]) => n === 16));
    const body = p + digits(n - p.length - 1);
    const good = luhnDigit(body);
    const bad = String((Number(good) + int(1, 9)) % 10);
    const d = body + bad;
    return int(0, 1) ? group4(d) : d;
  }
}
const IBAN_FORMATS = {
  DE: () => digits(18), GB: () => pick(["NWBK", "BARC", "HBUK", "LOYD", "MIDL"]) + digits(14), FR: () => digits(10) + digits(11) + digits(2),
  ES: () => digits(20), IT: () => "X" + digits(10) + digits(12), NL: () => pick(["ABNA", "RABO", "INGB", "TRIO"]) + digits(10),
  BE: () => digits(12), CH: () => digits(5) + digits(12), AT: () => digits(16), PL: () => digits(24), SE: () => digits(20),
  NO: () => digits(11), IE: () => pick(["AIBK", "BOFI"]) + digits(14), PT: () => digits(21), DK: () => digits(14), FI: () => digits(14),
  LU: () => digits(3) + digits(13), SA: () => digits(2) + digits(18), MT: () => "MALT" + digits(5) + digits(18),
};
IBAN_FORMATS.PT = undefined;
delete IBAN_FORMATS.PT;
function ibanValue() {
  const c = pick(Object.keys(IBAN_FORMATS));
  const v = iban(c, IBAN_FORMATS[c]());
  return int(0, 2) ? group4(v) : v;
}
function badIban() {
  const c = pick(Object.keys(IBAN_FORMATS));
  const v = iban(c, IBAN_FORMATS[c]());
  const wrong = String((Number(v.slice(2, 4)) + int(1, 40)) % 97).padStart(2, "0");
  const bad = v.slice(0, 2) + (wrong === v.slice(2, 4) ? "00" : wrong) + v.slice(4);
  return int(0, 1) ? group4(bad) : bad;
}
function ssnValue() {
  let a;
  do a = int(1, 899);
  while (a === 666);
  const s = `${String(a).padStart(3, "0")}-${String(int(1, 99)).padStart(2, "0")}-${String(int(1, 9999)).padStart(4, "0")}`;
  return int(0, 4) === 0 ? s.replace(/-/g, " ") : s;
}
const FIRST = ["anna", "james", "li", "fatima", "olu", "maria", "john", "priya", "lukas", "chloe", "mateo", "yuki", "sam", "noah", "emma", "ivan", "sofia", "omar"];
const LAST = ["smith", "garcia", "nguyen", "okafor", "muller", "rossi", "tanaka", "kowalski", "dubois", "patel", "haddad", "berg", "silva", "kim"];
const DOMAINS = ["example.com", "example.org", "mail.example.net", "acme-corp.example", "company.co.uk", "uni.example.edu", "shop.example.io", "example.de", "post.example.fr", "gmail.com", "outlook.com", "proton.me"];
function emailValue() {
  const f = pick(FIRST);
  const l = pick(LAST);
  const local = pick([`${f}.${l}`, `${f}_${l}`, `${f}${int(1, 99)}`, `${f[0]}${l}`, `${f}.${l}+orders`, `${f}-${l}`, `${l}.${f}${int(70, 99)}`]);
  const e = `${local}@${pick(DOMAINS)}`;
  return int(0, 7) === 0 ? e.toUpperCase() : e;
}
const PHONES = [
  () => `+1 (${pick(["212", "415", "312", "617", "206", "303"])}) 555-01${digits(2)}`,
  () => `(${pick(["212", "415", "646", "702"])}) 555-01${digits(2)}`,
  () => `${pick(["212", "415", "503", "919"])}-555-01${digits(2)}`,
  () => `${pick(["480", "312", "773"])}.555.01${digits(2)}`,
  () => `1-800-555-01${digits(2)}`,
  () => `+1-${pick(["416", "604", "514"])}-555-01${digits(2)}`,
  () => `+14155550${digits(3)}`,
  () => `+44 20 7946 0${digits(3)}`,
  () => `+44 7700 900${digits(3)}`,
  () => `+44 (0)20 7946 0${digits(3)}`,
  () => `020 7946 0${digits(3)}`,
  () => `07700 900${digits(3)}`,
  () => `+49 30 ${digits(8)}`,
  () => `+49 (0)89 ${digits(4)} ${digits(4)}`,
  () => `030 ${digits(8)}`,
  () => `+33 1 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`,
  () => `+33 6 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`,
  () => `01 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`,
  () => `+81 3-${digits(4)}-${digits(4)}`,
  () => `+61 2 ${digits(4)} ${digits(4)}`,
  () => `+91 98${digits(3)} ${digits(5)}`,
  () => `+55 11 9${digits(4)}-${digits(4)}`,
  () => `0044 20 7946 0${digits(3)}`,
  () => `00 49 89 ${digits(6)}`,
  () => `+353 1 ${digits(3)} ${digits(4)}`,
  () => `+34 91${digits(1)} ${digits(3)} ${digits(3)}`,
  () => `+39 06 ${digits(4)} ${digits(4)}`,
  () => `+86 138 ${digits(4)} ${digits(4)}`,
  () => `+7 495 ${digits(3)}-${digits(2)}-${digits(2)}`,
  () => `+27 21 ${digits(3)} ${digits(4)}`,
  () => `+31 20 ${digits(3)} ${digits(4)}`,
  () => `+46 8 ${digits(3)} ${digits(3)} ${digits(2)}`,
  () => `+65 ${digits(4)} ${digits(4)}`,
  () => `+971 4 ${digits(3)} ${digits(4)}`,
  () => `+52 55 ${digits(4)} ${digits(4)}`,
  () => `+41 44 ${digits(3)} ${digits(2)} ${digits(2)}`,
];
const IPS = [
  () => `192.168.${int(0, 255)}.${int(1, 254)}`,
  () => `10.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
  () => `172.${int(16, 31)}.${int(0, 255)}.${int(1, 254)}`,
  () => `203.0.113.${int(1, 254)}`,
  () => `198.51.100.${int(1, 254)}`,
  () => `${int(1, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
  () => `8.8.${pick(["8.8", "4.4"])}`,
  () => `2001:db8:${hex()}:${hex()}::${hex()}`,
  () => `2001:0db8:85a3:0000:0000:8a2e:0370:${hex4()}`,
  () => `fe80::${hex()}:${hex()}:${hex()}:${hex()}`,
  () => `::1`,
  () => `::ffff:192.0.2.${int(1, 254)}`,
  () => `2606:4700:4700::${pick(["1111", "1001", "64"])}`,
  () => `fe80::1%eth0`,
  () => `2001:db8::`,
];
function hex() {
  return Math.floor(rnd() * 0xffff).toString(16);
}
function hex4() {
  return hex().padStart(4, "0");
}

// ------------------------------------------------------------------ sentences

const T = {
  email: [
    (v) => `Please send the invoice to ${v} before Friday.`,
    (v) => `Customer wrote from ${v} asking about a refund.`,
    (v) => `Contact: ${v}`,
    (v) => `cc ${v}, she owns the migration.`,
    (v) => `Reply-To: "Support" <${v}>`,
    (v) => `My address changed, it's ${v} now.`,
    (v) => `{"user":{"email":"${v}","plan":"pro"}}`,
    (v) => `Forwarded message from ${v} on 2024-03-02.`,
  ],
  phone: [
    (v) => `Call me back at ${v} after 5pm.`,
    (v) => `You can reach the front desk on ${v}.`,
    (v) => `Phone: ${v}`,
    (v) => `Mobile ${v} (WhatsApp too)`,
    (v) => `If the courier can't find the house, ring ${v}.`,
    (v) => `Tel. ${v} – ask for Dana.`,
    (v) => `The caller left ${v} as a callback number.`,
    (v) => `Emergency contact (spouse): ${v}.`,
  ],
  card: [
    (v) => `Charge it to my card ${v}, expiry 09/27.`,
    (v) => `The customer read out the card number ${v} on the call.`,
    (v) => `card_number=${v}&cvc=***`,
    (v) => `Refund to the Visa ending... actually the full number is ${v}.`,
    (v) => `Payment failed for ${v}; please retry.`,
    (v) => `I paid with ${v} last week and was charged twice.`,
  ],
  iban: [
    (v) => `Please wire the deposit to IBAN ${v}.`,
    (v) => `Bank details: ${v}, BIC COBADEFFXXX.`,
    (v) => `My new account is ${v} – update the direct debit.`,
    (v) => `Rückerstattung bitte auf ${v} überweisen.`,
    (v) => `"iban": "${v}"`,
    (v) => `Send the refund to ${v} (joint account).`,
  ],
  ssn: [
    (v) => `Applicant SSN: ${v}`,
    (v) => `Her social security number is ${v}.`,
    (v) => `For the background check I need ${v} verified.`,
    (v) => `The W-2 lists ${v} for the employee.`,
    (v) => `ssn=${v}; dob=1984-07-12`,
  ],
  ip: [
    (v) => `Failed login from ${v} at 03:12 UTC.`,
    (v) => `The request came from client IP ${v}.`,
    (v) => `Whitelist ${v} on the firewall please.`,
    (v) => `src=${v} dst=internal action=drop`,
    (v) => `My home router is at ${v}, the NAS does not respond.`,
    (v) => `Blocked ${v} after 20 attempts.`,
  ],
};

const positives = [];
const add = (kind, value, tpl) => positives.push({ text: tpl(value), labels: [{ kind, value }] });
for (let i = 0; i < 42; i++) add("email", emailValue(), T.email[i % T.email.length]);
for (let i = 0; i < PHONES.length * 2; i++) add("phone", PHONES[i % PHONES.length](), T.phone[i % T.phone.length]);
for (let i = 0; i < 42; i++) add("card", cardNumber(), T.card[i % T.card.length]);
for (let i = 0; i < 36; i++) add("iban", ibanValue(), T.iban[i % T.iban.length]);
for (let i = 0; i < 32; i++) add("ssn", ssnValue(), T.ssn[i % T.ssn.length]);
for (let i = 0; i < IPS.length * 3; i++) add("ip", IPS[i % IPS.length](), T.ip[i % T.ip.length]);
// Bare nine-digit SSNs are only PII after an explicit label.
for (let i = 0; i < 6; i++) {
  const v = ssnValue().replace(/[- ]/g, "");
  positives.push({ text: `${pick(["SSN", "SSN:", "Social Security Number", "ssn #"])} ${v} on file.`, labels: [{ kind: "ssn", value: v }] });
}
// Several kinds in one text.
for (let i = 0; i < 24; i++) {
  const e = emailValue();
  const p = PHONES[int(0, PHONES.length - 1)]();
  const c = cardNumber();
  const ib = ibanValue();
  const ipv = IPS[int(0, IPS.length - 1)]();
  const forms = [
    { text: `Name: ${pick(FIRST)} ${pick(LAST)}\nEmail: ${e}\nPhone: ${p}\n`, labels: [{ kind: "email", value: e }, { kind: "phone", value: p }] },
    { text: `Ticket from ${e} (IP ${ipv}): "my card ${c} was declined"`, labels: [{ kind: "email", value: e }, { kind: "ip", value: ipv }, { kind: "card", value: c }] },
    { text: `Pay out to ${ib}; confirmation to ${e}.`, labels: [{ kind: "iban", value: ib }, { kind: "email", value: e }] },
  ];
  positives.push(forms[i % forms.length]);
}

// ------------------------------------------------------------------ negatives

const negatives = [
  "Order #48213-99812 ships on 2024-03-15.",
  "Your order ORD-2024-118273 has been dispatched.",
  "Invoice INV-2023-000481 is due on 15/03/2024.",
  "Meeting moved to 03.15.2024 at 10:30.",
  "The build finished at 2024-03-15T10:22:31Z in 12:30:45.",
  "Upgrade to v2.14.3 before the 1.2.3-beta.4 release is removed.",
  "We run node 20.11.1 and npm 10.2.4 in CI.",
  "Please install version 10.4.2.1 of the driver.",
  "Tracking number 1Z999AA10123456784 (UPS).",
  "USPS tracking: 9400 1000 0000 0000 0000 00",
  "The laptop costs $1,234.56 and the dock € 2.499,00.",
  "Budget approved: USD 15,000 for Q3.",
  "ISBN 978-0-306-40615-7 is out of print.",
  "See ISBN 0-306-40615-2 for the older edition.",
  "The office is at 48.8566, 2.3522 (lat, long).",
  "Use colour #ff00aa for the header.",
  "Fixed in commit a1b2c3d4 and released.",
  "Request id 123e4567-e89b-12d3-a456-426614174000 failed.",
  "The device MAC is 00:1A:2B:3C:4D:5E.",
  "See section 4.2.1.3 of the contract.",
  "256.1.1.1 is not a valid address, nor is 192.168.1.",
  "The OID 1.3.6.1.4.1.311 identifies the vendor.",
  "Account 000123456789 was closed.",
  "ZIP 94103-1234, United States.",
  "Epoch timestamp 1700000000123 in the logs.",
  "SN: 4417-2290-3318 on the back of the unit.",
  "Part no. 555-867-5309 is back in stock.",
  "Dial 555-0199 for the front desk (internal extension).",
  "The number 123-456-7890 is a placeholder and invalid.",
  "(012) 345-6789 cannot be a North American number.",
  "000-12-3456 is not an SSN, area 000 is never issued.",
  "666-12-3456 is never issued either.",
  "912-34-5678 starts with 9, an ITIN range, not an SSN.",
  "123-00-4567 has group 00 and is invalid.",
  "123-45-0000 has serial 0000 and is invalid.",
  "Write to user@localhost for local testing.",
  "Retina assets: icon@2x.png and logo@3x.jpg.",
  "Ping @username on the channel.",
  "Contact me at name at example dot com.",
  "Doors open at 2:45 PM, show at 19:00.",
  "The screen is 16:9 at 1920x1080.",
  "Final score 3-2 after extra time.",
  "Sort code 20-00-00 belongs to the bank branch.",
  "The city has a population of 8,336,817.",
  "npm install react@18.2.0 lodash@4.17.21",
  "docker pull postgres:16.2-alpine",
  "Call std::vector<int>::size() instead.",
  "Temperature ranged from -3.5 to 12.25 degrees.",
  "Invoice total: 1.299,95 EUR incl. VAT.",
  "Flight LH 400 departs 2024-06-01 at 13:05.",
  "Room 12B, floor 4, building 7.",
  "The patch 2024.03.15.1 is ready.",
  "SKU 4006381333931 is the barcode (EAN-13).",
  "Use the UPC 036000291452 for the listing.",
  "Lot 2024-117-0032 failed QA.",
  "Release train 24.04.1 ships Tuesday.",
  "Hash prefix 4f9c2e1b77aa in the manifest.",
  "Allocated 4096 MB, used 3072 MB.",
  "The bill of materials lists 4x M3-0.5x10 screws.",
  "Coupon code SAVE20-2024-SPRING applies.",
  "Error 0x80070005: access denied.",
  "Listening on port 8080, metrics on :9090.",
  "Time range 08:00-17:30 Monday to Friday.",
  "RFC 3339 example: 1985-04-12T23:20:50.52Z",
  "Windows build 10.0.19045.3693 installed.",
  "The IBAN field was left empty.",
  "Card ending in 4242 was charged.",
  "Last four digits: 1111.",
  "Version string v10.0.0.1 reported by the agent.",
  "Ticket #1045-2231-88 escalated.",
  "Case 2024-0031-77 reopened.",
  "Fax extension 4417 only.",
  "Quantity 12, unit price 3.49, subtotal 41.88.",
  "The ratio was 1:4:16 by weight.",
  "Coordinates 40.7128° N, 74.0060° W.",
  "We moved from 10.4 to 10.5 of the API last week.",
  "Model XPS-13-9310 is discontinued.",
  "Batch 0421 7788 9910 was recalled.",
  "Reference 2023 4455 6677 8899 is the transfer id.",
  "Catalog no. 1-800-234-5678 is a reorder code.",
  "Patent US 10,123,456 B2 was granted.",
  "The code 978 3 16 148410 0 is an ISBN.",
  "GPS fix at 51.5074,-0.1278 with 5 m accuracy.",
  "Version 1.2.3.4 of the firmware fixes it.",
  "The table has 1024 rows and 12 columns.",
  "2024-01-01 00:00:00 UTC is the cutoff.",
  "Use the 24:00 format (e.g. 23:59:59).",
  "Price per share rose to 123.45 from 119.80.",
  "Step 3.1.4.1 explains the migration.",
  "The keyboard shortcut is Ctrl+Shift+4.",
  "Dimensions: 120 x 80 x 45 cm, 12.5 kg.",
  "Order 1234 5678 9012 3456 is pending (not a card, fails Luhn).",
  "Confirmation code: K9X-44T-PLM.",
  "The kernel is 6.5.0-21-generic.",
  "PR #4521 fixes issue #4520.",
  "Route 66 and Interstate 40 both pass here.",
  "Chapter 12.3 covers tax; page 214.",
  "The IP address field is optional.",
  "Rate limit: 100 requests per 60 s.",
  "Shipment 00340434161094042557 (SSCC) arrived.",
  "Booking ref 7J4-2291 confirmed for 2 guests.",
  "Receipt 2024-00045612 printed.",
  "Serial number 2C02 1A0F 33B7 logged.",
  "The postcode SW1A 1AA is Westminster.",
];
// Invalid card numbers (Luhn fails).
for (let i = 0; i < 40; i++) negatives.push(pick([(v) => `Card ${v} was rejected by the form.`, (v) => `Test value ${v} should fail validation.`, (v) => `Typo in the number: ${v}`])(badLuhnCard()));
// IBANs with a wrong checksum.
for (let i = 0; i < 30; i++) negatives.push(pick([(v) => `The IBAN ${v} fails the checksum.`, (v) => `Transfer rejected: ${v} is not valid.`])(badIban()));
// SSN-shaped numbers outside the issued ranges.
for (let i = 0; i < 20; i++) {
  const bad = pick([
    () => `000-${String(int(1, 99)).padStart(2, "0")}-${String(int(1, 9999)).padStart(4, "0")}`,
    () => `666-${String(int(1, 99)).padStart(2, "0")}-${String(int(1, 9999)).padStart(4, "0")}`,
    () => `${int(900, 999)}-${String(int(1, 99)).padStart(2, "0")}-${String(int(1, 9999)).padStart(4, "0")}`,
    () => `${String(int(1, 899)).padStart(3, "0")}-00-${String(int(1, 9999)).padStart(4, "0")}`,
    () => `${String(int(1, 665)).padStart(3, "0")}-${String(int(1, 99)).padStart(2, "0")}-0000`,
  ])();
  negatives.push(`Form field held ${bad}, which is not a valid SSN.`);
}
// Dates, times, versions, order and tracking numbers with random values.
for (let i = 0; i < 40; i++) {
  negatives.push(
    pick([
      () => `Order #${digits(5)}-${digits(5)} was refunded on 20${int(10, 29)}-${String(int(1, 12)).padStart(2, "0")}-${String(int(1, 28)).padStart(2, "0")}.`,
      () => `Invoice INV-20${int(10, 29)}-${digits(6)} paid.`,
      () => `Deployed v${int(0, 20)}.${int(0, 40)}.${int(0, 99)} at ${String(int(0, 23)).padStart(2, "0")}:${String(int(0, 59)).padStart(2, "0")}:${String(int(0, 59)).padStart(2, "0")}.`,
      () => `Tracking: 1Z${digits(3)}AA1${digits(10)}`,
      () => `Part no. ${int(200, 999)}-${int(200, 999)}-${digits(4)} ships separately.`,
      () => `Timestamp ${20}${int(10, 29)}-${String(int(1, 12)).padStart(2, "0")}-${String(int(1, 28)).padStart(2, "0")} ${String(int(0, 23)).padStart(2, "0")}:${String(int(0, 59)).padStart(2, "0")}:${String(int(0, 59)).padStart(2, "0")}.${digits(3)}`,
      () => `Total: $${int(1, 99)},${digits(3)}.${digits(2)} (${int(2, 40)} items).`,
      () => `Ticket #${digits(4)}-${digits(4)}-${digits(2)} reassigned.`,
      () => `Version ${int(1, 20)}.${int(0, 30)}.${int(0, 30)}.${int(0, 300)} is rolling out.`,
      () => `SKU ${digits(13)} restocked.`,
    ])(),
  );
}

writeFileSync(join(OUT, "positives.json"), JSON.stringify(positives, null, 1) + "\n");
writeFileSync(join(OUT, "negatives.json"), JSON.stringify(negatives, null, 1) + "\n");
console.log(`${positives.length} positive texts (${positives.reduce((n, p) => n + p.labels.length, 0)} PII values), ${negatives.length} negative texts`);
