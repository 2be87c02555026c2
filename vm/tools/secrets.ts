// Secrets of tools: referenced by name, never written into the plan. An http tool's URL and header
// values (and an MCP server's env and headers) may hold `{env:NAME}` holes — `env("NAME")` in the
// source lowers to one — resolved at call time from the provider's `secrets` option, else the
// process environment. Every secret value a call used (and, for a js tool, every variable its
// sandbox was given through `allow.env`) is redacted from what leaves the provider: the result
// (so the journal, events and later steps never see it) and failure messages. A redacted value
// reads `[secret NAME]`.
import type { Json } from "../types.js";
import { VmFailure } from "../types.js";
import { fail, isVmFailure } from "./failures.js";

export const SECRET_HOLE = /\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Values shorter than this are not redacted (they would match ordinary text). */
export const MIN_SECRET_LENGTH = 4;

export type SecretLookup = (name: string) => string | undefined;

/** The secrets one tool call used, and the redaction of everything the call returns. */
export class SecretScope {
  private readonly used = new Map<string, string>();

  constructor(private readonly lookup: SecretLookup) {}

  /** The value of secret `name`; an unset secret is an `auth` failure naming it (and `what`). */
  get(name: string, what: string): string {
    const v = this.lookup(name);
    if (v === undefined || v === "") throw fail("auth", `${what}: the secret ${name} is not set (env("${name}"))`, false);
    this.add(name, v);
    return v;
  }

  /** Fills the `{env:NAME}` holes of `text`; `encode` maps each value first (e.g. URL-encoding). */
  fill(text: string, what: string, encode: (v: string) => string = (v) => v): string {
    return text.replace(SECRET_HOLE, (_, name: string) => encode(this.get(name, what)));
  }

  /** Registers a value to redact (also its URL-encoded form). */
  add(name: string, value: string) {
    if (value.length < MIN_SECRET_LENGTH) return;
    this.used.set(value, name);
    const enc = encodeURIComponent(value);
    if (enc !== value) this.used.set(enc, name);
  }

  get size(): number {
    return this.used.size;
  }

  text(s: string): string {
    if (this.used.size === 0) return s;
    let out = s;
    // Longest first, so a secret that contains another is replaced whole.
    for (const [value, name] of [...this.used].sort((a, b) => b[0].length - a[0].length)) {
      if (out.includes(value)) out = out.split(value).join(`[secret ${name}]`);
    }
    return out;
  }

  /** A copy of `v` with every secret value replaced in its strings (keys included). */
  json(v: Json): Json {
    if (this.used.size === 0) return v;
    if (typeof v === "string") return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.json(x));
    if (v !== null && typeof v === "object") {
      const out: { [k: string]: Json } = {};
      for (const [k, x] of Object.entries(v)) out[this.text(k)] = this.json(x);
      return out;
    }
    return v;
  }

  /** The same failure with secrets removed from its message (anything else thrown is kept). */
  error(e: unknown): unknown {
    if (this.used.size === 0) return e;
    if (isVmFailure(e)) {
      const message = this.text(e.info.message);
      return message === e.info.message ? e : new VmFailure({ ...e.info, message });
    }
    if (e instanceof Error) {
      const message = this.text(e.message);
      return message === e.message ? e : new Error(message);
    }
    return e;
  }
}
