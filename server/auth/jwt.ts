// JWT bearer tokens (DESIGN §8 § Auth) verified with jose against a JWKS — an identity provider's
// URL (fetched and cached by jose, refetched for an unknown `kid`) or a local JWKS file — and a
// required issuer (and audience when configured). The claims map to the principal policies see
// and to the caller's tenant.
import { readFileSync } from "node:fs";
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { JsonValue as Json } from "../../compiler/plan/types.js";
import type { Caller } from "../caller.js";
import { AuthError } from "./errors.js";

export interface JwtOptions {
  /** The JWKS: an `https://…` (or `http://` for loopback tests) URL, or the path of a JWKS JSON file. */
  jwks: string;
  /** The required `iss`. */
  issuer: string;
  /** The required `aud`, when set. */
  audience?: string | string[];
  /** Where the principal's roles are: a claim name or a dotted path (`realm_access.roles`); default `roles`. A string claim is split on spaces (`scope`). */
  rolesClaim?: string;
  /** Where the tenant is: a claim name or dotted path; default `tenant`. */
  tenantClaim?: string;
  /** The tenant of a token without the tenant claim; without this, such a token is refused (401). */
  defaultTenant?: string;
  /** Accepted signature algorithms (default: jose's, by key type; `none` never). */
  algorithms?: string[];
  /** Clock skew tolerated for `exp`/`nbf`, in seconds (default 30). */
  clockToleranceSeconds?: number;
  /** The current time (tests). */
  now?: () => number;
}

/** The claims that say what the token is, not who the caller is: left out of `principal.attrs`. */
const REGISTERED = new Set(["iss", "sub", "aud", "exp", "nbf", "iat", "jti"]);

/** A verifier of bearer tokens: the caller a valid token proves, else an `AuthError`. */
export function jwtVerifier(opts: JwtOptions): (token: string) => Promise<Caller> {
  if (!opts.issuer) throw new Error("JWT verification needs the issuer it requires (iss)");
  const keys = keySet(opts.jwks);
  const rolesClaim = opts.rolesClaim ?? "roles";
  const tenantClaim = opts.tenantClaim ?? "tenant";
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: opts.issuer,
        ...(opts.audience !== undefined ? { audience: opts.audience } : {}),
        ...(opts.algorithms ? { algorithms: opts.algorithms } : {}),
        clockTolerance: opts.clockToleranceSeconds ?? 30,
        ...(opts.now ? { currentDate: new Date(opts.now()) } : {}),
      }));
    } catch (e) {
      throw new AuthError(refusal(e));
    }
    if (typeof payload.sub !== "string" || payload.sub === "") throw new AuthError("the token has no subject (sub)");
    const tenant = claim(payload, tenantClaim) ?? opts.defaultTenant;
    if (typeof tenant !== "string" || tenant === "") throw new AuthError(`the token has no tenant (claim ${tenantClaim})`);
    const attrs: Record<string, Json> = {};
    for (const [k, v] of Object.entries(payload)) if (!REGISTERED.has(k)) attrs[k] = v as Json;
    return { principal: { id: payload.sub, roles: rolesOf(claim(payload, rolesClaim)), attrs }, tenant, via: { kind: "jwt", issuer: opts.issuer } };
  };
}

function keySet(jwks: string): JWTVerifyGetKey {
  if (/^https?:\/\//i.test(jwks)) return createRemoteJWKSet(new URL(jwks));
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(jwks, "utf8"));
  } catch (e) {
    throw new Error(`cannot read the JWKS file ${jwks}: ${(e as Error).message}`);
  }
  return createLocalJWKSet(parsed as Parameters<typeof createLocalJWKSet>[0]);
}

/** What was wrong with a token, in words safe to send back (no token contents). */
function refusal(e: unknown): string {
  if (e instanceof errors.JWTExpired) return "the token has expired";
  if (e instanceof errors.JWTClaimValidationFailed) return `the token's ${e.claim} claim is not accepted`;
  if (e instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (e instanceof errors.JWKSNoMatchingKey) return "the token is signed by a key the issuer's JWKS does not have";
  if (e instanceof errors.JOSEAlgNotAllowed) return "the token's signature algorithm is not accepted";
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return "the issuer's keys could not be fetched";
  if (e instanceof errors.JOSEError) return "the token is not a valid JWT";
  return "the token could not be verified";
}

function claim(payload: JWTPayload, path: string): unknown {
  let v: unknown = payload;
  for (const part of path.split(".")) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function rolesOf(v: unknown): string[] {
  if (typeof v === "string") return v.split(" ").filter(Boolean);
  if (Array.isArray(v)) return v.filter((r): r is string => typeof r === "string");
  return [];
}
