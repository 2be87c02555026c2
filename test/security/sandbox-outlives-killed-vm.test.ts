// Attack: a VM killed with SIGKILL (OOM killer, `kill -9`) left its sandbox processes running: a
// tool in the middle of a call (an async sleep with the `disconnect` listener removed, or a
// synchronous wait that never yields to the event loop) lived on, holding its secrets. Now a
// watchdog process kills the sandboxes when the VM's end of its pipe closes, and the child exits on
// its own when its IPC channel closes or its parent changes. (Runs the built dist/: `npm run build`.)
import { afterAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { alive, moduleDir } from "./helpers.js";

const mods = moduleDir({
  "sleeper.mjs": `
export async function sleeper() {
  process.removeAllListeners("disconnect");
  console.log("pid " + process.pid);
  await new Promise((r) => setTimeout(r, 30_000));
  return "woke";
}
export function sleeperSync() {
  console.log("pid " + process.pid);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000);
  return "woke";
}
`,
});
const started: number[] = [];
afterAll(() => {
  for (const pid of started) if (alive(pid)) process.kill(pid, "SIGKILL");
  mods.remove();
});

const dist = pathToFileURL(resolve(import.meta.dirname, "..", "..", "dist", "vm", "tools", "index.js")).href;

/** Starts a VM script calling `exp`; resolves with the script and the sandbox's pid once the tool runs. */
function vmCalling(exp: string): Promise<{ vm: ReturnType<typeof spawn>; sandbox: number }> {
  const script = `
    const { Tools } = await import(${JSON.stringify(dist)});
    const t = new Tools({ baseDir: ${JSON.stringify(mods.dir)} });
    const plan = { params: {}, returns: {}, description: null, tags: [], timeout_ms: 60000, rate: null, idempotent: false, compensate: null,
      impl: { kind: "js", module: "./sleeper.mjs", export: ${JSON.stringify(exp)} }, loc: { file: "tools/main.awr", line: 1, column: 1 } };
    t.call({ tool: "sleeper", plan, args: {}, idempotencyKey: "run-1/n1", log: (e) => process.stdout.write(e.text + "\\n") }, new AbortController().signal);
  `;
  const vm = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  started.push(vm.pid!);
  return new Promise((resolveP, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the tool did not start: ${out}`)), 15_000);
    vm.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /pid (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        started.push(Number(m[1]));
        resolveP({ vm, sandbox: Number(m[1]) });
      }
    });
  });
}

async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end && alive(pid)) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

describe("sandboxes die with a SIGKILLed VM", () => {
  for (const exp of ["sleeper", "sleeperSync"]) {
    it(`${exp}: the sandbox process is gone within a few seconds of the VM's SIGKILL`, async () => {
      const { vm, sandbox } = await vmCalling(exp);
      expect(alive(sandbox)).toBe(true);
      const exited = new Promise((r) => vm.on("exit", r));
      vm.kill("SIGKILL");
      await exited;
      expect(await goneWithin(sandbox, 5_000)).toBe(true);
    });
  }
});
