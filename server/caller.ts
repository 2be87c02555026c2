// Who is calling the HTTP API (DESIGN §8 § Auth): set on every request by the auth hook
// (server/auth/) before any route runs, and read by the routes to scope what the caller sees.
import type { JsonValue as Json } from "../compiler/plan/types.js";
import type { FastifyRequest } from "fastify";

/** The principal policies see (`principal.id`, `principal.roles`, `principal.attrs`). */
export interface CallerPrincipal {
  id: string;
  roles: string[];
  attrs: Record<string, Json>;
}

export interface Caller {
  principal: CallerPrincipal;
  /** Every run, plan, deployment and event belongs to one tenant; a caller sees its own only. */
  tenant: string;
  /** How the caller proved who it is: an API key (its id, never the key), a JWT, or no auth (`--insecure-no-auth`, loopback only). */
  via: { kind: "key"; keyId: string } | { kind: "jwt"; issuer: string } | { kind: "none" };
}

/** The caller of `--insecure-no-auth`: one tenant, one principal with every role a policy may ask for being absent. */
export const INSECURE_CALLER: Caller = { principal: { id: "anonymous", roles: [], attrs: {} }, tenant: "default", via: { kind: "none" } };

declare module "fastify" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- merged into fastify's own
  interface FastifyRequest {
    caller: Caller;
  }
}

/** The caller of a request (set by the auth hook before any route runs). */
export const callerOf = (request: FastifyRequest): Caller => request.caller;
