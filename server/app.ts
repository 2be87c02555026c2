// The HTTP API of `awr serve` (DESIGN §8) as a fastify instance: the shared context, the caller
// of every request, the one error shape, request metrics, and the routes of routes/. Nothing here
// listens or reads the command line: `serve` (index.ts) does, and tests call `buildApp`.
import { Effect } from "effect";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import type { RunStore } from "../vm/index.js";
import { INSECURE_CALLER, type Caller } from "./caller.js";
import type { ServerDb } from "./db.js";
import { ApiError, installErrors } from "./errors.js";
import { Executor } from "./executor.js";
import { Metrics } from "./metrics.js";
import { Registry, type PlanEntry } from "./registry.js";
import { planRoutes } from "./routes/plans.js";
import { runRoutes } from "./routes/runs.js";
import { streamRoutes } from "./routes/stream.js";
import { systemRoutes } from "./routes/system.js";
import { migrateServe } from "./tables.js";
import { DeliveryLog, WebhookDeliverer, webhookRoutes, type DelivererOptions } from "./webhooks/index.js";
import { registerAuth } from "./auth/plugin.js";

export interface AppOptions {
  store: RunStore;
  /** The spec `store` was opened from (vector indexes beside a SQLite file). */
  storeSpec?: string;
  db: ServerDb;
  /** DIR's deployments (registry.ts loadDir). */
  deployments: Map<string, PlanEntry>;
  /** DIR: pushed plans find their js tools here. */
  root: string;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Models spec of every runtime: `openai` (default) or `recorded:<file.jsonl>`. */
  models?: string;
  /** The auth hook (server/auth/): who calls. Absent, `insecure` must be true: every request is INSECURE_CALLER. */
  authenticate?: (request: FastifyRequest) => Promise<Caller>;
  insecure?: boolean;
  /** Largest JSON body accepted, bytes (default 1 MiB; plans: 16 MiB). */
  bodyLimit?: number;
  /** SSE: a comment line this often (default 15 s); the store is polled for events of runs executing elsewhere this often (default 1 s). */
  heartbeatMs?: number;
  pollMs?: number;
  /**
   * Runs executing at once in this process, per tenant and in all (default 100 and 1000): a start
   * past either is answered 429 with Retry-After, before anything is stored. Waiting runs do not count.
   */
  maxRunsPerTenant?: number;
  maxRuns?: number;
  /** How long shutdown waits for executions before cancelling them (default 10 s). */
  graceMs?: number;
  logger?: boolean;
  /**
   * At start, continue the tenant runs the store says are running: a server that died left them
   * so (the embedded default, one server per store). Not with a store shared by many processes,
   * where another one may be executing them.
   */
  recover?: boolean;
  /**
   * Webhooks out (DESIGN §8): the signing secret (`--webhook-secret`, else `AWR_WEBHOOK_SECRET`).
   * Without one, a start request's `webhook` is refused (nothing could be signed) and no delivery
   * is attempted; the deliveries stay listable. `webhookOptions`: the deliverer's tuning (tests).
   */
  webhookSecret?: string;
  webhookOptions?: Omit<DelivererOptions, "store" | "deliveries" | "secret">;
  /**
   * Requests per window per caller (an API key, a JWT principal; by address for health and
   * readiness): past it, 429 with Retry-After (server/auth/plugin.ts). Default 100 per second with
   * auth; none with `insecure` (one anonymous caller: the limit would be the whole server's).
   */
  rateLimit?: { max: number; timeWindowMs?: number } | false;
}

export interface Ctx {
  o: AppOptions;
  store: RunStore;
  db: ServerDb;
  registry: Registry;
  executor: Executor;
  metrics: Metrics;
  /** Aborted when the server starts closing: long polls and event streams end. */
  closing: AbortSignal;
  /** Open event streams, ended when the server closes. */
  streams: Set<{ end(): void }>;
  /** Signs and delivers the webhook events of the outbox; undefined without a signing secret. */
  deliverer: WebhookDeliverer | undefined;
}

declare module "fastify" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- merged into fastify's own
  interface FastifyContextConfig {
    /** Answered without asking who calls (health, readiness, metrics). */
    public?: boolean;
  }
}

export const PLAN_MEDIA_TYPE = "application/vnd.awr.plan";

export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  if (!o.authenticate && !o.insecure) throw new Error("buildApp needs authenticate, or insecure (--insecure-no-auth)");
  await migrateServe(o.db);
  const metrics = new Metrics();
  const registry = new Registry(o.db, o.store, o.deployments, o.root);
  const executor = new Executor({
    store: o.store,
    ...(o.storeSpec === undefined ? {} : { storeSpec: o.storeSpec }),
    cwd: o.cwd,
    env: o.env,
    ...(o.models === undefined ? {} : { models: o.models }),
    registry,
    metrics,
    log: (m, e) => app.log.error({ err: e }, m),
  });
  const closing = new AbortController();
  const app = Fastify({
    logger: o.logger ?? false,
    bodyLimit: o.bodyLimit ?? 1024 * 1024,
    // Unknown fields are refused (422), not silently dropped; types are not coerced in bodies.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false, allowUnionTypes: true } },
    return503OnClosing: true,
  });
  const deliveries = await DeliveryLog.open(o.db);
  const deliverer = o.webhookSecret === undefined ? undefined : new WebhookDeliverer({ onError: (e) => app.log.error({ err: e }, "webhook delivery"), ...o.webhookOptions, store: o.store, deliveries, secret: o.webhookSecret });
  const ctx: Ctx = { o, store: o.store, db: o.db, registry, executor, metrics, closing: closing.signal, streams: new Set(), deliverer };
  installErrors(app);
  app.addContentTypeParser(PLAN_MEDIA_TYPE, { parseAs: "buffer", bodyLimit: 16 * 1024 * 1024 }, (_req, body, done) => done(null, body));
  app.decorateRequest("caller", null as unknown as Caller);
  app.addHook("onRequest", async (request) => {
    if (request.routeOptions.config?.public) return;
    request.caller = o.authenticate ? await o.authenticate(request) : INSECURE_CALLER;
    if (!request.caller) throw new ApiError(401, "unauthorized", "no caller");
  });
  // After the hook above (hooks run in the order they are added): the caller is known, so the bucket is its own.
  const rate = o.rateLimit ?? (o.authenticate ? { max: 100, timeWindowMs: 1000 } : false);
  if (rate) await registerAuth(app, { rateLimit: rate, isPublic: (request) => request.routeOptions.config?.public === true });
  app.addHook("onResponse", async (request, reply) => {
    metrics.request(request.method, request.routeOptions.url ?? "unmatched", reply.statusCode);
  });
  app.addHook("preClose", async () => {
    closing.abort();
    for (const s of ctx.streams) s.end();
  });
  app.addHook("onClose", async () => {
    await executor.close(o.graceMs ?? 10_000);
    // After the executions: the events of their last commits are delivered before the loop stops.
    await deliverer?.stop();
  });
  await app.register(async (scope) => {
    systemRoutes(scope, ctx);
    planRoutes(scope, ctx);
    runRoutes(scope, ctx);
    streamRoutes(scope, ctx);
    await scope.register(webhookRoutes, { deliveries });
  });
  deliverer?.start();
  if (o.recover) await recoverRuns(ctx);
  return app;
}

/** Runs of this server's tables that the store says are running, continued in the background. */
async function recoverRuns(ctx: Ctx): Promise<void> {
  const running = await Effect.runPromise(ctx.store.queries.list({ status: "running" }));
  for (const r of running) {
    const [row] = await ctx.db.all<{ plan_hash: string }>("SELECT plan_hash FROM server_runs WHERE run_id = ?", [r.runId]);
    if (!row) continue;
    ctx.executor.recover(row.plan_hash, r.runId).catch(() => {});
  }
}
