// Attack: a symlink inside the project points outside it — `tools/link.mjs -> ../outside/x.mjs`,
// `kb -> /somewhere/else` — so every path as written stays inside. Paths are compared after
// realpath: the checker (AWR5013), the tool provider and the context sources all see where the
// link goes and refuse it.
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, symlinkSync } from "node:fs";
import { Tools } from "../../vm/tools/index.js";
import { createContextAssembler } from "../../vm/context/assembler.js";
import { contexts, source } from "../context/helpers.js";
import { failure, jsTool, never, request } from "./helpers.js";
import { errorsOf, scratch } from "./paths-helpers.js";

const s = scratch();
const tools = new Tools({ baseDir: s.project });
afterAll(async () => {
  await tools.close();
  s.remove();
});
s.write(`${s.outside}/x.mjs`, "export function f() { return 'ran outside'; }\n");
s.write(`${s.outside}/kb/secret.md`, "the outside secret");
mkdirSync(`${s.project}/tools`);
symlinkSync(`${s.outside}/x.mjs`, `${s.project}/tools/link.mjs`);
symlinkSync(`${s.outside}/kb`, `${s.project}/kb`);

describe("a symlink out of the project", () => {
  it("is AWR5013 at check time, for a js module and a context source", () => {
    const main = s.write(
      `${s.project}/main.awr`,
      'tool t() -> string {\n  impl: js("./tools/link.mjs#f")\n  timeout: 5s\n}\ncontext c {\n  source docs = keyword("./kb/*.md")\n}\n',
    );
    const errs = errorsOf(main).filter((e) => e.code === "AWR5013");
    expect(errs.map((e) => e.message.split(" resolves")[0])).toEqual(['js module "./tools/link.mjs" of tool "t"', '"./kb/*.md" of source "docs" (its fixed part "./kb")']);
  });

  it("the tool provider refuses the linked module, naming where the link goes", async () => {
    const f = await failure(tools.call(request("t", jsTool("link.mjs", "f", [])), never));
    expect(f.kind).toBe("tool");
    expect(f.message).toContain(`(through a symlink, to ${s.outside}/x.mjs), outside the project root`);
  });

  it("a context source refuses files under the linked directory", async () => {
    const a = createContextAssembler({ plan: contexts({ c: { sources: [source("docs", "keyword", "./kb/*.md")] } }), root: s.project });
    await expect(a.assemble("c", "secret", new AbortController().signal)).rejects.toThrow(/through a symlink.*outside the project root/);
  });
});
