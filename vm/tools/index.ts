// The tool provider: runs the tools of a plan (js modules, http endpoints, MCP servers, builtins)
// for the interpreter. It is the router of tool calls: it coerces and validates arguments against
// the tool's `params` (a bad argument is a `schema` failure naming it), applies the tool's
// concurrency and rate limits, runs the call under the tool's timeout and the caller's abort signal,
// validates the result against `returns` (a bad result is a `schema` failure naming the tool), and
// redacts the secrets the call used from its result, every field of its failures and its console
// output (vm/redact-secrets.ts, the one redaction boundary). Every failure is a classified
// VmFailure. Retries, the journal, policies and mocks are the interpreter's business.
import { assertNever } from "../../compiler/plan/index.js";
import type { Json, ToolProvider, ToolRequest } from "../types.js";
import { VmFailure } from "../types.js";
import { toolArguments, validate } from "../schema.js";
import { BUILTINS, LOCAL_BUILTINS } from "./builtins.js";
import { fail, isVmFailure, errorMessage, resultTooLarge as tooLarge } from "./failures.js";
import { callHttpTool, type Fetch, type HttpImpl } from "./http.js";
import { assertModule, jsToolFailure, ModuleCache, resolveJsModule, sandboxFailure, sandboxSpec, type ToolContext } from "./js.js";
import { McpClients, type McpServerConfig } from "./mcp.js";
import { RateLimiter, Semaphore } from "./rate.js";
import { runOf, Sandboxes, type LogSink, type SandboxOptions } from "./sandbox.js";
import { SecretScope, type SecretLookup } from "./secrets.js";
import { PathScope, allowPathsFromEnv } from "../project-paths.js";
import { TOOL_RESULT_LIMITS, breachOf, cappedFetch, describeBreach, type ValueLimits } from "../limits.js";

export type { ToolContext, JsToolFunction } from "./js.js";
export { RateLimiter, Semaphore } from "./rate.js";
export { builtinNames } from "./builtins.js";
export type { McpServerConfig, McpStdioServer, McpHttpServer } from "./mcp.js";
export type { SandboxOptions } from "./sandbox.js";
export { toolRegistry, toolEntry, qualifiedToolName, type ToolEntry } from "./registry.js";
export { readMcpConfig } from "./mcp.js";
export { SecretScope } from "./secrets.js";

export interface ToolsOptions {
  /** The directory the plan's file ids are relative to (the entry file's directory). */
  baseDir: string;
  /** The directory holding the stdlib's `std/` folder, for js tools declared in `std/…` files. */
  stdlibDir?: string;
  /** The fetch used by http tools and `std.http.*` (default: the global fetch). */
  fetch?: Fetch;
  /** The clock of `std.time.now` (default: the system clock). */
  now?: () => Date;
  /**
   * How js tools run: `"process"` (default) in sandboxed child processes, `"inline"` in this
   * process (trusted code only: no sandbox, and a timeout cannot stop a synchronous loop).
   */
  js?: SandboxOptions & { isolation?: "process" | "inline" };
  /** Secrets by name, looked up before `env` (for `{env:NAME}` holes and `allow.env`). */
  secrets?: Record<string, string>;
  /** The environment secrets are read from (default: `process.env`). */
  env?: Record<string, string | undefined>;
  /** MCP servers by name (default: `mcp.json` in `baseDir`, if any). */
  mcpServers?: Record<string, McpServerConfig>;
  /** The concurrency limit of tools that declare none (default: none). */
  concurrency?: number;
  /**
   * The deadline of a call of a tool that declares no `timeout`, in ms (default 60 000): every js,
   * http, MCP and network builtin call has one, so a tool that never answers cannot hang a run.
   */
  defaultTimeoutMs?: number;
  /**
   * The size (UTF-8 bytes of its JSON) and nesting a tool's result may have (default 10 MB, 128
   * levels; vm/limits.ts). Over it the call fails `schema`, not retryable; http bodies are read
   * through the same byte cap.
   */
  resultLimits?: Partial<ValueLimits>;
  /**
   * The project root js modules must resolve inside (after realpath); default: the nearest
   * directory at or above `baseDir` holding package.json or .git, else `baseDir` (vm/project-paths.ts).
   */
  projectRoot?: string;
  /** Further directories js modules may come from (default: `AWR_ALLOW_PATHS` of `env`). The stdlib's is always allowed. */
  allowPaths?: string[];
}

/** The deadline of tools that declare none. */
export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;

type ToolPlan = ToolRequest["plan"];

/** Console output of one js call: how many texts are kept, and how long each may be. */
const MAX_LOGS = 200;
const MAX_LOG_CHARS = 4000;

/** The `ToolProvider` of the VM. One instance holds one set of limits, sandboxes and MCP connections. */
export class Tools implements ToolProvider {
  private readonly modules = new ModuleCache();
  private readonly limiters = new Map<string, RateLimiter>();
  private readonly semaphores = new Map<string, Semaphore>();
  private readonly sandboxes: Sandboxes;
  private readonly mcp: McpClients;
  private readonly lookup: SecretLookup;
  private readonly resultLimits: ValueLimits;
  private readonly fetch: Fetch;
  private readonly scope: PathScope;

  constructor(private readonly opts: ToolsOptions) {
    this.resultLimits = { ...TOOL_RESULT_LIMITS, ...opts.resultLimits };
    const allow = [...(opts.allowPaths ?? allowPathsFromEnv(opts.env)), ...(opts.stdlibDir ? [opts.stdlibDir] : [])];
    this.scope = PathScope.of(opts.baseDir, { ...(opts.projectRoot ? { projectRoot: opts.projectRoot } : {}), allowPaths: allow });
    const max = this.resultLimits.maxBytes;
    this.fetch = cappedFetch(max, (m) => tooLarge(`a response body is larger than ${m} bytes`), (input, init) => (opts.fetch ?? globalThis.fetch)(input, init));
    this.sandboxes = new Sandboxes(opts.js);
    this.lookup = (name) => {
      if (opts.secrets && Object.hasOwn(opts.secrets, name)) return opts.secrets[name];
      return (opts.env ?? process.env)[name];
    };
    this.mcp = new McpClients({
      servers: opts.mcpServers,
      baseDir: opts.baseDir,
      // The connection outlives a call, so its secrets are redacted from every MCP call's output.
      resolveSecrets: (text, what) => this.mcpSecrets.fill(text, what),
    });
  }

  /** Secrets used by MCP server connections (redacted from every MCP call). */
  private readonly mcpSecrets = new SecretScope((n) => this.lookup(n));

  async call(req: ToolRequest, signal: AbortSignal): Promise<Json> {
    const { tool, plan } = req;
    if (signal.aborted) throw cancelled(tool);
    const args = checkArgs(tool, plan, req.args);
    if (!plan.impl) throw fail("tool", `tool ${tool} has no impl to run (declare one, or mock the tool in tests)`, false);
    const secrets = new SecretScope(this.lookup);
    const max = plan.concurrency ?? this.opts.concurrency;
    const release = max ? await this.semaphore(tool, max).acquire(signal, `tool ${tool}`) : undefined;
    try {
      if (plan.rate) await this.limiter(tool, plan.rate).take(signal, `tool ${tool}`);
      const raw =
        plan.impl.kind === "builtin" && LOCAL_BUILTINS.has(plan.impl.name)
          ? await this.dispatch(req, args, signal, secrets)
          : await withDeadline(tool, this.deadline(plan), signal, (inner) => this.dispatch(req, args, inner, secrets));
      return secrets.json(checkResult(tool, plan, raw, this.resultLimits));
    } catch (e) {
      throw secrets.error(e);
    } finally {
      release?.();
    }
  }

  /** The tool's own timeout, else the provider's default (a tool always has a deadline). */
  private deadline(plan: ToolPlan): { ms: number; default: boolean } {
    if (plan.timeout_ms !== null && plan.timeout_ms > 0) return { ms: plan.timeout_ms, default: false };
    const d = this.opts.defaultTimeoutMs;
    return { ms: d !== undefined && d > 0 && Number.isFinite(d) ? d : DEFAULT_TOOL_TIMEOUT_MS, default: true };
  }

  /** Stops the js sandboxes and closes MCP connections. The provider cannot be used afterwards. */
  async close(): Promise<void> {
    this.sandboxes.close();
    await this.mcp.close();
  }

  /** Live sandbox processes (diagnostics and tests). */
  sandboxProcesses(): number {
    return this.sandboxes.processes();
  }

  private dispatch(req: ToolRequest, args: Record<string, Json>, signal: AbortSignal, secrets: SecretScope): Promise<unknown> {
    const { tool, plan } = req;
    const impl = plan.impl!;
    switch (impl.kind) {
      case "js":
        return this.callJs(req, impl, args, signal, secrets);
      case "http": {
        const extra: Record<string, string> = plan.idempotent && req.idempotencyKey ? { "idempotency-key": req.idempotencyKey } : {};
        return callHttpTool(this.fetchFn(), impl as HttpImpl, args, tool, signal, extra, secrets);
      }
      case "builtin": {
        const b = Object.prototype.hasOwnProperty.call(BUILTINS, impl.name) ? BUILTINS[impl.name] : undefined;
        if (!b) {
          throw fail("tool", `tool ${tool}: unknown builtin "${impl.name}" (known: ${Object.keys(BUILTINS).join(", ")})`, false);
        }
        return b(args, { fetch: this.fetchFn(), now: this.opts.now ?? (() => new Date()) }, tool, signal);
      }
      case "mcp": {
        const wantsText = validate(plan.returns, "").ok || validate(plan.returns, "x").ok;
        return this.mcp
          .call(impl.server, impl.tool, args, tool, signal, wantsText)
          .then((v) => this.mcpSecrets.json(v))
          .catch((e: unknown) => {
            throw this.mcpSecrets.error(e);
          });
      }
      default:
        return assertNever(impl, "tool impl kind");
    }
  }

  private async callJs(
    req: ToolRequest,
    impl: { module: string; export: string },
    args: Record<string, Json>,
    signal: AbortSignal,
    secrets: SecretScope,
  ): Promise<unknown> {
    const { tool, plan } = req;
    const path = resolveJsModule(this.opts, plan.loc.file, impl.module, tool);
    if (!this.scope.contains(path)) throw fail("tool", `tool ${tool}: ${this.scope.refusal(`js module "${impl.module}"`, path)}`, false);
    if (this.opts.js?.isolation === "inline") {
      const fn = await this.modules.fn(path, impl.export, tool, impl.module);
      const ctx: ToolContext = { idempotencyKey: req.idempotencyKey, signal };
      try {
        return await fn(args, ctx);
      } catch (e) {
        throw jsToolFailure(tool, e);
      }
    }
    assertModule(path, tool, impl.module);
    const spec = sandboxSpec(this.opts, plan, path, tool, this.lookup);
    for (const [name, value] of Object.entries(spec.env)) secrets.add(name, value);
    try {
      const owner = { tool, run: runOf(req.idempotencyKey) };
      return await this.sandboxes.run(spec, owner, path, impl.export, args, req.idempotencyKey, signal, this.consoleSink(req, secrets));
    } catch (e) {
      throw sandboxFailure(tool, impl.module, path, impl.export, e);
    }
  }

  /**
   * A js call's console output: redacted (before it is shortened), at most MAX_LOGS texts of
   * MAX_LOG_CHARS each, to the request's `log` (the interpreter's `tool.log` events), else to the
   * sandbox's `output` stream.
   */
  private consoleSink(req: ToolRequest, secrets: SecretScope): LogSink {
    let count = 0;
    return (stream, raw) => {
      if (++count > MAX_LOGS + 1) return;
      let text = count > MAX_LOGS ? `… (tool ${req.tool}: further console output dropped)` : secrets.text(raw);
      if (text.length > MAX_LOG_CHARS) text = `${text.slice(0, MAX_LOG_CHARS)}…`;
      if (req.log) req.log({ stream, text });
      else (this.opts.js?.output ?? process.stderr).write(`${text}\n`);
    };
  }

  private fetchFn(): Fetch {
    return this.fetch;
  }

  private limiter(tool: string, rate: { count: number; per_ms: number }): RateLimiter {
    const key = `${tool}\u0000${rate.count}/${rate.per_ms}`;
    let l = this.limiters.get(key);
    if (!l) this.limiters.set(key, (l = new RateLimiter(rate.count, rate.per_ms)));
    return l;
  }

  private semaphore(tool: string, max: number): Semaphore {
    const key = `${tool}\u0000${max}`;
    let s = this.semaphores.get(key);
    if (!s) this.semaphores.set(key, (s = new Semaphore(max)));
    return s;
  }
}

function cancelled(tool: string): VmFailure {
  return fail("cancelled", `tool ${tool}: cancelled`, false);
}

/**
 * Coerces then validates the arguments against `params` (schema.ts `coerce` has the table); invalid
 * → `schema`, not retryable, each error naming the argument's path (`$.amount: …`).
 */
/** Also for providers called without the interpreter; from the interpreter the arguments are already canonical. */
function checkArgs(tool: string, plan: ToolPlan, args: Record<string, Json>): Record<string, Json> {
  const r = toolArguments(tool, plan.params, args);
  if (!r.ok) throw fail("schema", r.message, false);
  return r.value;
}

/** Makes the result plain JSON and validates it against `returns`; invalid → `schema`, not retryable. */
function checkResult(tool: string, plan: ToolPlan, raw: unknown, limits: ValueLimits): Json {
  let value: Json;
  try {
    value = toJson(raw);
  } catch (e) {
    // JSON.stringify recurses: a result too deep for it is too deep for the limit as well.
    if (e instanceof RangeError) throw tooLarge(`tool ${tool} returned a result that nests deeper than ${limits.maxDepth} levels`);
    throw fail("schema", `tool ${tool} returned a value that is not JSON: ${errorMessage(e).split("\n")[0]}`, false);
  }
  // Before validation, the journal and the store, which all recurse.
  const breach = breachOf(value, limits);
  if (breach) throw tooLarge(`tool ${tool} returned a result that ${describeBreach(breach)}`);
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
 * Runs `work` with a signal that aborts on the tool's deadline or the caller's abort, and settles as
 * soon as either happens (timeout → `timeout`, retryable; abort → `cancelled`) even if the work
 * ignores its signal.
 */
function withDeadline(
  tool: string,
  deadline: { ms: number; default: boolean },
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
    timer = setTimeout(() => {
      const why = deadline.default ? " (the default deadline of tools without a timeout)" : "";
      const f = fail("timeout", `tool ${tool} timed out after ${deadline.ms} ms${why}`, true);
      done();
      inner.abort(f);
      reject(f);
    }, deadline.ms);
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
