// The tool provider: runs the tools of a plan (js modules, http endpoints, builtins) for the
// interpreter. It validates arguments and results against the tool's schemas, enforces the tool's
// timeout and rate limit and the caller's abort signal, and reports every failure as a classified
// VmFailure. Retries, the journal, policies and mocks are the interpreter's business, not this one.
import type { Json, ToolProvider, ToolRequest } from "../types.js";
import { VmFailure } from "../types.js";
import { coerce, validate } from "../schema.js";
import { BUILTINS } from "./builtins.js";
import { fail, isVmFailure, errorMessage } from "./failures.js";
import { callHttpTool, type Fetch, type HttpImpl } from "./http.js";
import { jsToolFailure, ModuleCache, resolveJsModule, type ToolContext } from "./js.js";
import { RateLimiter } from "./rate.js";

export type { ToolContext, JsToolFunction } from "./js.js";
export { RateLimiter } from "./rate.js";
export { builtinNames } from "./builtins.js";

export interface ToolsOptions {
  /** The directory the plan's file ids are relative to (the entry file's directory). */
  baseDir: string;
  /** The directory holding the stdlib's `std/` folder, for js tools declared in `std/…` files. */
  stdlibDir?: string;
  /** The fetch used by http tools and `std.http.*` (default: the global fetch). */
  fetch?: Fetch;
  /** The clock of `std.time.now` (default: the system clock). */
  now?: () => Date;
}

type ToolPlan = ToolRequest["plan"];

/** The `ToolProvider` that runs tools in this process. One instance holds one set of rate limits. */
export class Tools implements ToolProvider {
  private readonly modules = new ModuleCache();
  private readonly limiters = new Map<string, RateLimiter>();

  constructor(private readonly opts: ToolsOptions) {}

  async call(req: ToolRequest, signal: AbortSignal): Promise<Json> {
    const { tool, plan } = req;
    if (signal.aborted) throw cancelled(tool);
    const args = checkArgs(tool, plan, req.args);
    if (!plan.impl) throw fail("tool", `tool ${tool} has no impl to run (declare one, or mock the tool in tests)`, false);
    if (plan.rate) await this.limiter(tool, plan.rate).take(signal, `tool ${tool}`);
    const raw = await withDeadline(tool, plan.timeout_ms, signal, (inner) => this.dispatch(req, args, inner));
    return checkResult(tool, plan, raw);
  }

  private dispatch(req: ToolRequest, args: Record<string, Json>, signal: AbortSignal): Promise<unknown> {
    const { tool, plan } = req;
    const impl = plan.impl!;
    switch (impl.kind) {
      case "js":
        return this.callJs(req, impl, args, signal);
      case "http": {
        const extra: Record<string, string> = plan.idempotent && req.idempotencyKey ? { "idempotency-key": req.idempotencyKey } : {};
        return callHttpTool(this.fetchFn(), impl as HttpImpl, args, tool, signal, extra);
      }
      case "builtin": {
        const b = Object.prototype.hasOwnProperty.call(BUILTINS, impl.name) ? BUILTINS[impl.name] : undefined;
        if (!b) {
          throw fail("tool", `tool ${tool}: unknown builtin "${impl.name}" (known: ${Object.keys(BUILTINS).join(", ")})`, false);
        }
        return b(args, { fetch: this.fetchFn(), now: this.opts.now ?? (() => new Date()) }, tool, signal);
      }
      case "mcp":
        throw fail("tool", `tool ${tool}: mcp tools arrive with the capability layer (mcp(${impl.server}, "${impl.tool}") cannot run yet)`, false);
    }
  }

  private async callJs(
    req: ToolRequest,
    impl: { module: string; export: string },
    args: Record<string, Json>,
    signal: AbortSignal,
  ): Promise<unknown> {
    const { tool, plan } = req;
    const path = resolveJsModule(this.opts, plan.loc.file, impl.module, tool);
    const fn = await this.modules.fn(path, impl.export, tool, impl.module);
    const ctx: ToolContext = { idempotencyKey: req.idempotencyKey, signal };
    try {
      return await fn(args, ctx);
    } catch (e) {
      throw jsToolFailure(tool, e);
    }
  }

  private fetchFn(): Fetch {
    return this.opts.fetch ?? globalThis.fetch;
  }

  private limiter(tool: string, rate: { count: number; per_ms: number }): RateLimiter {
    const key = `${tool}\u0000${rate.count}/${rate.per_ms}`;
    let l = this.limiters.get(key);
    if (!l) this.limiters.set(key, (l = new RateLimiter(rate.count, rate.per_ms)));
    return l;
  }
}

function cancelled(tool: string): VmFailure {
  return fail("cancelled", `tool ${tool}: cancelled`, false);
}

/** Coerces then validates the arguments against `params`; invalid → `tool`, not retryable. */
function checkArgs(tool: string, plan: ToolPlan, args: Record<string, Json>): Record<string, Json> {
  const r = validate(plan.params, coerce(plan.params, args ?? {}));
  if (!r.ok) throw fail("tool", `tool ${tool}: invalid arguments: ${r.errors.join("; ")}`, false);
  return r.value as Record<string, Json>;
}

/** Makes the result plain JSON and validates it against `returns`; invalid → `schema`, not retryable. */
function checkResult(tool: string, plan: ToolPlan, raw: unknown): Json {
  let value: Json;
  try {
    value = toJson(raw);
  } catch (e) {
    throw fail("schema", `tool ${tool} returned a value that is not JSON: ${errorMessage(e).split("\n")[0]}`, false);
  }
  const r = validate(plan.returns, value);
  if (!r.ok) throw fail("schema", `tool ${tool} returned an invalid result: ${r.errors.join("; ")}`, false);
  return r.value as Json;
}

/** JSON semantics: `undefined` → null, Dates → ISO strings, `toJSON` honoured; cycles and BigInt throw. */
function toJson(v: unknown): Json {
  if (v === undefined) return null;
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  const text = JSON.stringify(v);
  return text === undefined ? null : (JSON.parse(text) as Json);
}

/**
 * Runs `work` with a signal that aborts on the tool's timeout or the caller's abort, and settles as
 * soon as either happens (timeout → `timeout`, retryable; abort → `cancelled`) even if the work
 * ignores its signal. A timeout of null (or 0) means none.
 */
function withDeadline(
  tool: string,
  timeoutMs: number | null,
  outer: AbortSignal,
  work: (signal: AbortSignal) => Promise<unknown>,
): Promise<unknown> {
  const inner = new AbortController();
  return new Promise<unknown>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      if (timer !== undefined) clearTimeout(timer);
      outer.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      const f = cancelled(tool);
      done();
      inner.abort(f);
      reject(f);
    };
    if (outer.aborted) return onAbort();
    outer.addEventListener("abort", onAbort, { once: true });
    if (timeoutMs !== null && timeoutMs > 0) {
      timer = setTimeout(() => {
        const f = fail("timeout", `tool ${tool} timed out after ${timeoutMs} ms`, true);
        done();
        inner.abort(f);
        reject(f);
      }, timeoutMs);
    }
    let p: Promise<unknown>;
    try {
      p = Promise.resolve(work(inner.signal));
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (v) => {
        done();
        resolve(v);
      },
      (e) => {
        done();
        reject(isVmFailure(e) ? e : fail("tool", `tool ${tool} failed: ${errorMessage(e)}`, false));
      },
    );
  });
}
