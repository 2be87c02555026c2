// The program a sandboxed js-tool process runs (passed to `node -e`, so the sandbox needs no read
// access to this package). It loads tool modules on demand, runs one call at a time, and answers
// over the IPC channel. Messages in: `{ type: "call", id, url, export, args, idempotencyKey }`,
// `{ type: "abort", id }`. Messages out: `{ type: "result", id, ok: true, value }` or
// `{ type: "result", id, ok: false, stage, message, ... }` where stage is "load" (the module did not
// load), "export" (no such function), "throw" (the tool threw) or "json" (the result is not JSON).
// Console output (`console.log/info/debug` → stdout, `console.error/warn/trace` → stderr) goes over
// the same channel, `{ type: "log", id, stream, text }` (id: the call running, if any), so the parent
// redacts it and attributes it to the call; it is ordered before the call's result. It exits when
// the parent goes away (the IPC channel closes).
export const CHILD_SOURCE = String.raw`
import { format } from "node:util";
const modules = new Map();
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
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });
`;
