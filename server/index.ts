// `awr serve` (DESIGN §8): DIR's programs as deployments, runs in the store (SQLite at
// DIR/.awr/runs.db by default), executed in this process, answered over HTTP. The CLI reaches the
// server through this file only (test/architecture/imports.test.ts).
import { join, resolve } from "node:path";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { packageVersion } from "../host/source-host.js";
import { openStore } from "../host/stores.js";
import { buildApp } from "./app.js";
import type { Caller } from "./caller.js";
import { openServerDb } from "./db.js";
import { loadDir, ServeSetupError } from "./registry.js";

export { buildApp, type AppOptions } from "./app.js";
export { ServeSetupError } from "./registry.js";
export { openWorker, enqueueRun, DEFAULT_HEARTBEAT_MS, type OpenWorker, type WorkerConfig, type WorkerReport } from "./worker/index.js";
export { openServerDb, type ServerDb } from "./db.js";
export { KeyStore, type ApiKey } from "./auth/keys.js";
export { webhookSecretFrom } from "./webhooks/deliverer.js";

export interface ServeOptions {
  dir: string;
  port: number;
  host: string;
  /** A store spec; default DIR/.awr/runs.db. */
  store?: string;
  models?: string;
  insecureNoAuth?: boolean;
  authenticate?: (request: FastifyRequest) => Promise<Caller>;
  cwd: string;
  env: Record<string, string | undefined>;
  logger?: boolean;
  /** Tuning (tests): SSE heartbeat and store poll intervals, shutdown grace (AppOptions). */
  heartbeatMs?: number;
  pollMs?: number;
  graceMs?: number;
  /** Runs executing at once, per tenant and in all (AppOptions). */
  maxRunsPerTenant?: number;
  maxRuns?: number;
  /** Requests per window per caller (`--rate-limit N`: per second; AppOptions.rateLimit). */
  rateLimit?: { max: number; timeWindowMs?: number } | false;
  /** Webhooks out: the `whsec_…` signing secret (`--webhook-secret`, else AWR_WEBHOOK_SECRET). */
  webhookSecret?: string;
  /** JWT bearer tokens besides API keys (`--jwt-issuer`, `--jwks`): verified against the issuer's keys. */
  jwt?: { issuer: string; jwks: string; audience?: string; tenantClaim?: string; rolesClaim?: string };
}

export interface Serving {
  app: FastifyInstance;
  url: string;
  deployments: string[];
  /** Graceful: stops accepting, ends event streams, lets requests and executions finish (then cancels them), closes the store. */
  close(): Promise<void>;
}

/** Whether `host` is a loopback address (where `--insecure-no-auth` is allowed). */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

export async function serve(o: ServeOptions): Promise<Serving> {
  if (o.insecureNoAuth && !isLoopback(o.host)) throw new ServeSetupError(`--insecure-no-auth serves only a loopback address (127.0.0.1, ::1, localhost), not ${o.host}`);
  const dir = resolve(o.cwd, o.dir);
  const deployments = await loadDir(dir, packageVersion());
  const spec = o.store ?? join(dir, ".awr", "runs.db");
  const store = await openStore(spec, { cwd: o.cwd });
  const db = await openServerDb(spec, { cwd: o.cwd }).catch(async (e: unknown) => {
    await store.close();
    throw e;
  });
  let app: FastifyInstance;
  try {
    // Auth is on by default: API keys of this store (`awr keys create --store …`).
    let authenticate = o.authenticate;
    if (!authenticate && !o.insecureNoAuth) {
      const { KeyStore: Keys, authenticator } = await import("./auth/index.js");
      authenticate = authenticator({ keys: await Keys.open(db), ...(o.jwt ? { jwt: { ...o.jwt, jwks: /^https?:\/\//i.test(o.jwt.jwks) ? o.jwt.jwks : resolve(o.cwd, o.jwt.jwks) } } : {}) });
    }
    app = await buildApp({
      store,
      storeSpec: spec,
      db,
      deployments,
      root: dir,
      cwd: o.cwd,
      env: o.env,
      ...(o.models === undefined ? {} : { models: o.models }),
      ...(authenticate ? { authenticate } : { insecure: true }),
      ...(o.logger === undefined ? {} : { logger: o.logger }),
      ...(o.heartbeatMs === undefined ? {} : { heartbeatMs: o.heartbeatMs }),
      ...(o.pollMs === undefined ? {} : { pollMs: o.pollMs }),
      ...(o.graceMs === undefined ? {} : { graceMs: o.graceMs }),
      ...(o.maxRunsPerTenant === undefined ? {} : { maxRunsPerTenant: o.maxRunsPerTenant }),
      ...(o.maxRuns === undefined ? {} : { maxRuns: o.maxRuns }),
      ...(o.webhookSecret === undefined ? {} : { webhookSecret: o.webhookSecret }),
      ...(o.rateLimit === undefined ? {} : { rateLimit: o.rateLimit }),
      recover: !/^postgres(ql)?:\/\//i.test(spec),
    });
    await app.listen({ port: o.port, host: o.host });
  } catch (e) {
    await db.close();
    await store.close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : o.port;
  let closed: Promise<void> | undefined;
  return {
    app,
    url: `http://${o.host.includes(":") && !o.host.startsWith("[") ? `[${o.host}]` : o.host}:${port}`,
    deployments: [...deployments.keys()],
    close: () =>
      (closed ??= (async () => {
        await app.close();
        await db.close();
        await store.close();
      })()),
  };
}
