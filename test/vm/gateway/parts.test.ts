// Unit tests of the gateway's pure parts: tolerant JSON, schema wrapping, Retry-After, base_url env names.
import { describe, expect, it } from "vitest";
import { retryAfterMs } from "../../../vm/gateway/errors.js";
import { parseJsonAnswer } from "../../../vm/gateway/json.js";
import { envNameOf } from "../../../vm/gateway/openai.js";
import { prepareSchema, schemaName, unwrap } from "../../../vm/gateway/structured.js";

describe("parseJsonAnswer", () => {
  it("parses strict JSON without fixes, scalars included", () => {
    expect(parseJsonAnswer(' {"a": 1} ')).toEqual({ ok: true, value: { a: 1 }, fixes: [] });
    expect(parseJsonAnswer("42")).toEqual({ ok: true, value: 42, fixes: [] });
  });
  it("strips fences (with or without a language)", () => {
    expect(parseJsonAnswer("```\n[1, 2]\n```")).toEqual({ ok: true, value: [1, 2], fixes: ["stripped markdown code fences"] });
    expect(parseJsonAnswer('```json {"a":true}```')).toEqual({ ok: true, value: { a: true }, fixes: ["stripped markdown code fences"] });
  });
  it("extracts the first complete value, skipping unbalanced or invalid candidates", () => {
    const r = parseJsonAnswer('Options [a, b] considered; result: {"x": "]}"} and {"y": 2}');
    expect(r).toEqual({ ok: true, value: { x: "]}" }, fixes: ["extracted the JSON value from surrounding prose"] });
  });
  it("reports what is wrong", () => {
    const r = parseJsonAnswer('{"a": ');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^the answer is not valid JSON/);
    expect(parseJsonAnswer("  ")).toEqual({ ok: false, error: "the answer is empty" });
  });
});

describe("prepareSchema", () => {
  it("null and bare strings are plain text", () => {
    expect(prepareSchema(null)).toEqual({ mode: "text", wrapped: false });
    expect(prepareSchema({ type: "string", description: "a line" })).toEqual({ mode: "text", wrapped: false });
    expect(prepareSchema({ type: "string", maxLength: 3 }).mode).toBe("json");
  });
  it("keeps object roots, inlines $ref roots to objects, wraps the rest with $defs hoisted", () => {
    const obj = { type: "object", properties: {} };
    expect(prepareSchema(obj)).toEqual({ mode: "json", sent: obj, wrapped: false });
    const $defs = { P: { enum: ["low", "high"] } };
    expect(prepareSchema({ $ref: "#/$defs/P", $defs })).toEqual({
      mode: "json",
      wrapped: true,
      sent: { type: "object", properties: { value: { $ref: "#/$defs/P" } }, required: ["value"], additionalProperties: false, $defs },
    });
  });
  it("unwraps", () => {
    const p = prepareSchema({ type: "integer" });
    expect(unwrap(p, { value: 3 })).toEqual({ value: 3 });
    expect(unwrap(p, 3)).toEqual({ value: 3, fix: "accepted a value without the { value } wrapper" });
    expect(unwrap(prepareSchema({ type: "object" }), { value: 3 })).toEqual({ value: { value: 3 } });
  });
  it("names the schema as OpenAI requires", () => {
    expect(schemaName("std.pii/scan")).toBe("std_pii_scan");
    expect(schemaName("")).toBe("output");
  });
});

describe("retryAfterMs", () => {
  const h = (o: Record<string, string>) => new Headers(o);
  it("reads retry-after-ms, retry-after seconds and dates", () => {
    expect(retryAfterMs(h({ "retry-after-ms": "1500.4" }))).toBe(1500);
    expect(retryAfterMs(h({ "retry-after": "2" }))).toBe(2000);
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(retryAfterMs(h({ "retry-after": "Wed, 01 Jan 2025 00:00:05 GMT" }), now)).toBe(5000);
    expect(retryAfterMs(h({}))).toBeUndefined();
    expect(retryAfterMs(h({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

describe("envNameOf", () => {
  it("recognises env names and leaves URLs alone", () => {
    expect(envNameOf('env("LLM_URL")')).toBe("LLM_URL");
    expect(envNameOf("env:LLM_URL")).toBe("LLM_URL");
    expect(envNameOf("$LLM_URL")).toBe("LLM_URL");
    expect(envNameOf("LLM_URL")).toBe("LLM_URL");
    expect(envNameOf("http://127.0.0.1:8000/v1")).toBeUndefined();
    expect(envNameOf("localhost")).toBeUndefined();
  });
});
