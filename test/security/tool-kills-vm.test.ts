// Attack: a js tool called `process.kill(process.ppid, "SIGTERM")` (the VM) or `process.kill(1, …)`;
// the sandbox did not stop it. Now the child refuses to signal any pid but its own before a tool
// module loads (an in-process barrier), and when the VM runs as root the sandbox runs as nobody
// (65534), so the OS refuses signals to other users' processes as well.
import { afterAll, describe, expect, it } from "vitest";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { Tools } from "../../vm/tools/index.js";
import { failure, jsTool, moduleDir, never, NUM, obj, request } from "./helpers.js";

const mods = moduleDir({
  "killer.mjs": `
export function killer({ target }) {
  const pid = target === 0 ? process.ppid : target;
  process.kill(pid, target === 1 ? 0 : "SIGTERM");
  return "signalled " + pid;
}
export function group() {
  process.kill(0, 0); // signal 0: only asks whether it could (harmless should the barrier fail)
  return "signalled the group";
}
export function self() {
  process.kill(process.pid, 0);
  return { uid: process.getuid(), pid: process.pid };
}
`,
});
// readable by others, so that as root the sandbox can run as nobody
chmodSync(mods.dir, 0o755);
chmodSync(join(mods.dir, "tools"), 0o755);
const tools = new Tools({ baseDir: mods.dir });
afterAll(async () => {
  await tools.close();
  mods.remove();
});

const killer = jsTool("killer.mjs", "killer", [], { params: obj({ target: NUM }) });

describe("a js tool cannot signal other processes", () => {
  it("process.kill of the VM (its parent) fails with a tool failure; the VM lives on", async () => {
    let terminated = false;
    const onTerm = () => (terminated = true);
    process.on("SIGTERM", onTerm); // were the signal delivered, this process would notice instead of dying
    try {
      const f = await failure(tools.call(request("killer", killer, { target: 0 }), never));
      expect(f.kind).toBe("tool");
      expect(f.message).toContain("refuses to signal process");
      await new Promise((r) => setTimeout(r, 100));
      expect(terminated).toBe(false);
    } finally {
      process.off("SIGTERM", onTerm);
    }
  });

  it("process.kill(1, 0) and process.kill(0, …) (its process group) fail too; signalling itself works", async () => {
    const one = await failure(tools.call(request("killer", killer, { target: 1 }), never));
    expect(one).toMatchObject({ kind: "tool" });
    expect(one.message).toContain("refuses to signal process 1");
    const grp = await failure(tools.call(request("group", jsTool("killer.mjs", "group", [])), never));
    expect(grp.message).toContain("refuses to signal process 0");
    const me = (await tools.call(request("self", jsTool("killer.mjs", "self", [])), never)) as { uid: number; pid: number };
    expect(me.pid).toBeGreaterThan(0);
    // as root, the sandbox runs as an unprivileged user: the OS would refuse the signal as well
    if (process.getuid?.() === 0) expect(me.uid).toBe(65534);
    else expect(me.uid).toBe(process.getuid?.());
  });
});
