// Attack: a tool answers with more than the run can hold — a js tool returning a result nested
// 5,000 levels or a 12 MB string, an http endpoint sending a 20 MB body. Each fails that call as
// `schema` (not retryable: the tool asked again answers as much again) naming the limit, the size and
// what to do, before validation, the journal or the store recurse into it; inside a run the failure
// takes the node's `on error` route like any tool failure.
import { afterAll, describe, expect, it } from "vitest";
import { Tools } from "../../vm/tools/index.js";
import { createRuntime } from "../../vm/runtime.js";
import { openStore } from "../../vm/store/index.js";
import { noModels, planOf } from "../vm/helpers.js";
import { failure, jsTool, moduleDir, never, request, toolPlan } from "./helpers.js";

const mods = moduleDir({
  "big.mjs": `
export function deep() {
  let v = 1;
  for (let i = 0; i < 5000; i++) v = { a: v };
  return v;
}
export function deep200() {
  let v = 1;
  for (let i = 0; i < 200; i++) v = { a: v };
  return v;
}
export function huge() {
  return "x".repeat(12 * 1024 * 1024);
}
`,
});
const tools = new Tools({ baseDir: mods.dir });
afterAll(async () => {
  await tools.close();
  mods.remove();
});

describe("a hostile tool result", () => {
  it("a js result nested 5,000 levels fails the call as schema, naming the limit", async () => {
    const f = await failure(tools.call(request("deep", jsTool("big.mjs", "deep", [])), never));
    expect(f).toMatchObject({ kind: "schema", retryable: false });
    expect(f.message).toContain("tool deep returned a result that nests deeper than 128 levels");
    expect(f.message).toContain("ToolsOptions.resultLimits");
  });

  it("a js result nested 200 levels (which JSON still carries) fails the same way", async () => {
    const f = await failure(tools.call(request("deep200", jsTool("big.mjs", "deep200", [])), never));
    expect(f.message).toContain("tool deep200 returned a result that nests deeper than 128 levels (at least 129)");
  });

  it("a 12 MB js result fails the call, naming its size and the 10 MB limit", async () => {
    const f = await failure(tools.call(request("huge", jsTool("big.mjs", "huge", [])), never));
    expect(f.kind).toBe("schema");
    expect(f.message).toMatch(/tool huge returned a result that is 12\.0 MB \(\d+ bytes\), over the limit of 10\.0 MB \(10485760 bytes\)/);
  });

  it("a 20 MB http body is cut off at the cap, never read whole", async () => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent >= 20 * 1024 * 1024) return ctl.close();
        sent += 64 * 1024;
        ctl.enqueue(new Uint8Array(64 * 1024).fill(0x61));
      },
    });
    const http = new Tools({ baseDir: mods.dir, fetch: async () => new Response(body, { headers: { "content-type": "text/plain" } }) });
    const plan = toolPlan({ impl: { kind: "http", method: "GET", url: "https://example.test/dump", headers: {} } as never });
    const f = await failure(http.call(request("dump", plan), never));
    expect(f).toMatchObject({ kind: "schema", retryable: false });
    expect(f.message).toContain("a response body is larger than 10485760 bytes");
    expect(sent).toBeLessThan(12 * 1024 * 1024);
    await http.close();
  });

  it("inside a run, a result nested 200 levels takes the node's on error route; the run completes", async () => {
    const plan = planOf(`
tool deep() -> json {
  impl: js("./tools/big.mjs#deep200")
  timeout: 20s
}
graph g() -> string {
  state { r: json?, why: string? }
  node n {
    run deep() -> r
    on error -> handled
  }
  node handled { set why = error?.kind ?? "none" }
  edge start -> n
  edge n -> end
  edge handled -> end
  return why ?? "returned"
}
`);
    const rt = createRuntime({ plan, store: openStore("memory:"), models: noModels, tools, instant: true });
    const o = await rt.start("g", {});
    expect(o.status).toBe("completed");
    expect(o.output).toBe("schema");
  });
});
