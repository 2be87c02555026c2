// Shared pieces of the tool provider tests: tool plans built from a few fields, failure capture.
import { defaultRetry } from "../../../compiler/plan/types.js";
import type { Json, FailureInfo, ToolRequest } from "../../../vm/types.js";
import { VmFailure } from "../../../vm/types.js";

export type ToolPlan = ToolRequest["plan"];

export const NUM = { type: "number" } as const;
export const STR = { type: "string" } as const;

/** An object schema of named properties, all required unless listed in `optional`. */
export function obj(props: Record<string, unknown>, optional: string[] = []): Record<string, unknown> {
  return {
    type: "object",
    properties: props,
    required: Object.keys(props).filter((k) => !optional.includes(k)),
    additionalProperties: false,
  };
}

export function toolPlan(over: Partial<ToolPlan>): ToolPlan {
  return {
    params: obj({}),
    returns: {},
    description: null,
    impl: null,
    tags: [],
    timeout_ms: null,
    rate: null,
    idempotent: false,
    compensate: null,
    retry: defaultRetry(),
    loc: { file: "tools/main.awr", line: 1, column: 1 },
    ...over,
  };
}

export function request(tool: string, plan: ToolPlan, args: Record<string, Json> = {}, idempotencyKey = "run-1/n1.s0"): ToolRequest {
  return { tool, plan, args, idempotencyKey };
}

export { failure } from "../../helpers/failure.js";

export const never: AbortSignal = new AbortController().signal;

/** Whether process `pid` still exists (signal 0 tests without signalling). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
