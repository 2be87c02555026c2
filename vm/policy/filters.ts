// Content filters: the intrinsic functions of policy conditions (docs/policies.md § Content
// filters). Each looks into every string of a value (records and lists walked deeply, numbers as
// their decimal text), so `contains_pii(input)` checks all arguments of a call at once.
//
//   contains_pii(x)                  any PII of any kind
//   contains_pii(x, "card", "iban")  any PII of the named kinds
//   matches(x, "regex", "flags"?)    a JavaScript regular expression matches some string, as
//                                    written or normalised
//   contains_any(x, ["word", ...])   a keyword or phrase occurs as whole words, ignoring case, in
//                                    the string as written or normalised
//
// Normalised = vm/policy/normalize.ts (NFKC, zero-width characters and soft hyphens removed, Cyrillic and
// Greek homoglyphs folded to Latin, digits of any script to ASCII, every space a space), so
// "gi\u200Bft card", "ｇｉｆｔ ｃａｒｄ" and a Cyrillic "с" in "card" are caught. Testing the text
// as written too keeps every match the plain text gives (a regex looking for "\u200B" itself, a
// word that a removed zero-width space used to separate). contains_pii normalises inside findPii.
//
// and the string functions of transform values (any rule may use them):
//
//   replace(s, "regex", "with", "flags"?)  every match replaced ($1, $& name the match's parts)
//   trim(s)                                 leading and trailing whitespace removed
//   truncate(s, n)                          the first n characters (code points)
//
// A bad argument (an invalid regex, an unknown PII kind, a keyword list that is not a list of
// strings) throws: the rule's condition (or transform value) fails, and the engine denies the call.
import { PII_KINDS, containsPii, expandKinds } from "./pii.js";
import { normalize } from "./normalize.js";
import { describeValue, isRecord } from "../expr.js";
import type { Json } from "../types.js";
import type { PolicyFunction } from "../../compiler/plan/index.js";

/** The strings of a value, depth first (numbers as text; keys are not included). */
function stringsOf(v: Json, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (typeof v === "number") out.push(String(v));
  else if (Array.isArray(v)) for (const x of v) stringsOf(x, out);
  else if (isRecord(v)) for (const x of Object.values(v)) stringsOf(x, out);
  return out;
}

const REGEX_CACHE = new Map<string, RegExp>();

/** A compiled regex (cached); `fn` names the function in errors, `global` adds the g flag (replace). */
function regex(source: string, flags: string, fn = "matches", global = false): RegExp {
  const key = `${global ? "g" : ""}${flags}/${source}`;
  let re = REGEX_CACHE.get(key);
  if (!re) {
    if (!/^[imsu]*$/.test(flags)) throw new Error(`${fn}(): flags may only be i, m, s, u (got "${flags}")`);
    try {
      re = new RegExp(source, global ? `${flags}g` : flags);
    } catch (e) {
      throw new Error(`${fn}(): invalid regular expression /${source}/: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (REGEX_CACHE.size > 500) REGEX_CACHE.clear();
    REGEX_CACHE.set(key, re);
  }
  return re;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A keyword as a whole-word, case-insensitive pattern; inner whitespace matches any whitespace. The
 * keywords are normalised (and lower-cased) like the text they are looked for in.
 */
function keywordPattern(words: string[]): RegExp {
  const key = `kw/${words.join("\u0000")}`;
  let re = REGEX_CACHE.get(key);
  if (!re) {
    const alts = words
      .map((w) => normalize(w, { caseFold: true }).text.trim())
      .filter(Boolean)
      .map((w) => w.split(/\s+/).map(escape).join("\\s+"));
    re = alts.length ? new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alts.join("|")})(?![\\p{L}\\p{N}_])`, "iu") : /(?!)/;
    if (REGEX_CACHE.size > 500) REGEX_CACHE.clear();
    REGEX_CACHE.set(key, re);
  }
  return re;
}

/** `re` on the normal form of `s` (ASCII text is its own normal form: nothing more to test). */
function testNormalized(re: RegExp, s: string, caseFold = false): boolean {
  const n = normalize(s, { caseFold });
  return !n.identity && re.test(n.text);
}

/** What each policy function does (compiler/plan/vocabulary.ts names them; a new one fails to compile until it is here). */
const POLICY_FUNCTION_IMPLS: Record<PolicyFunction, (args: Json[]) => Json> = {
  contains_pii: (args) => {
    const named = args.slice(1).map((k) => {
      if (typeof k !== "string" || !(k === "pii" || (PII_KINDS as readonly string[]).includes(k))) {
        throw new Error(`contains_pii(): unknown PII kind ${JSON.stringify(k)} (kinds: ${PII_KINDS.join(", ")})`);
      }
      return k;
    });
    const kinds = named.length ? expandKinds(named) : [...PII_KINDS];
    return stringsOf(args[0] ?? null).some((s) => containsPii(s, kinds));
  },
  matches: (args) => {
    const [x, source, flags] = args;
    if (typeof source !== "string") throw new Error("matches() needs a regular expression string");
    if (flags !== undefined && typeof flags !== "string") throw new Error("matches(): flags must be a string");
    const re = regex(source, flags ?? "");
    return stringsOf(x ?? null).some((s) => re.test(s) || testNormalized(re, s));
  },
  contains_any: (args) => {
    const [x, words] = args;
    if (!Array.isArray(words) || !words.every((w) => typeof w === "string")) throw new Error("contains_any() needs a list of strings");
    const re = keywordPattern(words as string[]);
    return stringsOf(x ?? null).some((s) => re.test(s) || testNormalized(re, s, true));
  },
  replace: (args) => {
    const [x, source, by, flags] = args;
    if (typeof x !== "string") throw new Error(`replace() needs a string, got ${describeValue(x ?? null)}`);
    if (typeof source !== "string") throw new Error("replace() needs a regular expression string");
    if (typeof by !== "string") throw new Error("replace() needs a replacement string");
    if (flags !== undefined && typeof flags !== "string") throw new Error("replace(): flags must be a string");
    return x.replace(regex(source, flags ?? "", "replace", true), by);
  },
  trim: (args) => {
    const [x] = args;
    if (typeof x !== "string") throw new Error(`trim() needs a string, got ${describeValue(x ?? null)}`);
    return x.trim();
  },
  truncate: (args) => {
    const [x, n] = args;
    if (typeof x !== "string") throw new Error(`truncate() needs a string, got ${describeValue(x ?? null)}`);
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new Error(`truncate() needs a number of characters (an int ≥ 0), got ${describeValue(n ?? null)}`);
    if (x.length <= n) return x;
    let out = "";
    let count = 0;
    for (const ch of x) {
      if (count++ === n) break;
      out += ch;
    }
    return out;
  },
};

/** `scope.call` of a policy condition: the policy functions above, undefined for anything else. */
export function policyIntrinsic(fn: string, args: Json[]): Json | undefined {
  return Object.hasOwn(POLICY_FUNCTION_IMPLS, fn) ? POLICY_FUNCTION_IMPLS[fn as PolicyFunction](args) : undefined;
}
