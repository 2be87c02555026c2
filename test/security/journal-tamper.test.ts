// An attacker with write access to the SQLite store edits a waiting run's journal: rewrites a
// recorded outcome (so the resumed run continues from a forged result), inserts, deletes or moves
// entries, or cuts the tail. Each journal is hash-chained and its head kept in the run's row:
// resume and replay refuse the run (exit 2, naming the run, the entry and what was done), the run
// stays as it was, and `awr audit --verify` names the break (exit 1). What the chain cannot catch —
// a store rewritten as a whole, every hash recomputed — shows only against a head kept outside the
// store. (Issue 12, item 4: "a rewritten journal outcome is accepted by resume and replay".)
import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainRows, genesis, journalLink } from "../../vm/store/chain.js";
import type { JournalRow } from "../../vm/store/codec.js";
import { awr } from "../helpers/awr-cli.js";
import { readStore, storedRun, tamperedCopy } from "./helpers.js";

const PROGRAM = `
tool lookup(id: string) -> string { impl: builtin("std.random.uuid") }
tool pay(amount: float) -> string { impl: builtin("std.random.uuid") }
policy limits {
  before tool lookup { allow when true }
  before tool pay { deny when input.amount > 100 because "too much" }
}
graph checkout(amount: float) -> string {
  state { ref: string?, ok: bool?, receipt: string? }
  node find { run lookup("order") -> ref }
  node ask { await human("confirm the payment") -> ok }
  node charge { run pay(amount) -> receipt }
  edge start -> find
  edge find -> ask
  edge ask -> charge
  edge charge -> end
  return ref ?? "none"
}
`;

let dir = "";
let runId = "";
const clean = () => join(dir, "clean.db");

beforeAll(async () => {
  ({ dir, runId } = await storedRun({ prefix: "awr-journal-tamper-", program: PROGRAM, input: '{"amount": 50}', store: "clean.db", code: 0, status: "suspended" }));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the waiting run's store with `attack` applied through plain SQL. */
const tampered = (attack: (db: Database.Database) => void) =>
  tamperedCopy(clean(), (db) => {
    // The journal as the run left it: intent and outcome of `find`, the intent of `ask`.
    expect(db.prepare("SELECT phase FROM journal WHERE run_id = ? ORDER BY seq").pluck().all(runId)).toEqual(["intent", "outcome", "intent"]);
    attack(db);
  });

const status = (path: string) => readStore(path, (db) => db.prepare("SELECT status FROM runs WHERE run_id = ?").pluck().get(runId));

/** resume and replay refuse with exit 2 and `message`; verify exits 1 naming `kind` at `seq`; the run is untouched. */
async function refused(path: string, kind: string, message: RegExp) {
  const resumed = await awr(["resume", runId, "--value", "true", "--store", path, "--json"], { cwd: dir });
  expect(resumed.code, resumed.stderr).toBe(2);
  expect(resumed.stderr).toContain(`run ${runId}: `);
  expect(resumed.stderr).toMatch(message);
  expect(resumed.stderr).toContain(`awr audit --verify ${runId}`);
  expect(resumed.stderr).not.toMatch(/\n\s+at /);
  expect(resumed.stdout).not.toContain("completed");
  const replayed = await awr(["replay", runId, "--store", path], { cwd: dir });
  expect(replayed.code, replayed.stderr).toBe(2);
  expect(replayed.stderr).toMatch(message);
  expect(replayed.stdout).not.toContain("reproduced");
  const verified = await awr(["audit", "--verify", runId, "--store", path], { cwd: dir });
  expect(verified.code, verified.stdout + verified.stderr).toBe(1);
  expect(verified.stdout).toContain(`run ${runId}: BROKEN`);
  expect(verified.stdout).toMatch(new RegExp(`^  ${kind} +${message.source}`, "m"));
  expect(status(path)).toBe("suspended");
}

describe("a journal changed with SQL", () => {
  it("the untouched store verifies: OK, with the number of entries and the head hash of each chain", async () => {
    const r = await awr(["audit", "--verify", runId, "--store", clean()], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const head = readStore(clean(), (db) => db.prepare("SELECT journal_head, audit_head FROM runs WHERE run_id = ?").get(runId) as { journal_head: string; audit_head: string });
    expect(r.stdout).toContain(`run ${runId}: OK`);
    expect(r.stdout).toMatch(new RegExp(`journal +3 entries +head ${head.journal_head}`));
    expect(r.stdout).toMatch(new RegExp(`audit +2 records +head ${head.audit_head}`));
    const json = await awr(["audit", "--verify", "--json", "--store", clean()], { cwd: dir });
    expect(JSON.parse(json.stdout)).toEqual([{ runId, journal: { entries: 3, head: head.journal_head, problems: [] }, audit: { entries: 2, head: head.audit_head, problems: [] } }]);
  }, 30_000);

  it("a recorded outcome rewritten is refused by resume and replay, naming the entry", async () => {
    const path = tampered((db) => db.prepare(`UPDATE journal SET value = '"forged-ref"' WHERE run_id = ? AND seq = 1`).run(runId));
    await refused(path, "edited", /journal entry 1 was edited: its content no longer matches its hash/);
  }, 60_000);

  it("an entry inserted in the middle (later entries renumbered, the count raised)", async () => {
    const path = tampered((db) => {
      for (const seq of [2, 1]) db.prepare("UPDATE journal SET seq = seq + 1 WHERE run_id = ? AND seq = ?").run(runId, seq);
      db.prepare(
        `INSERT INTO journal (run_id, seq, key, step, kind, phase, hash, at, value, value_blob, error, chain)
         SELECT run_id, 1, key, step, kind, 'outcome', hash, at, '"forged"', NULL, NULL, chain FROM journal WHERE run_id = ? AND seq = 0`,
      ).run(runId);
      db.prepare("UPDATE runs SET next_seq = next_seq + 1 WHERE run_id = ?").run(runId);
    });
    await refused(path, "inserted", /journal entry 1 was inserted/);
  }, 60_000);

  it("a middle entry deleted", async () => {
    const path = tampered((db) => db.prepare("DELETE FROM journal WHERE run_id = ? AND seq = 1").run(runId));
    await refused(path, "missing", /journal entry 1 is missing \(deleted\)/);
  }, 60_000);

  it("the tail cut off — also with the recorded count lowered to match", async () => {
    const cut = tampered((db) => db.prepare("DELETE FROM journal WHERE run_id = ? AND seq = 2").run(runId));
    await refused(cut, "missing", /journal entries 2–2 are missing \(deleted from the end\): the run records 3/);
    const recounted = tampered((db) => {
      db.prepare("DELETE FROM journal WHERE run_id = ? AND seq = 2").run(runId);
      db.prepare("UPDATE runs SET next_seq = 2 WHERE run_id = ?").run(runId);
    });
    await refused(recounted, "head", /the run's recorded head of its journal entries is not the hash of its last one/);
  }, 90_000);

  it("two entries swapped", async () => {
    const path = tampered((db) => {
      db.prepare("UPDATE journal SET seq = -1 WHERE run_id = ? AND seq = 1").run(runId);
      db.prepare("UPDATE journal SET seq = 1 WHERE run_id = ? AND seq = 2").run(runId);
      db.prepare("UPDATE journal SET seq = 2 WHERE run_id = ? AND seq = -1").run(runId);
    });
    await refused(path, "reordered", /journal entries 1 and 2 were swapped \(reordered\)/);
  }, 60_000);

  it("what it does not catch: the whole chain and head recomputed — only the head kept outside the store shows it", async () => {
    const anchor = await awr(["audit", "--verify", runId, "--store", clean()], { cwd: dir });
    const before = /journal +3 entries +head ([0-9a-f]{64})/.exec(anchor.stdout)![1];
    const path = tampered((db) => {
      db.prepare(`UPDATE journal SET value = '"forged-ref"' WHERE run_id = ? AND seq = 1`).run(runId);
      const rows = db.prepare("SELECT seq, key, step, kind, phase, hash, at, value, value_blob, error, chain FROM journal WHERE run_id = ? ORDER BY seq").all(runId) as JournalRow[];
      const head = chainRows(genesis("journal", runId), rows, journalLink);
      for (const r of rows) db.prepare("UPDATE journal SET chain = ? WHERE run_id = ? AND seq = ?").run(r.chain, runId, r.seq);
      db.prepare("UPDATE runs SET journal_head = ? WHERE run_id = ?").run(head, runId);
    });
    const r = await awr(["audit", "--verify", runId, "--store", path], { cwd: dir });
    expect(r.code).toBe(0);
    const after = /journal +3 entries +head ([0-9a-f]{64})/.exec(r.stdout)![1];
    expect(after).not.toBe(before);
  }, 60_000);
});
