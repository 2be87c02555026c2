// One error shape for every refusal of the HTTP API (DESIGN §8): `{ error: { code, message,
// details? } }`. Routes throw `ApiError`; the VM's refusals (vm/operator.ts, vm/ports/errors.ts)
// and fastify's own errors (bad JSON, body too large, a failed schema, no such route) are turned
// into it by one handler, so no route writes an error body by hand.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { errorTag } from "../vm/ports/errors.js";
import { httpErrorOf } from "./auth/errors.js";

export type ErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "webhooks_off"
  | "payload_too_large"
  | "unsupported_media_type"
  | "invalid_request"
  | "invalid_input"
  | "invalid_value"
  | "invalid_plan"
  | "idempotency_key_reused"
  | "not_waiting"
  | "incompatible_plan"
  | "not_needing_attention"
  | "rate_limited"
  | "unavailable"
  | "internal";

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Headers of the answer (Retry-After of a 429). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError(404, "not_found", `no ${what}`);

/** `$.a.b: expected …` (vm/schema.ts messages) → `$.a.b`. */
export function pathOfSchemaError(message: string | undefined): string {
  const m = message === undefined ? undefined : /^(\$[^:]*):/.exec(message);
  return m?.[1] ?? "$";
}

/** An ajv instance path (`/input/0/name`) under `where` (body, query, params) as a JSON path (`$.body.input[0].name`). */
function jsonPath(where: string, instancePath: string, missing?: string): string {
  const parts = instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (missing !== undefined) parts.push(missing);
  return `$.${where}${parts.map((p) => (/^\d+$/.test(p) ? `[${p}]` : /^[A-Za-z_][\w]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join("")}`;
}

const CONTEXT: Record<string, string> = { body: "body", querystring: "query", params: "params", headers: "headers" };

/** Any error a route or fastify raised, as the status and body the API answers with. */
export function errorReply(e: unknown): { status: number; body: ErrorBody; headers?: Record<string, string> } {
  const body = (status: number, code: string, message: string, details?: Record<string, unknown>) => ({ status, body: { error: { code, message, ...(details ? { details } : {}) } } });
  // The auth layer's refusals (401 with WWW-Authenticate, 429 with Retry-After) keep their code and headers.
  const auth = httpErrorOf(e);
  if (auth) return auth;
  if (e instanceof ApiError) return { ...body(e.status, e.code, e.message, e.details), ...(e.headers ? { headers: e.headers } : {}) };
  const fe = e as FastifyError & { validation?: { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }[]; validationContext?: string };
  if (fe.validation && fe.validation.length > 0) {
    const first = fe.validation[0]!;
    const where = CONTEXT[fe.validationContext ?? "body"] ?? "body";
    const missing = first.keyword === "required" ? String(first.params["missingProperty"]) : first.keyword === "additionalProperties" ? String(first.params["additionalProperty"]) : undefined;
    const path = jsonPath(where, first.instancePath, missing);
    const what = first.keyword === "additionalProperties" ? "is not allowed" : first.keyword === "required" ? "is required" : (first.message ?? "is invalid");
    return body(422, "invalid_request", `${path} ${what}`, { path, errors: fe.validation.map((v) => `${jsonPath(where, v.instancePath)} ${v.message ?? v.keyword}`) });
  }
  switch (errorTag(e)) {
    case "InvalidInput": {
      const x = e as Error & { graph: string; expected: string; errors: string[] };
      return body(422, "invalid_input", x.message, { path: pathOfSchemaError(x.errors[0]).replace(/^\$/, "$.input"), graph: x.graph, expected: x.expected, errors: x.errors });
    }
    case "InvalidResumeValue": {
      const x = e as Error & { expected: string; errors: string[] };
      return body(422, "invalid_value", x.message, { path: pathOfSchemaError(x.errors[0]).replace(/^\$/, "$.value"), expected: x.expected, errors: x.errors });
    }
    case "UnknownRun":
      return body(404, "not_found", (e as Error).message);
    case "NotWaiting":
      return body(409, "not_waiting", (e as Error).message, { status: (e as Error & { runStatus: string }).runStatus });
    case "NotNeedingAttention":
      return body(409, "not_needing_attention", (e as Error).message, { status: (e as Error & { runStatus: string }).runStatus });
    case "VersionConflict":
      return body(409, "conflict", "the run moved while this request was answered: try again");
    case "PlanError":
      return body(422, "invalid_plan", (e as Error).message);
  }
  const status = typeof fe.statusCode === "number" ? fe.statusCode : 500;
  switch (fe.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return body(400, "bad_request", `the body is not valid JSON: ${fe.message}`);
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return body(413, "payload_too_large", "the body is larger than the server accepts");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return body(415, "unsupported_media_type", fe.message);
  }
  if (status === 429) return body(429, "rate_limited", fe.message || "too many requests");
  if (status === 401) return body(401, "unauthorized", fe.message);
  if (status === 403) return body(403, "forbidden", fe.message);
  if (status >= 400 && status < 500) return body(status, status === 413 ? "payload_too_large" : status === 404 ? "not_found" : "bad_request", fe.message);
  return body(500, "internal", "internal error (a bug in awr; the server log has it)");
}

/** Installs the one error shape for thrown errors and for routes that do not exist. */
export function installErrors(app: FastifyInstance): void {
  app.setErrorHandler((e: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const r = errorReply(e);
    if (r.status >= 500) request.log.error(e);
    // Headers a refusal set before it was thrown (Retry-After of a rate limit) stay.
    if (r.headers) reply.headers(r.headers);
    return reply.code(r.status).type("application/json").send(r.body);
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: { code: "not_found", message: `no route ${request.method} ${request.url.split("?")[0]}` } } satisfies ErrorBody);
  });
}
