// The auth layer on a fastify app (DESIGN §8 § Auth, § Limits): one onRequest hook that sets
// `request.caller` (401 when it cannot) and counts the request against its caller's rate limit
// (429 with Retry-After), and the per-tenant run limiter the runs routes use. The hook answers its
// refusals itself, in the API's error shape, before the body is read.
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Caller } from "../caller.js";
import type { Authenticate } from "./authenticator.js";
import { AuthError, RateLimited, replyWith } from "./errors.js";
import { TenantLimiter, type TenantLimitOptions } from "./limits.js";

export interface AuthPluginOptions {
  /**
   * Who a request is from (`authenticator({ keys, jwt })`, or `async () => INSECURE_CALLER` for
   * `--insecure-no-auth`). Absent: the hook sets no caller (the app sets `request.caller` in an
   * onRequest hook of its own, added before this one) and only limits.
   */
  authenticate?: Authenticate;
  /** Requests that need no caller (default: GET /v1/health and /v1/ready). Their rate limit counts by IP. */
  isPublic?: (request: FastifyRequest) => boolean;
  /** Requests per window per API key (per JWT principal; per IP without a caller); default 100 per second. `false`: no rate limit. */
  rateLimit?: { max: number; timeWindowMs?: number } | false;
  /** Runs executing at once per tenant (the limiter returned and decorated as `app.tenantLimiter`). */
  tenantLimits?: TenantLimitOptions;
}

const PUBLIC = new Set(["/v1/health", "/v1/ready"]);
export const defaultIsPublic = (request: FastifyRequest): boolean => request.method === "GET" && PUBLIC.has(request.url.split("?")[0]!);

/** The rate-limit bucket of a request: its API key, its JWT principal, else its address. */
export function rateKeyOf(caller: Caller | null | undefined, ip: string): string {
  if (!caller) return `ip:${ip}`;
  if (caller.via.kind === "key") return `key:${caller.via.keyId}`;
  if (caller.via.kind === "jwt") return `jwt:${caller.via.issuer}|${caller.principal.id}`;
  return `none:${ip}`;
}

declare module "fastify" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- merged into fastify's own
  interface FastifyInstance {
    tenantLimiter: TenantLimiter;
  }
}

/**
 * Adds the auth hook and rate limit to `app` itself (not an encapsulated child: it applies to every
 * route, those added before and after) and returns the tenant limiter. Await it before `listen`.
 */
export async function registerAuth(app: FastifyInstance, opts: AuthPluginOptions = {}): Promise<{ tenants: TenantLimiter }> {
  const tenants = new TenantLimiter(opts.tenantLimits);
  if (!app.hasDecorator("tenantLimiter")) app.decorate("tenantLimiter", tenants);
  if (!app.hasRequestDecorator("caller")) app.decorateRequest("caller", null as unknown as Caller);
  const isPublic = opts.isPublic ?? defaultIsPublic;
  let check: ((req: FastifyRequest) => Promise<{ isAllowed: boolean; isExceeded?: boolean; ttlInSeconds?: number; max?: number }>) | undefined;
  if (opts.rateLimit !== false) {
    const { max = 100, timeWindowMs = 1000 } = opts.rateLimit ?? {};
    if (!(Number.isInteger(max) && max > 0) || !(Number.isInteger(timeWindowMs) && timeWindowMs > 0)) throw new RangeError("rateLimit: max and timeWindowMs are whole numbers > 0");
    // `global: false`: no per-route hooks; the one limiter is asked from the auth hook, after the
    // caller is known, so the bucket is the key's.
    if (!app.hasDecorator("createRateLimit")) await app.register(rateLimit, { global: false });
    check = app.createRateLimit({ max, timeWindow: timeWindowMs, keyGenerator: (req) => rateKeyOf(req.caller, req.ip) });
  }
  const authenticate = opts.authenticate;
  app.addHook("onRequest", async (request, reply) => {
    if (authenticate && !isPublic(request)) {
      try {
        request.caller = await authenticate(request);
      } catch (e) {
        if (e instanceof AuthError) return replyWith(reply, e);
        throw e;
      }
    }
    if (check) {
      const r = await check(request);
      if (!r.isAllowed && r.isExceeded) {
        const after = Math.max(1, r.ttlInSeconds ?? 1);
        return replyWith(reply, new RateLimited(`more than ${r.max} requests in the window; retry after ${after} s`, after));
      }
    }
  });
  return { tenants };
}
