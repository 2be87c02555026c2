// `impl: mcp(server, "tool")`: tools of Model Context Protocol servers, called through the official
// TypeScript SDK (`@modelcontextprotocol/sdk`). Servers are named in a config: the `mcpServers`
// option of the tool provider, else `mcp.json` in the program's directory (`baseDir`):
//
//   { "servers": { "files": { "command": ["node", "./mcp/files.mjs"], "env": { "ROOT": "./data" }, "cwd": "." },
//                  "github": { "url": "https://mcp.example.com/mcp", "headers": { "authorization": "Bearer {env:GH_TOKEN}" } } } }
//
// `command` servers are started as child processes (stdio transport; relative paths in the command
// and `cwd` are relative to the config's directory); `url` servers are reached over streamable
// HTTP. `{env:NAME}` holes in `env` and `headers` values are secrets, resolved from the provider's
// secrets/environment when the server is first connected. One connection per server, opened on the
// first call and reused; `close()` closes them all (stdio servers are stopped). A tool is named
// `server.tool` next to its declared name: in the failures raised here, and (from the plan, by the
// interpreter) in the events and audit records of its calls.
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { Json } from "../types.js";
import { errorMessage, fail, isVmFailure } from "./failures.js";

export interface McpStdioServer {
  /** The program and its arguments, e.g. ["node", "./server.mjs"]. */
  command: string[];
  /** Extra environment of the server process (values may hold `{env:NAME}` secret holes). */
  env?: Record<string, string>;
  cwd?: string;
}

export interface McpHttpServer {
  /** The streamable-HTTP endpoint. */
  url: string;
  /** Request headers (values may hold `{env:NAME}` secret holes). */
  headers?: Record<string, string>;
}

export type McpServerConfig = McpStdioServer | McpHttpServer;

export interface McpConfig {
  servers: Record<string, McpServerConfig>;
  /** The directory relative paths are resolved against. */
  dir: string;
}

/** Reads `mcp.json` in `dir`; undefined when there is none. Malformed → a `tool` failure. */
export function readMcpConfig(dir: string): McpConfig | undefined {
  const file = join(dir, "mcp.json");
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw fail("tool", `cannot read the MCP server config ${file}: ${errorMessage(e)}`, false);
  }
  const servers = (raw as { servers?: unknown })?.servers;
  if (typeof servers !== "object" || servers === null || Array.isArray(servers)) {
    throw fail("tool", `the MCP server config ${file} must be { "servers": { "<name>": { "command": [...] } | { "url": "..." } } }`, false);
  }
  return { servers: servers as Record<string, McpServerConfig>, dir };
}

/** The minimal slice of the SDK client this module uses. */
interface SdkClient {
  connect(transport: unknown): Promise<void>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }, resultSchema?: unknown, options?: { signal?: AbortSignal; timeout?: number }): Promise<unknown>;
  close(): Promise<void>;
}

interface ToolResult {
  content?: { type: string; text?: string }[];
  structuredContent?: Json;
  isError?: boolean;
  toolResult?: Json;
}

/** Resolves `{env:NAME}` holes; reports every secret it used so the caller can redact it. */
export type SecretResolver = (text: string, what: string) => string;

export class McpClients {
  private readonly clients = new Map<string, Promise<SdkClient>>();
  private config: McpConfig | undefined | null = null;

  constructor(
    private readonly opts: { servers?: Record<string, McpServerConfig>; baseDir: string; resolveSecrets: SecretResolver },
  ) {}

  private configFor(server: string, tool: string): McpServerConfig {
    if (this.config === null) {
      this.config = this.opts.servers ? { servers: this.opts.servers, dir: this.opts.baseDir } : readMcpConfig(this.opts.baseDir);
    }
    const c = this.config && Object.hasOwn(this.config.servers, server) ? this.config.servers[server] : undefined;
    if (!c) {
      const known = this.config ? Object.keys(this.config.servers) : [];
      throw fail(
        "tool",
        `tool ${tool}: MCP server "${server}" is not configured` +
          (known.length ? ` (configured: ${known.join(", ")})` : ` (add it to ${join(this.opts.baseDir, "mcp.json")} or the mcpServers option)`),
        false,
      );
    }
    return c;
  }

  private client(server: string, tool: string): Promise<SdkClient> {
    let p = this.clients.get(server);
    if (!p) {
      p = this.connect(server, this.configFor(server, tool), tool);
      this.clients.set(server, p);
      p.catch(() => this.clients.delete(server));
    }
    return p;
  }

  private async connect(server: string, c: McpServerConfig, tool: string): Promise<SdkClient> {
    const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
    const client = new Client({ name: "awr", version: "1" }) as unknown as SdkClient;
    const dir = this.config?.dir ?? this.opts.baseDir;
    let transport: unknown;
    if ("command" in c && Array.isArray(c.command) && c.command.length > 0) {
      const { StdioClientTransport, getDefaultEnvironment } = await import("@modelcontextprotocol/sdk/client/stdio.js");
      const env: Record<string, string> = { ...getDefaultEnvironment() };
      for (const [k, v] of Object.entries(c.env ?? {})) env[k] = this.opts.resolveSecrets(String(v), `MCP server ${server}`);
      const [cmd, ...args] = c.command;
      transport = new StdioClientTransport({
        command: cmd === "node" ? process.execPath : cmd!,
        args: args.map((a) => (a.startsWith("./") || a.startsWith("../") ? resolve(dir, a) : a)),
        env,
        cwd: c.cwd ? (isAbsolute(c.cwd) ? c.cwd : resolve(dir, c.cwd)) : dir,
        stderr: "inherit",
      });
    } else if ("url" in c && typeof c.url === "string") {
      const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(c.headers ?? {})) headers[k] = this.opts.resolveSecrets(String(v), `MCP server ${server}`);
      transport = new StreamableHTTPClientTransport(new URL(c.url), { requestInit: { headers } });
    } else {
      throw fail("tool", `tool ${tool}: MCP server "${server}" needs "command": [...] or "url": "..."`, false);
    }
    try {
      await client.connect(transport);
    } catch (e) {
      throw fail("transport", `tool ${tool}: cannot connect to MCP server "${server}": ${errorMessage(e)}`, true);
    }
    return client;
  }

  /**
   * Calls `server.tool`. The result is the tool's `structuredContent` when it has one; else its text
   * content (joined), parsed as JSON when `wantsText` is false and it parses. `isError` results
   * fail with kind `tool`.
   */
  async call(server: string, name: string, args: Record<string, Json>, tool: string, signal: AbortSignal, wantsText: boolean): Promise<Json> {
    const client = await this.client(server, tool);
    let r: ToolResult;
    try {
      // The provider's deadline bounds the call; the SDK's own 60 s default is lifted.
      r = (await client.callTool({ name, arguments: args }, undefined, { signal, timeout: 2_147_483_647 })) as ToolResult;
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      if (isVmFailure(e)) throw e;
      const code = (e as { code?: unknown }).code;
      // JSON-RPC errors from the server (unknown tool, invalid params) are the call's fault; others are the link's.
      if (typeof code === "number" && code < 0 && code > -33000) {
        throw fail("tool", `tool ${tool} (mcp ${server}.${name}) failed: ${errorMessage(e)}`, false);
      }
      throw fail("transport", `tool ${tool} (mcp ${server}.${name}): ${errorMessage(e)}`, true);
    }
    const text = (r.content ?? [])
      .filter((c) => c.type === "text" && typeof c.text === "string")
      .map((c) => c.text)
      .join("\n");
    if (r.isError) throw fail("tool", `tool ${tool} (mcp ${server}.${name}) failed: ${text || "the server reported an error"}`, false);
    if (r.structuredContent !== undefined) return r.structuredContent;
    if (r.toolResult !== undefined) return r.toolResult;
    if (!wantsText) {
      try {
        return JSON.parse(text) as Json;
      } catch {
        // not JSON: the text is the result (and the result check reports a mismatch)
      }
    }
    return text;
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }
}
