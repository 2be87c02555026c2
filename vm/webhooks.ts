// Webhooks out (DESIGN §8): the lifecycle events of a run, written to the store's dispatch outbox
// in the same commit as the status change they announce, so a crash after the commit loses none
// and a commit that fails sends none. Delivering them (signing, retries, dead letters) is the
// server's job (server/webhooks/); the VM only says what happened and to whom.
import { randomUUID } from "node:crypto";
import type { Dispatch, FailureInfo, Json, PendingInterrupt, RunRecord, RunStatus } from "./types.js";

/** The dispatch kind of a webhook event. */
export const WEBHOOK_DISPATCH = "webhook";

export type WebhookEventType = "run.completed" | "run.failed" | "run.suspended" | "run.needs_attention";

/** Where a run's lifecycle events go: per run (`StartOptions.webhook`, kept in `meta.webhook`) or per runtime (a deployment). */
export interface WebhookTarget {
  url: string;
}

/** The payload of a `webhook` dispatch: the body to send (`type`, `timestamp`, `data`), its message id, where to, and the run's tenant. */
export interface WebhookDispatchPayload {
  /** The Standard Webhooks message id (`webhook-id`), fixed at commit time so every attempt carries the same one. */
  id: string;
  url: string;
  /** `meta.tenant` of the run when the server set one. */
  tenant?: string;
  type: WebhookEventType;
  /** When the status changed (ISO 8601). */
  timestamp: string;
  /** The run as `GET /v1/runs/{id}` shows it (DESIGN §6's run JSON, with graph, planHash, createdAt, updatedAt). */
  data: Record<string, Json>;
}

const EVENT_OF: Record<Exclude<RunStatus, "running">, WebhookEventType> = {
  completed: "run.completed",
  failed: "run.failed",
  // A cancelled run has ended as far as a subscriber can tell (it stays resumable with recover).
  cancelled: "run.failed",
  suspended: "run.suspended",
  needs_attention: "run.needs_attention",
};

/** The run's own webhook (`meta.webhook.url`), if it was started with one. */
export function runWebhook(run: RunRecord): WebhookTarget | undefined {
  const m = run.meta;
  const w = m !== null && typeof m === "object" && !Array.isArray(m) ? m["webhook"] : undefined;
  const url = w !== null && typeof w === "object" && !Array.isArray(w) ? w["url"] : undefined;
  return typeof url === "string" ? { url } : undefined;
}

/**
 * The webhook dispatches of a status commit: one per distinct target (the run's own, then the
 * runtime's), none while the run is still running or has no target.
 */
export function webhookDispatches(
  run: RunRecord,
  update: { status: RunStatus; output?: Json; error?: FailureInfo; pending?: PendingInterrupt[] },
  at: number,
  runtimeTarget: WebhookTarget | undefined,
): Dispatch[] {
  if (update.status === "running") return [];
  const urls = [...new Set([runWebhook(run)?.url, runtimeTarget?.url].filter((u): u is string => typeof u === "string" && u !== ""))];
  if (!urls.length) return [];
  const m = run.meta;
  const tenant = m !== null && typeof m === "object" && !Array.isArray(m) && typeof m["tenant"] === "string" ? m["tenant"] : undefined;
  const data: Record<string, Json> = { runId: run.runId, graph: run.graph, status: update.status, planHash: run.planHash, createdAt: run.createdAt, updatedAt: at };
  if (update.output !== undefined) data["output"] = update.output;
  if (update.error !== undefined) data["error"] = update.error as unknown as Json;
  if (update.status === "suspended") data["pending"] = (update.pending ?? []).map((p) => ({ id: p.id, kind: p.kind, reason: p.reason }));
  const type = EVENT_OF[update.status];
  const timestamp = new Date(at).toISOString();
  return urls.map((url) => {
    const payload: WebhookDispatchPayload = { id: `msg_${randomUUID()}`, url, ...(tenant !== undefined ? { tenant } : {}), type, timestamp, data };
    return { kind: WEBHOOK_DISPATCH, runId: run.runId, payload: payload as unknown as Json };
  });
}
