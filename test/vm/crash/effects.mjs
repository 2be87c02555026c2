// A side-effecting, idempotent tool: appends one line per idempotency key to a file (a second call
// with the same key does nothing) and records every call, so the test can tell both apart.
import { appendFileSync, existsSync, readFileSync } from "node:fs";

export async function record({ label, value }, { idempotencyKey }) {
  const file = process.env.AWR_CRASH_EFFECTS;
  await new Promise((r) => setTimeout(r, 3));
  appendFileSync(`${file}.calls`, `${idempotencyKey}\n`);
  const done = existsSync(file) ? readFileSync(file, "utf8").split("\n") : [];
  if (!done.some((l) => l.startsWith(`${idempotencyKey} `))) appendFileSync(file, `${idempotencyKey} ${label}=${value}\n`);
  return value * 2;
}
