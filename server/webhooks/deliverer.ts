// The deliverer of webhooks out (DESIGN §8): takes the `webhook` dispatches the runtime wrote to the
// run store's outbox with each status change, records each as a delivery (server/webhooks/deliveries.ts),
// then posts due deliveries signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
// `webhook-signature`), with a time limit per attempt, retrying with exponential backoff and jitter
// until an attempt is answered 2xx or the attempts run out (the delivery is then dead: kept and
// listed, never sent again).
import { randomBytes } from "node:crypto";
import { Effect } from "effect";
import { Webhook } from "standardwebhooks";
import type { Dispatch, RunStore } from "../../vm/types.js";
import { WEBHOOK_DISPATCH, type WebhookDispatchPayload } from "../../vm/webhooks.js";
import type { DeliveryAttempt, DeliveryLog, DueDelivery } from "./deliveries.js";
import { targetProblem } from "./targets.js";

export interface DelivererOptions {
  /** The run store whose outbox holds the dispatches. */
  store: RunStore;
  deliveries: DeliveryLog;
  /** The signing secret, `whsec_<base64>` (`--webhook-secret`, else `AWR_WEBHOOK_SECRET`). */
  secret: string;
  /** Attempts before a delivery is dead (default 10). */
  maxAttempts?: number;
  /** The delay after the first failed attempt (default 5 s); it doubles per attempt up to `maxDelayMs` (default 1 h), less up to half by jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** The time limit of one attempt (default 10 s). */
  timeoutMs?: number;
  /** How often the outbox and the due deliveries are looked at (default 500 ms); `wake()` looks at once. */
  pollMs?: number;
  /**
   * Whether loopback, private and link-local targets may be posted to (default true: the embedded
   * server's receiver is often on the same machine). A server that tenants share should set false;
   * a refused target is a failed attempt, retried (the name may resolve elsewhere later) then dead.
   */
  allowPrivateTargets?: boolean;
  /** Deliveries posted at once (default 8). */
  concurrency?: number;
  /** Called with dispatches of other kinds that the outbox gave (it gives every kind). Default: reported to `onError`. */
  onOtherDispatch?: (d: Dispatch) => void | Promise<void>;
  /** Errors of the loop itself (a store that does not answer); it keeps going. */
  onError?: (e: unknown) => void;
  now?: () => number;
  random?: () => number;
  fetch?: typeof fetch;
}

/** A new signing secret in the `whsec_` form receivers give to `new Webhook(secret)`. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** The secret from `--webhook-secret` or `AWR_WEBHOOK_SECRET`, checked; undefined when neither is set. */
export function webhookSecretFrom(flag: string | undefined, env: Record<string, string | undefined> = process.env): string | undefined {
  const s = flag ?? env["AWR_WEBHOOK_SECRET"];
  if (s === undefined || s === "") return undefined;
  checkSecret(s);
  return s;
}

function checkSecret(s: string): void {
  if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(s) || Buffer.from(s.slice(6), "base64").length < 24) throw new Error("the webhook secret must be whsec_ followed by at least 24 bytes in base64 (make one with: node -e \"console.log('whsec_'+require('crypto').randomBytes(32).toString('base64'))\")");
}

/** The delay before attempt `n + 1` after `n` failed attempts: doubling from `base`, capped, with equal jitter. */
export function backoffMs(n: number, base: number, max: number, random: () => number): number {
  const d = Math.min(max, base * 2 ** Math.max(0, n - 1));
  return Math.round(d / 2 + random() * (d / 2));
}

export class WebhookDeliverer {
  private readonly signer: Webhook;
  private readonly o: Required<Omit<DelivererOptions, "onOtherDispatch" | "store" | "deliveries" | "secret">> & Pick<DelivererOptions, "onOtherDispatch">;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private stopping = false;

  constructor(private readonly opts: DelivererOptions) {
    checkSecret(opts.secret);
    this.signer = new Webhook(opts.secret);
    this.o = {
      maxAttempts: opts.maxAttempts ?? 10,
      baseDelayMs: opts.baseDelayMs ?? 5000,
      maxDelayMs: opts.maxDelayMs ?? 3_600_000,
      timeoutMs: opts.timeoutMs ?? 10_000,
      pollMs: opts.pollMs ?? 500,
      concurrency: opts.concurrency ?? 8,
      allowPrivateTargets: opts.allowPrivateTargets ?? true,
      onOtherDispatch: opts.onOtherDispatch,
      onError: opts.onError ?? (() => {}),
      now: opts.now ?? Date.now,
      random: opts.random ?? Math.random,
      fetch: opts.fetch ?? fetch,
    };
    if (!(Number.isInteger(this.o.maxAttempts) && this.o.maxAttempts >= 1)) throw new RangeError("maxAttempts is a whole number ≥ 1");
  }

  /** Polls until `stop()`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Looks at the outbox and the due deliveries now (e.g. after a run's status changed). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Stops polling and waits for the attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      await this.running;
    } finally {
      this.stopping = false;
    }
  }

  /** One round: the outbox into the delivery log, then every due delivery attempted once. Tests call it directly. */
  async pump(): Promise<void> {
    await this.intake();
    for (;;) {
      const due = await this.opts.deliveries.claimDue(this.o.now(), this.o.concurrency, this.o.timeoutMs + 30_000);
      if (!due.length) return;
      await Promise.all(due.map((d) => this.attempt(d)));
      if (this.stopping) return;
    }
  }

  /**
   * Records the outbox's webhook dispatches as deliveries (the rest go to `onOtherDispatch`), then
   * removes them from the outbox: a crash in between finds them again, and recording one twice
   * keeps the first (its message id is the delivery's key) — none is lost, none sent twice.
   */
  async intake(): Promise<number> {
    let n = 0;
    for (;;) {
      const batch = await Effect.runPromise(this.opts.store.log.peekDispatches(100));
      for (const { seq: _seq, ...d } of batch) {
        if (d.kind === WEBHOOK_DISPATCH) {
          await this.opts.deliveries.record(d.runId, d.payload as unknown as WebhookDispatchPayload, this.o.now());
          n++;
        } else if (this.o.onOtherDispatch) await this.o.onOtherDispatch(d);
        else this.o.onError(new Error(`the webhook deliverer took a dispatch of kind "${d.kind}" for run ${d.runId} and has no handler for it`));
      }
      await Effect.runPromise(this.opts.store.log.ackDispatches(batch.map((d) => d.seq)));
      if (batch.length < 100) return n;
    }
  }

  private schedule(ms: number) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.pump()
        .catch((e: unknown) => this.o.onError(e))
        .finally(() => {
          this.running = undefined;
          if (this.stopped) return;
          const now = this.again;
          this.again = false;
          this.schedule(now ? 0 : this.o.pollMs);
        });
    }, ms);
    this.timer.unref?.();
  }

  private async attempt(d: DueDelivery): Promise<void> {
    const at = this.o.now();
    const t0 = performance.now();
    let status: number | undefined;
    let error: string | undefined;
    try {
      const refused = await targetProblem(d.url, { allowPrivate: this.o.allowPrivateTargets });
      if (refused !== undefined) throw new Error(`refused: ${refused}`);
      const res = await this.o.fetch(d.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "awr-webhooks", ...this.headers(d) },
        body: d.body,
        redirect: "manual",
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      status = res.status;
      await res.body?.cancel().catch(() => {});
      if (status < 200 || status > 299) error = `the receiver answered ${status}`;
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why = err.cause?.code ?? err.cause?.message;
      error = err.name === "TimeoutError" ? `no answer within ${this.o.timeoutMs} ms` : `${err.message}${why ? ` (${why})` : ""}`;
    }
    const attempt: DeliveryAttempt = { at, durationMs: Math.round(performance.now() - t0), ...(status !== undefined ? { status } : {}), ...(error !== undefined ? { error: error.slice(0, 500) } : {}) };
    const n = d.attempts.length + 1;
    const next =
      error === undefined ? ({ status: "delivered" } as const) : n >= this.o.maxAttempts ? ({ status: "dead" } as const) : ({ status: "pending", nextAt: at + backoffMs(n, this.o.baseDelayMs, this.o.maxDelayMs, this.o.random) } as const);
    await this.opts.deliveries.attempted(d, attempt, next);
  }

  /**
   * The Standard Webhooks headers of one attempt: the delivery's id, the attempt's wall-clock time
   * (receivers refuse one more than 5 minutes off theirs, so it is never the injected clock), the
   * signature over both and the body.
   */
  private headers(d: DueDelivery): Record<string, string> {
    const ts = new Date();
    return { "webhook-id": d.id, "webhook-timestamp": String(Math.floor(ts.getTime() / 1000)), "webhook-signature": this.signer.sign(d.id, ts, d.body) };
  }
}
