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
