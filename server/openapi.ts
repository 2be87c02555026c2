// `GET /v1/openapi.json`: OpenAPI 3.1 of the HTTP API, with each deployment's graphs' inputs and
// outputs as JSON Schemas from the plan (components `<deployment>.<graph>.input|output`). A plan's
// schemas keep their own `$defs`; an `$id` on each makes their `#/$defs/…` references resolve inside it.
import { packageVersion } from "../host/source-host.js";
import type { Deployment, PlanEntry } from "./registry.js";
import { RUN_JSON, S, errorSchema } from "./schemas.js";

type Schema = Record<string, unknown>;

const json = (schema: unknown) => ({ content: { "application/json": { schema } } });
const errors = Object.fromEntries(
  ["400", "401", "403", "404", "409", "413", "422", "429"].map((s) => [s, { description: "error", ...json({ $ref: "#/components/schemas/Error" }) }]),
);

function params(s: { params?: { properties: Record<string, unknown> }; querystring?: { properties: Record<string, unknown> }; headers?: { properties: Record<string, unknown> } }) {
  const out: Schema[] = [];
  for (const [where, obj] of [["path", s.params], ["query", s.querystring], ["header", s.headers]] as const) {
    for (const [name, schema] of Object.entries(obj?.properties ?? {})) out.push({ name, in: where, required: where === "path", schema });
  }
  return out;
}

function op(summary: string, s: object, ok: Record<string, unknown>, body?: unknown): Schema {
  return {
    summary,
    parameters: params(s as Parameters<typeof params>[0]),
    ...(body === undefined ? {} : { requestBody: { required: true, ...json(body) } }),
    responses: { ...ok, ...errors },
    security: [{ bearer: [] }],
  };
}

const okRun = { "200": { description: "the run", ...json({ $ref: "#/components/schemas/Run" }) } };

export async function openApi(deployments: Deployment[], planOf: (hash: string) => Promise<PlanEntry | undefined>): Promise<Schema> {
  const schemas: Record<string, unknown> = { Error: errorSchema, Run: RUN_JSON };
  const starts: Schema[] = [];
  for (const d of deployments) {
    const e = await planOf(d.plan);
    if (!e) continue;
    for (const [graph, g] of Object.entries(e.plan.graphs)) {
      const base = `${d.name}.${graph}`;
      schemas[`${base}.input`] = { ...(g.params as Schema), $id: `urn:awr:deployment:${d.name}:${graph}:input` };
      schemas[`${base}.output`] = { ...(g.returns as Schema), $id: `urn:awr:deployment:${d.name}:${graph}:output` };
      starts.push({
        type: "object",
        title: base,
        properties: { deployment: { const: d.name }, graph: { const: graph }, input: { $ref: `#/components/schemas/${base}.input` }, session: { type: "string" } },
        required: ["deployment", "input"],
      });
    }
  }
  const startBody = starts.length > 0 ? { anyOf: [...starts, S.startRun.body] } : S.startRun.body;
  return {
    openapi: "3.1.0",
    info: { title: "AWR", version: packageVersion(), description: "The HTTP API of awr serve (docs/server.md)" },
    components: { schemas, securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths: {
      "/v1/health": { get: { summary: "Liveness", responses: { "200": { description: "alive" } } } },
      "/v1/ready": { get: { summary: "Readiness: the store answers", responses: { "200": { description: "ready" }, "503": { description: "the store does not answer" } } } },
      "/metrics": { get: { summary: "Prometheus metrics", responses: { "200": { description: "text format 0.0.4", content: { "text/plain": {} } } } } },
      "/v1/plans": {
        post: {
          summary: "Push a plan (.awrp)",
          requestBody: { required: true, content: { "application/vnd.awr.plan": { schema: { type: "string", contentMediaType: "application/vnd.awr.plan" } } } },
          responses: { "201": { description: "stored", ...json({ type: "object", properties: { planHash: { type: "string" }, graphs: { type: "array", items: { type: "string" } } } }) }, ...errors },
          security: [{ bearer: [] }],
        },
        get: op("List plans", {}, { "200": { description: "plans" } }),
      },
      "/v1/plans/{hash}": { get: op("A plan's graphs with their input and output schemas", S.getPlan, { "200": { description: "the plan" } }) },
      "/v1/deployments": { get: op("List deployments with run counts per plan", {}, { "200": { description: "deployments" } }) },
      "/v1/deployments/{name}": {
        get: op("A deployment", S.deploymentName, { "200": { description: "the deployment" } }),
        put: op(S.putDeployment.summary, S.putDeployment, { "200": { description: "updated" }, "201": { description: "created" } }, S.putDeployment.body),
      },
      "/v1/runs": {
        post: op(S.startRun.summary, S.startRun, { "201": { description: "started", ...json({ type: "object", properties: { runId: { type: "string" }, status: { type: "string" }, planHash: { type: "string" } } }) }, "200": { description: "the run an Idempotency-Key already started" } }, startBody),
        get: op(S.listRuns.summary, S.listRuns, { "200": { description: "runs and nextCursor", ...json({ type: "object", properties: { runs: { type: "array", items: { $ref: "#/components/schemas/Run" } }, nextCursor: { type: "string" } } }) } }),
      },
      "/v1/runs/{id}": { get: op(S.getRun.summary, S.getRun, okRun) },
      "/v1/runs/{id}/events": { get: op(S.events.summary, S.events, { "200": { description: "text/event-stream", content: { "text/event-stream": {} } } }) },
      "/v1/runs/{id}/resume": { post: op(S.resume.summary, S.resume, okRun, S.resume.body) },
      "/v1/runs/{id}/resolve": { post: op(S.resolve.summary, S.resolve, okRun, S.resolve.body) },
      "/v1/runs/{id}/cancel": { post: op(S.cancel.summary, S.cancel, okRun) },
      "/v1/runs/{id}/events/{name}": { post: op(S.eventToRun.summary, S.eventToRun, { "200": { description: "delivered, or a duplicate id ignored" } }, S.eventToRun.body) },
      "/v1/runs/{id}/migrate": { post: op(S.migrate.summary, S.migrate, okRun, S.migrate.body) },
      "/v1/events/{name}": { post: op(S.eventToAll.summary, S.eventToAll, { "200": { description: "the runs it was delivered to, duplicates and refusals" } }, S.eventToAll.body) },
      "/v1/runs/{id}/trace": { get: op("The run's timeline", S.runOnly, { "200": { description: "trace" } }) },
      "/v1/runs/{id}/audit": { get: op("The run's audit records", S.runOnly, { "200": { description: "audit records" } }) },
    },
  };
}
