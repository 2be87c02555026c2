// Redaction: PII of the kinds a `redact` rule names, replaced in every string of a value by
// `[REDACTED:kind]`, with the JSON paths and kinds replaced (for the audit log). The engine
// (engine.ts) decides what to redact; the interpreter's hooks (vm/exec/guard.ts) apply it last, so a
// transform cannot bring PII back.
import { isRecord } from "../expr.js";
import type { Json } from "../types.js";
import { expandKinds, findPii } from "./pii.js";

export interface Redacted {
  value: Json;
  /** The JSON paths redacted, with the PII kind found there (sorted, each pair once). */
  redacted: { path: string; kind: string }[];
}

/**
 * Replaces PII of the given kinds (`pii` = all) in every string of a value by `[REDACTED:kind]`.
 * Numbers that are PII (a card number sent as a JSON number) become the marker string. Record keys
 * are not rewritten. `root` prefixes the paths.
 */
export function redact(value: Json, kinds: readonly string[], root = "$"): Redacted {
  const ks = expandKinds(kinds);
  const redacted: { path: string; kind: string }[] = [];
  if (!ks.length) return { value, redacted };
  const str = (s: string, path: string): string => {
    const found = findPii(s, ks);
    if (!found.length) return s;
    let out = "";
    let at = 0;
    for (const m of found) {
      out += s.slice(at, m.start) + `[REDACTED:${m.kind}]`;
      at = m.end;
      if (!redacted.some((r) => r.path === path && r.kind === m.kind)) redacted.push({ path, kind: m.kind });
    }
    return out + s.slice(at);
  };
  const walk = (v: Json, path: string): Json => {
    if (typeof v === "string") return str(v, path);
    if (typeof v === "number" && Number.isInteger(v) && Math.abs(v) >= 1e7) {
      const s = String(v);
      const r = str(s, path);
      return r === s ? v : r;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`));
    if (isRecord(v)) {
      const out: Record<string, Json> = {};
      for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: walk(x, childPath(path, k)), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };
  const out = walk(value, root);
  redacted.sort((a, b) => cmp(a.path, b.path) || cmp(a.kind, b.kind));
  return { value: out, redacted };
}

export function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Code-unit order (stable across locales), for the sorted lists of decisions and redactions. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
