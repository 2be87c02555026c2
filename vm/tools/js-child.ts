// The program a sandboxed js-tool process runs (passed to `node -e`, so the sandbox needs no read
// access to this package). It loads the module of ONE tool (the first call's module and export; a
// call for another is refused: a process never serves two tools), runs one call at a time, and
// answers over the IPC channel. Messages in: `{ type: "call", id, url, export, args,
// idempotencyKey }`, `{ type: "abort", id }`. Messages out: `{ type: "result", id, ok: true, value }`
// or `{ type: "result", id, ok: false, stage, message, ... }` where stage is "load" (the module did
// not load), "export" (no such function), "throw" (the tool threw) or "json" (the result is not
// JSON); `{ type: "memory", rss }` when the process is above its memory limit (the parent kills it).
// Console output (`console.log/info/debug` → stdout, `console.error/warn/trace` → stderr) goes over
// the same channel, `{ type: "log", id, stream, text }` (id: the call running, if any), so the parent
// redacts it and attributes it to the call; it is ordered before the call's result.
//
// Before any tool code loads, the process hardens itself (in-process barriers; the OS-level ones are
// the parent's: an unprivileged uid when the VM runs as root, RSS polling, SIGKILL on timeout):
// - `process.kill` / `process._kill` throw unless the target is this process's own pid (no
//   signalling the VM, its process group (pid 0) or pid 1);
// - `fs.realpath*`, `fs.exists*`, `stat`/`lstat`/`access` of a path outside the read set the
//   permission model grants fail with the same ERR_ACCESS_DENIED whether the path exists or not;
// - the memory of the whole process (RSS, ArrayBuffers) is checked every 50 ms against the limit
//   passed as argv[1] (MB);
// - it exits when the parent goes away: the IPC channel closes, or its parent pid changes (the VM
//   was SIGKILLed and the process was re-parented).
export const CHILD_SOURCE = String.raw`
import { format } from "node:util";
import fs from "node:fs";
import { resolve as resolvePath } from "node:path";

const MEMORY_MB = Number(process.argv[1]) || 0;
process.argv.splice(1, 1);
const PARENT = process.ppid;

// No signals to other processes. The originals are kept in this closure only.
{
  const realKill = process._kill;
  const guard = (name) => function (pid, sig) {
    if (pid !== process.pid) {
      const e = new Error("the tool's sandbox refuses to signal process " + String(pid) + " (a tool may only signal itself)");
      e.code = "ERR_ACCESS_DENIED";
      e.permission = "Signal";
      e.resource = String(pid);
      throw e;
    }
    return name === "kill" ? ownKill(pid, sig) : realKill.call(process, pid, sig);
  };
  const originalKill = process.kill;
  const ownKill = (pid, sig) => originalKill.call(process, pid, sig);
  for (const name of ["kill", "_kill"]) {
    if (typeof process[name] === "function") Object.defineProperty(process, name, { value: guard(name), writable: false, configurable: false, enumerable: false });
  }
}

// Paths outside the read set: one answer, whether they exist or not.
{
  const denied = (p) => {
    const e = new Error("Access to this API has been restricted");
    e.code = "ERR_ACCESS_DENIED";
    e.permission = "FileSystemRead";
    e.resource = p;
    return e;
  };
  const outside = (p) => {
    let abs;
    try {
      abs = resolvePath(p instanceof URL ? decodeURIComponent(p.pathname) : Buffer.isBuffer(p) ? p.toString() : String(p));
    } catch {
      return undefined;
    }
    return typeof p === "number" || process.permission.has("fs.read", abs) ? undefined : abs;
  };
  const wrapSync = (obj, name) => {
    const orig = obj[name];
    if (typeof orig !== "function") return;
    const w = function (p, ...rest) {
      const o = outside(p);
      if (o !== undefined) {
        if (name === "existsSync") return false;
        throw denied(o);
      }
      return orig.call(this, p, ...rest);
    };
    for (const k of Object.keys(orig)) w[k] = orig[k];
    obj[name] = w;
  };
  const wrapCallback = (obj, name) => {
    const orig = obj[name];
    if (typeof orig !== "function") return;
    const w = function (p, ...rest) {
      const o = outside(p);
      const cb = rest[rest.length - 1];
      if (o !== undefined && typeof cb === "function") {
        process.nextTick(() => (name === "exists" ? cb(false) : cb(denied(o))));
        return;
      }
      return orig.call(this, p, ...rest);
    };
    for (const k of Object.keys(orig)) w[k] = orig[k];
    obj[name] = w;
  };
  const wrapPromise = (obj, name) => {
    const orig = obj[name];
    if (typeof orig !== "function") return;
    obj[name] = function (p, ...rest) {
      const o = outside(p);
      return o !== undefined ? Promise.reject(denied(o)) : orig.call(this, p, ...rest);
    };
  };
  for (const n of ["realpathSync", "existsSync", "statSync", "lstatSync", "accessSync"]) wrapSync(fs, n);
  wrapSync(fs.realpathSync, "native");
  for (const n of ["realpath", "exists", "stat", "lstat", "access"]) wrapCallback(fs, n);
  wrapCallback(fs.realpath, "native");
  for (const n of ["realpath", "stat", "lstat", "access"]) wrapPromise(fs.promises, n);
}

// The whole process's memory, not only the JS heap (the parent also polls the RSS from outside).
if (MEMORY_MB > 0) {
  const limit = MEMORY_MB * 1024 * 1024;
  setInterval(() => {
    const m = process.memoryUsage();
    const used = Math.max(m.rss, m.arrayBuffers);
    if (used > limit) {
      send({ type: "memory", rss: used });
      setTimeout(() => process.exit(137), 200);
    }
  }, 50).unref();
}

// Dies with its parent: the IPC channel closing is the usual sign; a changed parent pid covers the
// rest (re-parented to init or a subreaper after the VM was SIGKILLed).
process.on("disconnect", () => process.exit(0));
setInterval(() => {
  if (process.ppid !== PARENT) process.exit(0);
}, 500).unref();

const modules = new Map();
let owner;
const calls = new Map();
let running;

function log(stream) {
  return (...args) => send({ type: "log", id: running, stream, text: format(...args) });
}
console.log = console.info = console.debug = log("stdout");
console.error = console.warn = log("stderr");
console.trace = (...args) => log("stderr")(format(...args) + "\n" + (new Error().stack ?? "").split("\n").slice(2).join("\n"));

function message(e) {
  if (e instanceof Error) return e.message || e.name;
  if (typeof e === "string") return e;
  try { return JSON.stringify(e) ?? String(e); } catch { return String(e); }
}

function toJson(v) {
  if (v === undefined) return null;
  const text = JSON.stringify(v);
  return text === undefined ? null : JSON.parse(text);
}

function send(m) {
  if (process.connected) process.send(m);
}

async function call(m) {
  const ctl = new AbortController();
  calls.set(m.id, ctl);
  running = m.id;
  try {
    if (owner === undefined) owner = m.url + "#" + m.export;
    if (owner !== m.url + "#" + m.export) {
      return send({ type: "result", id: m.id, ok: false, stage: "load", message: "this sandbox process serves " + owner + " only" });
    }
    let mod = modules.get(m.url);
    if (!mod) {
      try {
        mod = await import(m.url);
      } catch (e) {
        return send({ type: "result", id: m.id, ok: false, stage: "load", message: message(e), code: e && e.code, permission: e && e.permission, resource: e && e.resource });
      }
      modules.set(m.url, mod);
    }
    const fn = Object.prototype.hasOwnProperty.call(mod, m.export) ? mod[m.export] : undefined;
    if (typeof fn !== "function") {
      const functions = Object.keys(mod).filter((k) => typeof mod[k] === "function");
      return send({ type: "result", id: m.id, ok: false, stage: "export", missing: fn === undefined, functions });
    }
    let value;
    try {
      value = await fn(m.args, { idempotencyKey: m.idempotencyKey, signal: ctl.signal });
    } catch (e) {
      const o = typeof e === "object" && e !== null ? e : {};
      const failure = o._tag === "VmFailure" && o.info && typeof o.info.kind === "string" ? o.info : undefined;
      return send({
        type: "result", id: m.id, ok: false, stage: "throw", message: message(e),
        retryable: o.retryable === true,
        retryAfterMs: typeof o.retryAfterMs === "number" && o.retryAfterMs >= 0 ? o.retryAfterMs : undefined,
        code: typeof o.code === "string" ? o.code : undefined,
        permission: typeof o.permission === "string" ? o.permission : undefined,
        resource: typeof o.resource === "string" ? o.resource : undefined,
        failure: failure ? JSON.parse(JSON.stringify(failure)) : undefined,
      });
    }
    let json;
    try {
      json = toJson(value);
    } catch (e) {
      return send({ type: "result", id: m.id, ok: false, stage: "json", message: message(e).split("\n")[0] });
    }
    send({ type: "result", id: m.id, ok: true, value: json });
  } finally {
    calls.delete(m.id);
    if (running === m.id) running = undefined;
  }
}

process.on("message", (m) => {
  if (!m || typeof m !== "object") return;
  if (m.type === "call") void call(m);
  else if (m.type === "abort") calls.get(m.id)?.abort(new Error("aborted"));
});
send({ type: "ready" });
`;
