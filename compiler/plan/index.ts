// awr/compiler/plan — everything a runtime needs to load and read a plan, and nothing else.
export * from "./types.js";
export * from "./ids.js";
export * from "./vocabulary.js";
export { PlanError, type PlanErrorCode } from "./errors.js";
export { encodePlan, decodePlan, readPlanHeader, PLAN_MAGIC, type PlanHeader } from "./codec.js";
export { planToText, exprText, schemaText } from "./inspect.js";
export { PlanTrustError, SigningKeyError, type PlanTrustErrorCode } from "./errors.js";
export { SIGNED_FORMAT, keyFingerprint, type PlanSignature } from "./codec.js";
export { signPlan, verifyPlanSignature, signatureIntact, fingerprintOf, signingKey, trustedKey, type KeyInput } from "./signature.js";
