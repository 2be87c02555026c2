// Runs (DESIGN §8): start (idempotent by key), list (stable cursors), get (long-poll), resume,
// resolve, cancel, an event to one run, trace and audit. Every route is the caller's tenant's only.
import { createHash, randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { Effect } from "effect";
import { buildTrace } from "../../ops/report/trace.js";
import { checkInput } from "../../vm/operator.js";
import type { Json, Resolution } from "../../vm/index.js";
import type { Ctx } from "../app.js";
import { ApiError, errorReply } from "../errors.js";
import { Registry } from "../registry.js";
import { runRow, type RunRow } from "../tables.js";
import { load, ownRun, pause, runJson, timeParam, waitMs } from "../views.js";
import { S } from "../schemas.js";

const MAX_WAIT_MS = 120_000;
/** Cross-process: how often a long poll looks at the store when the run executes elsewhere. */
const POLL_MS = 500;

interface StartBody {
  deployment?: string;
  plan?: string;
  graph?: string;
  input: Json;
  session?: string;
  webhook?: { url: string };
}

const cursorOf = (r: RunRow) => Buffer.from(JSON.stringify([r.created_at, r.run_id])).toString("base64url");
function parseCursor(c: string): [number, string] {
  try {
    const v = JSON.parse(Buffer.from(c, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === "number" && typeof v[1] === "string") return [v[0], v[1]];
  } catch {
    // below
  }
  throw new ApiError(422, "invalid_request", "$.query.cursor is not a cursor this server gave", { path: "$.query.cursor" });
}

export function runRoutes(app: FastifyInstance, ctx: Ctx): void {
  app.post<{ Body: StartBody; Headers: { "idempotency-key"?: string } }>("/v1/runs", { schema: S.startRun }, async (request, reply) => {
    const { tenant, principal } = request.caller;
    const b = request.body;
    const key = request.headers["idempotency-key"];
    if (key !== undefined && (key.length === 0 || key.length > 255)) throw new ApiError(422, "invalid_request", "the Idempotency-Key header must be 1 to 255 characters", { path: "$.headers.idempotency-key" });
    if ((b.deployment === undefined) === (b.plan === undefined)) {
      throw new ApiError(422, "invalid_request", "give exactly one of deployment and plan", { path: b.deployment === undefined ? "$.body.deployment" : "$.body.plan" });
    }
    const requestHash = createHash("sha256").update(JSON.stringify(b)).digest("hex");
    const again = async () => {
      if (key === undefined) return undefined;
      const [r] = await ctx.db.all("SELECT * FROM server_runs WHERE tenant = ? AND idempotency_key = ?", [tenant, key]);
      if (!r) return undefined;
      const row = runRow(r);
      if (row.request_hash !== requestHash) {
        throw new ApiError(422, "idempotency_key_reused", `the Idempotency-Key was used for another request (run ${row.run_id}): use a new key for a new run`, { runId: row.run_id });
      }
      return reply.code(200).send({ runId: row.run_id, status: runJson(row, await load(ctx, row.run_id)).status, planHash: row.plan_hash });
    };
    const replayed = await again();
    if (replayed) return replayed;
    // Overload is a 429 to retry, never a queue that grows until the process falls over.
    const perTenant = ctx.o.maxRunsPerTenant ?? 100;
    const total = ctx.o.maxRuns ?? 1000;
    if (ctx.executor.executingCount(tenant) >= perTenant || ctx.executor.executingCount() >= total) {
      const which = ctx.executor.executingCount(tenant) >= perTenant ? `${perTenant} runs of this tenant` : `${total} runs`;
      throw new ApiError(429, "rate_limited", `${which} are executing on this server: try again shortly`, { limit: which }, { "retry-after": "1" });
    }
    // The place is taken now, before the awaits below: concurrent starts see it.
    const release = ctx.executor.reserve(tenant);
    try {
      const runId = randomUUID();
      let planHash: string;
      if (b.deployment !== undefined) {
        const d = await ctx.registry.deployment(tenant, b.deployment);
        if (!d) throw new ApiError(404, "not_found", `no deployment ${b.deployment}`, { path: "$.body.deployment" });
        planHash = Registry.choose(d, runId);
      } else planHash = b.plan!;
      const entry = await ctx.registry.plan(tenant, planHash);
      if (!entry) throw new ApiError(404, "not_found", `no plan ${planHash}`, { path: "$.body.plan" });
      const graph = b.graph ?? entry.graphs[0];
      if (graph === undefined || !entry.graphs.includes(graph)) {
        throw new ApiError(422, "invalid_request", `the plan has no graph ${JSON.stringify(b.graph)} (it has ${entry.graphs.join(", ") || "none"})`, { path: "$.body.graph", graphs: entry.graphs });
      }
      // Before the run exists: input that does not fit starts nothing (422 with the path).
      checkInput(entry.plan, graph, b.input);
      if (b.webhook && !ctx.deliverer) {
        throw new ApiError(422, "webhooks_off", "this server sends no webhooks: it was started without a signing secret (awr serve --webhook-secret whsec_… or AWR_WEBHOOK_SECRET)", { path: "$.body.webhook" });
      }
      const inserted = await ctx.db.run(
        "INSERT INTO server_runs (run_id, tenant, deployment, plan_hash, graph, created_at, idempotency_key, request_hash, webhook_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [runId, tenant, b.deployment ?? null, planHash, graph, Date.now(), key ?? null, requestHash, b.webhook?.url ?? null],
      );
      // Two requests with one key at once: the other one's run is the answer.
      if (inserted === 0) return (await again()) ?? reply.code(409).send({ error: { code: "conflict", message: "try again" } });
      try {
        await ctx.executor.start(planHash, entry.root, graph, b.input, { runId, tenant, principal: principal as unknown as Json, ...(b.session === undefined ? {} : { sessionId: b.session }), ...(b.webhook ? { webhook: b.webhook } : {}) });
      } catch (e) {
        await ctx.db.run("DELETE FROM server_runs WHERE run_id = ?", [runId]);
        throw e;
      }
      const status = ctx.executor.isExecuting(runId) ? "running" : ((await load(ctx, runId))?.snapshot.status ?? "running");
      return reply.code(201).header("location", `/v1/runs/${runId}`).send({ runId, status, planHash });
    } finally {
      release();
    }
  });

  app.get<{ Querystring: { status?: string; deployment?: string; since?: string; cursor?: string; limit?: string } }>("/v1/runs", { schema: S.listRuns }, async (request) => {
    const { tenant } = request.caller;
    const q = request.query;
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (limit < 1) throw new ApiError(422, "invalid_request", "$.query.limit must be 1 to 500", { path: "$.query.limit" });
    const where = ["tenant = ?"];
    const params: unknown[] = [tenant];
    if (q.deployment !== undefined) {
      where.push("deployment = ?");
      params.push(q.deployment);
    }
    if (q.since !== undefined) {
      where.push("created_at >= ?");
      params.push(timeParam(q.since, "$.query.since"));
    }
    if (q.cursor !== undefined) {
      const [t, id] = parseCursor(q.cursor);
      where.push("(created_at < ? OR (created_at = ? AND run_id < ?))");
      params.push(t, t, id);
    }
    // Newest first; the status lives in the run store, so rows are read in batches and filtered.
    const runs: ReturnType<typeof runJson>[] = [];
    let last: RunRow | undefined;
    let more = false;
    const batch = Math.max(limit + 1, 50);
    for (let offset = 0; ; offset += batch) {
      const rows = (await ctx.db.all(`SELECT * FROM server_runs WHERE ${where.join(" AND ")} ORDER BY created_at DESC, run_id DESC LIMIT ${batch} OFFSET ${offset}`, params)).map(runRow);
      for (const row of rows) {
        const j = runJson(row, await load(ctx, row.run_id));
        if (q.status !== undefined && j.status !== q.status) continue;
        if (runs.length === limit) {
          more = true;
          break;
        }
        runs.push(j);
        last = row;
      }
      if (more || rows.length < batch) break;
    }
    return { runs, ...(more && last ? { nextCursor: cursorOf(last) } : {}) };
  });

  app.get<{ Params: { id: string }; Querystring: { wait?: string } }>("/v1/runs/:id", { schema: S.getRun }, async (request) => {
    const row = await ownRun(ctx, request.caller.tenant, request.params.id);
    let j = runJson(row, await load(ctx, row.run_id));
    if (request.query.wait === undefined || j.status !== "running") return j;
    const until = Date.now() + waitMs(request.query.wait, MAX_WAIT_MS);
    while (j.status === "running" && Date.now() < until && !ctx.closing.aborted) {
      await pause(ctx, row.run_id, Math.min(POLL_MS, until - Date.now()));
      j = runJson(row, await load(ctx, row.run_id));
    }
    return j;
  });

  const who = (request: { caller: { principal: { id: string } } }, comment?: string) => ({ by: request.caller.principal.id, ...(comment === undefined ? {} : { comment }) });
  const after = async (row: RunRow) => runJson(row, await load(ctx, row.run_id));

  app.post<{ Params: { id: string }; Body: { interrupt?: string; value: Json; comment?: string } }>("/v1/runs/:id/resume", { schema: S.resume }, async (request) => {
    const row = await ownRun(ctx, request.caller.tenant, request.params.id);
    const b = request.body;
    await ctx.executor.resume(row.plan_hash, row.run_id, b.value, { ...who(request, b.comment), ...(b.interrupt === undefined ? {} : { interruptId: b.interrupt }) });
    return after(row);
  });

  app.post<{ Params: { id: string }; Body: { action: "succeeded" | "retry" | "fail"; value?: Json; reason?: string; comment?: string } }>("/v1/runs/:id/resolve", { schema: S.resolve }, async (request) => {
    const row = await ownRun(ctx, request.caller.tenant, request.params.id);
    const b = request.body;
    let action: Resolution;
    if (b.action === "succeeded") {
      if (!("value" in b)) throw new ApiError(422, "invalid_request", "$.body.value is required with action succeeded", { path: "$.body.value" });
      action = { succeeded: b.value as Json };
    } else if (b.action === "fail") {
      if (b.reason === undefined || b.reason.trim() === "") throw new ApiError(422, "invalid_request", "$.body.reason is required with action fail", { path: "$.body.reason" });
      action = { fail: b.reason };
    } else action = { retry: true };
    const loaded = await load(ctx, row.run_id);
    if (loaded && loaded.snapshot.status !== "needs_attention") {
      throw new ApiError(409, "not_needing_attention", `run ${row.run_id} is ${loaded.snapshot.status}, not needs_attention`, { status: loaded.snapshot.status });
    }
    await ctx.executor.resolve(row.plan_hash, row.run_id, action, who(request, b.comment));
    return after(row);
  });

  app.post<{ Params: { id: string }; Body: { comment?: string } | undefined }>("/v1/runs/:id/cancel", { schema: S.cancel }, async (request) => {
    const row = await ownRun(ctx, request.caller.tenant, request.params.id);
    await ctx.executor.cancel(row.plan_hash, row.run_id, who(request, request.body?.comment));
    return after(row);
  });

  app.post<{ Params: { id: string; name: string }; Body: { id?: string; key?: string | number; data: Json } }>("/v1/runs/:id/events/:name", { schema: S.eventToRun }, async (request) => {
    const row = await ownRun(ctx, request.caller.tenant, request.params.id);
    const { name } = request.params;
    const b = request.body;
    const loaded = await load(ctx, row.run_id);
    // A key, when given, must be the one the run waits with.
    const p = loaded?.snapshot.status === "suspended" ? (loaded.snapshot.pending ?? []).find((x) => x.kind === "event" && x.reason === name && (b.key === undefined || x.key === b.key)) : undefined;
    if (b.id !== undefined) {
      // At most once per run: a second delivery of the id is acknowledged and ignored.
      const fresh = await ctx.db.run("INSERT INTO server_events_in (run_id, event_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [row.run_id, b.id, Date.now()]);
      if (fresh === 0) return { runId: row.run_id, delivered: false, duplicate: true };
    }
    try {
      if (!p) throw new ApiError(409, "not_waiting", `run ${row.run_id} is not waiting for event "${name}"${b.key === undefined ? "" : ` with key ${JSON.stringify(b.key)}`}`, { status: loaded?.snapshot.status ?? "running" });
      await ctx.executor.resume(row.plan_hash, row.run_id, b.data, { interruptId: p.id, by: request.caller.principal.id, comment: `event ${name}${b.id === undefined ? "" : ` ${b.id}`}` });
    } catch (e) {
      if (b.id !== undefined) await ctx.db.run("DELETE FROM server_events_in WHERE run_id = ? AND event_id = ?", [row.run_id, b.id]);
      throw e;
    }
    return { runId: row.run_id, delivered: true, run: await after(row) };
  });

  app.post<{ Params: { name: string }; Body: { id: string; key?: string | number; data: Json } }>("/v1/events/:name", { schema: S.eventToAll }, async (request) => {
    const { tenant, principal } = request.caller;
    const { name } = request.params;
    const b = request.body;
    const waiting = await Effect.runPromise(ctx.store.queries.list({ status: "suspended" }));
    const delivered: string[] = [];
    const duplicates: string[] = [];
    const refused: { runId: string; error: unknown }[] = [];
    for (const r of waiting) {
      // `await event("name", key: EXPR)` takes only events with its key; one without a key, only events without.
      const p = (r.pending ?? []).find((x) => x.kind === "event" && x.reason === name && x.key === b.key);
      if (!p) continue;
      const [row] = await ctx.db.all<{ plan_hash: string }>("SELECT plan_hash FROM server_runs WHERE run_id = ? AND tenant = ?", [r.runId, tenant]);
      if (!row) continue;
      if ((await ctx.db.run("INSERT INTO server_events_in (run_id, event_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [r.runId, b.id, Date.now()])) === 0) {
        duplicates.push(r.runId);
        continue;
      }
      try {
        await ctx.executor.resume(row.plan_hash, r.runId, b.data, { interruptId: p.id, by: principal.id, comment: `event ${name} ${b.id}` });
        delivered.push(r.runId);
      } catch (e) {
        await ctx.db.run("DELETE FROM server_events_in WHERE run_id = ? AND event_id = ?", [r.runId, b.id]);
        refused.push({ runId: r.runId, error: errorReply(e).body.error });
      }
    }
    return { id: b.id, delivered, duplicates, refused };
  });

  app.post<{ Params: { id: string }; Body: { plan: string; comment?: string } }>("/v1/runs/:id/migrate", { schema: S.migrate }, async (request) => {
    const { tenant, principal } = request.caller;
    const row = await ownRun(ctx, tenant, request.params.id);
    const target = await ctx.registry.plan(tenant, request.body.plan);
    if (!target) throw new ApiError(404, "not_found", `no plan ${request.body.plan}`, { path: "$.body.plan" });
    if (ctx.executor.isExecuting(row.run_id)) throw new ApiError(409, "conflict", `run ${row.run_id} is executing: only a waiting run moves to another plan`, { status: "running" });
    const [loaded, current] = await Promise.all([load(ctx, row.run_id), ctx.registry.byHash(row.plan_hash)]);
    if (!loaded || !current) throw new ApiError(404, "not_found", `no run ${row.run_id} in the store`);
    if (target.hash === loaded.snapshot.planHash) return runJson(row, loaded);
    const { compatOfRun } = await import("../../vm/compat.js");
    const report = await compatOfRun(ctx.store, loaded, current.plan, target.plan);
    if (!report.compatible) throw new ApiError(409, "incompatible_plan", `run ${row.run_id} cannot continue on plan ${target.hash}: ${report.problems.join("; ")}`, { problems: report.problems });
    const at = Date.now();
    await Effect.runPromise(ctx.store.log.putBlob(target.bytes));
    await Effect.runPromise(
      ctx.store.log.commit({
        runId: row.run_id,
        expectVersion: loaded.version,
        append: [],
        update: { planHash: target.hash, updatedAt: at },
        audit: [
          {
            runId: row.run_id,
            step: row.run_id,
            principal: loaded.snapshot.principal,
            kind: "operator",
            hook: "migrate",
            target: target.hash,
            policy: null,
            rule: null,
            outcome: "migrated",
            reason: `from plan ${loaded.snapshot.planHash}`,
            by: principal.id,
            ...(request.body.comment === undefined ? {} : { comment: request.body.comment }),
            at,
          },
        ],
      }),
    );
    await ctx.db.run("UPDATE server_runs SET plan_hash = ? WHERE run_id = ?", [target.hash, row.run_id]);
    return after({ ...row, plan_hash: target.hash });
  });

  app.get<{ Params: { id: string } }>("/v1/runs/:id/trace", { schema: S.runOnly }, async (request) => {
    const row = await ownRun(ctx, request.caller.tenant, request.params.id);
    const loaded = await load(ctx, row.run_id);
    if (!loaded) throw new ApiError(404, "not_found", `run ${row.run_id} is not stored yet`);
    const [events, entry] = await Promise.all([Effect.runPromise(ctx.store.queries.events(row.run_id)), ctx.registry.byHash(row.plan_hash)]);
    return buildTrace({ run: loaded, events, ...(entry ? { plan: entry.plan } : {}) });
  });

  app.get<{ Params: { id: string } }>("/v1/runs/:id/audit", { schema: S.runOnly }, async (request) => {
    const row = await ownRun(ctx, request.caller.tenant, request.params.id);
    return { records: await Effect.runPromise(ctx.store.queries.audit({ runId: row.run_id })) };
  });
}
