// The work queue a worker takes runs from (DESIGN §9): a small port, so the worker loop does not
// know the queue's engine (server/worker/pg-boss-queue.ts: pg-boss on the store's PostgreSQL).
//
// A job names a run to continue. A worker claims jobs; a claim is a lease the worker renews with
// `heartbeat` while it executes the run; a claim whose worker stopped renewing it (killed, paused,
// cut off) expires and its job is taken by another worker. The queue decides who *should* advance a
// run; the store decides who *can*: every commit carries `expectVersion`, so a worker that lost its
// claim but still runs gets `ClaimLost` instead of writing twice (vm/ports/errors.ts).

/** A claimed job: the run to continue, and what identifies this claim of it. */
export interface RunJob {
  readonly id: string;
  readonly runId: string;
  /** How many claims of this job came before this one (0 the first time; more after takeovers and hand-backs). */
  readonly attempt: number;
}

export interface RunQueue {
  /**
   * Queues `runId` to be continued by a worker, not before `afterMs` from now. A run already queued
   * and not yet claimed is not queued twice.
   */
  enqueue(runId: string, opts?: { afterMs?: number }): Promise<void>;
  /** Claims up to `n` queued jobs (oldest first) for this worker; none when there are none. */
  claim(n: number): Promise<RunJob[]>;
  /** Renews the claim; false when it is no longer this worker's (it expired and may be another's). */
  heartbeat(job: RunJob): Promise<boolean>;
  /** The run needs nothing more from this job: done (whatever the run's status). */
  complete(job: RunJob): Promise<void>;
  /** Hands the job back: another worker (or this one) may claim it after `afterMs`. */
  release(job: RunJob, afterMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** How claims are kept: renewed every `heartbeatMs`; a claim not renewed for `leaseMs` is another worker's to take. */
export interface LeaseOptions {
  heartbeatMs: number;
  leaseMs: number;
}

/** A lease of three heartbeats: a worker survives two missed renewals (a slow database, a GC pause). */
export function leaseOf(heartbeatMs: number): LeaseOptions {
  return { heartbeatMs, leaseMs: 3 * heartbeatMs };
}
