// `mcp(server, "tool")` tools through the official SDK, against a stdio MCP server (a fixture built
// on the SDK's McpServer) that the provider starts as a child process.
import { afterAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Tools } from "../../../vm/tools/index.js";
import { failure, never, NUM, obj, request, STR, toolPlan, alive } from "./helpers.js";

const baseDir = import.meta.dirname;
const server = { command: ["node", "./fixtures/mcp-server.mjs"], env: { MCP_SECRET: "{env:MCP_KEY}" } };
const tools = new Tools({ baseDir, mcpServers: { calc: server }, secrets: { MCP_KEY: "mcp-key-5a4b3c2d" } });
const scratch = mkdtempSync(join(tmpdir(), "awr-mcp-"));
afterAll(async () => {
  await tools.close();
  rmSync(scratch, { recursive: true, force: true });
});

const mcp = (tool: string, over = {}) => toolPlan({ impl: { kind: "mcp", server: "calc", tool }, loc: { file: "main.awr", line: 1, column: 1 }, ...over });

describe("mcp tools (stdio)", () => {
  it("calls a tool of a stdio server and returns its structured content", async () => {
    const add = mcp("add", { params: obj({ a: NUM, b: NUM }), returns: obj({ sum: NUM }) });
    expect(await tools.call(request("add", add, { a: 2, b: "3" }), never)).toEqual({ sum: 5 });
  });

  it("returns text content as text, or parsed when the tool returns structured data", async () => {
    expect(await tools.call(request("shout", mcp("shout", { params: obj({ text: STR }), returns: STR }), { text: "hi" }), never)).toBe("HI");
    const who = (await tools.call(request("whoami", mcp("whoami", { returns: obj({ pid: NUM }) })), never)) as { pid: number };
    expect(who.pid).toEqual(expect.any(Number));
  });

  it("reuses one connection per server and stops the server on close", async () => {
    const local = new Tools({ baseDir, mcpServers: { calc: server }, secrets: { MCP_KEY: "x-key-1234" } });
    const who = mcp("whoami", { returns: obj({ pid: NUM }) });
    const a = (await local.call(request("whoami", who), never)) as { pid: number };
    const b = (await local.call(request("whoami", who), never)) as { pid: number };
    expect(b.pid).toBe(a.pid);
    expect(alive(a.pid)).toBe(true);
    await local.close();
    for (let i = 0; i < 100 && alive(a.pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(a.pid)).toBe(false);
  });

  it("names the server and the tool (server.tool) in failures", async () => {
    const f = await failure(tools.call(request("broken_tool", mcp("broken")), never));
    expect(f).toMatchObject({ kind: "tool", retryable: false });
    expect(f.message).toBe("tool broken_tool (mcp calc.broken) failed: disk on fire");
    const g = await failure(tools.call(request("ghost", mcp("nope")), never));
    expect(g.kind).toBe("tool");
    expect(g.message).toContain("(mcp calc.nope)");
  });

  it("validates the result against the declared type", async () => {
    const f = await failure(tools.call(request("shout", mcp("shout", { params: obj({ text: STR }), returns: NUM }), { text: "hi" }), never));
    expect(f).toMatchObject({ kind: "schema" });
    expect(f.message).toMatch(/^tool shout returned an invalid result/);
  });

  it("passes secrets to the server's environment and redacts them from results", async () => {
    expect(await tools.call(request("secret", mcp("secret", { returns: STR })), never)).toBe("the key is [secret MCP_KEY]");
  });

  it("reads servers from mcp.json beside the program", async () => {
    writeFileSync(
      join(scratch, "mcp.json"),
      JSON.stringify({ servers: { calc: { command: ["node", resolve(baseDir, "fixtures", "mcp-server.mjs")] } } }),
    );
    const fromFile = new Tools({ baseDir: scratch });
    try {
      const add = mcp("add", { params: obj({ a: NUM, b: NUM }), returns: obj({ sum: NUM }) });
      expect(await fromFile.call(request("add", add, { a: 40, b: 2 }), never)).toEqual({ sum: 42 });
      const f = await failure(fromFile.call(request("x", toolPlan({ impl: { kind: "mcp", server: "github", tool: "x" } })), never));
      expect(f.message).toContain('MCP server "github" is not configured (configured: calc)');
    } finally {
      await fromFile.close();
    }
  });
});

describe("mcp tools (streamable HTTP)", () => {
  it("calls a tool of an HTTP server, sending secret headers", async () => {
    const mcpServer = new McpServer({ name: "remote", version: "1.0.0" });
    const auths = new Set<string | undefined>();
    mcpServer.registerTool("greet", { inputSchema: { name: z.string() } }, async ({ name }) => ({
      content: [{ type: "text", text: `hello ${name}` }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });
    await mcpServer.connect(transport);
    const http = createServer((req, res) => {
      auths.add(req.headers.authorization);
      void transport.handleRequest(req, res);
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
    const remote = new Tools({
      baseDir,
      mcpServers: { remote: { url, headers: { authorization: "Bearer {env:REMOTE_TOKEN}" } } },
      secrets: { REMOTE_TOKEN: "remote-token-77aa" },
    });
    try {
      const greet = toolPlan({ params: obj({ name: STR }), returns: STR, impl: { kind: "mcp", server: "remote", tool: "greet" } });
      expect(await remote.call(request("greet", greet, { name: "ada" }), never)).toBe("hello ada");
      expect(await remote.call(request("greet", greet, { name: "bob" }), never)).toBe("hello bob");
      expect([...auths]).toEqual(["Bearer remote-token-77aa"]);
    } finally {
      await remote.close();
      await mcpServer.close();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    }
  });
});
