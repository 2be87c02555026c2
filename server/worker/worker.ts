// The worker loop (DESIGN §9): claims queued runs, continues each from its journal in a runtime of
// its own (the run's stored plan and providers), renews its claims while they execute, and says
// what happened to each. Knows neither the queue's engine nor how runtimes are built: `queue` and
// `runtimeFor` come from server/worker/index.ts.
//
// What a claim means here: the queue says which worker *should* advance a run, the store decides
// which one *can* (every commit carries expectVersion). A run whose commit meets another
// execution's is `ClaimLost` (vm/ports/errors.ts): this worker stored nothing more. While its own
// claim still holds (the other was a worker that had lost its claim but kept going) it loads the
// run again and goes on; otherwise the run is the other worker's and it lets go.
import { Effect } from "effect";
import { errorTag, type LoadedRun, type RunOutcome, type RunStore, type Runtime } from "../../vm/index.js";
import type { RunJob, RunQueue } from "./queue.js";

/** What the worker tells: one line per thing that happened to a run (the CLI prints them). */
export type WorkerReport =
  | { kind: "took"; runId: string; attempt: number }
  | { kind: "finished"; runId: string; outcome: RunOutcome }
  | { kind: "skipped"; runId: string; status: string }
  | { kind: "lost"; runId: string; message: string }
  | { kind: "released"; runId: string; reason: string }
  | { kind: "error"; runId?: string; message: string };

export interface WorkerOptions {
  store: RunStore;
  queue: RunQueue;
  /** Runs executing at once (default 1). */
  concurrency?: number;
  /** How often claims are renewed, in ms (the queue's lease is a few of these). */
  heartbeatMs: number;
  /** How long to wait between claims when the queue was empty, in ms (default 500). */
  pollMs?: number;
  /** A runtime for a run: its stored plan and the providers it was started with. */
  runtimeFor(loaded: LoadedRun): Promise<{ runtime: Runtime; close(): Promise<void> }>;
  report?(r: WorkerReport): void;
}

/** After this many `ClaimLost`s in a row while holding the claim, the run is handed back for later. */
const MAX_RECLAIMS = 3;
/** A run whose execution failed this many claims in a row (not its own failure: an error of the store, its plan, its providers) is given up. */
const MAX_ATTEMPTS = 20;
/** The longest wait before a run that met an error is tried again, in ms. */
const MAX_BACKOFF_MS = 10 * 60_000;

export class Worker {
  private readonly concurrency: number;
  private readonly inFlight = new Map<string, { job: RunJob; done: Promise<void> }>();
  private stopping = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly o: WorkerOptions) {
    this.concurrency = o.concurrency ?? 1;
    if (!(Number.isInteger(this.concurrency) && this.concurrency >= 1)) throw new Error(`the concurrency must be a whole number ≥ 1, got ${o.concurrency}`);
  }

  /** Starts claiming; `stop` ends it. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Runs executing now. */
  get running(): string[] {
    return [...this.inFlight.values()].map((f) => f.job.runId);
  }

  /**
   * Stops claiming, waits up to `graceMs` for the runs in flight to stop, then hands back those that
   * have not (another worker continues them from their journals; their executions here are
   * abandoned when the process exits, as in a crash).
   */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    const all = Promise.all([...this.inFlight.values()].map((f) => f.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
    clearTimeout(timer);
    if (!timedOut) return;
    for (const { job } of this.inFlight.values()) {
      await this.o.queue.release(job).catch(() => {});
      this.report({ kind: "released", runId: job.runId, reason: `still executing after ${graceMs} ms of shutdown: handed back to the queue` });
    }
  }

  private report(r: WorkerReport): void {
    this.o.report?.(r);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const free = this.concurrency - this.inFlight.size;
      let jobs: RunJob[] = [];
      if (free > 0) {
        try {
          jobs = await this.o.queue.claim(free);
        } catch (e) {
          this.report({ kind: "error", message: `cannot claim work: ${(e as Error).message}` });
        }
      }
      for (const job of jobs) {
        const done = this.take(job).finally(() => {
          this.inFlight.delete(job.id);
          this.wake?.();
        });
        this.inFlight.set(job.id, { job, done });
      }
      // Claim again at once while there was work and room; else wait for a run to end or the poll.
      if (jobs.length > 0 && this.inFlight.size < this.concurrency) continue;
      await new Promise<void>((r) => {
        const t = setTimeout(r, this.o.pollMs ?? 500);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.wake = undefined;
    }
  }

  /** One claimed job: its run continued (or found to need nothing), with its claim renewed meanwhile. */
  private async take(job: RunJob): Promise<void> {
    const { queue } = this.o;
    let held = true;
    const renew = () =>
      queue.heartbeat(job).then(
        (ok) => {
          if (!ok && held) {
            held = false;
            this.report({ kind: "lost", runId: job.runId, message: "its claim expired (another worker may continue it); this worker stops at its next commit" });
          }
        },
        () => {}, // a missed renewal: the lease allows a few
      );
    // At once: the lease becomes this worker's (its heartbeat's), then renewed every heartbeat.
    void renew();
    const beat = setInterval(() => void renew(), this.o.heartbeatMs);
    try {
      this.report({ kind: "took", runId: job.runId, attempt: job.attempt });
      for (let tries = 0; ; tries++) {
        const r = await this.continueRun(job.runId);
        if (r !== "lost") break;
        if (!held) return; // the run is another worker's now: leave its job alone
        if (tries + 1 >= MAX_RECLAIMS) {
          await queue.release(job, this.o.heartbeatMs);
          this.report({ kind: "released", runId: job.runId, reason: `moved on by other executions ${MAX_RECLAIMS} times in a row: handed back` });
          return;
        }
      }
      if (held) await queue.complete(job);
    } catch (e) {
      // An error around the run (the store unreachable, its plan untrusted or missing, a provider
      // that cannot start): tried again later, waiting twice as long each time, then given up
      // (the run stays as it is in the store; queue it again once the cause is fixed).
      const message = (e as Error).message;
      if (!held) {
        this.report({ kind: "error", runId: job.runId, message });
      } else if (job.attempt + 1 >= MAX_ATTEMPTS) {
        this.report({ kind: "error", runId: job.runId, message: `${message} (attempt ${job.attempt + 1}: given up)` });
        await queue.complete(job).catch(() => {});
      } else {
        const backoff = Math.min(this.o.heartbeatMs * 2 ** job.attempt, MAX_BACKOFF_MS);
        this.report({ kind: "error", runId: job.runId, message: `${message} (attempt ${job.attempt + 1}: tried again in ${backoff} ms)` });
        await queue.release(job, backoff).catch(() => {});
      }
    } finally {
      clearInterval(beat);
    }
  }

  /** Continues one run from its journal: "done", or "lost" when another execution moved it on. */
  private async continueRun(runId: string): Promise<"done" | "lost"> {
    const loaded = await Effect.runPromise(this.o.store.log.load(runId));
    if (!loaded) {
      this.report({ kind: "skipped", runId, status: "not in the store" });
      return "done";
    }
    // Only a run left executing (a new one, or one whose process died) is continued; a waiting,
    // finished, cancelled or needs_attention run waits for a person or a resume.
    if (loaded.snapshot.status !== "running") {
      this.report({ kind: "skipped", runId, status: loaded.snapshot.status });
      return "done";
    }
    const { runtime, close } = await this.o.runtimeFor(loaded);
    try {
      const outcome = await runtime.recover(runId, { loaded });
      this.report({ kind: "finished", runId, outcome });
      return "done";
    } catch (e) {
      if (errorTag(e) !== "ClaimLost") throw e;
      this.report({ kind: "lost", runId, message: (e as Error).message });
      return "lost";
    } finally {
      await close();
    }
  }
}
