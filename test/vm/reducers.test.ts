import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { Reducer, StateFieldPlan } from "../../compiler/plan/index.js";
import { compile } from "../../compiler/compile.js";
import { memoryHost } from "../helpers/memory-host.js";
import { applyWrite, applyWrites, compareOrder, initialState, type StateWrite } from "../../vm/reducers.js";
import { VmFailure, type Json } from "../../vm/types.js";

const loc = { file: "main.awr", line: 1, column: 1 };
const field = (name: string, reducer: Reducer, dflt: Json = null): StateFieldPlan => ({ name, schema: {}, reducer, default: dflt, loc });

function failureOf(f: () => unknown): VmFailure {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(VmFailure);
    return err as VmFailure;
  }
  throw new Error("expected a failure");
}

describe("applyWrite", () => {
  it("replace: the value; with each, the list of results in input order", () => {
    expect(applyWrite("replace", 1, 2, "one")).toBe(2);
    expect(applyWrite("replace", { a: 1 }, null, "one")).toBeNull();
    expect(applyWrite("replace", ["old"], ["x", "y"], "each")).toEqual(["x", "y"]);
    expect(applyWrite("replace", ["old"], [], "each")).toEqual([]);
  });

  it("append: a single value is appended, a list is concatenated", () => {
    expect(applyWrite("append", ["a"], "b", "one")).toEqual(["a", "b"]);
    expect(applyWrite("append", ["a"], ["b", "c"], "one")).toEqual(["a", "b", "c"]);
    expect(applyWrite("append", null, "b", "one")).toEqual(["b"]);
    expect(applyWrite("append", [], [], "one")).toEqual([]);
    expect(applyWrite("append", [1], { r: 1 }, "one")).toEqual([1, { r: 1 }]);
  });
  it("append with each: every result in input order (list results concatenated)", () => {
    expect(applyWrite("append", ["a"], ["b", "c"], "each")).toEqual(["a", "b", "c"]);
    expect(applyWrite("append", ["a"], [["b", "c"], "d", []], "each")).toEqual(["a", "b", "c", "d"]);
    expect(applyWrite("append", null, [], "each")).toEqual(null);
  });
  it("append does not mutate its inputs", () => {
    const cur = ["a"];
    const val = ["b"];
    applyWrite("append", cur, val, "one");
    expect(cur).toEqual(["a"]);
    expect(val).toEqual(["b"]);
  });

  it("merge: shallow, later keys win", () => {
    expect(applyWrite("merge", { a: 1, b: { x: 1 } }, { b: { y: 2 }, c: 3 }, "one")).toEqual({ a: 1, b: { y: 2 }, c: 3 });
    expect(applyWrite("merge", null, { a: 1 }, "one")).toEqual({ a: 1 });
    expect(applyWrite("merge", { a: 1 }, null, "one")).toEqual({ a: 1 });
    expect(applyWrite("merge", { a: 1 }, [{ a: 2, b: 1 }, { a: 3 }], "each")).toEqual({ a: 3, b: 1 });
    const cur = { a: 1 };
    applyWrite("merge", cur, { a: 2 }, "one");
    expect(cur).toEqual({ a: 1 });
  });

  it("sum, max, min: numbers; null current counts as absent; a null value changes nothing", () => {
    expect(applyWrite("sum", 1, 2, "one")).toBe(3);
    expect(applyWrite("sum", null, 2, "one")).toBe(2);
    expect(applyWrite("sum", 5, null, "one")).toBe(5);
    expect(applyWrite("sum", 0, [1, 2, 3.5], "each")).toBe(6.5);
    expect(applyWrite("sum", null, [], "each")).toBeNull();
    expect(applyWrite("max", 3, 2, "one")).toBe(3);
    expect(applyWrite("max", -3, 2, "one")).toBe(2);
    expect(applyWrite("max", null, -7, "one")).toBe(-7);
    expect(applyWrite("max", 0, [4, 9, 1], "each")).toBe(9);
    expect(applyWrite("min", 3, 2, "one")).toBe(2);
    expect(applyWrite("min", null, 7, "one")).toBe(7);
    expect(applyWrite("min", 0, [4, -9, 1], "each")).toBe(-9);
  });

  it("fails on values the reducer cannot take", () => {
    expect(failureOf(() => applyWrite("sum", 1, "2", "one")).message).toBe('@reduce(sum) expects a number, got "2"');
    expect(failureOf(() => applyWrite("min", "x", 2, "one")).message).toBe('@reduce(min) needs a number to combine with, got "x"');
    expect(failureOf(() => applyWrite("merge", {}, [1], "one")).message).toBe("@reduce(merge) expects a record or map, got a list of 1");
    expect(failureOf(() => applyWrite("merge", 3, {}, "one")).message).toBe("@reduce(merge) needs a record or map to merge into, got 3");
    expect(failureOf(() => applyWrite("append", "s", "x", "one")).message).toBe('@reduce(append) needs a list to append to, got "s"');
    expect(failureOf(() => applyWrite("append", [], "x", "each")).message).toBe('@reduce(append) of a map\'s results expects a list, got "x"');
    expect(failureOf(() => applyWrite("sum", 1e308, 1e308, "one")).message).toBe("@reduce(sum) overflowed: 1e+308 and 1e+308");
  });
});

describe("applyWrites", () => {
  const fields = [field("last", "replace"), field("notes", "append", []), field("meta", "merge", {}), field("total", "sum", 0), field("best", "max"), field("low", "min")];

  it("applies writes in order of the writing step, not in array order", () => {
    const writes: StateWrite[] = [
      { field: "notes", value: "from b", mode: "one", order: "graph:g/node:b/stmt:0" },
      { field: "notes", value: ["from a1", "from a2"], mode: "each", order: "graph:g/node:a/stmt:0" },
      { field: "last", value: "b", mode: "one", order: "graph:g/node:b/stmt:0" },
      { field: "meta", value: { who: "b", b: true }, mode: "one", order: "graph:g/node:b/stmt:1" },
      { field: "meta", value: { who: "a", a: true }, mode: "one", order: "graph:g/node:a/stmt:1" },
      { field: "total", value: 2, mode: "one", order: "graph:g/node:b/stmt:2" },
      { field: "total", value: [1, 1], mode: "each", order: "graph:g/node:a/stmt:2" },
      { field: "best", value: 3, mode: "one", order: "graph:g/node:a/stmt:3" },
      { field: "low", value: 3, mode: "one", order: "graph:g/node:a/stmt:3" },
    ];
    const s = applyWrites(initialState(fields), fields, writes);
    expect(s).toEqual({
      last: "b",
      notes: ["from a1", "from a2", "from b"],
      meta: { who: "b", a: true, b: true },
      total: 4,
      best: 3,
      low: 3,
    });
  });

  it("gives the same state for every permutation of the writes (property)", () => {
    const steps = ["graph:g/node:a/stmt:0", "graph:g/node:a/stmt:1", "graph:g/node:b/stmt:0", "graph:g/node:c/stmt:10", "graph:g/node:c/stmt:2", "graph:g/node:d/stmt:0[3]"];
    const names = fields.map((f) => f.name);
    const valueFor = (f: string, i: number): Json =>
      f === "meta" ? { k: i % 3, ["v" + i]: i } : f === "notes" ? (i % 2 ? [`n${i}`, `m${i}`] : `n${i}`) : f === "last" ? `v${i}` : i * 1.5 - 4;
    // one write per (field, step): ties of order in one field would depend on array order by design
    const all: StateWrite[] = [];
    let i = 0;
    for (const f of names) for (const order of steps) all.push({ field: f, value: valueFor(f, i++), mode: "one", order });
    const expected = applyWrites(initialState(fields), fields, all);
    fc.assert(
      fc.property(fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }), (shuffled) => {
        expect(applyWrites(initialState(fields), fields, shuffled)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
    expect(expected.last).toBe("v5"); // node:d (the last step in order) wins the replace field
  });

  it("keeps the given order for writes of the same step", () => {
    const writes: StateWrite[] = [
      { field: "notes", value: "1", mode: "one", order: "s" },
      { field: "notes", value: "2", mode: "one", order: "s" },
      { field: "notes", value: "0", mode: "one", order: "r" },
    ];
    expect(applyWrites(initialState(fields), fields, writes).notes).toEqual(["0", "1", "2"]);
  });

  it("does not mutate the state it is given", () => {
    const s0 = initialState(fields);
    const before = structuredClone(s0);
    applyWrites(s0, fields, [{ field: "notes", value: "x", mode: "one", order: "a" }]);
    expect(s0).toEqual(before);
  });

  it("names the field and the step in failures", () => {
    expect(failureOf(() => applyWrites(initialState(fields), fields, [{ field: "nope", value: 1, mode: "one", order: "graph:g/node:a/stmt:0" }])).message).toBe(
      "state has no field nope (written by graph:g/node:a/stmt:0)",
    );
    const f = failureOf(() => applyWrites(initialState(fields), fields, [{ field: "total", value: "x", mode: "one", order: "graph:g/node:a/stmt:0" }]));
    expect(f.message).toBe('state.total (written by graph:g/node:a/stmt:0): @reduce(sum) expects a number, got "x"');
    expect(f.info.kind).toBe("expression");
  });
});

describe("compareOrder", () => {
  it("orders digit runs as numbers", () => {
    const ids = ["graph:g/node:a/stmt:10", "graph:g/node:a/stmt:2", "graph:g/node:a/stmt:0[10]", "graph:g/node:a/stmt:0[9]", "graph:g/node:B/stmt:0", "graph:g/node:a/stmt:1"];
    expect([...ids].sort(compareOrder)).toEqual([
      "graph:g/node:B/stmt:0",
      "graph:g/node:a/stmt:0[9]",
      "graph:g/node:a/stmt:0[10]",
      "graph:g/node:a/stmt:1",
      "graph:g/node:a/stmt:2",
      "graph:g/node:a/stmt:10",
    ]);
  });
  it("is a total order: antisymmetric and consistent with equality", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "b", "0", "1", "9", "/", ":") }), fc.string({ unit: fc.constantFrom("a", "0", "1", "/") }), (a, b) => {
        const ab = compareOrder(a, b);
        const ba = compareOrder(b, a);
        expect(Math.sign(ab) + Math.sign(ba)).toBe(0);
        expect(ab === 0).toBe(a === b);
      }),
    );
  });
});

describe("initialState", () => {
  it("takes every field's default, null when there is none, copied from the plan", () => {
    const src = `
graph g(x: int) -> int {
  state {
    notes: list<string> @reduce(append) = ["start"]
    total: int @reduce(sum) = 0
    meta: map<string> @reduce(merge) = {}
    last: string?
  }
  node a { set total = x  set notes = "x"  set meta = { k: "v" }  set last = "l" }
  edge start -> a
  edge a -> end
  return total
}
`;
    const r = compile(["main.awr"], memoryHost({ "main.awr": src }), { plan: true });
    if (!r.plan) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
    const fields = r.plan.graphs.g!.state;
    const s = initialState(fields);
    expect(s).toEqual({ notes: ["start"], total: 0, meta: {}, last: null });
    (s.notes as Json[]).push("mutated");
    expect(fields[0]!.default).toEqual(["start"]);
    // the reducers of the plan's fields
    const next = applyWrites(s, fields, [
      { field: "total", value: 5, mode: "one", order: "b" },
      { field: "total", value: 2, mode: "one", order: "a" },
      { field: "notes", value: ["x", "y"], mode: "each", order: "a" },
      { field: "meta", value: { k: "v" }, mode: "one", order: "a" },
      { field: "last", value: "l", mode: "one", order: "a" },
    ]);
    expect(next).toEqual({ notes: ["start", "mutated", "x", "y"], total: 7, meta: { k: "v" }, last: "l" });
  });
});
