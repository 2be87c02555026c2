// Plans, deployments, canaries and tenancy of `awr serve` over a real socket (DESIGN §8).
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyRequest } from "fastify";
import { compile, encodePlan } from "../../compiler/index.js";
import { FileHost } from "../../host/source-host.js";
import type { Caller } from "../../server/caller.js";
import { ApiError } from "../../server/errors.js";
import { Registry } from "../../server/registry.js";
import { startServer, type TestServer } from "./harness.js";

/** The greet program with another question: a second version of the `greet` deployment. */
function planBytes(dir: string, question: string, edit: (text: string) => string = (t) => t): Uint8Array {
  // Outside DIR's listing: written after the server loaded DIR.
  const file = join(dir, `v-${randomUUID()}.awr`);
  writeFileSync(file, edit(readFileSync(join(dir, "greet.awr"), "utf8").replace("Say hello", question)));
  const { plan, diagnostics } = compile([file], new FileHost(), { plan: true, compilerVersion: "0.0.0-test" });
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return encodePlan(plan!);
}

/** Tenants by header: `x-tenant` (no header: 401; tenant "blocked": 403; "busy": 429). */
async function byHeader(request: FastifyRequest): Promise<Caller> {
  const t = request.headers["x-tenant"];
  if (typeof t !== "string") throw new ApiError(401, "unauthorized", "no credentials");
  if (t === "blocked") throw new ApiError(403, "forbidden", "not for you");
  if (t === "busy") throw Object.assign(new Error("Rate limit exceeded, retry in 1 second"), { statusCode: 429 });
  return { principal: { id: `${t}-user`, roles: [], attrs: {} }, tenant: t, via: { kind: "none" } };
}

let s: TestServer;
const A = { "x-tenant": "a" };
const B = { "x-tenant": "b" };
beforeAll(async () => {
  s = await startServer({ authenticate: byHeader });
});
afterAll(async () => {
  await s?.close();
});

describe("awr serve: auth hook and tenancy", () => {
  it("the hook's refusals come out in the one error shape (401, 403, 429); health, readiness and metrics need no caller", async () => {
    expect(await s.call("GET", "/v1/runs")).toMatchObject({ status: 401, body: { error: { code: "unauthorized" } } });
    expect(await s.call("GET", "/v1/runs", undefined, { "x-tenant": "blocked" })).toMatchObject({ status: 403, body: { error: { code: "forbidden" } } });
    expect(await s.call("GET", "/v1/runs", undefined, { "x-tenant": "busy" })).toMatchObject({ status: 429, body: { error: { code: "rate_limited" } } });
    expect((await s.call("GET", "/v1/health")).status).toBe(200);
    expect((await s.call("GET", "/v1/ready")).status).toBe(200);
    expect((await s.call("GET", "/metrics")).status).toBe(200);
  });

  it("a tenant gets 404 for another tenant's run, its events, audit, plans and deployments", async () => {
    const run = await s.call("POST", "/v1/runs", { deployment: "greet", input: { name: "a" } }, A);
    expect(run.status).toBe(201);
    const id = run.body.runId;
    for (const [m, p, body] of [
      ["GET", `/v1/runs/${id}`],
      ["GET", `/v1/runs/${id}/events`],
      ["GET", `/v1/runs/${id}/trace`],
      ["GET", `/v1/runs/${id}/audit`],
      ["POST", `/v1/runs/${id}/resume`, { value: "x" }],
      ["POST", `/v1/runs/${id}/cancel`, {}],
      ["POST", `/v1/runs/${id}/events/payment`, { data: {} }],
    ] as const) {
      expect(await s.call(m, p, body, B), `${m} ${p}`).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    }
    expect((await s.call("GET", "/v1/runs", undefined, B)).body.runs.map((r: { runId: string }) => r.runId)).not.toContain(id);
    expect((await s.call("GET", `/v1/runs/${id}`, undefined, A)).status).toBe(200);
    const pushed = await s.call("POST", "/v1/plans", planBytes(s.dir, "Tenant A only"), { ...A, "content-type": "application/vnd.awr.plan" });
    expect(pushed.status).toBe(201);
    expect(await s.call("GET", `/v1/plans/${pushed.body.planHash}`, undefined, B)).toMatchObject({ status: 404 });
    expect(await s.call("PUT", "/v1/deployments/mine", { plan: pushed.body.planHash }, B)).toMatchObject({ status: 404, body: { error: { details: { path: "$.body.plan" } } } });
    expect((await s.call("PUT", "/v1/deployments/mine", { plan: pushed.body.planHash }, A)).status).toBe(201);
    expect(await s.call("GET", "/v1/deployments/mine", undefined, B)).toMatchObject({ status: 404 });
    expect(await s.call("POST", "/v1/runs", { deployment: "mine", input: { name: "b" } }, B)).toMatchObject({ status: 404 });
    expect((await s.call("GET", "/v1/deployments", undefined, B)).body.deployments.map((d: { name: string }) => d.name)).not.toContain("mine");
    // The principal of the caller is the run's: who resumed is audited.
    await s.call("GET", `/v1/runs/${id}?wait=10s`, undefined, A);
    expect((await s.call("POST", `/v1/runs/${id}/resume`, { value: "hi" }, A)).status).toBe(200);
    expect((await s.call("GET", `/v1/runs/${id}/audit`, undefined, A)).body.records[0]).toMatchObject({ by: "a-user", principal: { id: "a-user" } });
  });
});

describe("awr serve: plans and deployments", () => {
  it("POST /v1/plans verifies the .awrp (422 otherwise, 415 for another media type) and lists it", async () => {
    const bytes = planBytes(s.dir, "Version two");
    const r = await s.call("POST", "/v1/plans", bytes, { ...A, "content-type": "application/vnd.awr.plan" });
    expect(r).toMatchObject({ status: 201, body: { planHash: expect.stringMatching(/^[0-9a-f]{64}$/), graphs: ["greet"] } });
    const damaged = Uint8Array.from(bytes);
    damaged[damaged.length - 1] ^= 0xff;
    expect(await s.call("POST", "/v1/plans", damaged, { ...A, "content-type": "application/vnd.awr.plan" })).toMatchObject({ status: 422, body: { error: { code: "invalid_plan" } } });
    expect(await s.call("POST", "/v1/plans", new TextEncoder().encode("hello"), { ...A, "content-type": "text/plain" })).toMatchObject({ status: 415, body: { error: { code: "unsupported_media_type" } } });
    const list = (await s.call("GET", "/v1/plans", undefined, A)).body.plans;
    expect(list).toContainEqual(expect.objectContaining({ planHash: r.body.planHash, graphs: ["greet"], source: "pushed" }));
    expect(list).toContainEqual(expect.objectContaining({ source: "dir:quick", graphs: ["quick"] }));
    const one = await s.call("GET", `/v1/plans/${r.body.planHash}`, undefined, A);
    expect(one.body).toMatchObject({ planHash: r.body.planHash, graphs: { greet: { input: { type: "object", properties: { name: { type: "string" } } }, output: { type: "string" } } } });
  });

  it("a run keeps the plan it started with; rollback is one PUT and moves new runs only; run counts per plan", async () => {
    const v1 = (await s.call("GET", "/v1/deployments/greet", undefined, A)).body.plan;
    const v2 = (await s.call("POST", "/v1/plans", planBytes(s.dir, "Version two?"), { ...A, "content-type": "application/vnd.awr.plan" })).body.planHash;
    const old = (await s.call("POST", "/v1/runs", { deployment: "greet", input: { name: "o" } }, A)).body;
    expect(old.planHash).toBe(v1);
    expect(await s.call("PUT", "/v1/deployments/greet", { plan: v2 }, A)).toMatchObject({ status: 201, body: { name: "greet", plan: v2, origin: "put" } });
    const fresh = (await s.call("POST", "/v1/runs", { deployment: "greet", input: { name: "n" } }, A)).body;
    expect(fresh.planHash).toBe(v2);
    expect((await s.call("GET", `/v1/runs/${fresh.runId}?wait=10s`, undefined, A)).body.pending[0].reason).toBe("Version two?");
    // The old run still waits on v1's question, and answers go to v1.
    const oldRun = (await s.call("GET", `/v1/runs/${old.runId}?wait=10s`, undefined, A)).body;
    expect(oldRun).toMatchObject({ planHash: v1, pending: [{ reason: "Say hello" }] });
    // Rollback: one PUT.
    expect(await s.call("PUT", "/v1/deployments/greet", { plan: v1 }, A)).toMatchObject({ status: 200, body: { plan: v1 } });
    expect((await s.call("POST", "/v1/runs", { deployment: "greet", input: { name: "r" } }, A)).body.planHash).toBe(v1);
    expect((await s.call("GET", `/v1/runs/${fresh.runId}`, undefined, A)).body.planHash).toBe(v2);
    await s.call("POST", `/v1/runs/${fresh.runId}/resume`, { value: "done" }, A);
    expect((await s.call("GET", `/v1/runs/${fresh.runId}?wait=10s`, undefined, A)).body).toMatchObject({ status: "completed", planHash: v2, output: "done" });
    const d = (await s.call("GET", "/v1/deployments/greet", undefined, A)).body;
    expect(d.runs[v2]).toBe(1);
    expect(d.runs[v1]).toBeGreaterThanOrEqual(2);
    // Tenant B still sees DIR's greet, untouched by A's PUTs.
    expect((await s.call("GET", "/v1/deployments/greet", undefined, B)).body).toMatchObject({ plan: v1, origin: "dir", runs: {} });
  });

  it("migrate: a waiting run moves to a plan it could continue on (audited), not to one whose awaited type changed (409)", async () => {
    const push = async (bytes: Uint8Array) => (await s.call("POST", "/v1/plans", bytes, { ...A, "content-type": "application/vnd.awr.plan" })).body.planHash as string;
    const same = await push(planBytes(s.dir, "Say hello, please"));
    const typed = await push(planBytes(s.dir, "Say a number", (t) => t.replace("answer: string?", "answer: int?").replace("-> string", "-> int")));
    const { runId, planHash } = (await s.call("POST", "/v1/runs", { deployment: "quick", input: { n: 1 } }, A)).body;
    await s.call("GET", `/v1/runs/${runId}?wait=10s`, undefined, A);
    expect(await s.call("POST", `/v1/runs/${runId}/migrate`, { plan: same }, A)).toMatchObject({ status: 409, body: { error: { code: "incompatible_plan" } } });
    const v1 = (await s.call("GET", "/v1/deployments/greet", undefined, B)).body.plan;
    const waiting = (await s.call("POST", "/v1/runs", { plan: v1, input: { name: "m" } }, A)).body.runId;
    await s.call("GET", `/v1/runs/${waiting}?wait=10s`, undefined, A);
    const refused = await s.call("POST", `/v1/runs/${waiting}/migrate`, { plan: typed }, A);
    expect(refused).toMatchObject({ status: 409, body: { error: { code: "incompatible_plan", details: { problems: [expect.stringContaining("changed type")] } } } });
    expect((await s.call("GET", `/v1/runs/${waiting}`, undefined, A)).body.planHash).toBe(v1);
    expect(await s.call("POST", `/v1/runs/${waiting}/migrate`, { plan: same }, B)).toMatchObject({ status: 404 });
    expect(await s.call("POST", `/v1/runs/${waiting}/migrate`, { plan: "f".repeat(64) }, A)).toMatchObject({ status: 404, body: { error: { details: { path: "$.body.plan" } } } });
    const moved = await s.call("POST", `/v1/runs/${waiting}/migrate`, { plan: same, comment: "typo fix" }, A);
    expect(moved).toMatchObject({ status: 200, body: { planHash: same, status: "suspended" } });
    await s.call("POST", `/v1/runs/${waiting}/resume`, { value: "hi" }, A);
    expect((await s.call("GET", `/v1/runs/${waiting}?wait=10s`, undefined, A)).body).toMatchObject({ status: "completed", planHash: same, output: "hi" });
    expect((await s.call("GET", `/v1/runs/${waiting}/audit`, undefined, A)).body.records).toContainEqual(expect.objectContaining({ hook: "migrate", target: same, by: "a-user", comment: "typo fix" }));
    expect(planHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a canary takes its percent of new runs, by a hash of the run id", async () => {
    const v1 = (await s.call("GET", "/v1/deployments/quick", undefined, B)).body.plan;
    const v2 = (await s.call("POST", "/v1/plans", planBytes(s.dir, "Canary"), { ...B, "content-type": "application/vnd.awr.plan" })).body.planHash;
    // All to the canary, then none: over HTTP.
    expect((await s.call("PUT", "/v1/deployments/pay", { plan: v1, canary: { plan: v2, percent: 100 } }, B)).body).toMatchObject({ canary: { plan: v2, percent: 100 } });
    expect((await s.call("POST", "/v1/runs", { deployment: "pay", input: { name: "c" } }, B)).body.planHash).toBe(v2);
    expect(await s.call("PUT", "/v1/deployments/pay", { plan: v1, canary: { plan: v2, percent: 101 } }, B)).toMatchObject({ status: 422, body: { error: { details: { path: "$.body.canary.percent" } } } });
    // 10% of 1,000 run ids within 3 points.
    const d = { name: "pay", plan: "old", canary: { plan: "new", percent: 10 }, origin: "put" as const };
    const share = Array.from({ length: 1000 }, () => Registry.choose(d, randomUUID())).filter((p) => p === "new").length / 1000;
    expect(share).toBeGreaterThanOrEqual(0.07);
    expect(share).toBeLessThanOrEqual(0.13);
    const id = randomUUID();
    expect(Registry.choose(d, id)).toBe(Registry.choose(d, id));
  });
});

describe("awr serve: OpenAPI", () => {
  it("is OpenAPI 3.1 with each deployment's graph input and output as schemas from the plan", async () => {
    const doc = (await s.call("GET", "/v1/openapi.json", undefined, B)).body;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.schemas["quick.quick.input"]).toMatchObject({ type: "object", properties: { n: { type: "integer" } }, $id: expect.stringContaining("quick") });
    expect(doc.components.schemas["quick.quick.output"]).toMatchObject({ type: "integer" });
    expect(doc.components.schemas["paid.paid.output"]).toMatchObject({ $id: expect.any(String) });
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/v1/runs", "/v1/runs/{id}", "/v1/runs/{id}/events", "/v1/runs/{id}/resume", "/v1/plans", "/v1/deployments/{name}", "/v1/health"]));
    expect(doc.paths["/v1/runs"].post.responses["422"]).toBeDefined();
  });
});
