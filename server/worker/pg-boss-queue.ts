// The work queue on pg-boss (DESIGN §1), in the store's PostgreSQL: jobs in a schema of their own
// beside the store's (`<store schema>_queue`), one queue `awr-runs` of policy `short` — a run is
// queued at most once while it waits (`singletonKey` = run id), and a claimed run may be queued
// again (`stately`/`singleton` would make a claim fail for every job behind a blocked one).
//
// Leases: pg-boss 10 (the last line that runs on Node 20) expires a claimed ("active") job when
// `started_on + expire_in` has passed — its maintenance, run by a supervising instance every few
// seconds, puts it back as `retry`, and the next claim takes it (a takeover). It has no heartbeat
// (later majors do, on Node 22): `heartbeat` moves the job's `started_on` to now and its
// `expire_in` to this worker's lease — the two columns that rule reads — for the claim this worker
// holds (same id, same retry count: a job taken over was claimed again and counts one more), so an
// expired and re-claimed job is not renewed by its old owner. The worker renews a claim as soon as
// it takes it, so the lease is the claiming worker's (`--heartbeat`), not the enqueuer's.
import type PgBoss from "pg-boss";
import type { LeaseOptions, RunJob, RunQueue } from "./queue.js";

export const QUEUE_NAME = "awr-runs";

export interface PgBossQueueOptions extends LeaseOptions {
  /** pg's connection string (without `schema=`). */
  url: string;
  /** The schema of pg-boss's tables (created on first use). */
  schema: string;
  /** How many times a job may be taken over or handed back before pg-boss gives up on it (default 100). */
  retryLimit?: number;
  applicationName?: string;
}

/** The schema of a store's queue: `<store schema>_queue` (pg-boss takes names of at most 50 characters). */
export function queueSchemaOf(storeSchema: string): string {
  const name = `${storeSchema}_queue`;
  if (name.length > 50) throw new Error(`the queue schema ${name} is longer than pg-boss allows (50 characters): use a shorter ?schema=`);
  return name;
}

export class PgBossQueue implements RunQueue {
  private constructor(
    private readonly boss: PgBoss,
    private readonly opts: PgBossQueueOptions,
  ) {}

  /** Starts pg-boss on `url` (creating or migrating its schema, and the queue). */
  static async open(opts: PgBossQueueOptions): Promise<PgBossQueue> {
    const { default: Boss } = await import("pg-boss");
    const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
    const boss = new Boss({
      connectionString: opts.url,
      schema: opts.schema,
      application_name: opts.applicationName ?? "awr-worker",
      max: 4,
      // Expired claims are found by maintenance: at least once per heartbeat across all workers.
      supervise: true,
      maintenanceIntervalSeconds: seconds(opts.heartbeatMs),
      schedule: false,
      migrate: true,
    });
    // Errors of pg-boss's own timers (maintenance while the server restarts): reported by the calls that fail.
    boss.on("error", () => {});
    await boss.start();
    const q = new PgBossQueue(boss, opts);
    try {
      if (!(await boss.getQueue(QUEUE_NAME))) {
        await boss
          .createQueue(QUEUE_NAME, { name: QUEUE_NAME, policy: "short", retryLimit: opts.retryLimit ?? 100, retryDelay: 0, expireInSeconds: seconds(opts.leaseMs) })
          .catch(async (e: unknown) => {
            // Another worker created it first.
            if (!(await boss.getQueue(QUEUE_NAME))) throw e;
          });
      }
    } catch (e) {
      await q.close();
      throw e;
    }
    return q;
  }

  async enqueue(runId: string, opts: { afterMs?: number } = {}): Promise<void> {
    await this.boss.send(QUEUE_NAME, { runId }, { singletonKey: runId, ...(opts.afterMs ? { startAfter: Math.max(1, Math.ceil(opts.afterMs / 1000)) } : {}) });
  }

  async claim(n: number): Promise<RunJob[]> {
    if (n <= 0) return [];
    const jobs = await this.boss.fetch<{ runId: string }>(QUEUE_NAME, { batchSize: n, includeMetadata: true });
    return jobs.map((j) => ({ id: j.id, runId: j.data.runId, attempt: j.retryCount }));
  }

  async heartbeat(job: RunJob): Promise<boolean> {
    const r = await this.boss
      .getDb()
      .executeSql(
        `UPDATE ${this.opts.schema}.job SET started_on = now(), expire_in = $4 * interval '1 millisecond' WHERE name = $1 AND id = $2 AND state = 'active' AND retry_count = $3 RETURNING 1`,
        [QUEUE_NAME, job.id, job.attempt, this.opts.leaseMs],
      );
    return r.rows.length === 1;
  }

  async complete(job: RunJob): Promise<void> {
    // pg-boss's complete, for this claim only: had the job expired and been claimed by another
    // worker meanwhile, completing it by id would leave that worker's run without a job to take over.
    await this.boss
      .getDb()
      .executeSql(`UPDATE ${this.opts.schema}.job SET state = 'completed', completed_on = now() WHERE name = $1 AND id = $2 AND state = 'active' AND retry_count = $3`, [QUEUE_NAME, job.id, job.attempt]);
  }

  async release(job: RunJob, afterMs = 0): Promise<void> {
    // Back to `retry` (pg-boss's fail with retries left), claimable after the delay; only this claim's.
    await this.boss
      .getDb()
      .executeSql(
        `UPDATE ${this.opts.schema}.job SET state = 'retry', start_after = now() + $4 * interval '1 millisecond' WHERE name = $1 AND id = $2 AND state = 'active' AND retry_count = $3`,
        [QUEUE_NAME, job.id, job.attempt, afterMs],
      );
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, close: true });
  }
}
