// Attack: a tool declared without `timeout` that loops (or never answers) hung its run forever: no
// deadline was set, so nothing killed the process. Now every tool call has a deadline — the tool's
// own `timeout`, else the provider's `defaultTimeoutMs` (60 s unless configured) — and the looping
// sandbox is killed when it passes. `awr check` warns about such tools (AWR6006).
import { afterAll, describe, expect, it } from "vitest";
import { Tools } from "../../vm/tools/index.js";
import { failure, jsTool, moduleDir, never, request, alive } from "./helpers.js";

const mods = moduleDir({
  "loop.mjs": `
export function loop() {
  console.log("pid " + process.pid);
  for (;;) {}
}
export function silent() {
  return new Promise(() => {});
}
`,
});
const tools = new Tools({ baseDir: mods.dir, defaultTimeoutMs: 1_500 });
afterAll(async () => {
  await tools.close();
  mods.remove();
});

describe("a tool without timeout gets the default deadline", () => {
  it("a synchronous loop fails with timeout after the default, and its process is killed", async () => {
    const logs: string[] = [];
    const req = { ...request("loop", jsTool("loop.mjs", "loop", [])), log: (e: { text: string }) => logs.push(e.text) };
    expect(req.plan.timeout_ms).toBeNull();
    const t0 = performance.now();
    const f = await failure(tools.call(req, never));
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(f).toMatchObject({ kind: "timeout", retryable: true });
    expect(f.message).toBe("tool loop timed out after 1500 ms (the default deadline of tools without a timeout)");
    const pid = Number(/pid (\d+)/.exec(logs.join("\n"))?.[1]);
    expect(pid).toBeGreaterThan(0);
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
  }, 15_000);

  it("a promise that never settles fails the same way", async () => {
    const f = await failure(tools.call(request("silent", jsTool("loop.mjs", "silent", [])), never));
    expect(f).toMatchObject({ kind: "timeout" });
  }, 15_000);
});
