// `awr worker` assembled (DESIGN §9): the store and the queue a spec names, a runtime per run from
// the host (the run's stored plan, its js tools' directory and models from its `meta`, as `awr
// resume` does), and the loop of worker.ts. Also `enqueueRun`, how a run is handed to the workers.
import { Effect } from "effect";
import { HostConfigError } from "../../host/errors.js";
import { metaString, openRuntime } from "../../host/runtime.js";
import { openStore, storeLocation } from "../../host/stores.js";
import { storedPlanOfRun, type RunStore, type VmEvent } from "../../vm/index.js";
import { PgBossQueue, queueSchemaOf } from "./pg-boss-queue.js";
import { leaseOf, type RunQueue } from "./queue.js";
import { Worker, type WorkerReport } from "./worker.js";

export { Worker, type WorkerReport } from "./worker.js";
export type { RunJob, RunQueue } from "./queue.js";

export interface WorkerConfig {
  /** The store spec: `postgres://…` (a worker shares its store with other processes). */
  store: string;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Runs executing at once (default 1). */
  concurrency?: number;
  /** Claims are renewed this often; one not renewed for three of these is taken over (default 10 s). */
  heartbeatMs?: number;
  /** Public keys (PEM): only runs whose stored plan one of them signed execute. */
  trust?: readonly string[];
  /** A models spec for every run, instead of the one each run was started with. */
  models?: string;
  onEvent?: (e: VmEvent) => void;
  report?: (r: WorkerReport) => void;
}

export const DEFAULT_HEARTBEAT_MS = 10_000;

export interface OpenWorker {
  worker: Worker;
  /** The store as messages name it (no password). */
  label: string;
  /** Stops the worker (see `Worker.stop`) and closes the queue and the store. */
  close(graceMs?: number): Promise<void>;
}

/** The store and queue of `spec`; `STORE_UNSUPPORTED` unless it names PostgreSQL. */
async function openShared(spec: string, cwd: string, heartbeatMs: number): Promise<{ store: RunStore; queue: RunQueue; label: string }> {
  const location = storeLocation(spec, cwd);
  if (location.kind !== "postgres") {
    throw new HostConfigError(
      "STORE_UNSUPPORTED",
      "a worker needs a PostgreSQL store, shared with the processes that start runs",
      "use postgres://user@host/database[?schema=name]; runs on a SQLite file or memory: execute in the process that starts them",
      spec,
    );
  }
  const store = await openStore(spec, { cwd });
  try {
    const queue = await PgBossQueue.open({ url: location.url, schema: queueSchemaOf(location.schema), ...leaseOf(heartbeatMs) });
    return { store, queue, label: location.label };
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** Opens the store and the queue and starts claiming runs. */
export async function openWorker(config: WorkerConfig): Promise<OpenWorker> {
  const heartbeatMs = config.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const { store, queue, label } = await openShared(config.store, config.cwd, heartbeatMs);
  const worker = new Worker({
    store,
    queue,
    heartbeatMs,
    ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
    ...(config.report ? { report: config.report } : {}),
    async runtimeFor(loaded) {
      const stored = await storedPlanOfRun(store, loaded);
      const models = config.models ?? metaString(loaded.snapshot, "models");
      const opened = await openRuntime({
        plan: { ...stored, source: `the stored plan of run ${loaded.snapshot.runId}` },
        root: metaString(loaded.snapshot, "root") ?? config.cwd,
        store,
        storeSpec: config.store,
        cwd: config.cwd,
        env: config.env,
        ...(models !== undefined ? { models } : {}),
        ...(config.trust ? { trust: config.trust } : {}),
        ...(config.onEvent ? { onEvent: config.onEvent } : {}),
        continued: loaded,
      });
      return { runtime: opened.runtime, close: opened.close };
    },
  });
  worker.start();
  return {
    worker,
    label,
    async close(graceMs) {
      try {
        await worker.stop(graceMs);
      } finally {
        await queue.close().catch(() => {});
        await store.close();
      }
    },
  };
}

/**
 * Hands a stored run to the workers of its store: queued (once while it waits) to be continued by
 * the next free worker. The run must be in the store already (`runtime.start` in a process that
 * died, or a run created for the workers).
 */
export async function enqueueRun(spec: string, runId: string, opts: { cwd: string; afterMs?: number }): Promise<void> {
  const { store, queue } = await openShared(spec, opts.cwd, DEFAULT_HEARTBEAT_MS);
  try {
    if (!(await Effect.runPromise(store.log.load(runId)))) throw new Error(`no run ${runId} in the store`);
    await queue.enqueue(runId, opts.afterMs !== undefined ? { afterMs: opts.afterMs } : {});
  } finally {
    await queue.close().catch(() => {});
    await store.close();
  }
}
