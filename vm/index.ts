// awr/vm — runs compiled plans. Imports compiler/plan only (ARCHITECTURE.md): a service needs the
// plan file, not the compiler.
import { decodePlan, type Plan } from "../compiler/plan/index.js";

export { PlanError, readPlanHeader, type Plan, type PlanHeader } from "../compiler/plan/index.js";
export { createRuntime, planOfRun, type Runtime, type RuntimeOptions, type RunOutcome, type StartOptions } from "./runtime.js";
export { Mocks, type ExecResult, type Observations } from "./interpreter.js";
export { openStore, MemoryStore, SqliteStore, StoreError, DEFAULT_STORE_PATH } from "./store/index.js";
export { OpenAIGateway, RecordedModels, RecordingModels, type OpenAIGatewayOptions } from "./gateway/index.js";
export { Tools } from "./tools/index.js";
export { runTests, type TestResult, type ExpectResult } from "./testing.js";
export { replayRun, type ReplayReport } from "./replay.js";
export { validate } from "./schema.js";
export { decide, isRetryable, retrySchedule } from "./retry.js";
export { AwrRuntime, AwrStore, AwrModels, AwrTools, AwrRuntimeError } from "./services.js";
export * from "./types.js";

/** Decodes a `.awrp` file: header checked first, body validated against the plan schema. */
export function loadPlan(bytes: Uint8Array): Plan {
  return decodePlan(bytes);
}
