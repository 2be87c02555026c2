// Webhooks out through `awr serve` (DESIGN §8): a start request's `webhook` gets the run's lifecycle
// events, signed per Standard Webhooks (checked with the `standardwebhooks` package, as a receiver
// would), listed in GET /v1/webhooks/deliveries; a server without a signing secret refuses a
// `webhook` before anything is stored.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newWebhookSecret } from "../../server/webhooks/index.js";
import { startServer, type TestServer } from "./harness.js";

const SECRET = newWebhookSecret();
let receiver: Server;
let receiverUrl: string;
const received: { type: string; data: { runId: string; status: string; pending?: unknown[] } }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      try {
        received.push(new Webhook(SECRET).verify(body, req.headers as Record<string, string>) as (typeof received)[number]);
        res.writeHead(204).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((r) => receiver.close(() => r())));

const until = async (ok: () => boolean, ms = 15_000) => {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("awr serve: webhooks out", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ webhookSecret: SECRET });
  });
  afterAll(() => s?.close());

  it("a waiting run sends run.suspended with its pending action, then run.completed after the answer; both signed and listed", async () => {
    const { runId } = (await s.call("POST", "/v1/runs", { deployment: "greet", input: { name: "x" }, webhook: { url: receiverUrl } })).body;
    await until(() => received.some((e) => e.data.runId === runId && e.type === "run.suspended"));
    const suspended = received.find((e) => e.data.runId === runId && e.type === "run.suspended")!;
    expect(suspended.data).toMatchObject({ status: "suspended", pending: [{ kind: "human", reason: "Say hello" }] });
    expect((await s.call("POST", `/v1/runs/${runId}/resume`, { value: "hello" })).status).toBe(200);
    await until(() => received.some((e) => e.data.runId === runId && e.type === "run.completed"));
    expect(received.filter((e) => e.data.runId === runId).map((e) => e.type)).toEqual(["run.suspended", "run.completed"]);
    const list = await s.call("GET", `/v1/webhooks/deliveries?run=${runId}`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((d: { type: string; status: string }) => [d.type, d.status]).sort()).toEqual([
      ["run.completed", "delivered"],
      ["run.suspended", "delivered"],
    ]);
  });
});

describe("awr serve without a webhook secret", () => {
  it("refuses a start request's webhook with 422 webhooks_off, storing nothing", async () => {
    const s = await startServer();
    try {
      const r = await s.call("POST", "/v1/runs", { deployment: "greet", input: { name: "x" }, webhook: { url: receiverUrl } });
      expect(r.status).toBe(422);
      expect(r.body.error).toMatchObject({ code: "webhooks_off", details: { path: "$.body.webhook" } });
      expect((await s.call("GET", "/v1/runs")).body.runs).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
