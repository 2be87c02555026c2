// `GET /v1/runs/{id}/events` (DESIGN §8): the run's stored events as Server-Sent Events, `id:` the
// event's sequence number (1-based, in the order the store keeps them), after `Last-Event-ID`
// when given; then live, until the run has ended — completed, failed or cancelled (`event: end`): a
// run waiting for an answer (suspended, needs attention) keeps its stream open, with heartbeats,
// through the answer and the rest of the run, whichever process executes it. The store is the only
// source: this process's executions wake the stream, and it polls the store for runs executing
// in another process — so a stream resumed on any server of the store loses and repeats nothing.
import type { FastifyInstance } from "fastify";
import { Effect } from "effect";
import type { Ctx } from "../app.js";
import { S } from "../schemas.js";
import { load, ownRun, pause } from "../views.js";

/** The statuses after which a run has no more events: the stream's `end`. */
const ENDED = new Set(["completed", "failed", "cancelled"]);

export function streamRoutes(app: FastifyInstance, ctx: Ctx): void {
  app.get<{ Params: { id: string }; Querystring: { lastEventId?: string }; Headers: { "last-event-id"?: string } }>("/v1/runs/:id/events", { schema: S.events }, async (request, reply) => {
    const row = await ownRun(ctx, request.caller.tenant, request.params.id);
    let sent = Number(request.headers["last-event-id"] ?? request.query.lastEventId ?? 0);
    const raw = reply.raw;
    reply.hijack();
    raw.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
    raw.write(": awr event stream\n\n");
    let open = true;
    const stream = {
      end() {
        if (!open) return;
        open = false;
        raw.end();
      },
    };
    ctx.streams.add(stream);
    ctx.metrics.sseClients++;
    raw.on("close", () => {
      open = false;
    });
    const heartbeat = setInterval(() => open && raw.write(": heartbeat\n\n"), ctx.o.heartbeatMs ?? 15_000);
    try {
      while (open && !ctx.closing.aborted) {
        // The status first: when it says the run stopped, the events read after it are all there are.
        // (A run executing here is running: no need to load it.)
        const status = ctx.executor.isExecuting(row.run_id) ? "running" : ((await load(ctx, row.run_id))?.snapshot.status ?? "running");
        const events = await Effect.runPromise(ctx.store.queries.events(row.run_id));
        for (let i = sent; i < events.length && open; i++) raw.write(`id: ${i + 1}\ndata: ${JSON.stringify(events[i])}\n\n`);
        sent = Math.max(sent, events.length);
        if (ENDED.has(status) && !ctx.executor.isExecuting(row.run_id)) {
          if (open) raw.write(`event: end\ndata: ${JSON.stringify({ runId: row.run_id, status })}\n\n`);
          break;
        }
        await pause(ctx, row.run_id, ctx.o.pollMs ?? 1000);
        // Events come in bursts (a superstep's): one read for a burst.
        if (!ctx.closing.aborted) await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      clearInterval(heartbeat);
      ctx.streams.delete(stream);
      ctx.metrics.sseClients--;
      stream.end();
    }
  });
}
