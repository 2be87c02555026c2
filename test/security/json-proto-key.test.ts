// Attack: a JSON value with a "__proto__" key — a tool's result, a model's answer, a run's input —
// is copied key by key when secrets are in scope (redaction walks it); `out["__proto__"] = v`
// makes `v` the copy's prototype: the key vanishes and the object inherits attacker-chosen
// properties. Every walk of the redaction boundary keeps "__proto__" a plain own key.
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { Tools } from "../../vm/tools/index.js";
import { OpenAIGateway } from "../../vm/gateway/openai.js";
import { createRuntime } from "../../vm/runtime.js";
import { openStore } from "../../vm/store/index.js";
import { validate } from "../../vm/schema.js";
import { planOf, noModels } from "../vm/helpers.js";
import { reply, startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { jsTool, moduleDir, never, request } from "./helpers.js";

const PAYLOAD = '{"a":"x","__proto__":{"polluted":"yes","a":"shadow"},"nested":[{"__proto__":{"isAdmin":true}}]}';
const mods = moduleDir({
  "proto.mjs": `
export function answer() { return JSON.parse(${JSON.stringify(PAYLOAD)}); }
export function echo(args) { return args.v; }
`,
});
afterAll(() => mods.remove());

/** The value kept "__proto__" as an own, plain key, and no prototype was touched. */
function intact(v: unknown) {
  const o = v as Record<string, unknown>;
  expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
  expect(Object.hasOwn(o, "__proto__")).toBe(true);
  expect(Object.keys(o)).toEqual(["a", "__proto__", "nested"]);
  expect((o as { polluted?: unknown }).polluted).toBeUndefined();
  const proto = Object.getOwnPropertyDescriptor(o, "__proto__")!.value as Record<string, unknown>;
  expect(proto).toEqual({ polluted: "yes", a: "shadow" });
  const inner = (o.nested as Record<string, unknown>[])[0]!;
  expect(Object.hasOwn(inner, "__proto__")).toBe(true);
  expect((inner as { isAdmin?: unknown }).isAdmin).toBeUndefined();
  expect(({} as { polluted?: unknown; isAdmin?: unknown }).polluted).toBeUndefined();
  expect(({} as { isAdmin?: unknown }).isAdmin).toBeUndefined();
  expect(JSON.stringify(o)).toBe(PAYLOAD);
}

describe('"__proto__" keys through the redaction boundary', () => {
  it("a js tool's result, with secrets in scope", async () => {
    const tools = new Tools({ baseDir: mods.dir, secrets: { AWR_SEC_TOKEN: "proto-secret-1234" } });
    const v = await tools.call(request("answer", jsTool("proto.mjs", "answer", ["AWR_SEC_TOKEN"])), never);
    await tools.close();
    intact(v);
  });

  it("a run's input echoed by a tool with secrets in scope, to the run's output", async () => {
    const plan = planOf(`
tool echo(v: json) -> json {
  impl: js("./proto.mjs#echo")
  allow { env: ["AWR_SEC_TOKEN"] }
}
graph g(v: json) -> json {
  state { r: json? }
  node n { run echo(v) -> r }
  edge start -> n
  edge n -> end
  return r!
}
`);
    plan.tools.echo!.loc.file = "tools/main.awr";
    const tools = new Tools({ baseDir: mods.dir, secrets: { AWR_SEC_TOKEN: "proto-secret-1234" } });
    const store = openStore("memory:");
    const rt = createRuntime({ plan, store, models: noModels, tools, instant: true });
    const out = await rt.start("g", { v: JSON.parse(PAYLOAD) });
    await tools.close();
    store.close();
    expect(out.status, JSON.stringify(out.error)).toBe("completed");
    intact(out.output);
  });

  describe("a model's answer (the gateway redacts its key from answers)", () => {
    let fake: FakeOpenAI;
    beforeEach(async () => {
      fake = await startFakeOpenAI();
    });
    afterEach(async () => {
      await fake.stop();
    });
    for (const lenient of [false, true]) {
      it(lenient ? "parsed leniently (trailing commas in every object)" : "parsed as JSON", async () => {
        fake.enqueue(reply.text(lenient ? PAYLOAD.replace(/}/g, ",}") : PAYLOAD));
        const gw = new OpenAIGateway({ validate, env: { OPENAI_API_KEY: "sk-proto-test-key", OPENAI_BASE_URL: fake.url } });
        const plan = planOf(`model m { provider: "openai" name: "x" }\nprompt p() -> json { model: m user #"hi"# }\n`);
        const res = await gw.call(
          { caller: "p", model: "m", plan: plan.models.m!, messages: [{ role: "user", content: "hi" }], schema: { type: "object" } } as never,
          new AbortController().signal,
        );
        intact(res.output);
      });
    }
  });
});
