// The router's argument coercion (docs/tools.md § Arguments): what a model's quoted scalars become,
// what is rejected (a `schema` failure naming the argument), and the result check after the call.
import { describe, expect, it } from "vitest";
import { Tools } from "../../../vm/tools/index.js";
import type { Json } from "../../../vm/types.js";
import { failure, never, obj, request, STR, toolPlan } from "./helpers.js";

/** An http tool over a fetch that answers with the JSON body it was sent: the arguments after coercion. */
function echoTools(answer?: Json) {
  const fetch = async (_url: string | URL | Request, init?: RequestInit) =>
    new Response(answer === undefined ? String(init?.body ?? "null") : JSON.stringify(answer), { headers: { "content-type": "application/json" } });
  return new Tools({ baseDir: import.meta.dirname, fetch: fetch as typeof globalThis.fetch });
}

const params = obj(
  {
    count: { type: "integer" },
    price: { type: "number", minimum: 0 },
    notify: { type: "boolean" },
    name: STR,
    code: { anyOf: [{ type: "string" }, { type: "integer" }] },
    ids: { type: "array", items: { type: "integer" } },
    item: obj({ qty: { type: "integer" }, gift: { type: "boolean" } }),
    level: { enum: ["low", "high"] },
    limit: { type: "integer", default: 10 },
  },
  ["count", "price", "notify", "name", "code", "ids", "item", "level", "limit"],
);
const tool = toolPlan({ params, impl: { kind: "http", method: "POST", url: "http://127.0.0.1:9/echo", headers: {} } });
const call = (args: Record<string, Json>) => echoTools().call(request("order", tool, args), never);

describe("argument coercion", () => {
  it.each([
    ["an integer from a numeric string", { count: "42" }, { count: 42 }],
    ["a number from a numeric string", { price: "-1.5e3" }, null],
    ["a number from a decimal string", { price: "12.50" }, { price: 12.5 }],
    ["a boolean from true/false", { notify: "true" }, { notify: true }],
    ["false too", { notify: "false" }, { notify: false }],
    ["a string stays a string", { name: "42" }, { name: "42" }],
    ["a string|int union keeps the string", { code: "7" }, { code: "7" }],
    ["array items", { ids: ["1", "2", 3] }, { ids: [1, 2, 3] }],
    ["nested object fields", { item: { qty: "2", gift: "true" } }, { item: { qty: 2, gift: true } }],
    ["a missing property with a default gets it", {}, { limit: 10 }],
  ])("%s", async (_what, given, expected) => {
    if (expected === null) {
      // -1.5e3 coerces to -1500, which `minimum: 0` then rejects, naming the argument
      const f = await failure(call(given as Record<string, Json>));
      expect(f).toMatchObject({ kind: "schema", retryable: false });
      expect(f.message).toMatch(/^tool order: invalid arguments: \$\.price: /);
      return;
    }
    const out = (await call(given as Record<string, Json>)) as Record<string, Json>;
    expect(out).toMatchObject(expected);
  });

  it.each([
    ["a fraction for an integer", { count: "4.5" }, "$.count"],
    ["a word for a number", { price: "cheap" }, "$.price"],
    ["hex is not a number", { price: "0x10" }, "$.price"],
    ["padded numbers are not trimmed", { count: " 42" }, "$.count"],
    ["yes is not a boolean", { notify: "yes" }, "$.notify"],
    ["True is not a boolean", { notify: "True" }, "$.notify"],
    ["an array item", { ids: ["1", "two"] }, "$.ids[1]"],
    ["a nested field", { item: { qty: "lots" } }, "$.item.qty"],
    ["a value outside an enum", { level: "medium" }, "$.level"],
    ["an unknown argument", { colour: "red" }, "colour"],
  ])("rejects %s with a schema failure naming it", async (_what, given, path) => {
    const f = await failure(call(given as Record<string, Json>));
    expect(f).toMatchObject({ kind: "schema", retryable: false });
    expect(f.message).toMatch(/^tool order: invalid arguments: /);
    expect(f.message).toContain(path);
  });

  it("names a missing required argument", async () => {
    const strict = toolPlan({ params: obj({ id: STR }), impl: tool.impl });
    const f = await failure(echoTools().call(request("lookup", strict, {}), never));
    expect(f).toMatchObject({ kind: "schema" });
    expect(f.message).toContain("id");
  });
});

describe("result validation", () => {
  it("rejects a result that does not match the declared type, naming the tool", async () => {
    const plan = toolPlan({ returns: obj({ total: { type: "number" } }), impl: tool.impl });
    const f = await failure(echoTools({ total: "lots" }).call(request("sum", plan), never));
    expect(f).toMatchObject({ kind: "schema", retryable: false });
    expect(f.message).toMatch(/^tool sum returned an invalid result: \$\.total: /);
  });

  it("does not coerce results (a tool must return what it declares)", async () => {
    const plan = toolPlan({ returns: { type: "integer" }, impl: tool.impl });
    expect((await failure(echoTools("42").call(request("n", plan), never))).kind).toBe("schema");
    expect(await echoTools(42).call(request("n", plan), never)).toBe(42);
  });
});
