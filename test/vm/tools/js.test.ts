import { afterAll, describe, expect, it } from "vitest";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Tools } from "../../../vm/tools/index.js";
import { failure, never, NUM, obj, request, STR, toolPlan } from "./helpers.js";

// File ids are relative to test/vm; the tools are "declared" in test/vm/tools/main.awr, so their
// modules (`./fixtures/…`) resolve against test/vm/tools.
const baseDir = resolve(import.meta.dirname, "..");
const tools = new Tools({ baseDir });
// The same tools run in this process (trusted code, no sandbox): the module state is visible here.
const inline = new Tools({ baseDir, js: { isolation: "inline" } });
afterAll(async () => {
  await tools.close();
  await inline.close();
});

const js = (exp: string, module = "./fixtures/math.mjs") => ({ kind: "js" as const, module, export: exp });
const add = toolPlan({ params: obj({ a: NUM, b: NUM }), returns: NUM, impl: js("add") });

describe("js tools", () => {
  it("calls the export with validated args", async () => {
    expect(await tools.call(request("add", add, { a: 2, b: 3 }), never)).toBe(5);
  });

  it("coerces arguments before validating them", async () => {
    expect(await tools.call(request("add", add, { a: "3", b: 4 }), never)).toBe(7);
  });

  it("rejects invalid arguments with a schema failure naming them, not retryable", async () => {
    const f = await failure(tools.call(request("add", add, { a: "three" }), never));
    expect(f.kind).toBe("schema");
    expect(f.retryable).toBe(false);
    expect(f.message).toMatch(/^tool add: invalid arguments: /);
    expect(f.message).toMatch(/\bb\b/); // the missing one is named
  });

  it("rejects an invalid result as a schema failure", async () => {
    const f = await failure(tools.call(request("wrong", toolPlan({ returns: NUM, impl: js("wrong") })), never));
    expect(f).toMatchObject({ kind: "schema", retryable: false });
    expect(f.message).toMatch(/^tool wrong returned an invalid result: /);
  });

  it("turns a void result into null and rejects a value that is not JSON", async () => {
    expect(await tools.call(request("nothing", toolPlan({ impl: js("nothing") })), never)).toBeNull();
    const f = await failure(tools.call(request("circular", toolPlan({ impl: js("circular") })), never));
    expect(f).toMatchObject({ kind: "schema", retryable: false });
  });

  it("passes the idempotency key and a signal as the second argument", async () => {
    const plan = toolPlan({ params: obj({ x: STR }), impl: js("echo") });
    expect(await tools.call(request("echo", plan, { x: "y" }, "run-7/n2.s1"), never)).toEqual({
      args: { x: "y" },
      key: "run-7/n2.s1",
      signal: true,
    });
  });

  it("uses the default export when the plan says so", async () => {
    const plan = toolPlan({ params: obj({ name: STR }), returns: STR, impl: js("default") });
    expect(await tools.call(request("hello", plan, { name: "ada" }), never)).toBe("hello ada");
  });

  it("resolves the module relative to the declaring file", async () => {
    const plan = { ...add, loc: { file: "main.awr", line: 1, column: 1 }, impl: js("add", "./tools/fixtures/math.mjs") };
    expect(await tools.call(request("add", plan, { a: 1, b: 1 }), never)).toBe(2);
  });

  it("names the path of a missing module", async () => {
    const f = await failure(tools.call(request("gone", toolPlan({ impl: js("f", "./fixtures/nope.mjs") })), never));
    expect(f).toMatchObject({ kind: "tool", retryable: false });
    expect(f.message).toContain('module "./fixtures/nope.mjs" not found');
    expect(f.message).toContain(resolve(baseDir, "tools", "fixtures", "nope.mjs"));
  });

  it("names the module and export of a missing export", async () => {
    const f = await failure(tools.call(request("ghost", toolPlan({ impl: js("ghost") })), never));
    expect(f).toMatchObject({ kind: "tool", retryable: false });
    expect(f.message).toContain('module "./fixtures/math.mjs"');
    expect(f.message).toContain('has no export "ghost"');
    const g = await failure(tools.call(request("num", toolPlan({ impl: js("notAFunction") })), never));
    expect(g.message).toContain('exports a non-function as "notAFunction"');
  });

  it("reports a module that does not load", async () => {
    const f = await failure(tools.call(request("broken", toolPlan({ impl: js("f", "./fixtures/broken.mjs") })), never));
    expect(f).toMatchObject({ kind: "tool", retryable: false });
    expect(f.message).toContain('cannot load module "./fixtures/broken.mjs"');
  });

  it("reports a thrown error as a tool failure, retryable only when the error says so", async () => {
    const f = await failure(tools.call(request("boom", toolPlan({ impl: js("boom") })), never));
    expect(f).toMatchObject({ kind: "tool", retryable: false, message: "tool boom failed: kaboom" });
    const g = await failure(tools.call(request("flaky", toolPlan({ impl: js("flaky") })), never));
    expect(g).toMatchObject({ kind: "tool", retryable: true, message: "tool flaky failed: upstream busy" });
  });

  it("times out a tool that awaits too long, even one that ignores its signal", async () => {
    const t0 = performance.now();
    const f = await failure(tools.call(request("stuck", toolPlan({ impl: js("stuck"), timeout_ms: 50 })), never));
    expect(f).toMatchObject({ kind: "timeout", retryable: true, message: "tool stuck timed out after 50 ms" });
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it("aborts the tool's signal on timeout (inline isolation)", async () => {
    const mod = (await import(pathToFileURL(resolve(import.meta.dirname, "fixtures", "math.mjs")).href)) as { aborted: { count: number } };
    const before = mod.aborted.count;
    const f = await failure(inline.call(request("patient", toolPlan({ impl: js("patient"), timeout_ms: 30 })), never));
    expect(f.kind).toBe("timeout");
    expect(mod.aborted.count).toBe(before + 1);
  });

  it("reports cancellation when the caller aborts", async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 30);
    const f = await failure(tools.call(request("stuck", toolPlan({ impl: js("stuck") })), ctl.signal));
    expect(f).toMatchObject({ kind: "cancelled", retryable: false });
    const pre = new AbortController();
    pre.abort();
    expect((await failure(tools.call(request("add", add, { a: 1, b: 2 }), pre.signal))).kind).toBe("cancelled");
  });
});

describe("other impls", () => {
  it("returns the current time from std.time.now as an ISO string", async () => {
    const plan = toolPlan({ returns: STR, impl: { kind: "builtin", name: "std.time.now" }, loc: { file: "std/time.awr", line: 1, column: 1 } });
    const before = Date.now();
    const v = await tools.call(request("time_now", plan), never);
    expect(typeof v).toBe("string");
    expect(v).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const at = Date.parse(v as string);
    expect(at).toBeGreaterThanOrEqual(before - 1);
    expect(at).toBeLessThanOrEqual(Date.now() + 1);
  });

  it("uses an injected clock", async () => {
    const fixed = new Tools({ baseDir, now: () => new Date(Date.UTC(2025, 0, 31, 9, 30)) });
    const plan = toolPlan({ returns: STR, impl: { kind: "builtin", name: "std.time.now" } });
    expect(await fixed.call(request("time_now", plan), never)).toBe("2025-01-31T09:30:00.000Z");
  });

  it("rejects an unknown builtin", async () => {
    const f = await failure(tools.call(request("x", toolPlan({ impl: { kind: "builtin", name: "std.nope" } })), never));
    expect(f).toMatchObject({ kind: "tool", retryable: false });
    expect(f.message).toContain('unknown builtin "std.nope"');
  });

  it("names an MCP server that is not configured", async () => {
    const f = await failure(tools.call(request("gh", toolPlan({ impl: { kind: "mcp", server: "github", tool: "create_issue" } })), never));
    expect(f).toMatchObject({ kind: "tool", retryable: false });
    expect(f.message).toContain('MCP server "github" is not configured');
    expect(f.message).toContain(resolve(baseDir, "mcp.json"));
  });

  it("fails a tool without impl", async () => {
    const f = await failure(tools.call(request("bare", toolPlan({})), never));
    expect(f).toMatchObject({ kind: "tool", retryable: false });
  });
});

describe("rate limits", () => {
  it("makes 5 calls at 2 per 100 ms take at least ~200 ms", async () => {
    const limited = new Tools({ baseDir });
    const plan = { ...add, rate: { count: 2, per_ms: 100 } };
    const t0 = performance.now();
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => limited.call(request("add", plan, { a: i, b: 0 }), never)));
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(180);
  });

  it("keeps buckets per tool and per provider", async () => {
    const limited = new Tools({ baseDir });
    const plan = { ...add, rate: { count: 1, per_ms: 10_000 } };
    await limited.call(request("add", plan, { a: 1, b: 1 }), never);
    // another tool name and another provider each have their own bucket: no wait
    const t0 = performance.now();
    await limited.call(request("add2", plan, { a: 1, b: 1 }), never);
    await new Tools({ baseDir }).call(request("add", plan, { a: 1, b: 1 }), never);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it("cancels a call waiting for a token", async () => {
    const limited = new Tools({ baseDir });
    const plan = { ...add, rate: { count: 1, per_ms: 60_000 } };
    await limited.call(request("add", plan, { a: 1, b: 1 }), never);
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 30);
    const f = await failure(limited.call(request("add", plan, { a: 1, b: 1 }), ctl.signal));
    expect(f).toMatchObject({ kind: "cancelled", retryable: false });
  });
});
