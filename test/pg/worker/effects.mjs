// The worker tests' effects: each appends a line to the file AWR_WORKER_EFFECTS names when done;
// `slow` also says when it starts, then waits until `<file>.go` exists.
import { appendFileSync, existsSync } from "node:fs";

export async function mark({ label }) {
  appendFileSync(process.env.AWR_WORKER_EFFECTS, `done ${label}\n`);
  return label;
}

export async function slow({ label }) {
  const file = process.env.AWR_WORKER_EFFECTS;
  appendFileSync(file, `start ${label}\n`);
  while (!existsSync(`${file}.go`)) await new Promise((r) => setTimeout(r, 50));
  appendFileSync(file, `done ${label}\n`);
  return label;
}
