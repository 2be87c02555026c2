// The JSON Schemas of every route's params, query and body (fastify validates against them: 422
// with the path of the first mismatch) and of its answers; openapi.ts publishes the same objects.
const str = { type: "string" } as const;
const any = {} as const;
const runId = { type: "object", properties: { id: { type: "string", minLength: 1 } }, required: ["id"], additionalProperties: false } as const;
const errorSchema = {
  type: "object",
  properties: { error: { type: "object", properties: { code: str, message: str, details: { type: "object" } }, required: ["code", "message"] } },
  required: ["error"],
} as const;

export const RUN_JSON = {
  type: "object",
  properties: {
    runId: str,
    status: { type: "string", enum: ["running", "completed", "failed", "suspended", "needs_attention", "cancelled"] },
    output: any,
    error: { type: "object", properties: { kind: str, message: str, step: str } },
    pending: { type: "array", items: { type: "object", properties: { id: str, kind: { type: "string", enum: ["human", "event", "approval"] }, reason: str } } },
    graph: str,
    deployment: { type: ["string", "null"] },
    planHash: str,
    createdAt: { type: "string", format: "date-time" },
    updatedAt: { type: "string", format: "date-time" },
    cost: { type: "object", properties: { usd: { type: "number" }, tokens: { type: "object", properties: { input: { type: "integer" }, output: { type: "integer" } } } } },
  },
  required: ["runId", "status", "planHash", "createdAt", "updatedAt", "cost"],
} as const;

export const S = {
  startRun: {
    summary: "Start a run of a deployment or a plan",
    headers: { type: "object", properties: { "idempotency-key": { type: "string" } } },
    body: {
      type: "object",
      properties: {
        deployment: { type: "string", minLength: 1 },
        plan: { type: "string", pattern: "^[0-9a-f]{64}$" },
        graph: { type: "string", minLength: 1 },
        input: any,
        session: { type: "string", minLength: 1 },
        webhook: { type: "object", properties: { url: { type: "string", pattern: "^https?://" } }, required: ["url"], additionalProperties: false },
      },
      required: ["input"],
      additionalProperties: false,
    },
  },
  listRuns: {
    summary: "List runs, newest first",
    querystring: {
      type: "object",
      properties: {
        status: { type: "string", enum: ["running", "completed", "failed", "suspended", "needs_attention", "cancelled"] },
        deployment: { type: "string" },
        since: { type: "string" },
        cursor: { type: "string" },
        limit: { type: "string", pattern: "^(500|[1-4]?[0-9]{1,2})$", description: "1 to 500 (default 50)" },
      },
      additionalProperties: false,
    },
  },
  getRun: {
    summary: "A run (long-poll with wait)",
    params: runId,
    querystring: { type: "object", properties: { wait: { type: "string" } }, additionalProperties: false },
  },
  resume: {
    summary: "Answer a waiting run",
    params: runId,
    body: { type: "object", properties: { interrupt: { type: "string", minLength: 1 }, value: any, comment: str }, required: ["value"], additionalProperties: false },
  },
  resolve: {
    summary: "Finish a run that needs attention",
    params: runId,
    body: {
      type: "object",
      properties: { action: { type: "string", enum: ["succeeded", "retry", "fail"] }, value: any, reason: str, comment: str },
      required: ["action"],
      additionalProperties: false,
    },
  },
  cancel: {
    summary: "Cancel a run",
    params: runId,
    body: { type: ["object", "null"], properties: { comment: str }, additionalProperties: false },
  },
  eventToRun: {
    summary: "Deliver an event to one run's await event",
    params: { type: "object", properties: { id: { type: "string", minLength: 1 }, name: { type: "string", minLength: 1 } }, required: ["id", "name"], additionalProperties: false },
    body: { type: "object", properties: { id: { type: "string", minLength: 1 }, key: { type: ["string", "number"] }, data: any }, required: ["data"], additionalProperties: false },
  },
  eventToAll: {
    summary: "Deliver an event to every run awaiting it (deduplicated by id per run)",
    params: { type: "object", properties: { name: { type: "string", minLength: 1 } }, required: ["name"], additionalProperties: false },
    body: { type: "object", properties: { id: { type: "string", minLength: 1 }, key: { type: ["string", "number"] }, data: any }, required: ["id", "data"], additionalProperties: false },
  },
  migrate: {
    summary: "Move a waiting run to another plan, when it could continue there",
    params: runId,
    body: { type: "object", properties: { plan: { type: "string", pattern: "^[0-9a-f]{64}$" }, comment: str }, required: ["plan"], additionalProperties: false },
  },
  runOnly: { params: runId },
  events: {
    summary: "The run's events as Server-Sent Events",
    params: runId,
    headers: { type: "object", properties: { "last-event-id": { type: "string", pattern: "^\\d+$" } } },
    querystring: { type: "object", properties: { lastEventId: { type: "string", pattern: "^\\d+$" } }, additionalProperties: false },
  },
  getPlan: { params: { type: "object", properties: { hash: { type: "string", minLength: 1 } }, required: ["hash"], additionalProperties: false } },
  deploymentName: { params: { type: "object", properties: { name: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$" } }, required: ["name"], additionalProperties: false } },
  putDeployment: {
    summary: "Point a deployment at a plan (and a canary)",
    params: { type: "object", properties: { name: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$" } }, required: ["name"], additionalProperties: false },
    body: {
      type: "object",
      properties: {
        plan: { type: "string", pattern: "^[0-9a-f]{64}$" },
        canary: {
          type: "object",
          properties: { plan: { type: "string", pattern: "^[0-9a-f]{64}$" }, percent: { type: "number", minimum: 0, maximum: 100 } },
          required: ["plan", "percent"],
          additionalProperties: false,
        },
      },
      required: ["plan"],
      additionalProperties: false,
    },
  },
} as const;

export { errorSchema };
