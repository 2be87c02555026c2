// Attack: a js tool names a module outside the project (`js("../../outside/x.mjs#f")`), or a plan is
// edited after the check to do so: the sandbox loaded and ran any module on the machine. Now the
// checker refuses the path (AWR5013) and the tool provider refuses to load a module outside the
// project root, as a `tool` failure (not retryable) naming the path and how to allow it.
import { afterAll, describe, expect, it } from "vitest";
import { Tools } from "../../vm/tools/index.js";
import { failure, jsTool, never, request } from "./helpers.js";
import { errorsOf, scratch } from "./paths-helpers.js";

const s = scratch();
const tools = new Tools({ baseDir: s.project });
afterAll(async () => {
  await tools.close();
  s.remove();
});
s.write(`${s.outside}/x.mjs`, "export function f() { return 'ran outside'; }\n");
s.write(`${s.project}/tools/ok.mjs`, "export function f() { return 'ran inside'; }\n");

describe("a js module outside the project", () => {
  it("is AWR5013 at check time", () => {
    const main = s.write(`${s.project}/main.awr`, 'tool t() -> string {\n  impl: js("../outside/x.mjs#f")\n  timeout: 5s\n}\n');
    const errs = errorsOf(main).filter((e) => e.code === "AWR5013");
    expect(errs).toHaveLength(1);
    expect(errs[0]!.message).toContain(`js module "../outside/x.mjs" of tool "t" resolves to ${s.outside}/x.mjs, outside the project root ${s.project}`);
  });

  it("is refused at run time, before the sandbox loads it", async () => {
    const plan = jsTool("../../outside/x.mjs", "f", [], { loc: { file: "tools/main.awr", line: 1, column: 1 } });
    const f = await failure(tools.call(request("t", plan), never));
    expect(f).toMatchObject({ kind: "tool", retryable: false });
    expect(f.message).toContain(`js module "./../../outside/x.mjs" resolves to ${s.outside}/x.mjs, outside the project root ${s.project}`);
    expect(f.message).toContain("allowPaths");
  });

  it("a module inside runs; allowPaths admits the outside one", async () => {
    expect(await tools.call(request("ok", jsTool("ok.mjs", "f", [])), never)).toBe("ran inside");
    const allowed = new Tools({ baseDir: s.project, allowPaths: [s.outside] });
    try {
      expect(await allowed.call(request("t", jsTool("../../outside/x.mjs", "f", [])), never)).toBe("ran outside");
    } finally {
      await allowed.close();
    }
  });
});
