// `impl: js("./path.mjs#export")`: the tool is an exported (async) function of an ES module, called
// as `fn(args, { idempotencyKey, signal })`. By default it runs in a sandboxed child process (see
// sandbox.ts: Node's permission model, a warm pool, a timeout that kills); the provider's
// `js.isolation: "inline"` option runs trusted modules in the VM's own process instead, where a
// timeout settles the call but cannot stop a tool busy in a synchronous loop.
import { existsSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ToolImpl, ToolPlan } from "../../compiler/plan/index.js";
import { errorMessage, fail, isStackOverflow, isVmFailure, resultTooLarge } from "./failures.js";
import { TOOL_RESULT_LIMITS } from "../limits.js";
import { VmFailure } from "../types.js";
import { SandboxError } from "./sandbox.js";

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

/** The directory of the file that declares a tool (what `allow` paths are relative to). */
export function declaringDir(where: JsLocation, declaringFile: string, tool: string): string {
  return dirname(resolveJsModule(where, declaringFile, "./x", tool));
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * The sandbox of a js tool: read access to its module's directory and `allow.read`, write access to
 * `allow.write` (paths relative to the declaring file), and only the `allow.env` variables that are
 * set (looked up with `lookup`). Paths with a comma are refused (Node cannot take them).
 */
export function sandboxSpec(
  where: JsLocation,
  plan: Pick<ToolPlan, "allow" | "loc">,
  modulePath: string,
  tool: string,
  lookup: (name: string) => string | undefined,
): { read: string[]; write: string[]; env: Record<string, string> } {
  const base = declaringDir(where, plan.loc.file, tool);
  const abs = (p: string) => real(isAbsolute(p) ? p : resolve(base, p));
  const read = [real(dirname(modulePath)), ...(plan.allow?.read ?? []).map(abs)];
  const write = (plan.allow?.write ?? []).map(abs);
  for (const p of [...read, ...write]) {
    if (p.includes(",")) throw fail("tool", `tool ${tool}: the sandbox path "${p}" contains a comma, which Node's permission flags cannot take`, false);
  }
  const env: Record<string, string> = {};
  for (const name of plan.allow?.env ?? []) {
    const v = lookup(name);
    if (v !== undefined) env[name] = v;
  }
  return { read: [...new Set(read)], write: [...new Set(write)], env };
}

/** A missing module file is a `tool` failure naming the path it looked for. */
export function assertModule(path: string, tool: string, spec: string): void {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw fail("tool", `tool ${tool}: module "${spec}" not found (looked for ${path})`, false);
  }
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
    assertModule(path, tool, spec);
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
      throw fail("tool", exportMessage(tool, spec, path, name, f === undefined, has), false);
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

/** The export check's message, shared by the inline and the sandboxed path. */
function exportMessage(tool: string, spec: string, path: string, name: string, missing: boolean, functions: string[]): string {
  const what = missing ? "has no export" : "exports a non-function as";
  return `tool ${tool}: module "${spec}" (${path}) ${what} "${name}"` + (functions.length ? `; its functions: ${functions.join(", ")}` : "");
}

/** A failure from a sandboxed call, worded like the inline path's. */
export function sandboxFailure(tool: string, spec: string, path: string, exportName: string, e: unknown): VmFailure {
  if (e instanceof SandboxError) {
    const r = e.reply;
    const refused = r.code === "ERR_ACCESS_DENIED" ? ` (refused by the tool's sandbox: ${r.permission ?? "access"} ${r.resource ?? ""}`.trimEnd() + "; declare it in the tool's allow)" : "";
    switch (r.stage) {
      case "load":
        return fail("tool", `tool ${tool}: cannot load module "${spec}" (${path}): ${r.message}${refused}`, false);
      case "export":
        return fail("tool", exportMessage(tool, spec, path, exportName, r.missing === true, r.functions ?? []), false);
      case "json":
        if (isStackOverflow(r.message ?? "")) return resultTooLarge(`tool ${tool} returned a result that nests deeper than ${TOOL_RESULT_LIMITS.maxDepth} levels`);
        return fail("schema", `tool ${tool} returned a value that is not JSON: ${r.message}`, false);
      case "throw": {
        if (r.failure) return new VmFailure(r.failure);
        const extra = typeof r.retryAfterMs === "number" ? { retryAfterMs: r.retryAfterMs } : {};
        return fail("tool", `tool ${tool} failed: ${r.message}${refused}`, r.retryable === true && !refused, extra);
      }
    }
  }
  if (isVmFailure(e)) return e.info.message.startsWith("tool ") ? e : new VmFailure({ ...e.info, message: `tool ${tool}: ${e.info.message}` });
  return fail("tool", `tool ${tool} failed: ${errorMessage(e)}`, false);
}
