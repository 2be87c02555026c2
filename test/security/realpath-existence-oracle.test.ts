// Attack: `fs.realpathSync` (and `fs.exists`) answered differently for paths outside a tool's read
// set depending on whether they exist (ENOENT vs ERR_ACCESS_DENIED; `exists` false vs …), so a tool
// could probe the file system (which users, which projects, which secrets files are there) without
// reading anything. Now every path outside the read set gets the same permission error, existing
// or not, from realpath (sync, callback, promise, native), stat/lstat/access and exists.
import { afterAll, describe, expect, it } from "vitest";
import { realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Tools } from "../../vm/tools/index.js";
import { jsTool, moduleDir, never, obj, request, STR } from "./helpers.js";

const mods = moduleDir({
  "oracle.mjs": `
import fs from "node:fs";
const answer = async (f) => {
  try {
    return { ok: await f() };
  } catch (e) {
    return { code: e.code, message: e.message };
  }
};
export async function probe({ path }) {
  const cb = (fn) => () => new Promise((res, rej) => fn(path, (e, v) => (e ? rej(e) : res(v))));
  return {
    realpathSync: await answer(() => fs.realpathSync(path)),
    realpathNative: await answer(() => fs.realpathSync.native(path)),
    realpath: await answer(cb(fs.realpath)),
    realpathPromise: await answer(() => fs.promises.realpath(path)),
    existsSync: await answer(() => fs.existsSync(path)),
    exists: await answer(() => new Promise((res) => fs.exists(path, res))),
    statSync: await answer(() => fs.statSync(path).size),
    lstatSync: await answer(() => fs.lstatSync(path).size),
    accessSync: await answer(() => fs.accessSync(path)),
    stat: await answer(cb(fs.stat)),
    access: await answer(() => fs.promises.access(path)),
  };
}
`,
});
// a file that exists outside the tool's read set (tools/ is its module directory)
const outside = join(mods.dir, "secret.env");
writeFileSync(outside, "TOKEN=x\n");
const tools = new Tools({ baseDir: mods.dir });
afterAll(async () => {
  await tools.close();
  mods.remove();
});

const probe = jsTool("oracle.mjs", "probe", [], { params: obj({ path: STR }) });
type Answers = Record<string, { ok?: unknown; code?: string; message?: string }>;
const ask = async (path: string) => (await tools.call(request("probe", probe, { path }), never)) as Answers;

describe("a path outside the read set: the same answer whether it exists or not", () => {
  it("an existing and a missing file beside the tool's folder", async () => {
    const there = await ask(outside);
    const missing = await ask(join(mods.dir, "no-such.env"));
    expect(Object.keys(there)).toHaveLength(11);
    expect(missing).toEqual(there);
    // and the answer is a refusal, not a result
    expect(there.realpathSync).toEqual({ code: "ERR_ACCESS_DENIED", message: "Access to this API has been restricted" });
    expect(there.existsSync).toEqual({ ok: false });
  });

  it("system paths: /etc/passwd and /etc/no-such-file-awr", async () => {
    expect(await ask("/etc/no-such-file-awr")).toEqual(await ask("/etc/passwd"));
  });

  it("inside the read set, files still resolve", async () => {
    const own = await ask(join(mods.dir, "tools", "oracle.mjs"));
    expect(own.realpathSync.ok).toBe(realpathSync(join(mods.dir, "tools", "oracle.mjs")));
    expect(own.existsSync.ok).toBe(true);
  });
});
