/** Why a plan could not be loaded. Each code has one cause; see docs/plan.md. */
export type PlanErrorCode = "PLAN_BAD_MAGIC" | "PLAN_VERSION" | "PLAN_TRUNCATED" | "PLAN_CHECKSUM" | "PLAN_INVALID";

/** A plan that cannot be loaded: a tagged error with a stable code and a one-line message. */
export class PlanError extends Error {
  readonly _tag = "PlanError" as const;
  constructor(
    readonly code: PlanErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "PlanError";
  }
}

/** Why a readable plan may not run under a trust list (docs/plan.md § Signatures). */
export type PlanTrustErrorCode = "PLAN_UNSIGNED" | "PLAN_UNTRUSTED_KEY" | "PLAN_BAD_SIGNATURE";

/**
 * A plan refused because trusted keys were given and it is unsigned, signed by another key, or
 * changed after it was signed. Not a `PlanError`: the file is readable, it is just not trusted.
 */
export class PlanTrustError extends Error {
  readonly _tag = "PlanTrustError" as const;
  constructor(
    readonly code: PlanTrustErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "PlanTrustError";
  }
}

/** A key file that is not an Ed25519 key of the kind asked for (a private key to sign, a public key to trust). */
export class SigningKeyError extends Error {
  readonly _tag = "SigningKeyError" as const;
  constructor(message: string) {
    super(message);
    this.name = "SigningKeyError";
  }
}
