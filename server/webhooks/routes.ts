// `GET /v1/webhooks/deliveries` (DESIGN §8: every delivery visible): the caller's tenant's
// deliveries, newest first, filtered by run and status, a page at a time (`cursor` from the
// previous page's `nextCursor`). `GET /v1/webhooks/deliveries/{id}`: one, 404 for another tenant's.
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import { BadCursor, DELIVERY_STATUSES, type DeliveryLog, type DeliveryStatus } from "./deliveries.js";

export interface WebhookRoutesOptions {
  deliveries: DeliveryLog;
}

interface ListQuery {
  run?: string;
  status?: DeliveryStatus;
  cursor?: string;
  limit?: number;
}

export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (app: FastifyInstance, { deliveries }) => {
  app.get<{ Querystring: ListQuery }>(
    "/v1/webhooks/deliveries",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            run: { type: "string", minLength: 1 },
            status: { type: "string", enum: [...DELIVERY_STATUSES] },
            cursor: { type: "string", minLength: 1 },
            limit: { type: "integer", minimum: 1, maximum: 500 },
          },
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      try {
        return await deliveries.list({
          tenant: req.caller.tenant,
          ...(q.run !== undefined ? { runId: q.run } : {}),
          ...(q.status !== undefined ? { status: q.status } : {}),
          ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
          ...(q.limit !== undefined ? { limit: q.limit } : {}),
        });
      } catch (e) {
        if (e instanceof BadCursor) return reply.code(400).send({ error: { code: "bad_request", message: e.message } });
        throw e;
      }
    },
  );

  app.get<{ Params: { id: string } }>("/v1/webhooks/deliveries/:id", async (req, reply) => {
    const d = await deliveries.get(req.caller.tenant, req.params.id);
    if (!d) return reply.code(404).send({ error: { code: "not_found", message: `no webhook delivery ${req.params.id}` } });
    return d;
  });
};
