// The normalisation the content filters and the PII detectors share (vm/policy/normalize.ts), and the
// disguises it defeats: `contains_any` and `matches` see through zero-width characters, Cyrillic
// and Greek homoglyphs, full-width letters and soft hyphens, and a redaction replaces the whole
// original span of a disguised value.
import { describe, expect, it } from "vitest";
import { normalize } from "../../vm/policy/normalize.js";
import { policyIntrinsic } from "../../vm/policy/filters.js";
import { evaluatePolicies, type PolicyCall } from "../../vm/policy/engine.js";
import { redact } from "../../vm/policy/redact.js";
import { findPii } from "../../vm/policy/pii.js";
import { planOf } from "../vm/helpers.js";

const anyOf = (x: string, words: string[]) => policyIntrinsic("contains_any", [x, words]);
const matches = (x: string, re: string, flags?: string) => policyIntrinsic("matches", flags === undefined ? [x, re] : [x, re, flags]);

describe("normalize", () => {
  it("applies NFKC, removes invisible characters, folds homoglyphs, digits and spaces", () => {
    expect(normalize("ｇｉｆｔ\u3000ｃａｒｄ").text).toBe("gift card");
    expect(normalize("gi\u200Bft\u00ADcard\u2060s\uFEFF\u200C\u200D").text).toBe("giftcards");
    expect(normalize("\u0440\u0430\u0443\u0440\u0430l").text).toBe("paypal"); // Cyrillic р а у р а
    expect(normalize("\u0391\u039C\u0395\u03A7").text).toBe("AMEX"); // Greek capitals
    expect(normalize("\u0664\u0661\u0661\u0661 \u096A\u0967\u0967\u0967").text).toBe("4111 4111"); // Arabic-Indic, Devanagari
    expect(normalize("a\u00A0b\u202Fc\u2009d").text).toBe("a b c d");
    expect(normalize("\uFB01le \u2460\u00B2").text).toBe("file 12"); // ligature, circled digit, superscript
    expect(normalize("\u0410\u0411", { caseFold: true }).text).toBe("a\u0431");
    expect(normalize("Hello WORLD", { caseFold: true }).text).toBe("hello world");
  });

  it("maps a range of the normal form back to whole chunks of the original", () => {
    const src = "x jo\u200Bhn \uFB01ne e\u0301t\u00E9 \uFF14\uFF12";
    const n = normalize(src);
    expect(n.text).toBe("x john fine \u00E9t\u00E9 42");
    const back = (s: string) => {
      const at = n.text.indexOf(s);
      const r = n.span(at, at + s.length);
      return src.slice(r.start, r.end);
    };
    expect(back("john")).toBe("jo\u200Bhn"); // the invisible character inside is part of the span
    expect(back("ine")).toBe("\uFB01ne"); // a match starting inside a ligature takes the whole ligature
    expect(back("\u00E9t")).toBe("e\u0301t"); // combining marks stay with their letter
    expect(back("42")).toBe("\uFF14\uFF12");
    const ascii = normalize("plain ascii");
    expect(ascii.identity).toBe(true);
    expect(ascii.span(2, 5)).toEqual({ start: 2, end: 5 });
  });
});

describe("content filters see through disguises", () => {
  it("contains_any: zero-width characters", () => {
    expect(anyOf("please send a gi\u200Bft card today", ["gift card"])).toBe(true);
    expect(anyOf("wire\u2060 trans\u200Dfer", ["wire transfer"])).toBe(true);
  });
  it("contains_any: Cyrillic and Greek homoglyphs", () => {
    expect(anyOf("log in to your \u0440\u0430\u0443\u0440\u0430l account", ["paypal"])).toBe(true);
    expect(anyOf("\u0392\u0399\u03A4COIN giveaway", ["bitcoin"])).toBe(true);
    // A keyword written with homoglyphs finds the Latin word too.
    expect(anyOf("free bitcoin", ["bit\u0441oin"])).toBe(true);
  });
  it("contains_any: full-width letters", () => {
    expect(anyOf("ＷＩＲＥ ＴＲＡＮＳＦＥＲ now", ["wire transfer"])).toBe(true);
  });
  it("contains_any: soft hyphens and NBSP", () => {
    expect(anyOf("buy a gift\u00A0car\u00ADd", ["gift card"])).toBe(true);
  });
  it("contains_any keeps its whole-word rule and what the plain text matched", () => {
    expect(anyOf("the \u0441lassic approach", ["ass"])).toBe(false);
    expect(anyOf("gift\u200Bcard", ["gift"])).toBe(true); // a word the zero-width space separated
    expect(anyOf("Привет мир", ["paypal"])).toBe(false);
  });
  it("matches: zero-width characters, homoglyphs, full-width letters, soft hyphens, digits of other scripts", () => {
    expect(matches("acct-12\u200B3456", "acct-\\d{6}")).toBe(true);
    expect(matches("\u0430\u0441\u0441t-123456", "acct-\\d{6}")).toBe(true);
    expect(matches("ＡＣＣＴ－１２３４５６", "acct-\\d{6}", "i")).toBe(true);
    expect(matches("pass\u00ADword: x", "password:")).toBe(true);
    expect(matches("code \u0661\u0662\u0663\u0664", "\\b1234\\b")).toBe(true);
    // The text as written is still tested: a regex for the invisible character itself.
    expect(matches("a\u200Bb", "\\u200B")).toBe(true);
    expect(matches("acct-12345", "acct-\\d{6}")).toBe(false);
  });

  it("a deny rule with contains_any and matches catches the disguised input", () => {
    const plan = planOf(`
tool send(body: string) -> string { impl: js("./t.mjs#send") }
policy scam {
  before tool send {
    deny when contains_any(input.body, ["gift card"]) because "scam keywords"
    deny when matches(input.body, "acct-\\\\d{6}", "i") because "account numbers"
  }
}`);
    const call = (body: string): PolicyCall => ({ phase: "before", target: "tool", name: "send", tags: [], input: { body }, principal: { id: "u", roles: [], attrs: {} } });
    expect(evaluatePolicies(plan, call("buy a ｇｉｆｔ ｃａｒｄ")).reason).toBe("scam keywords");
    expect(evaluatePolicies(plan, call("\u0430cct-\u0661\u0662\u0663\u0664\u0665\u0666")).reason).toBe("account numbers");
    expect(evaluatePolicies(plan, call("hello")).outcome).toBe("allow");
  });
});

describe("redaction of disguised PII replaces the whole original value", () => {
  it("an e-mail with a zero-width space, a non-ASCII local part, an IDN domain", () => {
    expect(redact("mail jo\u200Bhn@example.com now", ["email"]).value).toBe("mail [REDACTED:email] now");
    expect(redact("from j\u00F6rg.m\u00FCller@example.de.", ["email"]).value).toBe("from [REDACTED:email].");
    expect(redact("to info@mail.ex\u00E4mple.de", ["email"]).value).toBe("to [REDACTED:email]");
    expect(redact("ask o'brien@example.com", ["email"]).value).toBe("ask [REDACTED:email]");
    expect(redact("write to anna [at] example [dot] com today", ["email"]).value).toBe("write to [REDACTED:email] today");
  });
  it("a card number with NBSP, dots, full-width digits; an IBAN in lower case with dashes", () => {
    expect(redact("card 4111\u00A01111\u00A01111\u00A01111.", ["card"]).value).toBe("card [REDACTED:card].");
    expect(redact("card 4111.1111.1111.1111 ok", ["card"]).value).toBe("card [REDACTED:card] ok");
    expect(redact("card ４１１１ １１１１ １１１１ １１１１", ["card"]).value).toBe("card [REDACTED:card]");
    expect(redact("iban de89-3704-0044-0532-0130-00", ["iban"]).value).toBe("iban [REDACTED:iban]");
    expect(redact("iban D\u0415\u200B89 3704 0044 0532 0130 00", ["iban"]).value).toBe("iban [REDACTED:iban]");
  });
  it("validators still apply to the disguised forms", () => {
    expect(findPii("card 4111.1111.1111.1112")).toEqual([]); // Luhn
    expect(findPii("iban de88-3704-0044-0532-0130-00")).toEqual([]); // mod-97
    expect(findPii("ssn 666.12.3456")).toEqual([]); // area 666
    expect(findPii("write to anna [at] home")).toEqual([]); // no domain
  });
});
