// The structured source: records of JSON/JSONL files selected by field values, not by text
// similarity. A query selects records in two ways:
// - filters written in the query: `field=value` or `field:value` (value quoted when it has spaces:
//   `status="on hold"`), matched case-insensitively against the record's field; every filter of
//   the query must match;
// - the `key` option: a record matches when the value of its `key` field occurs in the query as
//   a whole word or phrase ("where is order A-1001" selects the record whose `id` is A-1001).
//   Without `key`, every top-level scalar field of at least 3 characters is a key.
// Records are ranked by how many conditions they meet, then in file order.
import type { Json } from "../types.js";
import { scalarText, type Doc } from "./documents.js";

export interface StructuredHit {
  doc: Doc;
  score: number;
  /** What selected it, e.g. `id = A-1001`. */
  matched: string[];
}

const FILTER = /([\p{L}_][\p{L}\p{N}_.]*)\s*[=:]\s*(?:"([^"]*)"|'([^']*)'|([^\s,;]+))/gu;

export function parseFilters(query: string): { field: string; value: string }[] {
  return [...query.matchAll(FILTER)].map((m) => ({ field: m[1]!, value: (m[2] ?? m[3] ?? m[4] ?? "").trim() }));
}

function fieldValue(record: Record<string, Json>, path: string): Json | undefined {
  let v: Json | undefined = record;
  for (const part of path.split(".")) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
    v = (v as Record<string, Json>)[part];
  }
  return v;
}

function equal(v: Json | undefined, wanted: string): boolean {
  if (v === undefined) return false;
  if (Array.isArray(v)) return v.some((x) => equal(x, wanted));
  return scalarText(v).toLowerCase() === wanted.toLowerCase();
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** True when `value` occurs in `query` as a whole word or phrase (case-insensitive). */
function mentions(query: string, value: string): boolean {
  return new RegExp(`(?<![\\p{L}\\p{N}])${escape(value)}(?![\\p{L}\\p{N}])`, "iu").test(query);
}

export function structuredSearch(docs: readonly Doc[], query: string, key: string | undefined, k: number): StructuredHit[] {
  // A filter on a field no record of this source has is not about this source: it is ignored.
  const known = new Set(docs.flatMap((d) => Object.keys(d.record ?? {})));
  const filters = parseFilters(query).filter((f) => known.has(f.field.split(".")[0]!));
  const hits: StructuredHit[] = [];
  for (const doc of docs) {
    const r = doc.record;
    if (!r) continue;
    const matched: string[] = [];
    let ok = true;
    for (const f of filters) {
      if (equal(fieldValue(r, f.field), f.value)) matched.push(`${f.field} = ${f.value}`);
      else ok = false;
    }
    if (!ok) continue;
    const keys = key ? [key] : Object.keys(r).filter((f) => r[f] !== null && typeof r[f] !== "object");
    for (const f of keys) {
      const v = fieldValue(r, f);
      if (v === undefined || v === null || typeof v === "object") continue;
      const text = scalarText(v);
      if ((key || text.length >= 3) && mentions(query, text)) matched.push(`${f} = ${text}`);
    }
    if (matched.length > 0) hits.push({ doc, score: matched.length, matched });
  }
  return hits.sort((a, b) => b.score - a.score).slice(0, k);
}
