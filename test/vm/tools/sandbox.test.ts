// js tools run in sandboxed child processes: a timeout kills a tool stuck in a loop (and the next
// call works), file access is limited to the module's directory and what the tool declares in
// `allow`, the environment holds only the declared secrets (redacted from results), and child
// processes cannot be started.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Tools } from "../../../vm/tools/index.js";
import type { ToolPlan } from "./helpers.js";
import { failure, never, NUM, obj, request, STR, toolPlan, alive } from "./helpers.js";

// Plans "declared" in test/vm/tools/main.awr: `allow` paths and modules resolve against test/vm/tools.
const baseDir = resolve(import.meta.dirname, "..");
const tools = new Tools({ baseDir, secrets: { CRM_TOKEN: "crm-token-0f9e8d7c" }, env: { HOME: "/root", PATH: "/usr/bin" } });
const scratch = mkdtempSync(join(tmpdir(), "awr-sandbox-"));
afterAll(async () => {
  await tools.close();
  rmSync(scratch, { recursive: true, force: true });
});

const probe = (exp: string, over: Partial<ToolPlan> = {}) =>
  toolPlan({ impl: { kind: "js", module: "./fixtures/sandbox/probe.mjs", export: exp }, ...over });

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

describe("js tool sandbox", () => {
  it("runs the tool in another process", async () => {
    const pid = (await tools.call(request("pid", probe("pid", { returns: NUM })), never)) as number;
    expect(pid).not.toBe(process.pid);
  });

  it("stops a tool that loops forever at its timeout, and the next call works", async () => {
    const local = new Tools({ baseDir, js: { poolSize: 1 } });
    try {
      const logs: string[] = [];
      // a second of timeout: the tool's process starts cold (its own pool), even on a loaded machine
      const spin = { ...request("spin", probe("spinLoud", { timeout_ms: 1_000 })), log: (e: { text: string }) => logs.push(e.text) };
      const t0 = performance.now();
      const f = await failure(local.call(spin, never));
      const took = performance.now() - t0;
      expect(f).toMatchObject({ kind: "timeout", retryable: true, message: "tool spin timed out after 1000 ms" });
      expect(took).toBeLessThan(4_000);
      // the looping process (it printed its pid) was killed
      const looped = Number(logs[0]);
      expect(looped).toBeGreaterThan(0);
      expect(await gone(looped)).toBe(true);
      expect(local.sandboxProcesses()).toBe(0);
      // the VM is healthy: the next call gets a fresh process and answers
      const pid = (await local.call(request("pid", probe("pid")), never)) as number;
      expect(pid).not.toBe(looped);
      expect(alive(pid)).toBe(true);
      expect(local.sandboxProcesses()).toBe(1);
    } finally {
      await local.close();
    }
  });

  it("stops a looping tool when the caller cancels", async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    const f = await failure(tools.call(request("spin", probe("spin")), ctl.signal));
    expect(f.kind).toBe("cancelled");
    expect(await tools.call(request("pid", probe("pid")), never)).toEqual(expect.any(Number));
  });

  it("reads files in its module's directory and the declared paths only", async () => {
    const read = (allow?: ToolPlan["allow"]) => probe("read", { params: obj({ path: STR }), returns: STR, ...(allow ? { allow } : {}) });
    // its own directory
    expect(await tools.call(request("read", read(), { path: "./probe.mjs" }), never)).toMatch(/^\/\/ Js tool fixtures/);
    // outside: refused, with the permission and the path in the message
    const f = await failure(tools.call(request("read", read(), { path: "../outside/secret.txt" }), never));
    expect(f).toMatchObject({ kind: "tool", retryable: false });
    expect(f.message).toContain("refused by the tool's sandbox: FileSystemRead");
    expect(f.message).toContain(resolve(import.meta.dirname, "fixtures", "outside", "secret.txt"));
    expect(f.message).not.toContain("top secret");
    const etc = await failure(tools.call(request("read", read(), { path: "/etc/hostname" }), never));
    expect(etc.message).toContain("refused by the tool's sandbox");
    // a declared directory (relative to the declaring file) is readable; its sibling is not
    const allowed = read({ read: ["./fixtures/data"], write: [], env: [] });
    expect(await tools.call(request("read", allowed, { path: "../data/allowed.txt" }), never)).toBe("allowed data");
    expect((await failure(tools.call(request("read", allowed, { path: "../outside/secret.txt" }), never))).message).toContain("refused");
  });

  it("writes only where it declares", async () => {
    const write = (allow?: ToolPlan["allow"]) => probe("write", { params: obj({ path: STR, text: STR }), ...(allow ? { allow } : {}) });
    const target = join(scratch, "out.txt");
    const f = await failure(tools.call(request("write", write(), { path: target, text: "x" }), never));
    expect(f.message).toContain("refused by the tool's sandbox: FileSystemWrite");
    expect(await tools.call(request("write", write({ read: [], write: [scratch], env: [] }), { path: target, text: "ok" }), never)).toBe(true);
    expect(readFileSync(target, "utf8")).toBe("ok");
  });

  it("sees no environment but its declared secrets, which are redacted from its result", async () => {
    const env = (allow?: ToolPlan["allow"]) => probe("env", { params: obj({ name: STR }), ...(allow ? { allow } : {}) });
    expect(await tools.call(request("env", env(), { name: "HOME" }), never)).toEqual({ names: [], value: null });
    const declared = env({ read: [], write: [], env: ["CRM_TOKEN", "HOME", "NOT_SET"] });
    expect(await tools.call(request("env", declared, { name: "CRM_TOKEN" }), never)).toEqual({
      names: ["CRM_TOKEN", "HOME"],
      value: "[secret CRM_TOKEN]",
    });
  });

  it("cannot start programs", async () => {
    const f = await failure(tools.call(request("run", probe("run")), never));
    expect(f.kind).toBe("tool");
    expect(f.message).toContain("refused by the tool's sandbox: ChildProcess");
  });

  it("reports a process that dies mid-call, and recovers", async () => {
    const f = await failure(tools.call(request("crash", probe("crash")), never));
    expect(f).toMatchObject({ kind: "tool", retryable: false });
    expect(f.message).toMatch(/^tool crash: its process exited unexpectedly \(code 3\)/);
    expect(await tools.call(request("pid", probe("pid")), never)).toEqual(expect.any(Number));
  });

  it("runs concurrent calls in parallel processes of the pool, one call per process", async () => {
    const nap = probe("nap", { params: obj({ ms: NUM }) });
    const rs = (await Promise.all([1, 2, 3].map(() => tools.call(request("nap", nap, { ms: 300 }), never)))) as { pid: number; start: number; end: number }[];
    expect(new Set(rs.map((r) => r.pid)).size).toBe(3);
    // In parallel, not one after the other: every call started before any of them ended (a timing
    // bound on the whole would only measure how loaded the machine is).
    expect(Math.max(...rs.map((r) => r.start))).toBeLessThan(Math.min(...rs.map((r) => r.end)));
  });

  it("does not keep the VM's process alive once idle, and its processes go with it (built dist/)", () => {
    const dist = pathToFileURL(resolve(import.meta.dirname, "..", "..", "..", "dist", "vm", "tools", "index.js")).href;
    const script = `
      const { Tools } = await import(${JSON.stringify(dist)});
      const t = new Tools({ baseDir: ${JSON.stringify(baseDir)} });
      const plan = { params: {}, returns: {}, description: null, tags: [], timeout_ms: 5000, rate: null, idempotent: false,
        compensate: null, impl: { kind: "js", module: "./fixtures/sandbox/probe.mjs", export: "pid" }, loc: { file: "tools/main.awr", line: 1, column: 1 } };
      const pid = await t.call({ tool: "pid", plan, args: {}, idempotencyKey: "k" }, new AbortController().signal);
      process.stdout.write(String(pid));
    `; // no close(): the VM's process must still exit
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 10_000 });
    expect(r.status).toBe(0);
    const child = Number(r.stdout);
    expect(child).toBeGreaterThan(0);
    return gone(child).then((g) => expect(g).toBe(true));
  });
});
