// Attack: only the JS heap of a sandbox was bounded (`--max-old-space-size`); a tool allocated
// gigabytes of Buffers (memory outside the heap) and the machine paid for it. Now the whole process
// is bounded by `js.memoryMb`: the child checks its own RSS/ArrayBuffers and, on Linux, the VM polls
// the child's VmRSS while a call runs; over the limit the process is killed and the call fails
// with a `tool` failure "exceeded its memory limit (N MB)". The allocations here stay modest: a
// 128 MB limit, at most 400 MB allocated, in 8 MB steps.
import { afterAll, describe, expect, it } from "vitest";
import { Tools } from "../../vm/tools/index.js";
import { failure, jsTool, moduleDir, never, NUM, obj, request } from "./helpers.js";

const mods = moduleDir({
  "hog.mjs": `
const kept = [];
/** Allocates Buffers (outside the JS heap) in 8 MB steps up to mb, yielding between steps. */
export async function hog({ mb }) {
  for (let i = 0; i < mb / 8; i++) {
    kept.push(Buffer.alloc(8 * 1024 * 1024, 1));
    await new Promise((r) => setTimeout(r, 5));
  }
  return kept.length * 8;
}
/** The same without yielding, then holds it: only the VM's polling from outside can see it. */
export async function hogSync({ mb }) {
  for (let i = 0; i < mb / 8; i++) kept.push(Buffer.alloc(8 * 1024 * 1024, 1));
  await new Promise((r) => setTimeout(r, 5_000));
  return kept.length * 8;
}
export function small() {
  return process.memoryUsage().rss > 0;
}
`,
});
const tools = new Tools({ baseDir: mods.dir, js: { memoryMb: 128 } });
afterAll(async () => {
  await tools.close();
  mods.remove();
});

const hog = (exp: string) => jsTool("hog.mjs", exp, [], { params: obj({ mb: NUM }), timeout_ms: 20_000 });

describe("a js tool's memory is bounded as a whole, not only its heap", () => {
  it("Buffers allocated step by step beyond the limit: killed, a tool failure naming the limit", async () => {
    const f = await failure(tools.call(request("hog", hog("hog"), { mb: 400 }), never));
    expect(f).toMatchObject({ kind: "tool", retryable: false });
    expect(f.message).toBe("tool hog: exceeded its memory limit (128 MB)");
  });

  it("Buffers allocated in one synchronous burst, then held: killed too", async () => {
    const f = await failure(tools.call(request("hogSync", hog("hogSync"), { mb: 256 }), never));
    expect(f.message).toBe("tool hogSync: exceeded its memory limit (128 MB)");
  });

  it("a tool within the limit runs, and the provider still works after the kills", async () => {
    expect(await tools.call(request("hog", hog("hog"), { mb: 16 }, "run-2/n1"), never)).toBe(16);
    expect(await tools.call(request("small", jsTool("hog.mjs", "small", [])), never)).toBe(true);
  });
});
