// An attacker with write access to the store swaps the plan blob of a waiting run for a plan
// without its policy (or edits a large journal value). Every blob is verified against its hash on
// every read: resume, replay and `awr runs show` refuse the run instead of executing the swapped
// plan. (Issue 12: "stored plans are not checked against their hash".)
import Database from "better-sqlite3";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { encodePlan } from "../../compiler/plan/index.js";
import { awr } from "../helpers/awr-cli.js";
import { memoryHost } from "../helpers/memory-host.js";
import { readStore, storedRun } from "./helpers.js";

const DENY = 'deny when input.amount > 100 because "too much"';
const program = (guarded: boolean) => `
tool pay(amount: float) -> string { impl: builtin("std.random.uuid") }
policy limits {
  before tool pay { ${guarded ? DENY : "allow when true"} }
}
graph checkout(amount: float) -> string {
  state { ok: bool?, receipt: string? }
  node ask { await human("confirm the payment") -> ok }
  node charge { run pay(amount) -> receipt }
  edge start -> ask
  edge ask -> charge
  edge charge -> end
  return receipt ?? "none"
}
`;

let dir = "";
let runId = "";
const db = () => join(dir, "runs.db");

beforeAll(async () => {
  ({ dir, runId } = await storedRun({ prefix: "awr-tamper-", program: program(true), input: '{"amount": 500}', store: "runs.db", code: 0, status: "suspended" }));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function swapPlanBlob() {
  const c = compile(["main.awr"], memoryHost({ "main.awr": program(false) }), { plan: true });
  expect(c.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const forged = encodePlan(c.plan!);
  const conn = new Database(db());
  const { plan_hash } = conn.prepare("SELECT plan_hash FROM runs WHERE run_id = ?").get(runId) as { plan_hash: string };
  conn.prepare("UPDATE blobs SET bytes = ?, size = ? WHERE hash = ?").run(Buffer.from(forged), forged.length, plan_hash);
  conn.close();
  return plan_hash;
}

describe("a plan blob swapped in the store", () => {
  it("is refused by resume, replay and runs show, naming the altered blob; the tool never runs", async () => {
    const before = readFileSync(db());
    const hash = swapPlanBlob();
    expect(readFileSync(db())).not.toEqual(before);
    const resumed = await awr(["resume", runId, "--value", "true", "--store", db(), "--json"], { cwd: dir });
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toContain(`blob ${hash} was altered in the store`);
    expect(resumed.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const replayed = await awr(["replay", runId, "--store", db()], { cwd: dir });
    expect(replayed.code).toBe(2);
    expect(replayed.stderr).toContain("was altered in the store");
    expect(replayed.stdout).not.toContain("reproduced");
    const { status } = readStore(db(), (conn) => conn.prepare("SELECT status FROM runs WHERE run_id = ?").get(runId) as { status: string });
    expect(status).toBe("suspended");
  }, 60_000);
});
