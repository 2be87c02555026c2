// Sandboxed processes for `js(...)` tools: each call runs in a child Node process started with the
// permission model (`--experimental-permission`): file reads only under the tool module's
// directory and the paths the tool declares in `allow.read`, writes only under `allow.write`, no
// child processes, no worker threads, no native addons, and an environment holding only the
// variables named in `allow.env`.
//
// Isolation between tools, runs and principals: a process serves ONE tool (name, module, export,
// sandbox) of ONE run (the run id of the call's idempotency key; a run has one principal). Warm
// processes are pooled per such owner, one call at a time per process, so repeated calls of a tool
// in a run reuse a process while nothing a tool leaves behind (listeners, patched globals, module
// caches) ever sees another tool's or another run's calls. Idle processes are stopped after
// `idleMs`, and at most `maxIdle` are kept across all owners (least recently used go first).
//
// Limits: a timeout or cancellation kills the process (SIGKILL), so a tool stuck in `while (true) {}`
// is really stopped; the next call gets a fresh process. Memory is bounded for the whole process,
// not only the JS heap: `--max-old-space-size`, the child's own RSS/ArrayBuffer check and, on Linux,
// the parent polling `/proc/<pid>/status` (VmRSS) while a call runs; over the limit the process is
// killed and the call fails ("exceeded its memory limit (N MB)"). When the VM runs as root, the
// processes run as an unprivileged user (nobody, 65534, by default) whenever that user can reach
// the sandbox's paths, so the OS refuses signals to other users' processes; in every case the child
// refuses `process.kill` of any pid but its own (js-child.ts). Children exit when the VM goes away.
//
// Console output: the child sends what `console.*` prints over the IPC channel, tagged with the call
// running; the provider's `log` sink of that call receives it (the tool provider redacts it and the
// interpreter turns it into `tool.log` events). Output no call claims (printed between calls, or
// written to process.stdout/stderr directly) goes to `output`, redacted of the sandbox's
// environment (its `allow.env` secrets) line by line.
//
// Not isolated: the network (Node 20's permission model has no switch for it) and CPU time (only
// the tool's deadline bounds it).
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { statSync } from "node:fs";
import { dirname } from "node:path";
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

/** What a sandbox process serves: one tool of one run. */
export interface SandboxOwner {
  /** The tool's name. */
  tool: string;
  /** The run id (see `runOf`). */
  run: string;
}

/** The run id of an idempotency key `runId/stepKey` (the whole key when it has no `/`). */
export function runOf(idempotencyKey: string): string {
  const i = idempotencyKey.indexOf("/");
  return i < 0 ? idempotencyKey : idempotencyKey.slice(0, i);
}

export interface SandboxOptions {
  /** Processes per tool and run (the concurrency of one tool in one run); default 4. */
  poolSize?: number;
  /**
   * The memory of each process in MB, default 512: its JS heap (`--max-old-space-size`) and the
   * whole process (resident memory, ArrayBuffers); a process above it is killed.
   */
  memoryMb?: number;
  /** An idle process is stopped after this many ms (default 30 000). */
  idleMs?: number;
  /** Idle processes kept across all tools and runs (default 8); the least recently used go first. */
  maxIdle?: number;
  /**
   * The user the processes run as when the VM runs as root (default nobody, 65534:65534); `null`
   * keeps the VM's user. Used only when that user can read the sandbox's read paths (and the Node
   * binary) and write its write paths; otherwise the process runs as the VM's user.
   */
  runAs?: { uid: number; gid: number } | null;
  /**
   * Where output no call claims goes, redacted of the sandbox's secrets (default: this process's
   * stderr); a call's own console output goes to its `log` sink instead.
   */
  output?: NodeJS.WritableStream;
}

type Reply =
  | { type: "ready" }
  | { type: "memory"; rss: number }
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

type Opts = Required<Omit<SandboxOptions, "output" | "runAs">> & { output: NodeJS.WritableStream; runAs: { uid: number; gid: number } | null };

/** How often the parent reads a busy child's resident memory (Linux). */
const RSS_POLL_MS = 100;

class Proc {
  readonly child: ChildProcess;
  private pending: { id: number; resolve: (v: Json) => void; reject: (e: unknown) => void; log?: LogSink } | undefined;
  dead = false;
  /** Why the process is being stopped, when the parent stops it (the call fails with this). */
  private reason: string | undefined;
  private poll: ReturnType<typeof setInterval> | undefined;
  /** Redacts the sandbox's environment (its secrets) from output no call claims. */
  private readonly redactor: Redactor;
  private readonly output: NodeJS.WritableStream;
  private readonly memoryMb: number;

  constructor(
    spec: SandboxSpec,
    opts: Opts,
    user: { uid: number; gid: number } | undefined,
    private readonly watchdog: Watchdog,
    private readonly onExit: (p: Proc) => void,
  ) {
    const args = ["--experimental-permission", "--no-warnings", `--max-old-space-size=${opts.memoryMb}`];
    for (const r of spec.read) args.push(`--allow-fs-read=${r}`);
    for (const w of spec.write) args.push(`--allow-fs-write=${w}`);
    args.push("--input-type=module", "-e", CHILD_SOURCE, String(opts.memoryMb));
    this.child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe", "ipc"], env: spec.env, serialization: "json", ...(user ?? {}) });
    watchdog.watch(this.child.pid);
    this.redactor = new Redactor().addAll(spec.env);
    this.output = opts.output;
    this.memoryMb = opts.memoryMb;
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
      if (m?.type === "memory") return this.overMemory();
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
    this.stopPolling();
    this.watchdog.unwatch(this.child.pid);
    const p = this.pending;
    this.pending = undefined;
    this.onExit(this);
    p?.reject(fail("tool", this.reason ?? why, false));
  }

  /** Above the memory limit: killed, and the call running fails saying so. */
  private overMemory() {
    this.reason ??= `exceeded its memory limit (${this.memoryMb} MB)`;
    this.kill();
  }

  /** While a call runs, the parent reads the child's resident memory from /proc (Linux only). */
  private startPolling() {
    const pid = this.child.pid;
    if (process.platform !== "linux" || pid === undefined || this.poll) return;
    const limitKb = this.memoryMb * 1024;
    this.poll = setInterval(() => {
      readFile(`/proc/${pid}/status`, "utf8").then(
        (status) => {
          const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
          if (kb > limitKb && !this.dead) this.overMemory();
        },
        () => {},
      );
    }, RSS_POLL_MS);
    this.poll.unref();
  }

  private stopPolling() {
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
  }

  /** While idle, the process does not keep the VM's process alive. */
  private idle() {
    this.stopPolling();
    this.child.unref();
    (this.child.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  private busy() {
    this.child.ref();
    (this.child.channel as { ref?: () => void } | undefined)?.ref?.();
    this.startPolling();
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

/**
 * Kills the sandboxes when the VM dies without a word (SIGKILL, OOM killer): a small helper process
 * (it runs no tool code) reads the live sandbox pids on a pipe from the VM and SIGKILLs them when
 * the pipe closes. The sandboxes also exit on their own when their IPC channel closes or their
 * parent changes, but a tool stuck in a synchronous loop or wait never gets to check.
 */
const WATCHDOG_SOURCE = String.raw`
const pids = new Set();
let rest = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (c) => {
  const lines = (rest + c).split("\n");
  rest = lines.pop();
  for (const l of lines) {
    const pid = Number(l.slice(1));
    if (!(pid > 0)) continue;
    if (l[0] === "+") pids.add(pid);
    else pids.delete(pid);
  }
});
process.stdin.on("end", () => {
  for (const pid of pids) { try { process.kill(pid, "SIGKILL"); } catch {} }
  process.exit(0);
});
`;

class Watchdog {
  private proc: ChildProcess | undefined;

  private start(): ChildProcess | undefined {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) return this.proc;
    const w = spawn(process.execPath, ["--experimental-permission", "--no-warnings", "-e", WATCHDOG_SOURCE], { stdio: ["pipe", "ignore", "ignore"], env: {} });
    w.on("error", () => {});
    w.stdin?.on("error", () => {});
    w.unref();
    (w.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return (this.proc = w);
  }

  watch(pid: number | undefined) {
    if (pid !== undefined) this.start()?.stdin?.write(`+${pid}\n`);
  }

  unwatch(pid: number | undefined) {
    if (pid !== undefined && this.proc?.stdin?.writable) this.proc.stdin.write(`-${pid}\n`);
  }

  stop() {
    this.proc?.stdin?.end();
    this.proc = undefined;
  }
}

/** Idle processes across all pools, least recently used first, each stopped after `idleMs`. */
class IdleList {
  private readonly timers = new Map<Proc, ReturnType<typeof setTimeout>>();

  constructor(private readonly opts: Opts) {}

  add(p: Proc) {
    const t = setTimeout(() => p.kill(), this.opts.idleMs);
    t.unref();
    this.timers.set(p, t);
    // Over the cap: the least recently used idle process goes (Map keeps insertion order).
    while (this.timers.size > this.opts.maxIdle) {
      const oldest = this.timers.keys().next().value as Proc;
      this.delete(oldest);
      oldest.kill();
    }
  }

  delete(p: Proc) {
    const t = this.timers.get(p);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(p);
  }
}

/** A pool of sandboxed processes of one owner (one tool of one run). */
class Pool {
  private readonly idle: Proc[] = [];
  private readonly all = new Set<Proc>();
  private readonly waiters: { resolve: (p: Proc) => void; reject: (e: unknown) => void }[] = [];

  constructor(
    private readonly spec: SandboxSpec,
    private readonly opts: Opts,
    private readonly user: { uid: number; gid: number } | undefined,
    private readonly idleList: IdleList,
    private readonly watchdog: Watchdog,
    private readonly onEmpty: () => void,
  ) {}

  private spawn(): Proc {
    const p = new Proc(this.spec, this.opts, this.user, this.watchdog, (dead) => this.remove(dead));
    this.all.add(p);
    return p;
  }

  private remove(p: Proc) {
    this.all.delete(p);
    this.idleList.delete(p);
    const i = this.idle.indexOf(p);
    if (i >= 0) this.idle.splice(i, 1);
    // A slot freed up: start a process for the first waiter.
    const w = this.waiters.shift();
    if (w) w.resolve(this.spawn());
    else if (this.all.size === 0) this.onEmpty();
  }

  private acquire(signal: AbortSignal): Promise<Proc> {
    const p = this.idle.pop();
    if (p) {
      this.idleList.delete(p);
      return Promise.resolve(p);
    }
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
    else {
      this.idle.push(p);
      this.idleList.add(p);
    }
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

/** Whether `user` may access `path` for `want` (r/w/x bits), walking the directories above it. */
function permits(path: string, user: { uid: number; gid: number }, want: number): boolean {
  const bits = (p: string, w: number): boolean => {
    try {
      const st = statSync(p);
      const shift = st.uid === user.uid ? 6 : st.gid === user.gid ? 3 : 0;
      return ((st.mode >> shift) & w) === w;
    } catch {
      return false;
    }
  };
  for (let d = dirname(path); ; d = dirname(d)) {
    if (!bits(d, 1)) return false;
    if (dirname(d) === d) break;
  }
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // A path that does not exist yet: its directory decides (write: create; read: nothing to read).
    return want === 4 || bits(dirname(path), 2 | 1);
  }
  return bits(path, isDir ? want | 1 : want);
}

/** The unprivileged user a sandbox runs as: only when the VM is root and that user can reach its paths. */
function userFor(spec: SandboxSpec, runAs: { uid: number; gid: number } | null): { uid: number; gid: number } | undefined {
  if (!runAs || process.getuid?.() !== 0) return undefined;
  if (!permits(process.execPath, runAs, 1 | 4)) return undefined;
  if (!spec.read.every((r) => permits(r, runAs, 4))) return undefined;
  if (!spec.write.every((w) => permits(w, runAs, 2))) return undefined;
  return runAs;
}

/** All sandboxes of one tool provider. */
export class Sandboxes {
  private readonly pools = new Map<string, Pool>();
  private readonly opts: Opts;
  private readonly idleList: IdleList;
  private readonly watchdog = new Watchdog();
  private closed = false;

  constructor(opts: SandboxOptions = {}) {
    this.opts = {
      poolSize: Math.max(1, opts.poolSize ?? 4),
      memoryMb: opts.memoryMb ?? 512,
      idleMs: opts.idleMs ?? 30_000,
      maxIdle: Math.max(0, opts.maxIdle ?? 8),
      runAs: opts.runAs === undefined ? { uid: 65534, gid: 65534 } : opts.runAs,
      output: opts.output ?? process.stderr,
    };
    this.idleList = new IdleList(this.opts);
  }

  /** Runs `file#exportName` for `owner` in a process of that owner's own pool. */
  run(
    spec: SandboxSpec,
    owner: SandboxOwner,
    file: string,
    exportName: string,
    args: Record<string, Json>,
    idempotencyKey: string,
    signal: AbortSignal,
    log?: LogSink,
  ): Promise<Json> {
    if (this.closed) return Promise.reject(fail("cancelled", "the tool provider was closed", false));
    const key = JSON.stringify([owner.tool, owner.run, file, exportName, spec.read, spec.write, Object.entries(spec.env).sort()]);
    let pool = this.pools.get(key);
    if (!pool) {
      const created: Pool = new Pool(spec, this.opts, userFor(spec, this.opts.runAs), this.idleList, this.watchdog, () => {
        if (this.pools.get(key) === created) this.pools.delete(key);
      });
      this.pools.set(key, (pool = created));
    }
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
    for (const p of [...this.pools.values()]) p.close();
    this.pools.clear();
    this.watchdog.stop();
  }
}
