// Who a request is from (DESIGN §8 § Auth): `Authorization: Bearer awr_…` is an API key of the
// server's key table, any other bearer token a JWT (when JWT verification is configured). No
// credentials, or credentials that prove nothing, are an `AuthError` (401).
import type { FastifyRequest } from "fastify";
import type { Caller } from "../caller.js";
import { AuthError } from "./errors.js";
import { jwtVerifier, type JwtOptions } from "./jwt.js";
import { KEY_PREFIX, type ApiKey, type KeyStore } from "./keys.js";

export interface AuthenticatorOptions {
  /** API keys (`awr keys create`). */
  keys?: KeyStore;
  /** JWT verification; without it a bearer token that is not an API key is refused. */
  jwt?: JwtOptions;
}

export type Authenticate = (request: FastifyRequest) => Promise<Caller>;

/** The caller of an API key: principal id = the key's id, roles = its roles, attrs = `{ keyName }` when it has a name. */
export function callerOfKey(k: ApiKey): Caller {
  return { principal: { id: k.id, roles: [...k.roles], attrs: k.name !== undefined ? { keyName: k.name } : {} }, tenant: k.tenant, via: { kind: "key", keyId: k.id } };
}

export function authenticator(opts: AuthenticatorOptions): Authenticate {
  if (!opts.keys && !opts.jwt) throw new Error("authenticator: give API keys, a JWT configuration, or both");
  const jwt = opts.jwt ? jwtVerifier(opts.jwt) : undefined;
  return async (request) => {
    const token = bearerToken(request.headers.authorization);
    if (token.startsWith(KEY_PREFIX)) {
      const k = opts.keys ? await opts.keys.verify(token) : undefined;
      if (!k) throw new AuthError("the API key is unknown or revoked");
      return callerOfKey(k);
    }
    if (!jwt) throw new AuthError("the bearer token is not an API key of this server (awr_…), and JWTs are not configured");
    return jwt(token);
  };
}

/** The token of an `Authorization: Bearer …` header. */
function bearerToken(header: string | undefined): string {
  if (header === undefined || header.trim() === "") throw new AuthError("authentication required: send Authorization: Bearer <API key or JWT>", null);
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!m) throw new AuthError("the Authorization header must be Bearer <API key or JWT>", "invalid_request");
  return m[1]!;
}
