// Attack: a tool fails with its secret outside the failure's message — in `details`, `cause`,
// `code` or a nested object of the failure it throws. Every string of every field of a failure
// leaving Tools.call must be redacted, not only `message`.
import { afterAll, describe, expect, it } from "vitest";
import { Tools } from "../../vm/tools/index.js";
import { createRuntime } from "../../vm/runtime.js";
import { openStore } from "../../vm/store/index.js";
import { planOf, noModels } from "../vm/helpers.js";
import { absent, failure, jsTool, moduleDir, never, request } from "./helpers.js";

const SECRET = "pw-51d3-channel-QxR7-zeta";
const mods = moduleDir({
  "fails.mjs": `
export function vmFailure() {
  const s = process.env.AWR_SEC_PASS;
  // a VmFailure-shaped error (what a tool may throw to classify its failure), secret-laden
  throw { _tag: "VmFailure", info: { kind: "tool", message: "upstream said no", retryable: false,
    details: { request: { headers: { authorization: "Bearer " + s } } }, code: "E_" + s, cause: { message: "denied " + s } } };
}
`,
});
const tools = new Tools({ baseDir: mods.dir, secrets: { AWR_SEC_PASS: SECRET } });
afterAll(async () => {
  await tools.close();
  mods.remove();
});

describe("secrets in the fields of a failure", () => {
  it("details, code, cause and nested objects of a thrown VmFailure are redacted", async () => {
    const f = await failure(tools.call(request("fails", jsTool("fails.mjs", "vmFailure", ["AWR_SEC_PASS"])), never));
    expect(f.kind).toBe("tool");
    absent("the failure", JSON.stringify(f), SECRET);
    expect(f).toMatchObject({
      details: { request: { headers: { authorization: "Bearer [secret AWR_SEC_PASS]" } } },
      code: "E_[secret AWR_SEC_PASS]",
      cause: { message: "denied [secret AWR_SEC_PASS]" },
    });
  });

  it("the failed run's outcome and journal never hold it", async () => {
    const plan = planOf(
      `
tool fails() -> string {
  impl: js("./fails.mjs#vmFailure")
  allow { env: ["AWR_SEC_PASS"] }
}
graph g() -> string {
  state { r: string? }
  node n { run fails() -> r }
  edge start -> n
  edge n -> end
  return r!
}
`,
    );
    const t = new Tools({ baseDir: mods.dir, secrets: { AWR_SEC_PASS: SECRET } });
    plan.tools.fails!.loc.file = "tools/main.awr";
    const store = openStore("memory:");
    const rt = createRuntime({ plan, store, models: noModels, tools: t, instant: true });
    const out = await rt.start("g", {});
    await t.close();
    expect(out.status).toBe("failed");
    absent("the outcome", JSON.stringify(out), SECRET);
    absent("the journal", JSON.stringify(store.load(out.runId)), SECRET);
    absent("the events", JSON.stringify(store.events(out.runId)), SECRET);
    store.close();
  });
});
