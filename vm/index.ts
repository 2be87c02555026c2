// The runtime's API Boundary: runs compiled plans. Imports compiler/plan only (ARCHITECTURE.md): a
// service needs the plan file, not the compiler. The `awr/vm` package entry is ops/vm-entry.ts: this
// plus the reports and observability of ops/, which import vm/ (never the other way).
import { decodePlan, type Plan } from "../compiler/plan/index.js";

export { PlanError, PlanTrustError, readPlanHeader, verifyPlanSignature, type KeyInput, type Plan, type PlanHeader } from "../compiler/plan/index.js";
export { createRuntime, planOfRun, storedPlanOfRun, type Continued, type Runtime, type RuntimeOptions, type RunOutcome, type StartOptions } from "./runtime.js";
export { Mocks, type ExecResult, type Observations } from "./exec/interpreter.js";
export { DEFAULT_MAX_HANDOFFS, DEFAULT_REPAIR_ROUNDS, type AgentOptions } from "./exec/agent.js";
export { openStore, MemoryStore, SqliteStore, StoreError, ChainError, BlobMissing, DEFAULT_STORE_PATH, type EmbeddedStore } from "./store/index.js";
export { UnknownRun, ClaimLost, errorTag, type StoreFailure } from "./ports/errors.js";
export { OpenAIGateway, RecordedModels, RecordingModels, type OpenAIGatewayOptions } from "./gateway/index.js";
export { Tools, toolRegistry, qualifiedToolName, type ToolsOptions, type McpServerConfig, type ToolEntry } from "./tools/index.js";
export { runTests, type TestResult, type ExpectResult } from "./testing.js";
export {
  RunRejection,
  RunNotFound,
  NotWaiting,
  NotNeedingAttention,
  InvalidResumeValue,
  InvalidInput,
  checkInput,
  APPROVAL_SCHEMA,
  type Resolution,
  type Decider,
} from "./operator.js";
export { replayRun, type ReplayReport } from "./replay.js";
export { validate } from "./schema.js";
export { createContextAssembler, modelSummarizer, promptSummarizer, LocalEmbedder, OpenAIEmbedder, type Assembly, type ContextAssembler, type ContextAssemblerOptions, type Embedder } from "./context/index.js";
export { decide, isRetryable, retrySchedule } from "./retry.js";
export { AwrRuntime, AwrStore, AwrModels, AwrTools, AwrRuntimeError } from "./services.js";
export { evaluatePolicies, type ClassifierAnswer, type Decision, type EvaluateOptions, type PolicyCall, type HookTarget } from "./policy/engine.js";
export { redact } from "./policy/redact.js";
export { auditRecords } from "./policy/audit.js";
export { findPii, containsPii, redactText, PII_KINDS, type PiiKind, type PiiMatch } from "./policy/pii.js";
export * from "./types.js";
export { Breakers, withBreakers, countsAgainstEndpoint, type BreakerOptions, type BreakerChange } from "./health.js";
export { parseKey, buildKey, stepOfKey, stepKeyOf, parentStepOf, graphOfStep, type EffectKey, type EffectKeyKind, type StepOfKey } from "./keys.js";

/** Decodes a `.awrp` file: header checked first, body validated against the plan schema. */
export function loadPlan(bytes: Uint8Array): Plan {
  return decodePlan(bytes);
}
