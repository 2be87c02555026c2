// Circuit breakers: one per model declaration (`model:NAME`) and per tool (`tool:NAME`), shared by
// every run of a runtime. A breaker opens after N consecutive failures of its endpoint, fails calls
// fast while open (a typed, non-retryable `transport` failure, so the interpreter's decision table
// moves a model call to its `fallback`), lets one trial call through after a cool-down (half open),
// and closes on a success. State changes are reported (the runtime turns them into `breaker` events).
import type { BreakerState, FailureInfo, Json, ModelProvider, ModelRequest, ModelResponse, ToolProvider, ToolRequest } from "./types.js";
import { VmFailure } from "./types.js";

export interface BreakerOptions {
  /** Consecutive failures that open a breaker (default 5). */
  failureThreshold?: number;
  /** How long a breaker stays open before it lets a trial call through, in ms (default 30,000). */
  cooldownMs?: number;
  /** Which failures count against an endpoint (default: timeout, rate_limit, transport, tool). */
  isFailure?: (f: FailureInfo) => boolean;
  /** The clock (ms); injectable for tests. */
  now?: () => number;
}

export interface BreakerChange {
  target: string;
  state: BreakerState;
  /** Consecutive failures when the change happened. */
  failures: number;
  at: number;
}

/** What counts against an endpoint: it did not answer, or answered "not now". Not what we sent. */
const COUNTED: ReadonlySet<FailureInfo["kind"]> = new Set(["timeout", "rate_limit", "transport", "tool"]);

export function countsAgainstEndpoint(f: FailureInfo): boolean {
  return COUNTED.has(f.kind);
}

interface State {
  state: BreakerState;
  failures: number;
  openedAt: number;
  /** A half-open breaker lets one trial call through at a time. */
  trial: boolean;
}

/** A set of breakers by target name. */
export class Breakers {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  private readonly isFailure: (f: FailureInfo) => boolean;
  private readonly now: () => number;
  private readonly states = new Map<string, State>();

  constructor(opts: BreakerOptions = {}) {
    this.failureThreshold = Math.max(1, opts.failureThreshold ?? 5);
    this.cooldownMs = Math.max(0, opts.cooldownMs ?? 30_000);
    this.isFailure = opts.isFailure ?? countsAgainstEndpoint;
    this.now = opts.now ?? Date.now;
  }

  /** The state of a breaker (closed when it has never been used). */
  state(target: string): BreakerState {
    return this.states.get(target)?.state ?? "closed";
  }

  /** Every breaker used so far with its state. */
  snapshot(): { target: string; state: BreakerState; failures: number }[] {
    return [...this.states].map(([target, s]) => ({ target, state: s.state, failures: s.failures }));
  }

  /**
   * Runs `call` through the breaker of `target`; `onChange` hears the state changes this call
   * causes. While open, fails fast without calling.
   */
  async run<A>(target: string, signal: AbortSignal, call: () => Promise<A>, onChange?: (c: BreakerChange) => void): Promise<A> {
    let s = this.states.get(target);
    if (!s) this.states.set(target, (s = { state: "closed", failures: 0, openedAt: 0, trial: false }));
    const change = (state: BreakerState) => {
      s!.state = state;
      onChange?.({ target, state, failures: s!.failures, at: this.now() });
    };
    if (s.state === "open" && this.now() - s.openedAt >= this.cooldownMs) change("half_open");
    if (s.state === "open" || (s.state === "half_open" && s.trial)) {
      const retryIn = Math.max(0, s.openedAt + this.cooldownMs - this.now());
      throw new VmFailure({
        kind: "transport",
        retryable: false,
        message:
          s.state === "open"
            ? `circuit breaker ${target} is open after ${s.failures} consecutive failures; calls fail fast for ${Math.ceil(retryIn / 1000)} s more`
            : `circuit breaker ${target} is half open and a trial call is in flight; calls fail fast until it answers`,
      });
    }
    const trial = s.state === "half_open";
    if (trial) s.trial = true;
    try {
      const value = await call();
      s.failures = 0;
      if (s.state !== "closed") change("closed");
      return value;
    } catch (e) {
      const info: FailureInfo = e instanceof VmFailure ? e.info : { kind: "tool", message: e instanceof Error ? e.message : String(e) };
      // A call stopped from above (cancellation, a node timeout) says nothing about the endpoint.
      if (!signal.aborted && info.kind !== "cancelled") {
        if (this.isFailure(info)) {
          s.failures++;
          if (trial || (s.state === "closed" && s.failures >= this.failureThreshold)) {
            s.openedAt = this.now();
            change("open");
          }
        } else {
          // The endpoint answered (with a refusal, a schema error, an auth error): it is up.
          s.failures = 0;
          if (s.state !== "closed") change("closed");
        }
      }
      throw e;
    } finally {
      if (trial) s.trial = false;
    }
  }

  /** Both providers through these breakers (`createRuntime` does this per execution, `onChange` naming the run). */
  wrap(providers: { models: ModelProvider; tools: ToolProvider }, onChange?: (c: BreakerChange) => void): { models: ModelProvider; tools: ToolProvider } {
    return { models: this.models(providers.models, onChange), tools: this.tools(providers.tools, onChange) };
  }

  /** A model provider whose calls go through the breaker `model:NAME` of their model declaration. */
  models(inner: ModelProvider, onChange?: (c: BreakerChange) => void): ModelProvider {
    return {
      call: (req: ModelRequest, signal: AbortSignal): Promise<ModelResponse> => this.run(`model:${req.model}`, signal, () => inner.call(req, signal), onChange),
    };
  }

  /** A tool provider whose calls go through the breaker `tool:NAME` of their tool. */
  tools(inner: ToolProvider, onChange?: (c: BreakerChange) => void): ToolProvider {
    return {
      call: (req: ToolRequest, signal: AbortSignal): Promise<Json> => this.run(`tool:${req.tool}`, signal, () => inner.call(req, signal), onChange),
    };
  }
}

/** Wraps both providers with one (new or given) set of breakers. */
export function withBreakers(
  providers: { models: ModelProvider; tools: ToolProvider },
  breakers: Breakers | BreakerOptions = {},
  onChange?: (c: BreakerChange) => void,
): { models: ModelProvider; tools: ToolProvider } {
  return (breakers instanceof Breakers ? breakers : new Breakers(breakers)).wrap(providers, onChange);
}
