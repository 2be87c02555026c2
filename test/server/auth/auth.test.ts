// Auth and tenancy (DESIGN §8 § Auth, § Limits) on a minimal fastify app of the test's own, over a
// real socket: API keys stored hashed, JWTs against a JWKS served by the test, 401 in the API's
// error shape with WWW-Authenticate, per-key rate limits and per-tenant run limits (429 with
// Retry-After), and a caller never seeing another tenant's records.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { SignJWT, exportJWK, generateKeyPair } from "jose";

type CryptoKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openServerDb, type ServerDb } from "../../../server/db.js";
import { INSECURE_CALLER } from "../../../server/caller.js";
import { KeyStore, TenantBusy, TenantLimiter, authenticator, httpErrorOf, registerAuth, sameTenant, tenantMeta, tenantOf, type AuthPluginOptions } from "../../../server/auth/index.js";

const ISSUER = "https://id.example.test/";
let dir = "";
let db: ServerDb;
let keys: KeyStore;
let jwksServer: Server;
let jwksUrl = "";
let signingKey: CryptoKey;
let otherKey: CryptoKey;
const apps: FastifyInstance[] = [];

/** The test's records: one run per tenant (a run keeps its tenant in meta.tenant). */
const RUNS: Record<string, { runId: string; meta: unknown }> = {
  "run-a": { runId: "run-a", meta: { tenant: "acme" } },
  "run-b": { runId: "run-b", meta: { tenant: "bolt" } },
};

async function serve(opts: AuthPluginOptions): Promise<string> {
  const app = Fastify();
  apps.push(app);
  const { tenants } = await registerAuth(app, opts);
  app.setErrorHandler((e, _req, reply) => {
    const h = httpErrorOf(e);
    if (h) return reply.code(h.status).headers(h.headers).send(h.body);
    return reply.code(500).send({ error: { code: "internal", message: String(e) } });
  });
  app.get("/v1/health", async () => ({ ok: true }));
  app.get("/v1/whoami", async (req) => req.caller);
  app.get<{ Params: { id: string } }>("/v1/runs/:id", async (req, reply) => {
    const run = RUNS[req.params.id];
    if (!sameTenant(req.caller, run)) return reply.code(404).send({ error: { code: "not_found", message: `no run ${req.params.id}` } });
    return run;
  });
  // A stand-in for the runs route: holds a permit of the caller's tenant until ?hold is released.
  const held: (() => void)[] = [];
  app.post("/v1/runs", async (req) => {
    held.push(tenants.acquire(req.caller.tenant));
    return { running: tenants.count(req.caller.tenant) };
  });
  app.post("/v1/release", async () => {
    for (const r of held.splice(0)) r();
    return {};
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

const get = (url: string, token?: string) => fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-auth-"));
  db = await openServerDb("runs.db", { cwd: dir });
  keys = await KeyStore.open(db);
  ({ privateKey: signingKey } = await generateKeyPair("ES256", { extractable: true }).then(async (p) => {
    const jwk = { ...(await exportJWK(p.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    writeFileSync(join(dir, "jwks.json"), JSON.stringify({ keys: [jwk] }));
    jwksServer = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwksServer.listen(0, "127.0.0.1", r));
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
    return p;
  }));
  ({ privateKey: otherKey } = await generateKeyPair("ES256"));
});

afterAll(async () => {
  for (const a of apps) await a.close();
  await new Promise((r) => jwksServer?.close(r));
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const token = (claims: Record<string, unknown>, o: { key?: CryptoKey; issuer?: string; exp?: string | number; audience?: string } = {}) => {
  const t = new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1" }).setSubject("user-7").setIssuer(o.issuer ?? ISSUER).setIssuedAt().setExpirationTime(o.exp ?? "5m");
  if (o.audience) t.setAudience(o.audience);
  return t.sign(o.key ?? signingKey);
};

describe("API keys (KeyStore)", () => {
  it("prints the key once and stores only its hash; verifies it in constant time; an altered or revoked key proves nothing", async () => {
    const made = await keys.create({ tenant: "acme", roles: ["operator", "operator", "viewer"], name: "ci" });
    expect(made.key).toMatch(/^awr_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(made.key.slice(4, 20)).toBe(made.id);
    const rows = await db.all("SELECT * FROM server_api_keys WHERE id = ?", [made.id]);
    expect(JSON.stringify(rows)).not.toContain(made.key.slice(21));
    expect(rows[0]).toMatchObject({ tenant: "acme", name: "ci", roles: '["operator","viewer"]' });
    expect(await keys.verify(made.key)).toEqual({ id: made.id, name: "ci", tenant: "acme", roles: ["operator", "viewer"], createdAt: made.createdAt });
    const last = made.key.at(-1) === "A" ? "B" : "A";
    expect(await keys.verify(made.key.slice(0, -1) + last)).toBeUndefined();
    expect(await keys.verify("awr_nope")).toBeUndefined();
    const listed = await keys.list({ tenant: "acme" });
    expect(JSON.stringify(listed)).not.toContain(made.key);
    expect(listed.map((k) => k.id)).toContain(made.id);
    expect(await keys.revoke(made.id)).toBe(true);
    expect(await keys.revoke(made.id)).toBe(false);
    expect(await keys.verify(made.key)).toBeUndefined();
    expect((await keys.list()).find((k) => k.id === made.id)?.revokedAt).toBeTypeOf("number");
    await expect(keys.create({ tenant: "a b", roles: [] })).rejects.toThrow(/tenant/);
  });
});

describe("the auth hook over HTTP", () => {
  let url = "";
  let keyA = "";
  let keyB = "";
  beforeAll(async () => {
    url = await serve({ authenticate: authenticator({ keys, jwt: { jwks: jwksUrl, issuer: ISSUER, audience: "awr", rolesClaim: "realm.roles" } }), rateLimit: false });
    keyA = (await keys.create({ tenant: "acme", roles: ["operator"], name: "a" })).key;
    keyB = (await keys.create({ tenant: "bolt", roles: [] })).key;
  });

  it("401 in the API's error shape with a Bearer challenge: no header, a malformed one, an unknown key", async () => {
    const none = await get(`${url}/v1/whoami`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="awr"');
    expect(await none.json()).toEqual({ error: { code: "unauthorized", message: expect.stringContaining("authentication required") } });
    const basic = await fetch(`${url}/v1/whoami`, { headers: { authorization: "Basic dTpw" } });
    expect(basic.status).toBe(401);
    expect(basic.headers.get("www-authenticate")).toContain('error="invalid_request"');
    const unknown = await get(`${url}/v1/whoami`, `awr_0123456789abcdef_${"x".repeat(43)}`);
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(await unknown.json()).toEqual({ error: { code: "unauthorized", message: "the API key is unknown or revoked" } });
    expect((await get(`${url}/v1/health`)).status).toBe(200);
  });

  it("a key is its principal (id: the key's id, its roles, attrs.keyName) and its tenant", async () => {
    const r = await get(`${url}/v1/whoami`, keyA);
    expect(r.status).toBe(200);
    const id = keyA.slice(4, 20);
    expect(await r.json()).toEqual({ principal: { id, roles: ["operator"], attrs: { keyName: "a" } }, tenant: "acme", via: { kind: "key", keyId: id } });
  });

  it("a key of tenant A gets 404 for B's run, and its own run", async () => {
    expect((await get(`${url}/v1/runs/run-a`, keyA)).status).toBe(200);
    const other = await get(`${url}/v1/runs/run-b`, keyA);
    expect(other.status).toBe(404);
    expect((await get(`${url}/v1/runs/run-b`, keyB)).status).toBe(200);
    expect((await get(`${url}/v1/runs/run-a`, keyB)).status).toBe(404);
  });

  it("a JWT from the JWKS URL maps sub, the roles claim, the tenant claim and the other claims", async () => {
    const t = await token({ tenant: "bolt", realm: { roles: ["approver"] }, email: "u@example.test" }, { audience: "awr" });
    const r = await get(`${url}/v1/whoami`, t);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ principal: { id: "user-7", roles: ["approver"], attrs: { tenant: "bolt", realm: { roles: ["approver"] }, email: "u@example.test" } }, tenant: "bolt", via: { kind: "jwt", issuer: ISSUER } });
    expect((await get(`${url}/v1/runs/run-a`, t)).status).toBe(404);
    expect((await get(`${url}/v1/runs/run-b`, t)).status).toBe(200);
  });

  it("401 for a bad signature, a wrong issuer, an expired token, a wrong audience, no tenant, not a JWT", async () => {
    const cases: [Promise<string> | string, string][] = [
      [token({ tenant: "bolt" }, { key: otherKey, audience: "awr" }), "signature does not verify"],
      [token({ tenant: "bolt" }, { issuer: "https://evil.example.test/", audience: "awr" }), "iss claim"],
      [token({ tenant: "bolt" }, { exp: Math.floor(Date.now() / 1000) - 3600, audience: "awr" }), "expired"],
      [token({ tenant: "bolt" }, { audience: "someone-else" }), "aud claim"],
      [token({}, { audience: "awr" }), "no tenant"],
      ["not.a.jwt", "not a valid JWT"],
    ];
    for (const [t, why] of cases) {
      const r = await get(`${url}/v1/whoami`, await t);
      expect(r.status, why).toBe(401);
      expect(((await r.json()) as { error: { message: string } }).error.message).toContain(why);
    }
  });

  it("a local JWKS file verifies too; a default tenant admits a token without the claim", async () => {
    const local = await serve({ authenticate: authenticator({ jwt: { jwks: join(dir, "jwks.json"), issuer: ISSUER, defaultTenant: "default" } }), rateLimit: false });
    const r = await get(`${local}/v1/whoami`, await token({ roles: ["x"] }));
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ principal: { id: "user-7", roles: ["x"] }, tenant: "default" });
    expect(() => authenticator({ jwt: { jwks: join(dir, "jwks.json"), issuer: "" } })).toThrow(/issuer/);
    expect(() => authenticator({ jwt: { jwks: join(dir, "missing.json"), issuer: ISSUER } })).toThrow(/cannot read the JWKS file/);
    expect(() => authenticator({})).toThrow(/API keys, a JWT configuration, or both/);
    // Without keys configured an API key is refused, not looked up.
    expect((await get(`${local}/v1/whoami`, keyA)).status).toBe(401);
  });
});

describe("limits", () => {
  it("per-key rate limit: past max in the window, 429 with Retry-After in the API's error shape; another key has its own bucket", async () => {
    const url = await serve({ authenticate: authenticator({ keys }), rateLimit: { max: 3, timeWindowMs: 60_000 } });
    const k1 = (await keys.create({ tenant: "acme", roles: [] })).key;
    const k2 = (await keys.create({ tenant: "acme", roles: [] })).key;
    for (let i = 0; i < 3; i++) expect((await get(`${url}/v1/whoami`, k1)).status).toBe(200);
    const over = await get(`${url}/v1/whoami`, k1);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await over.json()).toEqual({ error: { code: "rate_limited", message: expect.stringContaining("more than 3 requests") } });
    expect((await get(`${url}/v1/whoami`, k2)).status).toBe(200);
  });

  it("per-tenant concurrent runs: at the limit the route answers 429 with Retry-After; a release makes room; other tenants are unaffected", async () => {
    const url = await serve({ authenticate: authenticator({ keys }), rateLimit: false, tenantLimits: { maxRunning: 2, tenants: { bolt: 1 }, retryAfterSeconds: 3 } });
    const a = (await keys.create({ tenant: "acme", roles: [] })).key;
    const b = (await keys.create({ tenant: "bolt", roles: [] })).key;
    const post = (path: string, k: string) => fetch(`${url}${path}`, { method: "POST", headers: { authorization: `Bearer ${k}` } });
    expect(await (await post("/v1/runs", a)).json()).toEqual({ running: 1 });
    expect(await (await post("/v1/runs", a)).json()).toEqual({ running: 2 });
    const busy = await post("/v1/runs", a);
    expect(busy.status).toBe(429);
    expect(busy.headers.get("retry-after")).toBe("3");
    expect(await busy.json()).toEqual({ error: { code: "too_many_runs", message: "tenant acme has 2 runs executing, its limit; retry after 3 s" } });
    expect((await post("/v1/runs", b)).status).toBe(200);
    expect((await post("/v1/runs", b)).status).toBe(429);
    await post("/v1/release", a);
    expect((await post("/v1/runs", a)).status).toBe(200);
  });

  it("TenantLimiter: a release is idempotent; run() gives the permit back when the work throws", async () => {
    const l = new TenantLimiter({ maxRunning: 1 });
    const release = l.acquire("t");
    expect(() => l.acquire("t")).toThrow(TenantBusy);
    release();
    release();
    expect(l.count("t")).toBe(0);
    await expect(l.run("t", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(l.count("t")).toBe(0);
    expect(httpErrorOf(new TenantBusy("t", 1, 2))).toEqual({ status: 429, headers: { "retry-after": "2" }, body: { error: { code: "too_many_runs", message: expect.any(String) } } });
    expect(() => new TenantLimiter({ maxRunning: -1 })).toThrow(RangeError);
  });
});

describe("tenancy helpers", () => {
  it("tenantOf reads a row's tenant or a run's meta.tenant, else default; sameTenant refuses a missing record", () => {
    expect(tenantOf({ tenant: "acme" })).toBe("acme");
    expect(tenantOf({ meta: { tenant: "bolt" } })).toBe("bolt");
    expect(tenantOf({ meta: null })).toBe("default");
    expect(sameTenant(INSECURE_CALLER, { meta: {} })).toBe(true);
    expect(sameTenant(INSECURE_CALLER, undefined)).toBe(false);
    expect(tenantMeta({ ...INSECURE_CALLER, tenant: "acme" }, { root: "/x" })).toEqual({ root: "/x", tenant: "acme" });
  });
});
