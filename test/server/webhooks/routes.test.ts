// GET /v1/webhooks/deliveries over a real socket: a caller sees its own tenant's deliveries only,
// filtered by run and status, a page at a time.
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyStore, authenticator, httpErrorOf, registerAuth } from "../../../server/auth/index.js";
import { openServerDb, type ServerDb } from "../../../server/db.js";
import { DeliveryLog, webhookRoutes, type Delivery } from "../../../server/webhooks/index.js";
import type { WebhookDispatchPayload } from "../../../vm/webhooks.js";

let dir = "";
let db: ServerDb;
let app: FastifyInstance;
let url = "";
let keyA = "";
let keyB = "";

const payload = (id: string, tenant: string, type: WebhookDispatchPayload["type"] = "run.completed"): WebhookDispatchPayload => ({ id, url: "https://hooks.example.test/x", tenant, type, timestamp: new Date(0).toISOString(), data: { runId: "r" } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-hook-routes-"));
  db = await openServerDb("runs.db", { cwd: dir });
  const keys = await KeyStore.open(db);
  const log = await DeliveryLog.open(db);
  keyA = (await keys.create({ tenant: "acme", roles: [] })).key;
  keyB = (await keys.create({ tenant: "bolt", roles: [] })).key;
  await log.record("run-1", payload("msg_a1", "acme"), 1000);
  await log.record("run-1", payload("msg_a2", "acme", "run.suspended"), 2000);
  await log.record("run-2", payload("msg_a3", "acme"), 3000);
  await log.record("run-9", payload("msg_b1", "bolt"), 1500);
  const [due] = await log.claimDue(10_000, 10, 1000).then((ds) => ds.filter((d) => d.id === "msg_a1"));
  await log.attempted(due!, { at: 10_000, durationMs: 3, status: 200 }, { status: "delivered" });
  app = Fastify();
  await registerAuth(app, { authenticate: authenticator({ keys }), rateLimit: false });
  app.setErrorHandler((e: Error & { validation?: unknown; statusCode?: number }, _req, reply) => {
    const h = httpErrorOf(e);
    if (h) return reply.code(h.status).headers(h.headers).send(h.body);
    if (e.validation) return reply.code(422).send({ error: { code: "invalid", message: e.message } });
    return reply.code(e.statusCode ?? 500).send({ error: { code: "internal", message: e.message } });
  });
  await app.register(webhookRoutes, { deliveries: log });
  await app.listen({ port: 0, host: "127.0.0.1" });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const list = async (q: string, key = keyA) => {
  const r = await fetch(`${url}/v1/webhooks/deliveries${q}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: r.status, body: (await r.json()) as { items: Delivery[]; nextCursor: string | null } & { error?: { code: string } } };
};

describe("GET /v1/webhooks/deliveries", () => {
  it("lists the caller's tenant's deliveries newest first, never another tenant's", async () => {
    const a = await list("");
    expect(a.status).toBe(200);
    expect(a.body.items.map((d) => d.id)).toEqual(["msg_a3", "msg_a2", "msg_a1"]);
    expect(a.body.nextCursor).toBeNull();
    expect(a.body.items[2]).toEqual({ id: "msg_a1", runId: "run-1", type: "run.completed", url: "https://hooks.example.test/x", status: "delivered", attempts: [{ at: 10_000, durationMs: 3, status: 200 }], createdAt: 1000, updatedAt: 10_003 });
    expect(a.body.items[0]).toMatchObject({ status: "pending", attempts: [], nextAttemptAt: 3000 });
    expect((await list("", keyB)).body.items.map((d) => d.id)).toEqual(["msg_b1"]);
  });

  it("filters by run and status", async () => {
    expect((await list("?run=run-1")).body.items.map((d) => d.id)).toEqual(["msg_a2", "msg_a1"]);
    expect((await list("?status=delivered")).body.items.map((d) => d.id)).toEqual(["msg_a1"]);
    expect((await list("?run=run-9")).body.items).toEqual([]);
  });

  it("pages with a cursor", async () => {
    const seen: string[] = [];
    let q = "?limit=2";
    for (let i = 0; i < 5; i++) {
      const { body } = await list(q);
      seen.push(...body.items.map((d) => d.id));
      if (!body.nextCursor) break;
      q = `?limit=2&cursor=${body.nextCursor}`;
    }
    expect(seen).toEqual(["msg_a3", "msg_a2", "msg_a1"]);
  });

  it("one delivery by id: 404 for another tenant's; 401 without a key; validated query", async () => {
    const own = await fetch(`${url}/v1/webhooks/deliveries/msg_a1`, { headers: { authorization: `Bearer ${keyA}` } });
    expect(own.status).toBe(200);
    const other = await fetch(`${url}/v1/webhooks/deliveries/msg_b1`, { headers: { authorization: `Bearer ${keyA}` } });
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ error: { code: "not_found", message: "no webhook delivery msg_b1" } });
    expect((await fetch(`${url}/v1/webhooks/deliveries`)).status).toBe(401);
    expect((await list("?status=lost")).status).toBe(422);
    expect((await list("?limit=0")).status).toBe(422);
    const bad = await list("?cursor=bm9wZQ");
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe("bad_request");
  });
});
