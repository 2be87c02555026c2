// awr/vm — runs compiled plans. This first piece loads and validates a plan without the compiler;
// the interpreter arrives with the VM issue. Imports compiler/plan only (ARCHITECTURE.md).
import { decodePlan, type Plan } from "../compiler/plan/index.js";

export { PlanError, readPlanHeader, type Plan, type PlanHeader } from "../compiler/plan/index.js";

/** Decodes a `.awrp` file: header checked first, body validated against the plan schema. */
export function loadPlan(bytes: Uint8Array): Plan {
  return decodePlan(bytes);
}
