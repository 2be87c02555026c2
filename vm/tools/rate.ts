// Rate limits of tools (`rate: {count, per_ms}`): a token bucket per tool in one provider.
//
// The bucket holds max(1, floor(count)) tokens and each token comes back `per_ms × tokens / count`
// after it was taken (for a whole `count`: exactly `per_ms`). So no window of `per_ms` ever sees more
// than `count` calls — `rate: 20/s` means at most 20 calls in any second, bursts included — and a
// fractional rate such as 0.5/s still admits one call every 2 s. Waiters are served first come,
// first served; a waiter whose signal aborts leaves the queue with a `cancelled` failure.
import { fail } from "./failures.js";

export class RateLimiter {
  private readonly freeAt: number[];
  private readonly periodMs: number;
  /** The tail of the FIFO queue of callers; resolves when the last one has its token (or left). */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly count: number,
    readonly perMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    const tokens = Math.max(1, Math.floor(count));
    this.freeAt = new Array<number>(tokens).fill(-Infinity);
    this.periodMs = (perMs * tokens) / count;
  }

  /** Waits until a token is free and takes it. Rejects with a `cancelled` VmFailure on abort. */
  async take(signal: AbortSignal, what = "tool"): Promise<void> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    try {
      await abortable(prev, signal, what);
      for (;;) {
        const t = this.now();
        let slot = 0;
        for (let i = 1; i < this.freeAt.length; i++) if (this.freeAt[i]! < this.freeAt[slot]!) slot = i;
        const at = this.freeAt[slot]!;
        if (at <= t) {
          this.freeAt[slot] = t + this.periodMs;
          return;
        }
        await sleep(Math.ceil(at - t), signal, what);
      }
    } finally {
      // Only hand over once the caller before us is done, also when we leave early on abort.
      void prev.then(release);
    }
  }
}

function cancelled(what: string) {
  return fail("cancelled", `${what}: cancelled while waiting for its rate limit`, false);
}

function abortable(p: Promise<void>, signal: AbortSignal, what: string): Promise<void> {
  if (signal.aborted) return Promise.reject(cancelled(what));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(cancelled(what));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}

function sleep(ms: number, signal: AbortSignal, what: string): Promise<void> {
  if (signal.aborted) return Promise.reject(cancelled(what));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled(what));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The concurrency limit of a tool (`concurrency: N`): at most `max` calls in flight; the others
 * wait, first come first served. A waiter whose signal aborts leaves the queue (`cancelled`).
 */
export class Semaphore {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly max: number) {}

  get inFlight(): number {
    return this.active;
  }

  async acquire(signal: AbortSignal, what = "tool"): Promise<() => void> {
    if (signal.aborted) throw fail("cancelled", `${what}: cancelled while waiting for its concurrency limit`, false);
    if (this.active < this.max) {
      this.active++;
    } else {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = this.queue.indexOf(go);
          if (i >= 0) this.queue.splice(i, 1);
          reject(fail("cancelled", `${what}: cancelled while waiting for its concurrency limit`, false));
        };
        signal.addEventListener("abort", onAbort, { once: true });
        this.queue.push(go);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else this.active--;
    };
  }
}
