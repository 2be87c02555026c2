// The delivery log of webhooks out (DESIGN §8: "every delivery visible"): one row per event and
// target in `server_webhook_deliveries`, with every attempt (time, HTTP status, error). A row is
// written when the deliverer takes the event's dispatch from the run store's outbox, and is the
// deliverer's queue from then on: pending rows survive a restart, and a row claimed by a process
// that died is claimed again once its lease runs out (at-least-once; receivers dedupe by
// `webhook-id`, which every attempt of a row repeats).
import type { ServerDb } from "../db.js";
import type { WebhookDispatchPayload } from "../../vm/webhooks.js";
import { DEFAULT_TENANT } from "../auth/tenancy.js";

export const DELIVERY_MIGRATIONS: readonly string[][] = [
  [
    `CREATE TABLE server_webhook_deliveries (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      run_id TEXT NOT NULL,
      type TEXT NOT NULL,
      url TEXT NOT NULL,
      body TEXT NOT NULL,
      status TEXT NOT NULL,
      attempts TEXT NOT NULL,
      attempt_count INTEGER NOT NULL,
      next_at BIGINT NOT NULL,
      locked_until BIGINT,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL
    )`,
    "CREATE INDEX server_webhook_deliveries_due ON server_webhook_deliveries (status, next_at)",
    "CREATE INDEX server_webhook_deliveries_tenant ON server_webhook_deliveries (tenant, created_at, id)",
    "CREATE INDEX server_webhook_deliveries_run ON server_webhook_deliveries (run_id)",
  ],
];

export type DeliveryStatus = "pending" | "delivered" | "dead";
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ["pending", "delivered", "dead"];

/** One attempt to post an event: when, how long, the receiver's HTTP status or why there was none. */
export interface DeliveryAttempt {
  at: number;
  durationMs: number;
  status?: number;
  error?: string;
}

/** A delivery as `GET /v1/webhooks/deliveries` lists it. */
export interface Delivery {
  /** The `webhook-id` of every attempt. */
  id: string;
  runId: string;
  type: string;
  url: string;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  /** When the next attempt is due (pending only). */
  nextAttemptAt?: number;
  createdAt: number;
  updatedAt: number;
}

/** A pending delivery as the deliverer sends it. */
export interface DueDelivery {
  id: string;
  url: string;
  body: string;
  attempts: DeliveryAttempt[];
}

type DeliveryRow = {
  id: string;
  tenant: string;
  run_id: string;
  type: string;
  url: string;
  body: string;
  status: DeliveryStatus;
  attempts: string;
  attempt_count: number | string;
  next_at: number | string;
  locked_until: number | string | null;
  created_at: number | string;
  updated_at: number | string;
};

export class DeliveryLog {
  private constructor(private readonly db: ServerDb) {}

  static async open(db: ServerDb): Promise<DeliveryLog> {
    await db.migrate("webhook_deliveries", DELIVERY_MIGRATIONS);
    return new DeliveryLog(db);
  }

  /** Records an event taken from the outbox as a pending delivery, due now; an id recorded before is left as it is. */
  async record(runId: string, p: WebhookDispatchPayload, now: number): Promise<void> {
    const body = JSON.stringify({ type: p.type, timestamp: p.timestamp, data: p.data });
    await this.db.run(
      `INSERT INTO server_webhook_deliveries (id, tenant, run_id, type, url, body, status, attempts, attempt_count, next_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', '[]', 0, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [p.id, p.tenant ?? DEFAULT_TENANT, runId, p.type, p.url, body, now, now, now],
    );
  }

  /**
   * Claims up to `limit` due deliveries for `leaseMs`: each is this caller's until it records an
   * attempt or the lease runs out (then another process, or this one after a restart, claims it).
   */
  async claimDue(now: number, limit: number, leaseMs: number): Promise<DueDelivery[]> {
    const rows = await this.db.all<DeliveryRow>(
      `SELECT id, url, body, attempts FROM server_webhook_deliveries
       WHERE status = 'pending' AND next_at <= ? AND (locked_until IS NULL OR locked_until <= ?) ORDER BY next_at, id LIMIT ?`,
      [now, now, limit],
    );
    const claimed: DueDelivery[] = [];
    for (const r of rows) {
      // The conditional update decides between processes polling at once: one of them changes the row.
      const n = await this.db.run(`UPDATE server_webhook_deliveries SET locked_until = ? WHERE id = ? AND status = 'pending' AND (locked_until IS NULL OR locked_until <= ?)`, [now + leaseMs, r.id, now]);
      if (n === 1) claimed.push({ id: r.id, url: r.url, body: r.body, attempts: JSON.parse(r.attempts) as DeliveryAttempt[] });
    }
    return claimed;
  }

  /** Records an attempt of a claimed delivery and what comes next: delivered, dead, or another attempt at `nextAt`. */
  async attempted(d: DueDelivery, attempt: DeliveryAttempt, next: { status: "delivered" | "dead" } | { status: "pending"; nextAt: number }): Promise<void> {
    const attempts = [...d.attempts, attempt];
    await this.db.run(`UPDATE server_webhook_deliveries SET status = ?, attempts = ?, attempt_count = ?, next_at = ?, locked_until = NULL, updated_at = ? WHERE id = ?`, [
      next.status,
      JSON.stringify(attempts),
      attempts.length,
      next.status === "pending" ? next.nextAt : attempt.at,
      attempt.at + attempt.durationMs,
      d.id,
    ]);
  }

  /** Deliveries of one tenant, newest first, with optional filters; `cursor` continues after the last one of a page. */
  async list(q: { tenant: string; runId?: string; status?: DeliveryStatus; limit?: number; cursor?: string }): Promise<{ items: Delivery[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
    const where = ["tenant = ?"];
    const params: unknown[] = [q.tenant];
    if (q.runId !== undefined) where.push("run_id = ?"), params.push(q.runId);
    if (q.status !== undefined) where.push("status = ?"), params.push(q.status);
    if (q.cursor !== undefined) {
      const c = decodeCursor(q.cursor);
      where.push("(created_at < ? OR (created_at = ? AND id < ?))");
      params.push(c.createdAt, c.createdAt, c.id);
    }
    const rows = await this.db.all<DeliveryRow>(`SELECT * FROM server_webhook_deliveries WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC LIMIT ?`, [...params, limit + 1]);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { items: page.map(deliveryOf), nextCursor: rows.length > limit && last ? encodeCursor(Number(last.created_at), last.id) : null };
  }

  /** One delivery of a tenant (undefined for another tenant's: the caller cannot tell it exists). */
  async get(tenant: string, id: string): Promise<Delivery | undefined> {
    const [row] = await this.db.all<DeliveryRow>("SELECT * FROM server_webhook_deliveries WHERE id = ? AND tenant = ?", [id, tenant]);
    return row ? deliveryOf(row) : undefined;
  }
}

function deliveryOf(r: DeliveryRow): Delivery {
  return {
    id: r.id,
    runId: r.run_id,
    type: r.type,
    url: r.url,
    status: r.status,
    attempts: JSON.parse(r.attempts) as DeliveryAttempt[],
    ...(r.status === "pending" ? { nextAttemptAt: Number(r.next_at) } : {}),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** A cursor is opaque to clients: base64url of `createdAt:id` of the last item of the page. */
export class BadCursor extends Error {
  readonly _tag = "BadCursor";
}

function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}:${id}`).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const cut = text.indexOf(":");
  const createdAt = Number(text.slice(0, cut));
  if (cut < 1 || !Number.isSafeInteger(createdAt) || cut === text.length - 1) throw new BadCursor(`not a cursor of this list: ${cursor}`);
  return { createdAt, id: text.slice(cut + 1) };
}
