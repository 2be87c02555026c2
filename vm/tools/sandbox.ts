// Sandboxed processes for `js(...)` tools: each call runs in a child Node process started with the
// permission model (`--experimental-permission`): file reads only under the tool module's
// directory and the paths the tool declares in `allow.read`, writes only under `allow.write`, no
// child processes, no worker threads, no native addons, and an environment holding only the
// variables named in `allow.env`. Processes are kept warm in a small pool per sandbox (same
// directories and environment), one call at a time per process. A timeout or cancellation kills
// the process (SIGKILL), so a tool stuck in `while (true) {}` is really stopped; the next call gets
// a fresh process.
//
// Not isolated (Node 20's permission model has no such switches): the network, CPU time (only the
// tool's timeout bounds it) and, beyond `--max-old-space-size`, memory.
import { spawn, type ChildProcess } from "node:child_process";
import { pathToFileURL } from "node:url";
import type { FailureInfo, Json } from "../types.js";
import { CHILD_SOURCE } from "./js-child.js";
import { fail } from "./failures.js";

export interface SandboxSpec {
  /** Absolute paths the process may read (directories include their subtrees). */
  read: string[];
  /** Absolute paths the process may write. */
  write: string[];
  /** The whole environment of the process. */
  env: Record<string, string>;
}

export interface SandboxOptions {
  /** Processes per sandbox (the concurrency of one tool module); default 4. */
  poolSize?: number;
  /** `--max-old-space-size` of each process, in MB; default 512. */
  memoryMb?: number;
  /** Where the processes' stdout and stderr go (default: this process's stderr). */
  output?: NodeJS.WritableStream;
}

type Reply =
  | { type: "ready" }
  | { type: "result"; id: number; ok: true; value: Json }
  | {
      type: "result";
      id: number;
      ok: false;
      stage: "load" | "export" | "throw" | "json";
      message?: string;
      missing?: boolean;
      functions?: string[];
      retryable?: boolean;
      retryAfterMs?: number;
      code?: string;
      permission?: string;
      resource?: string;
      failure?: FailureInfo;
    };

export type FailedReply = Extract<Reply, { ok: false }>;

/** What went wrong inside the sandbox, for the provider to turn into a VmFailure with its wording. */
export class SandboxError extends Error {
  constructor(readonly reply: FailedReply) {
    super(reply.message ?? reply.stage);
  }
}

let nextId = 1;

class Proc {
  readonly child: ChildProcess;
  private pending: { id: number; resolve: (v: Json) => void; reject: (e: unknown) => void } | undefined;
  dead = false;

  constructor(
    spec: SandboxSpec,
    opts: Required<Omit<SandboxOptions, "output">> & { output: NodeJS.WritableStream },
    private readonly onExit: (p: Proc) => void,
  ) {
    const args = ["--experimental-permission", "--no-warnings", `--max-old-space-size=${opts.memoryMb}`];
    for (const r of spec.read) args.push(`--allow-fs-read=${r}`);
    for (const w of spec.write) args.push(`--allow-fs-write=${w}`);
    args.push("--input-type=module", "-e", CHILD_SOURCE);
    this.child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe", "ipc"], env: spec.env, serialization: "json" });
    // Forwarded with data handlers (not pipe) so many processes add no listeners to `output`.
    const forward = (chunk: Buffer) => opts.output.write(chunk);
    this.child.stdout?.on("data", forward);
    this.child.stderr?.on("data", forward);
    // The pipes never keep the VM's process alive (the IPC channel does while a call runs).
    (this.child.stdout as { unref?: () => void } | null)?.unref?.();
    (this.child.stderr as { unref?: () => void } | null)?.unref?.();
    this.child.on("message", (m: Reply) => {
      if (m?.type !== "result" || !this.pending || m.id !== this.pending.id) return;
      const p = this.pending;
      this.pending = undefined;
      this.idle();
      if (m.ok) p.resolve(m.value);
      else p.reject(new SandboxError(m));
    });
    this.child.on("error", (e) => this.died(`could not start its process: ${e.message}`));
    this.child.on("exit", (code, signal) => this.died(`its process exited unexpectedly (${signal ?? `code ${code}`})`));
  }

  private died(why: string) {
    if (this.dead) return;
    this.dead = true;
    const p = this.pending;
    this.pending = undefined;
    this.onExit(this);
    p?.reject(fail("tool", why, false));
  }

  /** While idle, the process does not keep the VM's process alive. */
  private idle() {
    this.child.unref();
    (this.child.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  private busy() {
    this.child.ref();
    (this.child.channel as { ref?: () => void } | undefined)?.ref?.();
  }

  run(url: string, exportName: string, args: Record<string, Json>, idempotencyKey: string): Promise<Json> {
    const id = nextId++;
    this.busy();
    return new Promise<Json>((resolve, reject) => {
      this.pending = { id, resolve, reject };
      this.child.send({ type: "call", id, url, export: exportName, args, idempotencyKey }, (e) => {
        if (e && this.pending?.id === id) {
          this.pending = undefined;
          reject(fail("tool", `could not reach its process: ${e.message}`, false));
        }
      });
    });
  }

  /** Kills the process now; it no longer counts towards its pool. */
  kill() {
    if (this.dead) return;
    this.child.kill("SIGKILL");
    this.died("its process was stopped");
  }
}

/** A pool of sandboxed processes that share one SandboxSpec. */
class Pool {
  private readonly idle: Proc[] = [];
  private readonly all = new Set<Proc>();
  private readonly waiters: { resolve: (p: Proc) => void; reject: (e: unknown) => void }[] = [];

  constructor(
    private readonly spec: SandboxSpec,
    private readonly opts: Required<Omit<SandboxOptions, "output">> & { output: NodeJS.WritableStream },
  ) {}

  private spawn(): Proc {
    const p = new Proc(this.spec, this.opts, (dead) => this.remove(dead));
    this.all.add(p);
    return p;
  }

  private remove(p: Proc) {
    this.all.delete(p);
    const i = this.idle.indexOf(p);
    if (i >= 0) this.idle.splice(i, 1);
    // A slot freed up: start a process for the first waiter.
    const w = this.waiters.shift();
    if (w) w.resolve(this.spawn());
  }

  private acquire(signal: AbortSignal): Promise<Proc> {
    const p = this.idle.pop();
    if (p) return Promise.resolve(p);
    if (this.all.size < this.opts.poolSize) return Promise.resolve(this.spawn());
    return new Promise<Proc>((resolve, reject) => {
      const w = {
        resolve: (p: Proc) => {
          signal.removeEventListener("abort", onAbort);
          resolve(p);
        },
        reject,
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(w);
    });
  }

  private release(p: Proc) {
    if (p.dead) return;
    const w = this.waiters.shift();
    if (w) w.resolve(p);
    else this.idle.push(p);
  }

  async run(file: string, exportName: string, args: Record<string, Json>, idempotencyKey: string, signal: AbortSignal): Promise<Json> {
    if (signal.aborted) throw signal.reason;
    const p = await this.acquire(signal);
    if (signal.aborted) {
      this.release(p);
      throw signal.reason;
    }
    // Timeout or cancellation: the process is killed (it may be stuck in a synchronous loop) and
    // replaced on the next call.
    const onAbort = () => p.kill();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      return await p.run(pathToFileURL(file).href, exportName, args, idempotencyKey);
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      throw e;
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.release(p);
    }
  }

  size(): number {
    return this.all.size;
  }

  close() {
    for (const w of this.waiters.splice(0)) w.reject(fail("cancelled", "the tool sandbox was closed", false));
    for (const p of [...this.all]) p.kill();
    this.all.clear();
    this.idle.length = 0;
  }
}

/** All sandboxes of one tool provider. */
export class Sandboxes {
  private readonly pools = new Map<string, Pool>();
  private readonly opts: Required<Omit<SandboxOptions, "output">> & { output: NodeJS.WritableStream };
  private closed = false;

  constructor(opts: SandboxOptions = {}) {
    this.opts = { poolSize: Math.max(1, opts.poolSize ?? 4), memoryMb: opts.memoryMb ?? 512, output: opts.output ?? process.stderr };
  }

  run(spec: SandboxSpec, file: string, exportName: string, args: Record<string, Json>, idempotencyKey: string, signal: AbortSignal): Promise<Json> {
    if (this.closed) return Promise.reject(fail("cancelled", "the tool provider was closed", false));
    const key = JSON.stringify([spec.read, spec.write, Object.entries(spec.env).sort()]);
    let pool = this.pools.get(key);
    if (!pool) this.pools.set(key, (pool = new Pool(spec, this.opts)));
    return pool.run(file, exportName, args, idempotencyKey, signal);
  }

  /** Live processes (for tests and diagnostics). */
  processes(): number {
    let n = 0;
    for (const p of this.pools.values()) n += p.size();
    return n;
  }

  close() {
    this.closed = true;
    for (const p of this.pools.values()) p.close();
    this.pools.clear();
  }
}
