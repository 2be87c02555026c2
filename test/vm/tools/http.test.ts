import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Tools } from "../../../vm/tools/index.js";
import { retryAfterMs } from "../../../vm/tools/http.js";
import { failure, never, NUM, obj, request, STR, toolPlan } from "./helpers.js";

let server: Server;
let base = "";
const seen: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[] = [];

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const type = typeof body === "string" ? "text/plain; charset=utf-8" : "application/json; charset=utf-8";
  res.writeHead(status, { "content-type": type, ...headers });
  res.end(text);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const url = new URL(req.url!, "http://x");
      const route = url.pathname;
      if (route === "/limited") return reply(res, 429, { error: "slow down" }, { "retry-after": "3" });
      if (route === "/broken") return reply(res, 500, "database on fire");
      if (route === "/missing") return reply(res, 404, { error: "no such thing" });
      if (route === "/forbidden") return reply(res, 403, { error: "no" });
      if (route === "/text") return reply(res, 200, "hello there");
      if (route === "/empty") {
        res.writeHead(204);
        return res.end();
      }
      if (route === "/badjson") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end("{nope");
      }
      if (route === "/hang") return; // never answers
      reply(res, 200, {
        method: req.method,
        path: route,
        query: Object.fromEntries([...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k).join(",")])),
        body: body ? JSON.parse(body) : null,
        idempotencyKey: req.headers["idempotency-key"] ?? null,
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const tools = new Tools({ baseDir: import.meta.dirname });
const http = (method: string, path: string) => ({ kind: "http" as const, method, url: base + path, headers: {} });

describe("http tools", () => {
  it("GET sends the arguments as the query string", async () => {
    const plan = toolPlan({ params: obj({ q: STR, limit: NUM, tags: { type: "array", items: STR } }), impl: http("GET", "/search") });
    const out = await tools.call(request("search", plan, { q: "a b&c", limit: "5", tags: ["x", "y"] }), never);
    expect(out).toEqual({ method: "GET", path: "/search", query: { q: "a b&c", limit: "5", tags: "x,y" }, body: null, idempotencyKey: null });
    expect(seen.at(-1)!.url).toBe("/search?q=a+b%26c&limit=5&tags=x&tags=y");
  });

  it("POST sends the arguments as a JSON body", async () => {
    const plan = toolPlan({ params: obj({ title: STR, n: NUM }), impl: http("POST", "/items") });
    const out = await tools.call(request("create", plan, { title: "Ticket", n: 2 }), never);
    expect(out).toMatchObject({ method: "POST", path: "/items", query: {}, body: { title: "Ticket", n: 2 } });
    expect(seen.at(-1)!.headers["content-type"]).toBe("application/json");
  });

  it("fills URL holes (encoded) and sends the rest", async () => {
    const plan = toolPlan({ params: obj({ id: STR, note: STR }), impl: http("PUT", "/users/{id}/notes") });
    const out = await tools.call(request("note", plan, { id: "a/b c", note: "hi" }), never);
    expect(out).toMatchObject({ method: "PUT", path: "/users/a%2Fb%20c/notes", body: { note: "hi" } });
    const get = toolPlan({ params: obj({ id: NUM }), impl: http("GET", "/users/{id}") });
    expect(await tools.call(request("user", get, { id: 42 }), never)).toMatchObject({ path: "/users/42", query: {} });
  });

  it("reads a \"METHOD url\" impl the way the language writes it", async () => {
    const plan = toolPlan({ params: obj({ id: STR }), impl: { kind: "http", method: "GET", url: `${base}/users/{id}`, headers: {} } });
    expect(await tools.call(request("user", plan, { id: "7" }), never)).toMatchObject({ method: "GET", path: "/users/7" });
  });

  it("sends the idempotency key of an idempotent tool", async () => {
    const plan = toolPlan({ params: obj({}), impl: http("POST", "/pay"), idempotent: true });
    expect(await tools.call(request("pay", plan, {}, "run-3/n1.s0"), never)).toMatchObject({ idempotencyKey: "run-3/n1.s0" });
  });

  it("returns text bodies as strings and an empty body as null", async () => {
    expect(await tools.call(request("t", toolPlan({ returns: STR, impl: http("GET", "/text") })), never)).toBe("hello there");
    expect(await tools.call(request("e", toolPlan({ impl: http("DELETE", "/empty") })), never)).toBeNull();
  });

  it("validates the response against returns", async () => {
    const f = await failure(tools.call(request("t", toolPlan({ returns: NUM, impl: http("GET", "/text") })), never));
    expect(f).toMatchObject({ kind: "schema", retryable: false });
    const g = await failure(tools.call(request("j", toolPlan({ impl: http("GET", "/badjson") })), never));
    expect(g).toMatchObject({ kind: "schema", retryable: false });
  });

  it("classifies 429 as rate_limit with Retry-After", async () => {
    const f = await failure(tools.call(request("lim", toolPlan({ impl: http("GET", "/limited") })), never));
    expect(f).toMatchObject({ kind: "rate_limit", retryable: true, retryAfterMs: 3000 });
    expect(f.message).toContain("429");
  });

  it("classifies 500 as a retryable transport failure", async () => {
    const f = await failure(tools.call(request("br", toolPlan({ impl: http("POST", "/broken") })), never));
    expect(f).toMatchObject({ kind: "transport", retryable: true });
    expect(f.message).toContain("500");
    expect(f.message).toContain("database on fire");
  });

  it("classifies 404 as a tool failure and 403 as auth, neither retryable", async () => {
    const f = await failure(tools.call(request("mi", toolPlan({ impl: http("GET", "/missing") })), never));
    expect(f).toMatchObject({ kind: "tool", retryable: false });
    expect(f.message).toContain("404");
    const g = await failure(tools.call(request("fo", toolPlan({ impl: http("GET", "/forbidden") })), never));
    expect(g).toMatchObject({ kind: "auth", retryable: false });
  });

  it("classifies a refused connection as transport", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const plan = toolPlan({ impl: { kind: "http", method: "GET", url: `http://127.0.0.1:${port}/x`, headers: {} } });
    expect(await failure(tools.call(request("down", plan), never))).toMatchObject({ kind: "transport", retryable: true });
  });

  it("times out a server that does not answer", async () => {
    const f = await failure(tools.call(request("hang", toolPlan({ impl: http("GET", "/hang"), timeout_ms: 100 })), never));
    expect(f).toMatchObject({ kind: "timeout", retryable: true });
  });

  it("reads Retry-After as seconds or a date", () => {
    expect(retryAfterMs("2")).toBe(2000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe("std.http builtins", () => {
  const response = obj({ status: { type: "integer" }, headers: { type: "object", additionalProperties: STR }, body: STR });
  const get = toolPlan({
    params: obj({ url: { type: "string", format: "uri" }, headers: { type: "object", additionalProperties: STR, default: {} } }, ["headers"]),
    returns: response,
    impl: { kind: "builtin", name: "std.http.get" },
    loc: { file: "std/http.awr", line: 1, column: 1 },
  });
  const post = toolPlan({
    params: obj(
      { url: { type: "string", format: "uri" }, body: STR, headers: { type: "object", additionalProperties: STR, default: {} } },
      ["headers"],
    ),
    returns: response,
    impl: { kind: "builtin", name: "std.http.post" },
    loc: { file: "std/http.awr", line: 1, column: 1 },
  });

  it("std.http.get returns status, headers and the text body, also for a 404", async () => {
    const ok = (await tools.call(request("http_get", get, { url: `${base}/text`, headers: { "x-test": "1" } }), never)) as Record<string, unknown>;
    expect(ok).toMatchObject({ status: 200, body: "hello there" });
    expect((ok.headers as Record<string, string>)["content-type"]).toContain("text/plain");
    expect(seen.at(-1)!.headers["x-test"]).toBe("1");
    const missing = await tools.call(request("http_get", get, { url: `${base}/missing` }), never);
    expect(missing).toMatchObject({ status: 404, body: JSON.stringify({ error: "no such thing" }) });
  });

  it("std.http.post sends the body as given", async () => {
    const out = (await tools.call(request("http_post", post, { url: `${base}/items`, body: '{"a":1}' }), never)) as { status: number; body: string };
    expect(out.status).toBe(200);
    expect(JSON.parse(out.body)).toMatchObject({ method: "POST", body: { a: 1 } });
    expect(seen.at(-1)!.headers["content-type"]).toBe("application/json");
  });
});
