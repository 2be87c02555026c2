import { describe, expect, it } from "vitest";
import { breachOf, describeBreach, jsonBytes, jsonDepth, textBreachOf, textDepth } from "../../vm/limits.js";
import type { Json } from "../../vm/types.js";

const nest = (n: number): Json => {
  let v: Json = 1;
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

describe("value limits", () => {
  it("jsonBytes is the length of compact JSON for ASCII and UTF-8 for the rest", () => {
    for (const v of [null, true, false, 12.5, -3, "abc", [], {}, [1, "x", null], { a: { b: [1, 2, { c: "d" }] }, e: "f" }] as Json[])
      expect(jsonBytes(v, 1e9)).toBe(JSON.stringify(v).length);
    expect(jsonBytes("é€😀", 1e9)).toBe(2 + Buffer.byteLength("é€😀"));
  });

  it("jsonDepth and jsonBytes stop counting past the limit (a 100,000-level value costs nothing)", () => {
    expect(jsonDepth(nest(100_000), 128)).toBe(129);
    expect(jsonDepth(nest(128), 128)).toBe(128);
    expect(jsonBytes("x".repeat(1000), 10)).toBeGreaterThan(10);
  });

  it("breachOf names the limit broken first (depth before size)", () => {
    expect(breachOf(nest(200), { maxBytes: 10, maxDepth: 128 })).toEqual({ limit: "depth", max: 128, actual: 129 });
    expect(breachOf("x".repeat(100), { maxBytes: 50, maxDepth: 128 })).toMatchObject({ limit: "bytes", max: 50 });
    expect(breachOf({ a: [1] }, { maxBytes: 50, maxDepth: 2 })).toBeUndefined();
  });

  it("textDepth ignores brackets inside strings, escapes included", () => {
    expect(textDepth('{"a": "[[[[\\"[[[", "b": [[1]]}', 100)).toBe(3);
    expect(textDepth("[".repeat(10_000), 128)).toBe(129);
  });

  it("textBreachOf measures UTF-8 bytes, and describeBreach reads as a sentence", () => {
    const b = textBreachOf("é".repeat(60), { maxBytes: 100, maxDepth: 128 })!;
    expect(b).toEqual({ limit: "bytes", max: 100, actual: 120 });
    expect(describeBreach(b)).toBe("is 0.0 MB (120 bytes), over the limit of 0.0 MB (100 bytes)");
    expect(describeBreach({ limit: "depth", max: 128, actual: 129 })).toBe("nests deeper than 128 levels (at least 129)");
  });
});
