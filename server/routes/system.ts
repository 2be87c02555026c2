// Liveness, readiness (the store answers), Prometheus metrics, and the OpenAPI document.
import type { FastifyInstance } from "fastify";
import { Effect } from "effect";
import type { Ctx } from "../app.js";
import { openApi } from "../openapi.js";

export function systemRoutes(app: FastifyInstance, ctx: Ctx): void {
  app.get("/v1/health", { config: { public: true } }, async () => ({ status: "ok" }));

  app.get("/v1/ready", { config: { public: true } }, async (_request, reply) => {
    try {
      await Effect.runPromise(ctx.store.queries.list({ limit: 1 }));
      await ctx.db.all("SELECT 1 AS one");
      return { status: "ready" };
    } catch (e) {
      return reply.code(503).send({ error: { code: "unavailable", message: `the store does not answer: ${(e as Error).message}` } });
    }
  });

  app.get("/metrics", { config: { public: true } }, async (_request, reply) => reply.type("text/plain; version=0.0.4").send(ctx.metrics.text()));

  app.get("/v1/openapi.json", async (request) => openApi(await ctx.registry.listDeployments(request.caller.tenant), (h) => ctx.registry.byHash(h)));
}
