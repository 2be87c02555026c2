// `node --import bench/lib/module-count.mjs …`: at exit, prints `[awr-modules N] pkg=n …` to stderr —
// the distinct module files the process loaded (ES modules seen by a loader hook, CommonJS ones from
// the require cache), by package (`awr` for the project's own). Node 20 has no in-thread hooks
// (module.registerHooks is 22.15+), so the hook runs in Node's loader thread and posts each URL back.
// With AWR_MODULES_LIST=1 it prints every file too, one `[awr-module] path` line each
// (test/cli/cold-start.test.ts reads them).
import { writeSync } from "node:fs";
import { createRequire, register } from "node:module";
import { MessageChannel, receiveMessageOnPort } from "node:worker_threads";

const { port1, port2 } = new MessageChannel();
const urls = new Set();
port1.on("message", (url) => urls.add(url));
port1.unref();
register("data:text/javascript," + encodeURIComponent(`let port; export function initialize(d) { port = d.port; } export async function load(url, context, next) { port.postMessage(url); return next(url, context); }`), {
  data: { port: port2 },
  transferList: [port2],
});

process.on("exit", () => {
  // Messages still queued (modules loaded in the last tick) are taken synchronously.
  for (let m = receiveMessageOnPort(port1); m !== undefined; m = receiveMessageOnPort(port1)) urls.add(m.message);
  const files = new Set([...urls].filter((u) => u.startsWith("file:")).map((u) => decodeURIComponent(new URL(u).pathname)));
  for (const f of Object.keys(createRequire(import.meta.url).cache)) files.add(f);
  files.delete(decodeURIComponent(new URL(import.meta.url).pathname));
  const byPackage = new Map();
  for (const f of files) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1] ?? "awr";
    byPackage.set(name, (byPackage.get(name) ?? 0) + 1);
  }
  const top = [...byPackage].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}=${n}`);
  const list = process.env.AWR_MODULES_LIST === "1" ? [...files].sort().map((f) => `[awr-module] ${f}\n`).join("") : "";
  // Synchronously: at exit, process.stderr's writes to a pipe may never be flushed.
  writeSync(2, `${list}[awr-modules ${files.size}] ${top.join(" ")}\n`);
});
