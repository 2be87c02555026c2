// The redaction boundary itself (vm/redact-secrets.ts): a secret's prefix left at a cut, errors
// with causes and cycles, "__proto__" keys, and ordinary text left alone.
import { describe, expect, it } from "vitest";
import { Redactor, secretForms } from "../../vm/redact-secrets.js";
import { VmFailure } from "../../vm/types.js";

const TOKEN = "tok-AAAA1111-BBBB2222-CCCC3333-DDDD";

describe("Redactor", () => {
  it("redacts a secret's prefix left at a cut (…, ..., the end), not a short one", () => {
    const r = new Redactor();
    r.add("T", TOKEN);
    expect(r.text(`body: ${TOKEN.slice(0, 14)}…`)).toBe("body: [secret T]…");
    expect(r.text(`body: ${TOKEN.slice(0, 14)}... (more)`)).toBe("body: [secret T]... (more)");
    expect(r.text(`ends with ${TOKEN.slice(0, 10)}`)).toBe("ends with [secret T]");
    expect(r.text("tok-")).toBe("tok-");
    expect(r.text("the tok-A… is fine")).toBe("the tok-A… is fine");
    expect(r.text("nothing secret here")).toBe("nothing secret here");
  });

  it("a VmFailure keeps its class and kind; an Error's cause chain (with a cycle) is redacted", () => {
    const r = new Redactor();
    r.add("T", TOKEN);
    const f = r.error(new VmFailure({ kind: "auth", message: `bad ${TOKEN}`, retryable: false })) as VmFailure;
    expect(f).toBeInstanceOf(VmFailure);
    expect(f.info).toEqual({ kind: "auth", message: "bad [secret T]", retryable: false });
    expect(f.message).toBe("bad [secret T]");
    const inner = Object.assign(new Error(`inner ${TOKEN}`), { code: TOKEN });
    const outer = new Error(`outer ${TOKEN}`, { cause: inner });
    (inner as { cause?: unknown }).cause = outer;
    const e = r.error(outer) as Error & { cause: Error & { code: string } };
    expect(e.message).toBe("outer [secret T]");
    expect(e.cause.message).toBe("inner [secret T]");
    expect(e.cause.code).toBe("[secret T]");
    expect(JSON.stringify({ m: e.message, s: e.stack, c: e.cause.message, cs: e.cause.stack })).not.toContain(TOKEN);
  });

  it('keeps a "__proto__" key a plain own key and shares what holds no secret', () => {
    const r = new Redactor();
    r.add("T", TOKEN);
    const v = JSON.parse(`{"__proto__":{"x":"${TOKEN}"},"same":{"a":1}}`);
    const out = r.json(v) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")?.value).toEqual({ x: "[secret T]" });
    expect((out as { x?: unknown }).x).toBeUndefined();
    expect(out.same).toBe(v.same);
  });

  it("lists the encoded forms of a value", () => {
    const forms = secretForms("a b'c+d");
    expect(forms).toEqual(expect.arrayContaining(["a b'c+d", "a%20b'c%2Bd", "a%20b%27c%2Bd", "a+b%27c%2Bd", "a%20b%27c%2bd"]));
    expect(new Redactor().json({ a: "x" })).toEqual({ a: "x" });
  });
});
