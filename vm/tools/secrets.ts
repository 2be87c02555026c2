// Secrets of tools: referenced by name, never written into the plan. An http tool's URL and header
// values (and an MCP server's env and headers) may hold `{env:NAME}` holes — `env("NAME")` in the
// source lowers to one — resolved at call time from the provider's `secrets` option, else the
// process environment. Every secret value a call used (and, for a js tool, every variable its
// sandbox was given through `allow.env`) is redacted from what leaves the provider — the result
// (so the journal, events and later steps never see it), every field of a failure, the tool's
// console output — by the redaction boundary (vm/redact-secrets.ts: raw, URL-, form-, JSON-escaped
// and base64 forms). A redacted value reads `[secret NAME]`.
import { Redactor } from "../redact-secrets.js";
import { fail } from "./failures.js";

export { MIN_SECRET_LENGTH } from "../redact-secrets.js";

export const SECRET_HOLE = /\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

export type SecretLookup = (name: string) => string | undefined;

/** The secrets one tool call used, and the redaction of everything the call returns. */
export class SecretScope extends Redactor {
  constructor(private readonly lookup: SecretLookup) {
    super();
  }

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
}
