// Paths into JSON values for transforms: read, copy-on-write, and the text messages show
// (`input.q`, `$.messages[0].content`).
import { describeValue, getKey, isRecord, setKey, type JsonRecord } from "../expr.js";
import type { Json } from "../types.js";
import { childPath } from "./redact.js";

export type Key = string | number;

export function pathText(path: Key[], root: string): string {
  return path.reduce<string>((p, k) => (typeof k === "number" ? `${p}[${k}]` : childPath(p, k)), root);
}

/** True when `prefix` is `path` or leads to a value inside it. */
export function isPrefix(prefix: Key[], path: Key[]): boolean {
  return prefix.length <= path.length && prefix.every((k, i) => k === path[i]);
}

export function getIn(v: Json, path: Key[]): Json | undefined {
  let cur: Json | undefined = v;
  for (const k of path) {
    if (typeof k === "number") cur = Array.isArray(cur) ? cur[k] : undefined;
    else cur = isRecord(cur) ? getKey(cur, k) : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** A copy of `v` with the value at `path` replaced (containers along the path are copied, never changed). */
export function setIn(v: Json, path: Key[], value: Json, root: string): Json {
  if (!path.length) return value;
  const [k, ...rest] = path;
  if (typeof k === "number") {
    if (!Array.isArray(v) || k >= v.length) throw new Error(`${root} has no item ${k}`);
    const out = [...v];
    out[k] = setIn(v[k]!, rest, value, `${root}[${k}]`);
    return out;
  }
  if (!isRecord(v)) throw new Error(`${root} is ${describeValue(v)}, not a record`);
  const out: JsonRecord = {};
  for (const [key, x] of Object.entries(v)) setKey(out, key, x);
  const child = rest.length ? (getKey(v, k!) ?? null) : null;
  setKey(out, k!, setIn(child, rest, value, childPath(root, k!)));
  return out;
}
