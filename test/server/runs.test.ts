// The run routes of `awr serve` over a real socket (DESIGN §8): start, idempotency, list with
// cursors, long-poll, resume (checked before anything is stored), resolve, cancel, events to a
// run, trace, audit; and the one error shape for every refusal.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./harness.js";

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s?.close();
});

const start = (body: unknown, headers?: Record<string, string>) => s.call("POST", "/v1/runs", body, headers);
const wait = (id: string) => s.call("GET", `/v1/runs/${id}?wait=10s`);
const errorShape = { error: { code: expect.any(String), message: expect.any(String) } };

describe("awr serve: system routes", () => {
  it("answers health, readiness and Prometheus metrics", async () => {
    expect(await s.call("GET", "/v1/health")).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await s.call("GET", "/v1/ready")).toMatchObject({ status: 200, body: { status: "ready" } });
    await start({ deployment: "quick", input: { n: 1 } });
    const m = await s.call("GET", "/metrics");
    expect(m.status).toBe(200);
    expect(m.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(m.body).toMatch(/awr_http_requests_total\{method="POST",route="\/v1\/runs",status="201"\} \d+/);
    expect(m.body).toMatch(/awr_runs_started_total [1-9]/);
    expect(m.body).toMatch(/awr_sse_clients 0/);
  });
});

describe("awr serve: errors in one shape", () => {
  it("400 for a body that is not JSON", async () => {
    const r = await start("{not json");
    expect(r).toMatchObject({ status: 400, body: { error: { code: "bad_request" } } });
  });

  it("404 for a route, a run, a deployment and a plan that do not exist", async () => {
    expect(await s.call("GET", "/v1/nope")).toMatchObject({ status: 404, body: { error: { code: "not_found", message: "no route GET /v1/nope" } } });
    expect(await s.call("GET", "/v1/runs/no-such-run")).toMatchObject({ status: 404, body: errorShape });
    expect(await start({ deployment: "nope", input: {} })).toMatchObject({ status: 404, body: { error: { code: "not_found", details: { path: "$.body.deployment" } } } });
    expect(await start({ plan: "0".repeat(64), input: {} })).toMatchObject({ status: 404, body: { error: { code: "not_found", details: { path: "$.body.plan" } } } });
  });

  it("413 for a body over the limit", async () => {
    const r = await start({ deployment: "quick", input: { n: 1, pad: "x".repeat(2 * 1024 * 1024) } });
    expect(r).toMatchObject({ status: 413, body: { error: { code: "payload_too_large" } } });
  });

  it("422 with the JSON path of the first mismatch: body, query, params", async () => {
    expect(await start({ deployment: "quick", input: { n: 1 }, extra: true })).toMatchObject({ status: 422, body: { error: { code: "invalid_request", details: { path: "$.body.extra" } } } });
    expect(await start({ deployment: "quick" })).toMatchObject({ status: 422, body: { error: { details: { path: "$.body.input" } } } });
    expect(await start({ deployment: 5, input: {} })).toMatchObject({ status: 422, body: { error: { details: { path: "$.body.deployment" } } } });
    expect(await start({ deployment: "quick", plan: "a".repeat(64), input: {} })).toMatchObject({ status: 422, body: { error: { code: "invalid_request" } } });
    expect(await s.call("GET", "/v1/runs?limit=0")).toMatchObject({ status: 422, body: { error: { details: { path: "$.query.limit" } } } });
    expect(await s.call("GET", "/v1/runs?status=sleeping")).toMatchObject({ status: 422, body: { error: { details: { path: "$.query.status" } } } });
    expect(await s.call("GET", "/v1/runs?cursor=zzz")).toMatchObject({ status: 422, body: { error: { details: { path: "$.query.cursor" } } } });
    expect(await s.call("PUT", "/v1/deployments/bad%20name", { plan: "a".repeat(64) })).toMatchObject({ status: 422, body: { error: { details: { path: "$.params.name" } } } });
  });

  it("422 for input that does not fit the graph, before any run exists", async () => {
    const before = (await s.call("GET", "/v1/runs?limit=500")).body.runs.length;
    const r = await start({ deployment: "quick", input: { n: "one" } });
    expect(r).toMatchObject({ status: 422, body: { error: { code: "invalid_input", details: { path: "$.input.n", expected: "{ n: integer }" } } } });
    expect(await start({ deployment: "quick", graph: "other", input: { n: 1 } })).toMatchObject({ status: 422, body: { error: { details: { path: "$.body.graph" } } } });
    expect((await s.call("GET", "/v1/runs?limit=500")).body.runs.length).toBe(before);
  });
});

describe("awr serve: runs", () => {
  it("starts a run in the background (201) and long-polls it to its end", async () => {
    const r = await start({ deployment: "quick", input: { n: 41 } });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ runId: expect.any(String), status: expect.stringMatching(/running|completed/), planHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(r.headers.get("location")).toBe(`/v1/runs/${r.body.runId}`);
    const run = await wait(r.body.runId);
    expect(run.body).toMatchObject({ runId: r.body.runId, status: "completed", output: 42, graph: "quick", deployment: "quick", planHash: r.body.planHash, cost: { usd: 0, tokens: { input: 0, output: 0 } } });
    expect(Date.parse(run.body.createdAt)).toBeLessThanOrEqual(Date.parse(run.body.updatedAt));
  });

  it("an Idempotency-Key returns the same run (201, then 200); the same key with another body is 422", async () => {
    const key = { "idempotency-key": "order-77" };
    const a = await start({ deployment: "greet", input: { name: "a" } }, key);
    const b = await start({ deployment: "greet", input: { name: "a" } }, key);
    expect(a.status).toBe(201);
    expect(b.status).toBe(200);
    expect(b.body.runId).toBe(a.body.runId);
    expect(b.body.planHash).toBe(a.body.planHash);
    const c = await start({ deployment: "greet", input: { name: "b" } }, key);
    expect(c).toMatchObject({ status: 422, body: { error: { code: "idempotency_key_reused", details: { runId: a.body.runId } } } });
    // Concurrent requests with one new key start one run.
    const k2 = { "idempotency-key": "order-78" };
    const many = await Promise.all([1, 2, 3, 4].map(() => start({ deployment: "quick", input: { n: 1 } }, k2)));
    expect(new Set(many.map((m) => m.body.runId)).size).toBe(1);
    expect(many.filter((m) => m.status === 201)).toHaveLength(1);
  });

  it("lists runs newest first with stable cursors and filters", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await start({ deployment: "quick", input: { n: i } }, { "idempotency-key": `list-${i}` })).body.runId);
    for (const id of ids) await wait(id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await s.call("GET", `/v1/runs?deployment=quick&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      expect(page.body.runs.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.runs.map((r: { runId: string }) => r.runId));
      cursor = page.body.nextCursor;
      // A run started between pages does not shift them.
      if (seen.length === 2) await start({ deployment: "quick", input: { n: 99 } });
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen).toContain(id);
    const created = (await Promise.all(seen.map((id) => s.call("GET", `/v1/runs/${id}`)))).map((r) => Date.parse(r.body.createdAt));
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    const suspended = await s.call("GET", "/v1/runs?status=suspended&limit=500");
    expect(suspended.body.runs.length).toBeGreaterThan(0);
    expect(suspended.body.runs.every((r: { status: string }) => r.status === "suspended")).toBe(true);
    const future = await s.call("GET", `/v1/runs?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future.body).toEqual({ runs: [] });
  });

  it("resume: a value of the wrong type is 422 and the run stays waiting; the right one continues it; a second is 409", async () => {
    const { runId } = (await start({ deployment: "greet", input: { name: "x" } })).body;
    const waiting = await wait(runId);
    expect(waiting.body).toMatchObject({ status: "suspended", pending: [{ kind: "human", reason: "Say hello", id: expect.any(String) }] });
    const bad = await s.call("POST", `/v1/runs/${runId}/resume`, { value: 5 });
    expect(bad).toMatchObject({ status: 422, body: { error: { code: "invalid_value", details: { path: "$.value", expected: "string" } } } });
    const still = await s.call("GET", `/v1/runs/${runId}`);
    expect(still.body).toMatchObject({ status: "suspended", updatedAt: waiting.body.updatedAt });
    expect((await s.call("GET", `/v1/runs/${runId}/audit`)).body.records).toEqual([]);
    const wrongInterrupt = await s.call("POST", `/v1/runs/${runId}/resume`, { value: "hi", interrupt: "nope" });
    expect(wrongInterrupt).toMatchObject({ status: 409, body: { error: { code: "not_waiting" } } });
    const ok = await s.call("POST", `/v1/runs/${runId}/resume`, { value: "hello", comment: "looks fine", interrupt: waiting.body.pending[0].id });
    expect(ok.status).toBe(200);
    expect((await wait(runId)).body).toMatchObject({ status: "completed", output: "hello" });
    expect(await s.call("POST", `/v1/runs/${runId}/resume`, { value: "again" })).toMatchObject({ status: 409, body: { error: { code: "not_waiting" } } });
    const audit = (await s.call("GET", `/v1/runs/${runId}/audit`)).body.records;
    expect(audit).toEqual([expect.objectContaining({ kind: "operator", hook: "resume", outcome: "answered", by: "anonymous", comment: "looks fine" })]);
  });

  it("resolve: 409 for a run that does not need attention, 422 without what the action needs", async () => {
    const { runId } = (await start({ deployment: "greet", input: { name: "x" } })).body;
    await wait(runId);
    expect(await s.call("POST", `/v1/runs/${runId}/resolve`, { action: "retry" })).toMatchObject({ status: 409, body: { error: { code: "not_needing_attention", details: { status: "suspended" } } } });
    expect(await s.call("POST", `/v1/runs/${runId}/resolve`, { action: "succeeded" })).toMatchObject({ status: 422, body: { error: { details: { path: "$.body.value" } } } });
    expect(await s.call("POST", `/v1/runs/${runId}/resolve`, { action: "fail" })).toMatchObject({ status: 422, body: { error: { details: { path: "$.body.reason" } } } });
    expect(await s.call("POST", `/v1/runs/${runId}/resolve`, { action: "undo" })).toMatchObject({ status: 422, body: { error: { details: { path: "$.body.action" } } } });
  });

  it("cancel: an executing run ends cancelled, a waiting one too; who did it is audited; a finished run is 409", async () => {
    const slow = (await start({ deployment: "slow", input: { ms: 2000, steps: 3 } })).body.runId;
    const c = await s.call("POST", `/v1/runs/${slow}/cancel`, { comment: "too slow" });
    expect(c).toMatchObject({ status: 200, body: { runId: slow, status: "cancelled" } });
    expect((await s.call("GET", `/v1/runs/${slow}/audit`)).body.records).toContainEqual(expect.objectContaining({ kind: "operator", hook: "cancel", by: "anonymous", comment: "too slow" }));
    const waiting = (await start({ deployment: "greet", input: { name: "x" } })).body.runId;
    await wait(waiting);
    expect(await s.call("POST", `/v1/runs/${waiting}/cancel`)).toMatchObject({ status: 200, body: { status: "cancelled" } });
    expect(await s.call("POST", `/v1/runs/${waiting}/resume`, { value: "late" })).toMatchObject({ status: 409 });
    const done = (await start({ deployment: "quick", input: { n: 1 } })).body.runId;
    await wait(done);
    expect(await s.call("POST", `/v1/runs/${done}/cancel`)).toMatchObject({ status: 409, body: { error: { code: "conflict", details: { status: "completed" } } } });
  });

  it("events to one run: checked against the awaited type (422), delivered once per id, 409 when not awaited", async () => {
    const { runId } = (await start({ deployment: "paid", input: { order: "O-1" } })).body;
    await wait(runId);
    expect(await s.call("POST", `/v1/runs/${runId}/events/refund`, { data: {} })).toMatchObject({ status: 409, body: { error: { code: "not_waiting" } } });
    expect(await s.call("POST", `/v1/runs/${runId}/events/payment`, { id: "ev-1", data: { amount: "ten" } })).toMatchObject({ status: 422, body: { error: { details: { path: "$.value.amount" } } } });
    const ok = await s.call("POST", `/v1/runs/${runId}/events/payment`, { id: "ev-1", data: { amount: 10, ref: "r" } });
    expect(ok).toMatchObject({ status: 200, body: { runId, delivered: true } });
    expect(await s.call("POST", `/v1/runs/${runId}/events/payment`, { id: "ev-1", data: { amount: 10, ref: "r" } })).toMatchObject({ status: 200, body: { delivered: false, duplicate: true } });
    expect((await wait(runId)).body).toMatchObject({ status: "completed", output: { amount: 10, ref: "r" } });
  });

  it("events by name: to every run awaiting it, once per id; a run whose type does not fit is refused, others still get it", async () => {
    const a = (await start({ deployment: "paid", input: { order: "A" } })).body.runId;
    const b = (await start({ deployment: "paid", input: { order: "B" } })).body.runId;
    await wait(a);
    await wait(b);
    expect(await s.call("POST", "/v1/events/payment", { id: "e-9", key: { a: 1 }, data: {} })).toMatchObject({ status: 422, body: { error: { details: { path: "$.body.key" } } } });
    expect(await s.call("POST", "/v1/events/payment", { data: {} })).toMatchObject({ status: 422, body: { error: { details: { path: "$.body.id" } } } });
    const bad = await s.call("POST", "/v1/events/payment", { id: "e-1", data: { amount: "x" } });
    expect(bad.body.delivered).toEqual([]);
    expect(bad.body.refused.map((r: { runId: string }) => r.runId).sort()).toEqual([a, b].sort());
    const ok = await s.call("POST", "/v1/events/payment", { id: "e-1", data: { amount: 3, ref: "z" } });
    expect(ok.body.delivered.sort()).toEqual([a, b].sort());
    for (const id of [a, b]) expect((await wait(id)).body).toMatchObject({ status: "completed", output: { amount: 3, ref: "z" } });
    expect((await s.call("POST", "/v1/events/payment", { id: "e-1", data: { amount: 3, ref: "z" } })).body).toEqual({ id: "e-1", delivered: [], duplicates: [], refused: [] });
  });

  it("events by name and correlation key: only the runs awaiting with that key get it", async () => {
    const a = (await start({ deployment: "keyed", input: { order: "O-1" } })).body.runId;
    const b = (await start({ deployment: "keyed", input: { order: "O-2" } })).body.runId;
    await wait(a);
    await wait(b);
    expect((await wait(a)).body.pending).toHaveLength(1);
    // Without a key it reaches no keyed run.
    expect((await s.call("POST", "/v1/events/payment", { id: "k-0", data: { amount: 1 } })).body.delivered).not.toContain(a);
    const one = await s.call("POST", "/v1/events/payment", { id: "k-1", key: "O-2", data: { amount: 5 } });
    expect(one.body).toMatchObject({ delivered: [b], refused: [] });
    expect((await wait(b)).body).toMatchObject({ status: "completed", output: { amount: 5 } });
    expect((await s.call("GET", `/v1/runs/${a}`)).body.status).toBe("suspended");
    // To one run: a key, when given, must be the one it waits with.
    expect(await s.call("POST", `/v1/runs/${a}/events/payment`, { key: "O-2", data: { amount: 1 } })).toMatchObject({ status: 409, body: { error: { code: "not_waiting" } } });
    expect((await s.call("POST", `/v1/runs/${a}/events/payment`, { key: "O-1", data: { amount: 7 } })).status).toBe(200);
    expect((await wait(a)).body).toMatchObject({ status: "completed", output: { amount: 7 } });
  });

  it("trace and audit as JSON", async () => {
    const { runId } = (await start({ deployment: "quick", input: { n: 1 } })).body;
    await wait(runId);
    const t = await s.call("GET", `/v1/runs/${runId}/trace`);
    expect(t.body).toMatchObject({ runId, graph: "quick", status: "completed", nodes: { add: expect.anything() } });
    expect(await s.call("GET", `/v1/runs/${runId}/audit`)).toMatchObject({ status: 200, body: { records: [] } });
    expect(await s.call("GET", `/v1/runs/nope/trace`)).toMatchObject({ status: 404 });
  });
});

describe("awr serve: overload", () => {
  it("a start past the tenant's executing runs is 429 with Retry-After, before anything is stored; waiting runs do not count", async () => {
    const t = await startServer({ maxRunsPerTenant: 1 });
    try {
      const waiting = await t.call("POST", "/v1/runs", { deployment: "greet", input: { name: "w" } });
      await t.call("GET", `/v1/runs/${waiting.body.runId}?wait=10s`);
      const busy = await t.call("POST", "/v1/runs", { deployment: "slow", input: { ms: 5000, steps: 3 } });
      expect(busy.status).toBe(201);
      const refused = await t.call("POST", "/v1/runs", { deployment: "quick", input: { n: 1 } }, { "idempotency-key": "later" });
      expect(refused).toMatchObject({ status: 429, body: { error: { code: "rate_limited" } } });
      expect(refused.headers.get("retry-after")).toBe("1");
      expect((await t.call("GET", "/v1/runs")).body.runs).toHaveLength(2);
      await t.call("POST", `/v1/runs/${busy.body.runId}/cancel`);
      expect((await t.call("POST", "/v1/runs", { deployment: "quick", input: { n: 1 } }, { "idempotency-key": "later" })).status).toBe(201);
    } finally {
      await t.close();
    }
  });

  it("starts that arrive together cannot pass the limit together: with --max-runs 3, 30 at once start 3", async () => {
    const t = await startServer({ maxRuns: 3 });
    try {
      const answers = await Promise.all(Array.from({ length: 30 }, () => t.call("POST", "/v1/runs", { deployment: "slow", input: { ms: 3000, steps: 3 } })));
      const counts = new Map<number, number>();
      for (const a of answers) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
      expect(Object.fromEntries(counts)).toEqual({ 201: 3, 429: 27 });
      for (const a of answers.filter((x) => x.status === 201)) await t.call("POST", `/v1/runs/${a.body.runId}/cancel`);
    } finally {
      await t.close();
    }
  });
});

describe("awr serve: per-caller rate limits", () => {
  it("a key past its requests per window gets 429 with Retry-After; another key does not; health is not counted against keys", async () => {
    const t = await startServer({
      authenticate: async (request) => {
        const who = String(request.headers["x-who"] ?? "nobody");
        return { principal: { id: who, roles: [], attrs: {} }, tenant: "t", via: { kind: "key", keyId: who } };
      },
      rateLimit: { max: 3, timeWindowMs: 60_000 },
    });
    try {
      const a = () => t.call("GET", "/v1/runs", undefined, { "x-who": "a" });
      for (let i = 0; i < 3; i++) expect((await a()).status).toBe(200);
      const over = await a();
      expect(over).toMatchObject({ status: 429, body: { error: { code: "rate_limited" } } });
      expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await t.call("GET", "/v1/runs", undefined, { "x-who": "b" })).status).toBe(200);
      expect((await t.call("GET", "/v1/health")).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
