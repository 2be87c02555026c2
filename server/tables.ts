// The tables of `awr serve` itself (server/db.ts keeps them beside the run store): which tenant
// owns which run and how it was started (deployment, plan, idempotency key), the plans tenants
// pushed, the deployments they put, and the event ids delivered to runs. The run store (vm/ports/)
// knows nothing of tenants: a run is a tenant's when it has a row here.
import type { ServerDb } from "./db.js";

export const SERVE_MIGRATIONS: readonly string[][] = [
  [
    `CREATE TABLE server_runs (
      run_id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      deployment TEXT,
      plan_hash TEXT NOT NULL,
      graph TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      idempotency_key TEXT,
      request_hash TEXT,
      webhook_url TEXT
    )`,
    "CREATE INDEX server_runs_list ON server_runs (tenant, created_at, run_id)",
    "CREATE UNIQUE INDEX server_runs_idempotency ON server_runs (tenant, idempotency_key)",
    `CREATE TABLE server_plans (
      tenant TEXT NOT NULL,
      plan_hash TEXT NOT NULL,
      graphs TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      PRIMARY KEY (tenant, plan_hash)
    )`,
    `CREATE TABLE server_deployments (
      tenant TEXT NOT NULL,
      name TEXT NOT NULL,
      plan_hash TEXT NOT NULL,
      canary_plan TEXT,
      canary_percent INTEGER,
      updated_at BIGINT NOT NULL,
      PRIMARY KEY (tenant, name)
    )`,
    `CREATE TABLE server_events_in (
      run_id TEXT NOT NULL,
      event_id TEXT NOT NULL,
      at BIGINT NOT NULL,
      PRIMARY KEY (run_id, event_id)
    )`,
  ],
];

export async function migrateServe(db: ServerDb): Promise<void> {
  await db.migrate("serve", SERVE_MIGRATIONS);
}

export interface RunRow {
  run_id: string;
  tenant: string;
  deployment: string | null;
  plan_hash: string;
  graph: string;
  created_at: number;
  idempotency_key: string | null;
  request_hash: string | null;
  /** `webhook.url` of the start request (DESIGN §8 § Webhooks out), for the webhook sender. */
  webhook_url: string | null;
}

/** A row as read (PostgreSQL answers BIGINT as a string). */
export function runRow(r: Record<string, unknown>): RunRow {
  return { ...(r as unknown as RunRow), created_at: Number(r["created_at"]) };
}
