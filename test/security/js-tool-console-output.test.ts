// Attack: a js tool prints its secret (`console.log(process.env.TOKEN)`, `console.error(...)`); the
// sandbox forwarded the child's stdout/stderr raw to the VM's stderr. Now console output is
// captured per call, redacted, and becomes `tool.log` events (tool name, stream, text); without a
// run to emit events into, the redacted text goes to the sandbox's `output` stream.
import { afterAll, describe, expect, it } from "vitest";
import { PassThrough } from "node:stream";
import { Tools } from "../../vm/tools/index.js";
import { createRuntime } from "../../vm/runtime.js";
import { openStore } from "../../vm/store/index.js";
import type { VmEvent } from "../../vm/types.js";
import { planOf, noModels } from "../vm/helpers.js";
import { absent, jsTool, moduleDir, never, request } from "./helpers.js";

const SECRET = "console-secret-9q8w7e6r5t";
const mods = moduleDir({
  "noisy.mjs": `
export function noisy() {
  console.log("connecting with token " + process.env.AWR_SEC_TOKEN);
  console.error("warning: " + encodeURIComponent(process.env.AWR_SEC_TOKEN) + " is old");
  return "done";
}
`,
});
afterAll(() => mods.remove());

function capture() {
  const out = new PassThrough();
  let text = "";
  out.on("data", (c: Buffer) => (text += c.toString()));
  return { out, text: () => text };
}

describe("console output of a js tool", () => {
  it("without a run: reaches the output stream redacted", async () => {
    const sink = capture();
    const tools = new Tools({ baseDir: mods.dir, secrets: { AWR_SEC_TOKEN: SECRET }, js: { output: sink.out } });
    expect(await tools.call(request("noisy", jsTool("noisy.mjs", "noisy", ["AWR_SEC_TOKEN"])), never)).toBe("done");
    await tools.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.text()).toContain("connecting with token [secret AWR_SEC_TOKEN]");
    absent("the VM's stderr", sink.text(), SECRET);
    absent("the VM's stderr", sink.text(), encodeURIComponent(SECRET));
  });

  it("in a run: tool.log events with the tool's name and the redacted text; nothing on the VM's stderr", async () => {
    const sink = capture();
    const plan = planOf(`
tool noisy() -> string {
  impl: js("./noisy.mjs#noisy")
  allow { env: ["AWR_SEC_TOKEN"] }
}
graph g() -> string {
  state { r: string? }
  node n { run noisy() -> r }
  edge start -> n
  edge n -> end
  return r!
}
`);
    plan.tools.noisy!.loc.file = "tools/main.awr";
    const tools = new Tools({ baseDir: mods.dir, secrets: { AWR_SEC_TOKEN: SECRET }, js: { output: sink.out } });
    const store = openStore("memory:");
    const events: VmEvent[] = [];
    const rt = createRuntime({ plan, store, models: noModels, tools, instant: true, onEvent: (e) => events.push(e) });
    const out = await rt.start("g", {});
    await tools.close();
    expect(out.status).toBe("completed");
    const logs = events.filter((e) => e.type === "tool.log") as Extract<VmEvent, { type: "tool.log" }>[];
    expect(logs.map((e) => [e.tool, e.stream, e.text])).toEqual([
      ["noisy", "stdout", "connecting with token [secret AWR_SEC_TOKEN]"],
      ["noisy", "stderr", "warning: [secret AWR_SEC_TOKEN] is old"],
    ]);
    expect(logs[0]!.key).toMatch(/n/);
    expect(sink.text()).toBe("");
    absent("the events", JSON.stringify(events), SECRET);
    absent("the stored events", JSON.stringify(store.events(out.runId)), SECRET);
    store.close();
  });
});
