// API keys and webhook deliveries on PostgreSQL (server/auth/keys.ts, server/webhooks/): the server
// tables in the store's schema, a run's webhook event taken from the PostgreSQL outbox and delivered
// signed, and two deliverers ("processes") on one schema never both sending one delivery.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../host/stores.js";
import { KeyStore } from "../../server/auth/keys.js";
import { openServerDb, type ServerDb } from "../../server/db.js";
import { DeliveryLog, WebhookDeliverer, newWebhookSecret } from "../../server/webhooks/index.js";
import { createRuntime } from "../../vm/runtime.js";
import type { RunStore } from "../../vm/types.js";
import { noModels, noTools, planOf } from "../vm/helpers.js";
import { PG_URL, dropSchema, freshSchema } from "./helpers.js";

const SECRET = newWebhookSecret();
let schema = "";
let spec = "";
let db: ServerDb;
let db2: ServerDb;
let store: RunStore;
let receiver: Server;
let url = "";
const got: { id: string; ok: boolean }[] = [];

beforeAll(async () => {
  schema = freshSchema();
  const u = new URL(PG_URL);
  u.searchParams.set("schema", schema);
  spec = u.toString();
  db = await openServerDb(spec, { cwd: "." });
  db2 = await openServerDb(spec, { cwd: "." });
  store = await openStore(spec, { cwd: "." });
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      let ok = true;
      try {
        new Webhook(SECRET).verify(body, req.headers as Record<string, string>);
      } catch {
        ok = false;
      }
      got.push({ id: String(req.headers["webhook-id"]), ok });
      res.writeHead(ok ? 200 : 400).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await new Promise((r) => receiver?.close(r));
  await store?.close();
  await db?.close();
  await db2?.close();
  await dropSchema(schema);
});

describe("server tables on PostgreSQL", () => {
  it("keys: create, verify, list, revoke", async () => {
    const ks = await KeyStore.open(db);
    const made = await ks.create({ tenant: "acme", roles: ["operator"] });
    expect(await (await KeyStore.open(db2)).verify(made.key)).toMatchObject({ id: made.id, tenant: "acme", roles: ["operator"] });
    expect((await ks.list({ tenant: "acme" })).map((k) => k.id)).toEqual([made.id]);
    expect(await ks.revoke(made.id)).toBe(true);
    expect(await ks.verify(made.key)).toBeUndefined();
  });

  it("webhooks: the event goes from the PostgreSQL outbox to the receiver once, signed, with two deliverers polling", async () => {
    const rt = createRuntime({ plan: planOf(`graph g(x: int) -> int {\n  state { y: int = 0 }\n  node n { set y = x + 1 }\n  edge start -> n\n  edge n -> end\n  return y\n}\n`), store, models: noModels, tools: noTools });
    for (let i = 0; i < 5; i++) await rt.start("g", { x: i }, { webhook: { url }, meta: { tenant: "acme" } });
    const a = new WebhookDeliverer({ store, deliveries: await DeliveryLog.open(db), secret: SECRET });
    const b = new WebhookDeliverer({ store, deliveries: await DeliveryLog.open(db2), secret: SECRET });
    await Promise.all([a.pump(), b.pump(), a.pump(), b.pump()]);
    await Promise.all([a.pump(), b.pump()]);
    expect(got).toHaveLength(5);
    expect(got.every((g) => g.ok)).toBe(true);
    expect(new Set(got.map((g) => g.id)).size).toBe(5);
    const listed = await (await DeliveryLog.open(db)).list({ tenant: "acme", status: "delivered" });
    expect(listed.items).toHaveLength(5);
  });
});
