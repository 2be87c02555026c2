// `awr serve` on the command line: what it refuses before listening (exit 2, one line, no stack).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { awr } from "../helpers/awr-cli.js";
import { serve } from "../../server/index.js";
import { call, FIXTURES } from "./harness.js";

const dir = mkdtempSync(join(tmpdir(), "awr-serve-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("awr serve (command line)", () => {
  it("refuses --insecure-no-auth on an address that is not loopback", async () => {
    const r = await awr(["serve", FIXTURES, "--host", "0.0.0.0", "--port", "0", "--insecure-no-auth", "--store", "memory:"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--insecure-no-auth serves only a loopback address .* not 0\.0\.0\.0/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("without --insecure-no-auth, asks for an API key of the store (awr keys create): 401 without one, the key's tenant with it", async () => {
    const store = join(dir, "auth.db");
    // The server first: `awr keys create` on a file that is not yet a run store leaves one the run store refuses.
    const s = await serve({ dir: FIXTURES, port: 0, host: "127.0.0.1", store, cwd: dir, env: {} });
    try {
      const created = await awr(["keys", "create", "--tenant", "acme", "--role", "operator", "--store", store, "--json"]);
      expect(created.code).toBe(0);
      const { key } = JSON.parse(created.stdout) as { key: string };
      expect(await call(s.url, "GET", "/v1/runs")).toMatchObject({ status: 401, body: { error: { code: "unauthorized" } } });
      expect(await call(s.url, "GET", "/v1/runs", undefined, { authorization: "Bearer awr_nope" })).toMatchObject({ status: 401 });
      const run = await call(s.url, "POST", "/v1/runs", { deployment: "quick", input: { n: 1 } }, { authorization: `Bearer ${key}` });
      expect(run.status).toBe(201);
      expect((await call(s.url, "GET", `/v1/runs/${run.body.runId}?wait=10s`, undefined, { authorization: `Bearer ${key}` })).body).toMatchObject({ status: "completed", output: 2 });
      expect((await call(s.url, "GET", "/v1/health")).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it("refuses programs with errors, naming them", async () => {
    writeFileSync(join(dir, "broken.awr"), "graph broken(x: int) -> int {\n  node a { set y = x }\n  edge start -> a\n}\n");
    const r = await awr(["serve", dir, "--port", "0", "--store", "memory:", "--insecure-no-auth"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.awr:\d+:\d+: AWR\d+/);
  });

  it("refuses a bad port and more than one DIR; --help describes it", async () => {
    expect((await awr(["serve", "--port", "http"])).stderr).toMatch(/--port must be a port number/);
    expect((await awr(["serve", "a", "b"])).code).toBe(2);
    const help = await awr(["serve", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: awr serve \[DIR\] \[--port 8080\] \[--host 127\.0\.0\.1\]/);
  });
});
