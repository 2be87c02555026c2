// Graph state and its reducers (docs/language.md § Graphs → State). Every write to a state field
// goes through the field's reducer; a superstep's writes are applied sorted by the writing step's
// id, so the resulting state never depends on the order in which the steps completed. Pure: inputs
// are never mutated, new containers are returned.
import type { Reducer, StateFieldPlan } from "../compiler/plan/index.js";
import { describeValue, isRecord, setKey, type JsonRecord } from "./expr.js";
import { VmFailure, type Json } from "./types.js";

/** "one": a single result (`run`, `set`, `await`); "each": the list of a `map`'s results, in input order. */
export type WriteMode = "one" | "each";

/** One write of a superstep. `order` is the writing step's id (ties keep the given order). */
export interface StateWrite {
  field: string;
  value: Json;
  mode: WriteMode;
  order: string;
}

function reducerFailure(message: string): never {
  throw new VmFailure({ kind: "expression", message, retryable: false });
}

/**
 * Applies one write through a reducer:
 * - replace: the value (with "each", the list of results in input order);
 * - append: list concatenation: a single value is appended, a list value is concatenated
 *   (with "each", every result in input order); a null current value is the empty list;
 * - merge: shallow record/map merge, later keys win (null current: {}; a null value changes nothing);
 * - sum, max, min: numbers; a null current value counts as absent, a null value changes nothing.
 */
export function applyWrite(reducer: Reducer, current: Json, value: Json, mode: WriteMode): Json {
  if (reducer === "replace") return value;
  if (mode === "each") {
    if (!Array.isArray(value)) reducerFailure(`@reduce(${reducer}) of a map's results expects a list, got ${describeValue(value)}`);
    let acc = current;
    for (const v of value) acc = applyOne(reducer, acc, v);
    return acc;
  }
  return applyOne(reducer, current, value);
}

function applyOne(reducer: Exclude<Reducer, "replace">, current: Json, value: Json): Json {
  switch (reducer) {
    case "append": {
      if (current !== null && !Array.isArray(current)) reducerFailure(`@reduce(append) needs a list to append to, got ${describeValue(current)}`);
      const base = current ?? [];
      return Array.isArray(value) ? [...base, ...value] : [...base, value];
    }
    case "merge": {
      if (value === null) return current;
      if (!isRecord(value)) reducerFailure(`@reduce(merge) expects a record or map, got ${describeValue(value)}`);
      if (current !== null && !isRecord(current)) reducerFailure(`@reduce(merge) needs a record or map to merge into, got ${describeValue(current)}`);
      const out: JsonRecord = {};
      for (const src of [current ?? {}, value]) for (const k of Object.keys(src)) setKey(out, k, src[k]!);
      return out;
    }
    case "sum":
    case "max":
    case "min": {
      if (value === null) return current;
      if (typeof value !== "number") reducerFailure(`@reduce(${reducer}) expects a number, got ${describeValue(value)}`);
      if (current === null) return value;
      if (typeof current !== "number") reducerFailure(`@reduce(${reducer}) needs a number to combine with, got ${describeValue(current)}`);
      const r = reducer === "sum" ? current + value : reducer === "max" ? Math.max(current, value) : Math.min(current, value);
      if (!Number.isFinite(r)) reducerFailure(`@reduce(${reducer}) overflowed: ${current} and ${value}`);
      return r === 0 ? 0 : r;
    }
  }
}

/**
 * Compares step ids for write order: natural order, so digit runs compare as numbers
 * (`stmt:2` < `stmt:10`, `[9]` < `[10]`) and everything else by UTF-16 code units. Deterministic
 * and locale-independent.
 */
export function compareOrder(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const dx = x.charCodeAt(0) >= 48 && x.charCodeAt(0) <= 57;
    const dy = y.charCodeAt(0) >= 48 && y.charCodeAt(0) <= 57;
    if (dx && dy) {
      const nx = x.replace(/^0+(?=\d)/, "");
      const ny = y.replace(/^0+(?=\d)/, "");
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
      if (x.length !== y.length) return x.length - y.length; // "01" after "1": still a total order
      continue;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/**
 * Applies a superstep's writes to the state: sorted by `order` (stable: ties keep the given
 * order), each through its field's reducer. Returns a new state; `state` is not mutated.
 * A write to a field not in `fields` or a value the reducer cannot take throws VmFailure.
 */
export function applyWrites(state: Record<string, Json>, fields: StateFieldPlan[], writes: StateWrite[]): Record<string, Json> {
  const byName = new Map(fields.map((f) => [f.name, f]));
  const sorted = writes.map((w, i) => ({ w, i })).sort((a, b) => compareOrder(a.w.order, b.w.order) || a.i - b.i);
  const out: Record<string, Json> = { ...state };
  for (const { w } of sorted) {
    const f = byName.get(w.field);
    if (!f) reducerFailure(`state has no field ${w.field} (written by ${w.order})`);
    const current = Object.hasOwn(out, w.field) ? out[w.field]! : null;
    try {
      setKey(out, w.field, applyWrite(f.reducer, current, w.value, w.mode));
    } catch (err) {
      if (err instanceof VmFailure) reducerFailure(`state.${w.field} (written by ${w.order}): ${err.message}`);
      throw err;
    }
  }
  return out;
}

/** The initial state of a graph: every field's default (null when it has none), copied. */
export function initialState(fields: StateFieldPlan[]): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const f of fields) setKey(out, f.name, f.default === undefined ? null : structuredClone(f.default));
  return out;
}
