// examples/service/README.md, done as it says (issue 17 item 7): the server over the example's
// folder (a copy; SQLite at DIR/.awr/runs.db as `awr serve` defaults to), recorded model answers,
// the README's own request bodies read from the README, the event stream followed over a real
// socket, the approval answered (a wrong value first), the run completed with the output the
// README shows, and both webhooks received by the example's receiver.mjs, signature checked.
// Then the README's API-key section: `awr keys create` on the store, 401 without the key.
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type Serving } from "../../server/index.js";
import { awr } from "../helpers/awr-cli.js";
import { call, readSse, type SseEvent } from "./harness.js";

const EXAMPLE = resolve(import.meta.dirname, "..", "..", "examples", "service");
const README = readFileSync(join(EXAMPLE, "README.md"), "utf8");

/** The one match of `re` in the README (its first group), or a failure naming what is missing. */
function fromReadme(re: RegExp, what: string): string {
  const all = [...README.matchAll(new RegExp(re.source, "g"))];
  if (all.length === 0) throw new Error(`examples/service/README.md no longer shows ${what} (${re})`);
  return all[0]![1]!;
}

const SECRET = fromReadme(/export AWR_WEBHOOK_SECRET=(whsec_\S+)/, "the webhook secret");
const RECEIVER_URL = "http://127.0.0.1:9000/hook";
const START = JSON.parse(fromReadme(/-d '(\{"deployment":[^']*)'/, "the start request")) as { deployment: string; webhook: { url: string } };
const IDEMPOTENCY_KEY = fromReadme(/-H 'Idempotency-Key: ([^']+)'/, "the Idempotency-Key");
const WRONG = JSON.parse(fromReadme(/-d '(\{"value":\{"approved":"yes"\}\})'/, "the refused answer"));
const ANSWER = JSON.parse(fromReadme(/-d '(\{"value":\{"approved":true[^']*)'/, "the approval"));
const OUTPUT = JSON.parse(fromReadme(/"status":"completed","output":(\{[^}]*\})/, "the completed run's output"));

type Received = { type: string; data: { runId: string; status: string; output?: unknown; pending?: { kind: string; reason: string }[] } };

describe("examples/service/README.md", () => {
  let dir: string;
  let s: Serving;
  let receiver: { url: string; close(): Promise<void> };
  const received: Received[] = [];
  const refused: unknown[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "awr-example-service-"));
    cpSync(EXAMPLE, dir, { recursive: true, filter: (p) => !p.endsWith(`${"/"}.awr`) });
    // receiver.mjs is the README's terminal 1, on a free port instead of 9000.
    const { startReceiver } = (await import(join(dir, "receiver.mjs"))) as {
      startReceiver(o: { secret: string; port: number; onEvent(e: Received): void; onRefused(e: unknown): void }): Promise<{ url: string; close(): Promise<void> }>;
    };
    receiver = await startReceiver({ secret: SECRET, port: 0, onEvent: (e) => received.push(e), onRefused: (e) => refused.push(e) });
    // Terminal 2: `awr serve examples/service --insecure-no-auth --models recorded:… ` with AWR_WEBHOOK_SECRET.
    expect(README).toContain("npx awr serve examples/service --insecure-no-auth --models recorded:examples/service/recorded.jsonl");
    s = await serve({ dir, port: 0, host: "127.0.0.1", insecureNoAuth: true, models: `recorded:${join(dir, "recorded.jsonl")}`, webhookSecret: SECRET, cwd: dir, env: {} });
  });

  afterAll(async () => {
    await s?.close();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const until = async (ok: () => boolean, what: string, ms = 20_000) => {
    const t0 = Date.now();
    while (!ok()) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it("walks the README: deployments, start, stream, a refused and an accepted answer, the output, two signed webhooks", async () => {
    expect(s.deployments).toEqual(["main"]);
    const deployments = await call(s.url, "GET", "/v1/deployments");
    expect(deployments.status).toBe(200);
    expect(deployments.body.deployments).toMatchObject([{ name: "main", origin: "dir" }]);

    expect(START.webhook.url).toBe(RECEIVER_URL);
    const body = { ...START, webhook: { url: receiver.url } };
    const started = await call(s.url, "POST", "/v1/runs", body, { "idempotency-key": IDEMPOTENCY_KEY });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ status: "running" });
    const id: string = started.body.runId;
    // The same key again: the same run, 200.
    const again = await call(s.url, "POST", "/v1/runs", body, { "idempotency-key": IDEMPOTENCY_KEY });
    expect(again).toMatchObject({ status: 200, body: { runId: id } });

    // `curl -N $S/v1/runs/$ID/events`, kept open through the answer to the end.
    const events: SseEvent[] = [];
    const stream = readSse(`${s.url}/v1/runs/${id}/events`, { onEvent: (e) => void events.push(e) });
    await until(() => events.some((e) => e.data.includes('"run.suspended"')), "run.suspended on the stream");
    const suspendedEvent = JSON.parse(events.find((e) => e.data.includes('"run.suspended"'))!.data);
    expect(suspendedEvent.pending).toMatchObject([{ id: "graph:refund/node:approval/stmt:0#0", kind: "human", reason: "Approve this refund?" }]);
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));

    await until(() => received.some((e) => e.type === "run.suspended"), "the run.suspended webhook");
    expect(received.find((e) => e.type === "run.suspended")!.data).toMatchObject({ runId: id, status: "suspended", pending: [{ kind: "human", reason: "Approve this refund?" }] });

    const waiting = await call(s.url, "GET", `/v1/runs/${id}`);
    expect(waiting.body).toMatchObject({ status: "suspended", pending: [{ id: "graph:refund/node:approval/stmt:0#0", kind: "human", reason: "Approve this refund?" }] });

    const wrong = await call(s.url, "POST", `/v1/runs/${id}/resume`, WRONG);
    expect(wrong).toMatchObject({ status: 422, body: { error: { code: "invalid_value", details: { path: "$.value.approved" } } } });
    expect((await call(s.url, "GET", `/v1/runs/${id}`)).body.status).toBe("suspended");

    const resumed = await call(s.url, "POST", `/v1/runs/${id}/resume`, ANSWER);
    expect(resumed.status).toBe(200);
    expect(resumed.body.runId).toBe(id);

    const done = await call(s.url, "GET", `/v1/runs/${id}?wait=10s`);
    expect(done.body).toMatchObject({ status: "completed", output: OUTPUT, cost: { tokens: { input: 96, output: 24 } } });

    const { events: all } = await stream;
    expect(all.at(-1)).toMatchObject({ event: "end" });
    expect(JSON.parse(all.at(-1)!.data)).toEqual({ runId: id, status: "completed" });
    expect(all.some((e) => e.data.includes('"run.completed"'))).toBe(true);

    await until(() => received.some((e) => e.type === "run.completed"), "the run.completed webhook");
    expect(received.map((e) => [e.type, e.data.runId, e.data.status])).toEqual([
      ["run.suspended", id, "suspended"],
      ["run.completed", id, "completed"],
    ]);
    expect(received[1]!.data.output).toEqual(OUTPUT);
    expect(refused).toEqual([]);

    const audit = await call(s.url, "GET", `/v1/runs/${id}/audit`);
    expect(JSON.stringify(audit.body.records)).toContain(ANSWER.comment);

    const deliveries = await call(s.url, "GET", `/v1/webhooks/deliveries?run=${id}`);
    expect(deliveries.body.items.map((d: { type: string; status: string }) => [d.type, d.status]).sort()).toEqual([
      ["run.completed", "delivered"],
      ["run.suspended", "delivered"],
    ]);
  });

  it("declined: the README's other answer completes without a refund", async () => {
    const declined = JSON.parse(fromReadme(/Try `(\{"value":\{"approved":false[^`]*)`/, "the declining answer"));
    const started = await call(s.url, "POST", "/v1/runs", { deployment: START.deployment, input: (START as unknown as { input: unknown }).input });
    expect(started.status).toBe(201);
    const id: string = started.body.runId;
    for (let i = 0; i < 400 && (await call(s.url, "GET", `/v1/runs/${id}`)).body.status !== "suspended"; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await call(s.url, "POST", `/v1/runs/${id}/resume`, declined)).status).toBe(200);
    const done = await call(s.url, "GET", `/v1/runs/${id}?wait=10s`);
    expect(done.body.status).toBe("completed");
    expect(done.body.output).toMatchObject({ refunded: 0 });
    expect(done.body.output.refund_id ?? null).toBeNull();
  });

  it("with an API key: `awr keys create --tenant demo --json --store …/.awr/runs.db`, then 401 without it", async () => {
    expect(README).toContain("npx awr keys create --tenant demo --json --store examples/service/.awr/runs.db");
    const created = await awr(["keys", "create", "--tenant", "demo", "--json", "--store", join(dir, ".awr", "runs.db")]);
    expect(created.code).toBe(0);
    const { key, tenant } = JSON.parse(created.stdout) as { key: string; tenant: string };
    expect(tenant).toBe("demo");
    // The README's server with keys uses the same store: one server per SQLite store, so the first stops first.
    await s.close();
    const withKeys = await serve({ dir, port: 0, host: "127.0.0.1", models: `recorded:${join(dir, "recorded.jsonl")}`, cwd: dir, env: {} });
    try {
      expect((await call(withKeys.url, "GET", "/v1/deployments")).status).toBe(401);
      const ok = await call(withKeys.url, "GET", "/v1/deployments", undefined, { authorization: `Bearer ${key}` });
      expect(ok.status).toBe(200);
      expect(ok.body.deployments).toMatchObject([{ name: "main" }]);
      // The default tenant's runs are not the demo tenant's.
      expect((await call(withKeys.url, "GET", "/v1/runs", undefined, { authorization: `Bearer ${key}` })).body.runs).toEqual([]);
    } finally {
      await withKeys.close();
    }
  });
});
