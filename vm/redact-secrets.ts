// The redaction boundary of secrets: one `Redactor` per provider call holds the secret values the
// call used (a tool's `{env:NAME}` holes and `allow.env` variables, an MCP connection's secrets, the
// model gateway's API key) and rewrites everything that leaves the provider — results, answers,
// failures (every string of every field, nested objects, `cause`s), console output — so that each
// secret reads `[secret NAME]`.
//
// Forms of a value that are redacted (docs/security.md#secrets):
// - the value itself;
// - URL-encoded: `encodeURIComponent`, strict RFC 3986 (`'` → %27, `!()*~` too), form encoding
//   (`URLSearchParams`: space → `+`), `encodeURI`, each also with lowercase hex digits;
// - JSON-escaped, once and twice (JSON in a JSON string), and with non-ASCII as `\uXXXX`;
// - base64 and base64url of the value inside any text: `base64("user:" + secret)` (a Basic auth
//   header) holds a stretch that depends only on the secret, one per alignment (offset mod 3);
//   that stretch is redacted (values whose stretch is shorter than 6 characters are skipped).
// - a prefix of any form (6 characters or more) left at a cut: right before `…` or `...`, or at
//   the very end of a text, so a truncation after redaction cannot leave half a secret. Code that
//   truncates redacts first (`clip(text, max, redactor)`).
//
// Walks copy objects key by key with `Object.defineProperty`, so a `"__proto__"` key of a JSON
// value stays a plain own key (an assignment `out["__proto__"] = v` would set the prototype).
import type { FailureInfo, Json } from "./types.js";
import { VmFailure } from "./types.js";

/** Values shorter than this are not redacted (they would match ordinary text). */
export const MIN_SECRET_LENGTH = 4;
/** The shortest prefix of a secret redacted at a cut (before `…`, `...`, or at the end of a text). */
export const MIN_CUT_PREFIX = 6;
/** The shortest base64 stretch redacted. */
const MIN_BASE64 = 6;

const hexLower = (s: string) => s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
const percent = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`;
const jsonEscaped = (s: string) => JSON.stringify(s).slice(1, -1);
const asciiJson = (s: string) => jsonEscaped(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

function tryEncode(f: (s: string) => string, s: string): string | undefined {
  try {
    return f(s);
  } catch {
    return undefined; // a lone surrogate: encodeURIComponent throws
  }
}

/**
 * The stretches of base64 text that depend only on `value`, wherever it sits in the encoded bytes:
 * for each alignment (0, 1 or 2 bytes before it in its 3-byte group), the characters whose 6 bits
 * all come from the value's bytes.
 */
export function base64Stretches(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const out: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes, Buffer.alloc(2)]);
    const b64 = padded.toString("base64");
    const start = Math.ceil((8 * offset) / 6);
    const end = Math.floor((8 * (offset + bytes.length)) / 6);
    const core = b64.slice(start, end);
    if (core.length >= MIN_BASE64) out.push(core, core.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return out;
}

/** Every written form of a secret value that is redacted (the value first). */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value]);
  const uri = tryEncode(encodeURIComponent, value);
  if (uri !== undefined) {
    const strict = uri.replace(/[!'()*~]/g, percent);
    const form = new URLSearchParams([["", value]]).toString().slice(1);
    const loose = tryEncode(encodeURI, value)!;
    for (const f of [uri, strict, form, loose]) forms.add(f).add(hexLower(f));
  }
  const once = jsonEscaped(value);
  forms.add(once).add(jsonEscaped(once)).add(asciiJson(value));
  for (const b of base64Stretches(value)) forms.add(b);
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Sets `out[key] = value` as an own data property (also for `"__proto__"`). */
function define(out: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Secrets by value, and the redaction of anything that carries them. */
export class Redactor {
  /** Every form of every secret → the secret's name. */
  private readonly forms = new Map<string, string>();
  private pattern: RegExp | undefined;
  /** Prefixes redacted at a cut, by their last character (longest first). */
  private cuts: Map<string, { prefix: string; name: string }[]> | undefined;

  /** Registers a secret value (all its forms) under `name`; values under 4 characters are ignored. */
  add(name: string, value: string): void {
    if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH) return;
    for (const f of secretForms(value)) if (!this.forms.has(f)) this.forms.set(f, name);
    this.pattern = undefined;
    this.cuts = undefined;
  }

  /** Registers every entry of a name → value record. */
  addAll(secrets: Record<string, string | undefined>): this {
    for (const [name, value] of Object.entries(secrets)) if (value !== undefined) this.add(name, value);
    return this;
  }

  /** How many written forms are redacted (0: nothing to redact). */
  get size(): number {
    return this.forms.size;
  }

  /** `s` with every form of every secret, and a secret's prefix at a cut, replaced by `[secret NAME]`. */
  text(s: string): string {
    if (this.forms.size === 0 || s.length === 0) return s;
    // Longest first: a secret that contains another (or a longer encoding) is replaced whole.
    this.pattern ??= new RegExp(
      [...this.forms.keys()]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join("|"),
      "g",
    );
    const out = s.replace(this.pattern, (m) => `[secret ${this.forms.get(m)}]`);
    return this.redactCuts(out);
  }

  /** A secret's prefix right before a truncation mark (`…`, `...`) or at the end of `s`. */
  private redactCuts(s: string): string {
    if (!this.cuts) {
      this.cuts = new Map();
      for (const [form, name] of this.forms) {
        for (let k = form.length - 1; k >= MIN_CUT_PREFIX; k--) {
          const last = form[k - 1]!;
          let list = this.cuts.get(last);
          if (!list) this.cuts.set(last, (list = []));
          list.push({ prefix: form.slice(0, k), name });
        }
      }
      for (const list of this.cuts.values()) list.sort((a, b) => b.prefix.length - a.prefix.length);
    }
    const ends = new Set<number>([s.length]);
    for (const mark of ["…", "..."]) for (let i = s.indexOf(mark); i >= 0; i = s.indexOf(mark, i + 1)) ends.add(i);
    let out = s;
    // Right to left, so earlier positions stay valid.
    for (const end of [...ends].sort((a, b) => b - a)) {
      const list = this.cuts.get(out[end - 1] ?? "");
      const hit = list?.find((c) => end - c.prefix.length >= 0 && out.startsWith(c.prefix, end - c.prefix.length));
      if (hit) out = `${out.slice(0, end - hit.prefix.length)}[secret ${hit.name}]${out.slice(end)}`;
    }
    return out;
  }

  /** `v` with every string redacted (keys included); the same value when nothing changed. */
  json<T extends Json>(v: T): T {
    if (this.forms.size === 0) return v;
    return this.walk(v, new WeakMap()) as T;
  }

  /** Any value (an error's fields, a response object): strings, arrays, plain objects, Errors. */
  value(v: unknown): unknown {
    if (this.forms.size === 0) return v;
    return this.walk(v, new WeakMap());
  }

  /** Copies what holds a secret, shares what does not; `seen` keeps cycles (an error's cause chain) finite. */
  private walk(v: unknown, seen: WeakMap<object, unknown>): unknown {
    if (typeof v === "string") return this.text(v);
    if (v === null || typeof v !== "object") return v;
    if (seen.has(v)) return seen.get(v);
    if (v instanceof Error) return this.errorObject(v, seen);
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      seen.set(v, out);
      let changed = false;
      for (const x of v) {
        const y = this.walk(x, seen);
        changed ||= y !== x;
        out.push(y);
      }
      if (!changed) seen.set(v, v);
      return changed ? out : v;
    }
    const out: Record<string, unknown> = {};
    seen.set(v, out);
    let changed = false;
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      const key = this.text(k);
      const y = this.walk(x, seen);
      changed ||= key !== k || y !== x;
      define(out, key, y);
    }
    if (!changed) seen.set(v, v);
    return changed ? out : v;
  }

  /** A copy of an Error: message, name, cause and own enumerable fields redacted (the stack is not kept). */
  private errorObject(e: Error, seen: WeakMap<object, unknown>): Error {
    if (isVmFailureLike(e)) {
      const f = new VmFailure(this.walk(e.info, seen) as FailureInfo);
      seen.set(e, f);
      return f;
    }
    const copy = new Error(this.text(e.message));
    seen.set(e, copy);
    if (e.name !== "Error") define(copy as unknown as Record<string, unknown>, "name", this.text(e.name));
    for (const k of Object.keys(e)) define(copy as unknown as Record<string, unknown>, this.text(k), this.walk((e as unknown as Record<string, unknown>)[k], seen));
    const cause = (e as { cause?: unknown }).cause;
    if (cause !== undefined) define(copy as unknown as Record<string, unknown>, "cause", this.walk(cause, seen));
    copy.stack = `${copy.name}: ${copy.message}`;
    return copy;
  }

  /** A failure's info with every string of every field redacted (`kind` kept). */
  info(info: FailureInfo): FailureInfo {
    if (this.forms.size === 0) return info;
    const out = this.value(info) as FailureInfo;
    return out === info ? info : { ...out, kind: info.kind };
  }

  /**
   * What a provider throws, redacted: a VmFailure keeps its class (every field of its info
   * redacted); another Error becomes a copy with its message, fields and cause redacted; anything
   * else thrown is redacted as a value.
   */
  error(e: unknown): unknown {
    if (this.forms.size === 0) return e;
    if (isVmFailureLike(e)) {
      const info = this.info(e.info);
      return info === e.info && e instanceof VmFailure ? e : new VmFailure(info);
    }
    return this.value(e);
  }
}

function isVmFailureLike(e: unknown): e is { info: FailureInfo; message: string } {
  return typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "VmFailure" && typeof (e as { info?: { kind?: unknown } }).info?.kind === "string";
}
