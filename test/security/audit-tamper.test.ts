// An attacker with write access to the SQLite store drops the audit log's append-only triggers and
// rewrites a denial into an allow, deletes a record, cuts the newest records, or adds an operator
// approval that never happened. `awr audit` listed the doctored log without a word. The audit
// records of each run are hash-chained with their head in the run's row: `awr audit --verify`
// names each changed record and exits 1. (Issue 12, item 4.)
import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awr } from "../helpers/awr-cli.js";
import { readStore, storedRun, tamperedCopy } from "./helpers.js";

// Two tool calls, the second denied: three records (lookup allowed and called, pay denied).
const PROGRAM = `
tool lookup(id: string) -> string { impl: builtin("std.random.uuid") }
tool pay(amount: float) -> string { impl: builtin("std.random.uuid") }
policy limits {
  before tool lookup { allow when true }
  before tool pay { deny when input.amount > 100 because "too much" }
}
graph checkout(amount: float) -> string {
  state { ref: string?, receipt: string? }
  node find { run lookup("order") -> ref }
  node charge { run pay(amount) -> receipt }
  edge start -> find
  edge find -> charge
  edge charge -> end
  return receipt ?? "none"
}
`;

let dir = "";
let runId = "";
const clean = () => join(dir, "clean.db");

beforeAll(async () => {
  // The payment is denied: the run fails (exit 1).
  ({ dir, runId } = await storedRun({ prefix: "awr-audit-tamper-", program: PROGRAM, input: '{"amount": 500}', store: "clean.db", code: 1 }));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the store whose audit triggers were dropped before `attack` ran. */
const tampered = (attack: (db: Database.Database) => void) =>
  tamperedCopy(clean(), (db) => {
    expect(() => db.prepare("DELETE FROM audit").run()).toThrow(/append-only/);
    db.exec("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;");
    attack(db);
  });

const outcomes = (path: string) => readStore(path, (db) => db.prepare("SELECT kind || ' ' || target || ' ' || outcome FROM audit WHERE run_id = ? ORDER BY seq").pluck().all(runId));

async function named(path: string, lines: RegExp[]) {
  const r = await awr(["audit", "--verify", "--store", path], { cwd: dir });
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stdout).toContain(`run ${runId}: BROKEN (${lines.length} problem`);
  for (const l of lines) expect(r.stdout).toMatch(l);
  expect(r.stdout).toContain("1 run of 1 BROKEN: the store was changed outside AWR");
  // Listing the log is unchanged; verifying is how the change shows.
  expect((await awr(["audit", "--store", path], { cwd: dir })).code).toBe(0);
}

describe("an audit log changed with SQL after dropping its triggers", () => {
  it("the untouched log verifies", async () => {
    expect(outcomes(clean())).toEqual(["policy lookup allow", "tool lookup ok", "policy pay deny"]);
    const r = await awr(["audit", "--verify", "--store", clean()], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/audit +3 records +head [0-9a-f]{64}/);
  }, 30_000);

  it("a denial rewritten into an allow", async () => {
    const path = tampered((db) => db.prepare("UPDATE audit SET outcome = 'allow', reason = NULL WHERE run_id = ? AND outcome = 'deny'").run(runId));
    expect(outcomes(path)).toEqual(["policy lookup allow", "tool lookup ok", "policy pay allow"]);
    await named(path, [/^ {2}edited +audit record 2 was edited: its content no longer matches its hash$/m]);
  }, 30_000);

  it("a record deleted", async () => {
    const path = tampered((db) => db.prepare("DELETE FROM audit WHERE run_id = ? AND seq = 1").run(runId));
    await named(path, [/^ {2}missing +audit record 1 is missing \(deleted\)$/m]);
  }, 30_000);

  it("the newest records deleted", async () => {
    const path = tampered((db) => db.prepare("DELETE FROM audit WHERE run_id = ? AND seq >= 1").run(runId));
    await named(path, [/^ {2}missing +audit records 1–2 are missing \(deleted from the end\): the run records 3$/m]);
  }, 30_000);

  it("an operator approval that never happened, added at the end", async () => {
    const path = tampered((db) =>
      db
        .prepare(
          `INSERT INTO audit (run_id, seq, step, principal, kind, hook, target, policy, rule, outcome, reason, redacted, at, actor, comment, chain)
           SELECT run_id, 3, step, principal, 'operator', 'resume', 'approval', NULL, NULL, 'approved', NULL, NULL, at, 'cfo', 'ok', chain FROM audit WHERE run_id = ? AND seq = 2`,
        )
        .run(runId),
    );
    await named(path, [/^ {2}edited +audit record 3 was edited/m, /^ {2}inserted +audit records 3–3 were added after the run's last recorded one$/m]);
  }, 30_000);

  it("a run's record deleted with its journal: its audit records are left without a head", async () => {
    const path = tampered((db) => {
      db.pragma("foreign_keys = ON");
      db.prepare("DELETE FROM runs WHERE run_id = ?").run(runId);
    });
    await named(path, [/^ {2}missing +the run's record is missing, so its audit records cannot be checked against their recorded head$/m]);
  }, 30_000);
});
