// `impl: js("./path.mjs#export")`: the tool is an exported async function of an ES module, called
// in this process as `fn(args, { idempotencyKey, signal })`.
//
// Known limit: the module runs in the VM's process, so a timeout or abort settles the call (the
// VM moves on) but cannot stop a tool that is busy in a synchronous loop or ignores its signal.
// Running js tools out of process with a hard timeout is a later issue.
import { existsSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ToolImpl } from "../../compiler/plan/index.js";
import { errorMessage, fail, isVmFailure } from "./failures.js";
import type { VmFailure } from "../types.js";

export type JsImpl = Extract<ToolImpl, { kind: "js" }>;

/** The second argument a js tool receives. */
export interface ToolContext {
  /** Stable across retries and resumes of one invocation (`runId/stepKey`). */
  idempotencyKey: string;
  /** Aborted on timeout or cancellation; pass it on to fetch and friends. */
  signal: AbortSignal;
}

export type JsToolFunction = (args: Record<string, unknown>, ctx: ToolContext) => unknown;

export interface JsLocation {
  /** The directory file ids are relative to. */
  baseDir: string;
  /** The directory holding `std/` (for js tools declared in the stdlib), if any. */
  stdlibDir?: string;
}

/**
 * Resolves the module of a js tool to an absolute path: relative to the directory of the declaring
 * file (`loc.file`, itself relative to `baseDir`; `std/…` files are under `stdlibDir`).
 */
export function resolveJsModule(where: JsLocation, declaringFile: string, module: string, tool: string): string {
  if (isAbsolute(module)) return module;
  let root = where.baseDir;
  if (declaringFile.startsWith("std/")) {
    if (where.stdlibDir === undefined) {
      throw fail("tool", `tool ${tool}: cannot resolve "${module}" of ${declaringFile}: no stdlib directory was configured`, false);
    }
    root = where.stdlibDir;
  }
  return resolve(root, dirname(declaringFile), module);
}

/** Loads ES modules once per path (the promise is cached; a failed load is retried next time). */
export class ModuleCache {
  private readonly modules = new Map<string, Promise<Record<string, unknown>>>();

  load(path: string, tool: string, spec: string): Promise<Record<string, unknown>> {
    let p = this.modules.get(path);
    if (!p) {
      p = this.import(path, tool, spec);
      this.modules.set(path, p);
      p.catch(() => this.modules.delete(path));
    }
    return p;
  }

  private async import(path: string, tool: string, spec: string): Promise<Record<string, unknown>> {
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw fail("tool", `tool ${tool}: module "${spec}" not found (looked for ${path})`, false);
    }
    try {
      return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    } catch (e) {
      throw fail("tool", `tool ${tool}: cannot load module "${spec}" (${path}): ${errorMessage(e)}`, false);
    }
  }

  /** The export `name` of the module as a function; a missing export or a non-function fails. */
  async fn(path: string, name: string, tool: string, spec: string): Promise<JsToolFunction> {
    const mod = await this.load(path, tool, spec);
    const f = Object.prototype.hasOwnProperty.call(mod, name) ? mod[name] : undefined;
    if (typeof f !== "function") {
      const has = Object.keys(mod).filter((k) => typeof mod[k] === "function");
      const what = f === undefined ? "has no export" : "exports a non-function as";
      throw fail(
        "tool",
        `tool ${tool}: module "${spec}" (${path}) ${what} "${name}"` + (has.length ? `; its functions: ${has.join(", ")}` : ""),
        false,
      );
    }
    return f as JsToolFunction;
  }
}

/**
 * A failure from inside a js tool: a VmFailure thrown by the tool is kept; anything else is kind
 * `tool`, retryable only when the error says so (`err.retryable === true`), with the error's message
 * (and `retryAfterMs` when the error carries a number there).
 */
export function jsToolFailure(tool: string, e: unknown): VmFailure {
  if (isVmFailure(e)) return e;
  const o = typeof e === "object" && e !== null ? (e as { retryable?: unknown; retryAfterMs?: unknown }) : {};
  const extra = typeof o.retryAfterMs === "number" && o.retryAfterMs >= 0 ? { retryAfterMs: o.retryAfterMs } : {};
  return fail("tool", `tool ${tool} failed: ${errorMessage(e)}`, o.retryable === true, extra);
}
