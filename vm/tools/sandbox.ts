// Sandboxed processes for `js(...)` tools: each call runs in a child Node process started with the
// permission model (`--experimental-permission`): file reads only under the tool module's
// directory and the paths the tool declares in `allow.read`, writes only under `allow.write`, no
// child processes, no worker threads, no native addons, and an environment holding only the
// variables named in `allow.env`. Processes are kept warm in a small pool per sandbox (same
// directories and environment), one call at a time per process. A timeout or cancellation kills
// the process (SIGKILL), so a tool stuck in `while (true) {}` is really stopped; the next call gets
// a fresh process.
//
// Console output: the child sends what `console.*` prints over the IPC channel, tagged with the call
// running; the provider's `log` sink of that call receives it (the tool provider redacts it and the
// interpreter turns it into `tool.log` events). Output no call claims (printed between calls, or
// written to process.stdout/stderr directly) goes to `output`, redacted of the sandbox's
// environment (its `allow.env` secrets) line by line.
//
// Not isolated (Node 20's permission model has no such switches): the network, CPU time (only the
// tool's timeout bounds it) and, beyond `--max-old-space-size`, memory.
import { spawn, type ChildProcess } from "node:child_process";
import { pathToFileURL } from "node:url";
import type { FailureInfo, Json } from "../types.js";
import { CHILD_SOURCE } from "./js-child.js";
import { fail } from "./failures.js";
import { Redactor } from "../redact-secrets.js";

/** Receives a call's console output: one `console.*` call = one text. */
export type LogSink = (stream: "stdout" | "stderr", text: string) => void;

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
  /**
   * Where output no call claims goes, redacted of the sandbox's secrets (default: this process's
   * stderr); a call's own console output goes to its `log` sink instead.
   */
  output?: NodeJS.WritableStream;
}

type Reply =
  | { type: "ready" }
  | { type: "log"; id?: number; stream: "stdout" | "stderr"; text: string }
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
  private pending: { id: number; resolve: (v: Json) => void; reject: (e: unknown) => void; log?: LogSink } | undefined;
  dead = false;
  /** Redacts the sandbox's environment (its secrets) from output no call claims. */
  private readonly redactor: Redactor;
  private readonly output: NodeJS.WritableStream;

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
    this.redactor = new Redactor().addAll(spec.env);
    this.output = opts.output;
    // Direct writes to stdout/stderr, a line at a time (so a secret is redacted whole), with data
    // handlers (not pipe) so many processes add no listeners to `output`.
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let rest = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop()!;
        for (const line of lines) this.unclaimed(`${line}\n`);
      });
      stream?.on("end", () => rest && this.unclaimed(rest));
    }
    // The pipes never keep the VM's process alive (the IPC channel does while a call runs).
    (this.child.stdout as { unref?: () => void } | null)?.unref?.();
    (this.child.stderr as { unref?: () => void } | null)?.unref?.();
    this.child.on("message", (m: Reply) => {
      if (m?.type === "log") {
        const text = typeof m.text === "string" ? m.text : String(m.text);
        const stream = m.stream === "stdout" ? "stdout" : "stderr";
        if (this.pending?.log && m.id === this.pending.id) this.pending.log(stream, text);
        else this.unclaimed(`${text}\n`);
        return;
      }
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

  private unclaimed(text: string) {
    this.output.write(this.redactor.text(text));
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

  run(url: string, exportName: string, args: Record<string, Json>, idempotencyKey: string, log?: LogSink): Promise<Json> {
    const id = nextId++;
    this.busy();
    return new Promise<Json>((resolve, reject) => {
      this.pending = { id, resolve, reject, log };
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

  async run(file: string, exportName: string, args: Record<string, Json>, idempotencyKey: string, signal: AbortSignal, log?: LogSink): Promise<Json> {
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
      return await p.run(pathToFileURL(file).href, exportName, args, idempotencyKey, log);
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

  run(spec: SandboxSpec, file: string, exportName: string, args: Record<string, Json>, idempotencyKey: string, signal: AbortSignal, log?: LogSink): Promise<Json> {
    if (this.closed) return Promise.reject(fail("cancelled", "the tool provider was closed", false));
    const key = JSON.stringify([spec.read, spec.write, Object.entries(spec.env).sort()]);
    let pool = this.pools.get(key);
    if (!pool) this.pools.set(key, (pool = new Pool(spec, this.opts)));
    return pool.run(file, exportName, args, idempotencyKey, signal, log);
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
