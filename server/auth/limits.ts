// Per-tenant concurrency (DESIGN §8 § Limits): how many runs of one tenant may execute at once in
// this process. The runs route takes a permit before it starts or continues a run and gives it back
// when the execution stops; a tenant at its limit gets 429 with Retry-After, never a queue that
// grows without bound. With several `awr serve` processes each holds its own count (the limit is
// per process).
import { TenantBusy } from "./errors.js";

export interface TenantLimitOptions {
  /** Runs executing at once per tenant (default 100). */
  maxRunning?: number;
  /** Per-tenant overrides of `maxRunning`. */
  tenants?: Record<string, number>;
  /** The Retry-After of a refusal, in seconds (default 1). */
  retryAfterSeconds?: number;
}

export class TenantLimiter {
  private readonly running = new Map<string, number>();
  constructor(private readonly opts: TenantLimitOptions = {}) {
    for (const n of [opts.maxRunning, ...Object.values(opts.tenants ?? {})]) if (n !== undefined && !(Number.isInteger(n) && n >= 0)) throw new RangeError(`a tenant's run limit is a whole number ≥ 0, got ${n}`);
  }

  limitOf(tenant: string): number {
    return this.opts.tenants?.[tenant] ?? this.opts.maxRunning ?? 100;
  }

  /** Runs of the tenant executing now. */
  count(tenant: string): number {
    return this.running.get(tenant) ?? 0;
  }

  /**
   * Takes a permit for one run of `tenant`, or throws `TenantBusy` (429). The returned function gives
   * it back; calling it again does nothing, so a `finally` and an error path may both call it.
   */
  acquire(tenant: string): () => void {
    const n = this.count(tenant);
    const limit = this.limitOf(tenant);
    if (n >= limit) throw new TenantBusy(tenant, limit, this.opts.retryAfterSeconds ?? 1);
    this.running.set(tenant, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(tenant);
    };
  }

  /** Gives back a permit taken with `acquire` (prefer the function `acquire` returns). */
  release(tenant: string): void {
    const n = this.count(tenant) - 1;
    if (n > 0) this.running.set(tenant, n);
    else this.running.delete(tenant);
  }

  /** Runs `f` under a permit of `tenant` (TenantBusy before it starts when there is none). */
  async run<A>(tenant: string, f: () => Promise<A>): Promise<A> {
    const release = this.acquire(tenant);
    try {
      return await f();
    } finally {
      release();
    }
  }
}
