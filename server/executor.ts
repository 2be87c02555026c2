// Runs executed in this process (DESIGN §8: the embedded default): one runtime per plan hash,
// built through host/, shared by every run of that plan; each start, resume or resolve executes in
// the background. A request waits only until the execution has stored what it was asked to store
// (the new run, the answer, the resolution) — known by the execution's first event — or until it
// was refused before storing anything, so refusals still reach the caller as 404/409/422.
import { tenantMeta } from "./auth/tenancy.js";
import { Effect } from "effect";
import { modelsToStore, openRuntime, type OpenRuntime } from "../host/runtime.js";
import type { AuditRecord, Json, Resolution, RunOutcome, RunStore, VmEvent } from "../vm/index.js";
import { ApiError } from "./errors.js";
import type { Metrics } from "./metrics.js";
import type { Registry } from "./registry.js";

export interface ExecutorOptions {
  store: RunStore;
  storeSpec?: string;
  cwd: string;
  env: Record<string, string | undefined>;
  /** `openai` (default) or `recorded:<file.jsonl>` (host/runtime.ts openModels). */
  models?: string;
  registry: Registry;
  metrics: Metrics;
  log?: (message: string, e?: unknown) => void;
}

export interface Who {
  by: string;
  comment?: string;
}

export class Executor {
  private readonly runtimes = new Map<string, Promise<OpenRuntime>>();
  /** Executions running in this process, by run id. */
  private readonly executing = new Map<string, Promise<void>>();
  /** Executions in this process per tenant (the concurrency limit of POST /v1/runs). */
  private readonly perTenant = new Map<string, number>();
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly firstEvent = new Map<string, () => void>();

  constructor(private readonly o: ExecutorOptions) {}

  /** The runtime of a plan (opened once per hash). */
  runtime(hash: string): Promise<OpenRuntime> {
    let r = this.runtimes.get(hash);
    if (!r) {
      r = (async () => {
        const e = await this.o.registry.byHash(hash);
        if (!e) throw new ApiError(404, "not_found", `no plan ${hash} in the store`);
        return openRuntime({
          plan: { plan: e.plan, bytes: e.bytes, source: e.source },
          root: e.root,
          store: this.o.store,
          cwd: this.o.cwd,
          env: this.o.env,
          ...(this.o.storeSpec === undefined ? {} : { storeSpec: this.o.storeSpec }),
          ...(this.o.models === undefined ? {} : { models: this.o.models }),
          onEvent: (ev) => this.onEvent(ev),
        });
      })();
      r.catch(() => this.runtimes.delete(hash));
      this.runtimes.set(hash, r);
    }
    return r;
  }

  private onEvent(e: VmEvent): void {
    this.firstEvent.get(e.runId)?.();
    this.wake(e.runId);
  }

  /** Called (without arguments) whenever the run may have moved in this process; returns the unsubscribe. */
  subscribe(runId: string, f: () => void): () => void {
    const set = this.listeners.get(runId) ?? new Set();
    set.add(f);
    this.listeners.set(runId, set);
    return () => {
      set.delete(f);
      if (set.size === 0) this.listeners.delete(runId);
    };
  }

  private wake(runId: string): void {
    for (const f of this.listeners.get(runId) ?? []) f();
  }

  isExecuting(runId: string): boolean {
    return this.executing.has(runId);
  }

  /** How many runs of `tenant` execute in this process (all tenants' without one), places held by `reserve` included. */
  executingCount(tenant?: string): number {
    return tenant === undefined ? this.executing.size + this.startingTotal : (this.perTenant.get(tenant) ?? 0) + (this.starting.get(tenant) ?? 0);
  }

  private readonly starting = new Map<string, number>();
  private startingTotal = 0;

  /**
   * Holds a place for a run about to start, counted by `executingCount` until the returned release
   * is called (once the run executes, it counts itself): starts that arrive together cannot all pass
   * the limit check while each is still looking up its plan.
   */
  reserve(tenant: string): () => void {
    this.starting.set(tenant, (this.starting.get(tenant) ?? 0) + 1);
    this.startingTotal++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.startingTotal--;
      const n = (this.starting.get(tenant) ?? 1) - 1;
      if (n > 0) this.starting.set(tenant, n);
      else this.starting.delete(tenant);
    };
  }

  /** The runs' metadata: where js tools are and which models they run with (what `awr resume` reads). */
  meta(root: string): Json {
    return { root, models: modelsToStore(this.o.models, this.o.cwd) };
  }

  /**
   * Runs `op` in the background. Resolves once it stored something (its first event), rejects
   * with the refusal it threw before that; later failures are the run's (stored) or logged.
   */
  private launch(runId: string, op: () => Promise<RunOutcome>, tenant?: string): Promise<void> {
    if (this.executing.has(runId)) return Promise.reject(new ApiError(409, "conflict", `run ${runId} is executing: wait for it to stop`));
    if (tenant !== undefined) this.perTenant.set(tenant, (this.perTenant.get(tenant) ?? 0) + 1);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const stored = () => {
        if (settled) return;
        settled = true;
        resolve();
      };
      this.firstEvent.set(runId, stored);
      const done = op().then(
        (o) => {
          this.o.metrics.runFinished(o.status);
          stored();
        },
        (e: unknown) => {
          if (settled) this.o.log?.(`run ${runId} stopped with an error`, e);
          else {
            settled = true;
            reject(e);
          }
        },
      );
      this.executing.set(
        runId,
        done.finally(() => {
          if (tenant !== undefined) {
            const n = (this.perTenant.get(tenant) ?? 1) - 1;
            if (n > 0) this.perTenant.set(tenant, n);
            else this.perTenant.delete(tenant);
          }
          this.executing.delete(runId);
          this.firstEvent.delete(runId);
          this.wake(runId);
        }),
      );
    });
  }

  /** Starts a new run of `planHash` (the run is stored when this resolves). */
  async start(planHash: string, root: string, graph: string, input: Json, opts: { runId: string; tenant: string; principal: Json; sessionId?: string; webhook?: { url: string } }): Promise<void> {
    const { runtime } = await this.runtime(planHash);
    // The tenant in the run's meta: the webhook events of its status commits carry it (vm/webhooks.ts).
    const meta = tenantMeta({ tenant: opts.tenant }, this.meta(root) as Record<string, Json>);
    await this.launch(opts.runId, () =>
      runtime.start(graph, input, { runId: opts.runId, principal: opts.principal, meta, ...(opts.sessionId === undefined ? {} : { sessionId: opts.sessionId }), ...(opts.webhook ? { webhook: opts.webhook } : {}) }),
      opts.tenant,
    );
    this.o.metrics.runStarted();
  }

  /** Answers a waiting run (checked before anything is stored) and continues it. */
  async resume(planHash: string, runId: string, value: Json, opts: { interruptId?: string } & Who): Promise<void> {
    const { runtime } = await this.runtime(planHash);
    await this.launch(runId, () =>
      runtime.resume(runId, value, { by: opts.by, ...(opts.comment === undefined ? {} : { comment: opts.comment }), ...(opts.interruptId === undefined ? {} : { interruptId: opts.interruptId }) }),
    );
  }

  async resolve(planHash: string, runId: string, action: Resolution, who: Who): Promise<void> {
    const { runtime } = await this.runtime(planHash);
    await this.launch(runId, () => runtime.resolve(runId, action, { by: who.by, ...(who.comment === undefined ? {} : { comment: who.comment }) }));
  }

  /** Continues a run that stopped without an answer being needed (left running by a server that died). */
  async recover(planHash: string, runId: string): Promise<void> {
    const { runtime } = await this.runtime(planHash);
    await this.launch(runId, () => runtime.recover(runId));
  }

  /**
   * Cancels a run: one executing here is interrupted (it ends `cancelled`, resumable); a waiting
   * one is marked `cancelled` (its awaits no longer answerable; `awr resume` continues it, asking
   * again). Either way the audit log says who. Anything else is a 409.
   */
  async cancel(planHash: string, runId: string, who: Who): Promise<void> {
    const reason = who.comment ?? `cancelled by ${who.by}`;
    const running = this.executing.get(runId);
    if (running) {
      const { runtime } = await this.runtime(planHash);
      await runtime.cancel(runId, reason);
      await running;
    }
    const loaded = await Effect.runPromise(this.o.store.log.load(runId));
    if (!loaded) throw new ApiError(404, "not_found", `no run ${runId}`);
    const s = loaded.snapshot;
    if (!running && s.status !== "suspended" && s.status !== "needs_attention") {
      throw new ApiError(409, "conflict", s.status === "running" ? `run ${runId} is executing in another process` : `run ${runId} is ${s.status}: there is nothing to cancel`, { status: s.status });
    }
    const at = Date.now();
    const record: AuditRecord = {
      runId,
      step: runId,
      principal: s.principal,
      kind: "operator",
      hook: "cancel",
      target: s.graph,
      policy: null,
      rule: null,
      outcome: "cancelled",
      reason,
      by: who.by,
      ...(who.comment === undefined ? {} : { comment: who.comment }),
      at,
    } as AuditRecord;
    await Effect.runPromise(
      this.o.store.log.commit({
        runId,
        expectVersion: loaded.version,
        append: [],
        audit: [record],
        ...(running ? {} : { update: { status: "cancelled", pending: [], error: { kind: "cancelled", message: reason, retryable: true }, updatedAt: at } }),
      }),
    );
    this.wake(runId);
  }

  /** Stops: waits up to `graceMs` for executions to end, cancels the rest (they stay resumable), closes the runtimes. */
  async close(graceMs: number): Promise<void> {
    const all = () => Promise.all([...this.executing.values()]);
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([all().then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
    clearTimeout(timer);
    if (late) {
      for (const [runId] of this.executing) {
        const rts = await Promise.allSettled([...this.runtimes.values()]);
        for (const r of rts) if (r.status === "fulfilled") await r.value.runtime.cancel(runId, "the server stopped");
      }
      await all();
    }
    for (const r of await Promise.allSettled([...this.runtimes.values()])) if (r.status === "fulfilled") await r.value.close();
    this.runtimes.clear();
  }
}
