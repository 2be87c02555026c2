// Plans and deployments (DESIGN §8): push a verified `.awrp`, list and show plans, put a
// deployment (plan, canary percent; rollback is the same PUT), list deployments with run counts.
import type { FastifyInstance } from "fastify";
import type { Ctx } from "../app.js";
import { PLAN_MEDIA_TYPE } from "../app.js";
import { ApiError } from "../errors.js";
import type { Deployment } from "../registry.js";
import { S } from "../schemas.js";

export function planRoutes(app: FastifyInstance, ctx: Ctx): void {
  app.post("/v1/plans", { bodyLimit: 16 * 1024 * 1024 }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) throw new ApiError(415, "unsupported_media_type", `send the .awrp file's bytes with Content-Type: ${PLAN_MEDIA_TYPE}`);
    const entry = await ctx.registry.push(request.caller.tenant, request.body);
    return reply.code(201).send({ planHash: entry.hash, graphs: entry.graphs });
  });

  app.get("/v1/plans", async (request) => ({ plans: await ctx.registry.listPlans(request.caller.tenant) }));

  app.get<{ Params: { hash: string } }>("/v1/plans/:hash", { schema: S.getPlan }, async (request) => {
    const e = await ctx.registry.plan(request.caller.tenant, request.params.hash);
    if (!e) throw new ApiError(404, "not_found", `no plan ${request.params.hash}`);
    const graphs = Object.fromEntries(Object.entries(e.plan.graphs).map(([name, g]) => [name, { input: g.params, output: g.returns }]));
    return { planHash: e.hash, graphs, compiler: e.plan.compiler };
  });

  const withCounts = async (tenant: string, d: Deployment) => {
    const rows = await ctx.db.all<{ plan_hash: string; n: unknown }>("SELECT plan_hash, COUNT(*) AS n FROM server_runs WHERE tenant = ? AND deployment = ? GROUP BY plan_hash", [tenant, d.name]);
    return { ...d, runs: Object.fromEntries(rows.map((r) => [r.plan_hash, Number(r.n)])) };
  };

  app.put<{ Params: { name: string }; Body: { plan: string; canary?: { plan: string; percent: number } } }>("/v1/deployments/:name", { schema: S.putDeployment }, async (request, reply) => {
    const { tenant } = request.caller;
    const { deployment, created } = await ctx.registry.put(tenant, request.params.name, request.body);
    return reply.code(created ? 201 : 200).send(await withCounts(tenant, deployment));
  });

  app.get("/v1/deployments", async (request) => {
    const { tenant } = request.caller;
    const all = await ctx.registry.listDeployments(tenant);
    return { deployments: await Promise.all(all.map((d) => withCounts(tenant, d))) };
  });

  app.get<{ Params: { name: string } }>("/v1/deployments/:name", { schema: S.deploymentName }, async (request) => {
    const { tenant } = request.caller;
    const d = await ctx.registry.deployment(tenant, request.params.name);
    if (!d) throw new ApiError(404, "not_found", `no deployment ${request.params.name}`);
    return withCounts(tenant, d);
  });
}
