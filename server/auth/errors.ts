// The refusals of the auth layer, each with its HTTP status, error code and headers (DESIGN §8:
// errors are `{ "error": { "code", "message" } }`). The auth hook answers them itself
// (`replyWith`), so the shape holds whatever error handler the app has; routes that throw them
// (the tenant limiter) get the same answer from the app's handler through `httpErrorOf`.
import type { FastifyReply } from "fastify";

abstract class HttpRefusal extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** Extra response headers (`WWW-Authenticate`, `Retry-After`). */
  abstract readonly headers: Record<string, string>;
  /** Fastify's default error handler reads `statusCode`. */
  get statusCode(): number {
    return this.status;
  }
}

/** No credentials, or credentials that do not prove anything (401). `message` never echoes the key or token. */
export class AuthError extends HttpRefusal {
  readonly _tag = "AuthError";
  readonly status = 401;
  readonly code = "unauthorized";
  readonly headers: Record<string, string>;
  constructor(message: string, scheme: "invalid_token" | "invalid_request" | null = "invalid_token") {
    super(message);
    // RFC 6750 §3: the challenge, with the error when credentials were sent and refused.
    const why = scheme ? `, error="${scheme}", error_description="${message.replace(/["\\]/g, "'")}"` : "";
    this.headers = { "www-authenticate": `Bearer realm="awr"${why}` };
  }
}

/** Too many requests from one key or principal in the window (429). */
export class RateLimited extends HttpRefusal {
  readonly _tag = "RateLimited";
  readonly status = 429;
  readonly code = "rate_limited";
  readonly headers: Record<string, string>;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.headers = { "retry-after": String(retryAfterSeconds) };
  }
}

/** A tenant already has as many runs executing as it may (429). */
export class TenantBusy extends HttpRefusal {
  readonly _tag = "TenantBusy";
  readonly status = 429;
  readonly code = "too_many_runs";
  readonly headers: Record<string, string>;
  constructor(
    readonly tenant: string,
    readonly limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`tenant ${tenant} has ${limit} runs executing, its limit; retry after ${retryAfterSeconds} s`);
    this.headers = { "retry-after": String(retryAfterSeconds) };
  }
}

export type AuthRefusal = AuthError | RateLimited | TenantBusy;

/** The HTTP answer to one of the auth layer's refusals; `undefined` for any other error (the app's to map). */
export function httpErrorOf(e: unknown): { status: number; headers: Record<string, string>; body: { error: { code: string; message: string } } } | undefined {
  if (!(e instanceof HttpRefusal)) return undefined;
  return { status: e.status, headers: e.headers, body: { error: { code: e.code, message: e.message } } };
}

/** Sends the refusal as the reply (the auth hook's way: independent of the app's error handler). */
export function replyWith(reply: FastifyReply, e: AuthRefusal): FastifyReply {
  const h = httpErrorOf(e)!;
  return reply.code(h.status).headers(h.headers).send(h.body);
}
