// Hash chains (schema 5), one contract for both stores: every commit extends the run's journal
// and audit chains, `verify` reports intact chains with their heads, `load` refuses a journal
// changed behind the store's back and `verify` names each break. And the SQLite 4 → 5 migration
// chains the rows already stored; a file written at schema 5 by an earlier build verifies with the
// heads that build printed (the links are computed the same way).
import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChainError, auditLink, genesis, journalLink } from "../../../vm/store/chain.js";
import type { AuditRow, JournalRow, RunRow } from "../../../vm/store/codec.js";
import { MIGRATIONS } from "../../../vm/store/sqlite.js";
import { MemoryStore, SCHEMA_VERSION, SqliteStore, StoreError } from "../../../vm/store/index.js";
import type { ChainProblem } from "../../../vm/types.js";
import type { EmbeddedStore } from "../../../vm/store/index.js";
import { auditRecord, intent, outcome, run, tempDir } from "./helpers.js";

/** Raw access to what a store keeps, as someone with the file (or the process) would have it. */
interface Tamper {
  editEntry(runId: string, seq: number, value: string): void;
  deleteEntry(runId: string, seq: number): void;
  swapEntries(runId: string, a: number, b: number): void;
  editRecord(runId: string, seq: number, outcome: string): void;
  deleteRecord(runId: string, seq: number): void;
}

interface Fixture {
  store: EmbeddedStore;
  tamper: Tamper;
  cleanup(): void;
}

function memory(): Fixture {
  const store = new MemoryStore();
  const inner = store as unknown as { runs: Map<string, { journal: JournalRow[] }>; auditRows: AuditRow[] };
  const journal = (id: string) => inner.runs.get(id)!.journal;
  const records = (id: string) => inner.auditRows.filter((a) => a.run_id === id);
  return {
    store,
    tamper: {
      editEntry: (id, seq, value) => void (journal(id).find((r) => r.seq === seq)!.value = value),
      deleteEntry: (id, seq) => void journal(id).splice(journal(id).findIndex((r) => r.seq === seq), 1),
      swapEntries: (id, a, b) => {
        const j = journal(id);
        const [x, y] = [j.findIndex((r) => r.seq === a), j.findIndex((r) => r.seq === b)];
        [j[x], j[y]] = [{ ...j[y]!, seq: a }, { ...j[x]!, seq: b }];
      },
      editRecord: (id, seq, o) => void (records(id).find((r) => r.seq === seq)!.outcome = o),
      deleteRecord: (id, seq) => void inner.auditRows.splice(inner.auditRows.indexOf(records(id).find((r) => r.seq === seq)!), 1),
    },
    cleanup: () => {},
  };
}

function sqlite(): Fixture {
  const tmp = tempDir();
  const path = join(tmp.dir, "runs.db");
  const store = new SqliteStore(path);
  const sql = (text: string, ...params: unknown[]) => {
    const db = new Database(path);
    try {
      db.exec("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;");
      db.prepare(text).run(...params);
    } finally {
      db.close();
    }
  };
  return {
    store,
    tamper: {
      editEntry: (id, seq, value) => sql("UPDATE journal SET value = ? WHERE run_id = ? AND seq = ?", value, id, seq),
      deleteEntry: (id, seq) => sql("DELETE FROM journal WHERE run_id = ? AND seq = ?", id, seq),
      swapEntries: (id, a, b) => {
        sql("UPDATE journal SET seq = -1 WHERE run_id = ? AND seq = ?", id, a);
        sql("UPDATE journal SET seq = ? WHERE run_id = ? AND seq = ?", a, id, b);
        sql("UPDATE journal SET seq = ? WHERE run_id = ? AND seq = -1", b, id);
      },
      editRecord: (id, seq, o) => sql("UPDATE audit SET outcome = ? WHERE run_id = ? AND seq = ?", o, id, seq),
      deleteRecord: (id, seq) => sql("DELETE FROM audit WHERE run_id = ? AND seq = ?", id, seq),
    },
    cleanup: () => {
      store.close();
      tmp.cleanup();
    },
  };
}

const problems = (store: EmbeddedStore, runId: string): Pick<ChainProblem, "log" | "seq" | "kind">[] =>
  store.verify(runId).flatMap((r) => [...r.journal.problems, ...r.audit.problems].map(({ log, seq, kind }) => ({ log, seq, kind })));

describe.each([
  ["MemoryStore", memory],
  ["SqliteStore", sqlite],
] as const)("%s: hash chains", (_name, make) => {
  let fx: Fixture;
  let store: EmbeddedStore;
  beforeEach(() => {
    fx = make();
    store = fx.store;
    store.create(run("r1"));
    store.create(run("r2", { createdAt: 1_800_000_000_000 }));
    store.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0"), outcome("a#0")], audit: [auditRecord("r1"), auditRecord("r1", { kind: "tool", outcome: "ok" })] });
    store.commit({ runId: "r1", expectVersion: 1, append: [intent("b#0", "x".repeat(9000)), outcome("b#0")], audit: [auditRecord("r1", { outcome: "deny" })] });
    store.commit({ runId: "r1", expectVersion: 2, append: [intent("c#0"), outcome("c#0", { n: 1 })], update: { status: "completed" } });
  });
  afterEach(() => fx.cleanup());

  it("every commit extends the chains; verify reports each run's counts and heads, an empty chain's head is its genesis", () => {
    const reports = store.verify();
    expect(reports.map((r) => r.runId)).toEqual(["r1", "r2"]);
    const [r1, r2] = reports;
    expect(r1!.journal).toMatchObject({ entries: 6, problems: [] });
    expect(r1!.audit).toMatchObject({ entries: 3, problems: [] });
    expect(r1!.journal.head).toMatch(/^[0-9a-f]{64}$/);
    expect(r2).toEqual({ runId: "r2", journal: { entries: 0, head: genesis("journal", "r2"), problems: [] }, audit: { entries: 0, head: genesis("audit", "r2"), problems: [] } });
    expect(store.verify("r2")).toEqual([r2]);
    expect(store.verify("ghost")).toEqual([]);
    // The head moves with each append, and is the same for the same content (no clock, no randomness).
    const head = r1!.journal.head;
    store.commit({ runId: "r2", expectVersion: 0, append: [intent("a#0")] });
    expect(store.verify("r1")[0]!.journal.head).toBe(head);
    expect(store.verify("r2")[0]!.journal.head).not.toBe(genesis("journal", "r2"));
  });

  it("the same entries under another run id make another chain (chains cannot be moved between runs)", () => {
    store.commit({ runId: "r2", expectVersion: 0, append: [intent("a#0"), outcome("a#0")] });
    const h1 = store.verify("r1")[0]!.journal;
    const h2 = store.verify("r2")[0]!.journal;
    expect(h2.entries).toBe(2);
    expect(h2.head).not.toBe(h1.head);
  });

  it("a commit without entries or records keeps the heads; a conflicting commit changes nothing", () => {
    const before = store.verify("r1");
    store.commit({ runId: "r1", expectVersion: 3, append: [], update: { updatedAt: 9 } });
    expect(() => store.commit({ runId: "r1", expectVersion: 3, append: [intent("z#0")], audit: [auditRecord("r1")] })).toThrow(/expected version 3/);
    expect(store.verify("r1")).toEqual(before);
    expect(store.load("r1")!.journal).toHaveLength(6);
  });

  it("strings SQLite stores differently (a lone surrogate) still verify", () => {
    store.commit({ runId: "r2", expectVersion: 0, append: [intent("x\uD800#0", "\uDC00")], audit: [auditRecord("r2", { reason: "bad \uD800 text" })] });
    expect(problems(store, "r2")).toEqual([]);
    expect(store.load("r2")!.journal).toHaveLength(1);
  });

  it("an edited entry: load refuses the run with a ChainError naming it; verify names it", () => {
    fx.tamper.editEntry("r1", 3, '"forged"');
    let err: unknown;
    try {
      store.load("r1");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ChainError);
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ runId: "r1", log: "journal", seq: 3, problem: "edited" });
    expect((err as Error).message).toMatch(/^run r1: journal entry 3 was edited: its content no longer matches its hash — the run store was changed outside AWR/);
    expect(problems(store, "r1")).toEqual([{ log: "journal", seq: 3, kind: "edited" }]);
    // Other runs are unaffected.
    expect(store.load("r2")!.journal).toEqual([]);
    expect(problems(store, "r2")).toEqual([]);
  });

  it("a deleted middle entry, a deleted last entry, swapped entries", () => {
    fx.tamper.deleteEntry("r1", 2);
    expect(() => store.load("r1")).toThrow(/journal entry 2 is missing \(deleted\)/);
    expect(problems(store, "r1")).toEqual([{ log: "journal", seq: 2, kind: "missing" }]);
  });

  it("a cut tail", () => {
    fx.tamper.deleteEntry("r1", 5);
    expect(() => store.load("r1")).toThrow(/journal entries 5–5 are missing \(deleted from the end\): the run records 6/);
    expect(problems(store, "r1")).toEqual([{ log: "journal", seq: 5, kind: "missing" }]);
  });

  it("swapped entries", () => {
    fx.tamper.swapEntries("r1", 1, 2);
    expect(() => store.load("r1")).toThrow(/journal entries 1 and 2 were swapped \(reordered\)/);
    expect(problems(store, "r1")).toEqual([{ log: "journal", seq: 1, kind: "reordered" }]);
  });

  it("entries moved apart (not neighbours)", () => {
    fx.tamper.swapEntries("r1", 1, 4);
    const found = problems(store, "r1");
    expect(found.every((p) => p.kind === "reordered")).toBe(true);
    expect(found.map((p) => p.seq)).toEqual([1, 4]);
  });

  it("audit records edited or deleted are named by verify; load (the journal) is not concerned", () => {
    fx.tamper.editRecord("r1", 2, "allow");
    expect(problems(store, "r1")).toEqual([{ log: "audit", seq: 2, kind: "edited" }]);
    fx.tamper.deleteRecord("r1", 0);
    expect(problems(store, "r1")).toEqual([
      { log: "audit", seq: 0, kind: "missing" },
      { log: "audit", seq: 2, kind: "edited" },
    ]);
    expect(store.load("r1")!.journal).toHaveLength(6);
    expect(store.audit({ runId: "r1" }).map((a) => a.outcome)).toEqual(["ok", "allow"]);
  });

  it("after a break, appending still works and the break stays named (nothing is re-chained over it)", () => {
    fx.tamper.editRecord("r1", 1, "failed");
    store.commit({ runId: "r1", expectVersion: 3, append: [], audit: [auditRecord("r1", { at: 7 })] });
    expect(problems(store, "r1")).toEqual([{ log: "audit", seq: 1, kind: "edited" }]);
  });
});

describe("SqliteStore: chains across connections", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it("two workers append to one run in turn: each chains onto the other's entries", () => {
    const path = join(tmp.dir, "runs.db");
    const a = new SqliteStore(path);
    const b = new SqliteStore(path);
    try {
      a.create(run("r1"));
      let v = a.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0")], audit: [auditRecord("r1")] });
      v = b.commit({ runId: "r1", expectVersion: v, append: [outcome("a#0")], audit: [auditRecord("r1")] }); // b has no cached head
      v = a.commit({ runId: "r1", expectVersion: v, append: [intent("b#0")], audit: [auditRecord("r1")] }); // a's cached head is stale
      expect(v).toBe(3);
      expect(a.verify("r1")[0]).toMatchObject({ journal: { entries: 3, problems: [] }, audit: { entries: 3, problems: [] } });
      expect(b.load("r1")!.journal.map((e) => e.seq)).toEqual([0, 1, 2]);
    } finally {
      a.close();
      b.close();
    }
  });

  it("a head rewritten in the run's row behind a connection's back: its next commit chains onto the stored head", () => {
    const path = join(tmp.dir, "runs.db");
    const s = new SqliteStore(path);
    try {
      s.create(run("r1"));
      s.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0")] });
      const db = new Database(path);
      db.prepare("UPDATE runs SET journal_head = 'f00' WHERE run_id = 'r1'").run();
      db.close();
      s.commit({ runId: "r1", expectVersion: 1, append: [outcome("a#0")] });
      // The forged head is now the predecessor of entry 1 — which verify sees as a break at 1.
      expect(s.verify("r1")[0]!.journal.problems.map((p) => [p.seq, p.kind])).toEqual([[1, "edited"]]);
    } finally {
      s.close();
    }
  });
});

describe("SqliteStore: schema 4 → 5", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  /** A schema-4 file: two runs with journals (one value in the blob table) and audit records, one with a pre-migration hole. */
  function schema4(path: string) {
    const db = new Database(path);
    for (const m of MIGRATIONS.slice(0, 4)) db.exec(m);
    db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', '4')`).run();
    const runRow = db.prepare(
      `INSERT INTO runs (run_id, graph, plan_hash, status, created_at, updated_at, version, next_seq, next_audit, input, principal) VALUES (?, 'g', 'h', 'suspended', ?, 1, ?, ?, ?, 'null', '{"id":"svc"}')`,
    );
    runRow.run("r1", 1, 2, 3, 2);
    runRow.run("r2", 2, 1, 2, 0);
    const entry = db.prepare(`INSERT INTO journal (run_id, seq, key, step, kind, phase, hash, at, value, value_blob, error) VALUES (?, ?, ?, 's', 'tool', ?, 'h', 5, ?, NULL, NULL)`);
    entry.run("r1", 0, "a#0", "intent", '{"q":1}');
    entry.run("r1", 1, "a#0", "outcome", '"yes"');
    entry.run("r1", 2, "b#0", "intent", "null");
    entry.run("r2", 0, "a#0", "intent", '{"q":2}'); // r2 records 2 entries: its seq 1 was deleted before the migration
    const rec = db.prepare(
      `INSERT INTO audit (run_id, seq, step, principal, kind, hook, target, policy, rule, outcome, reason, redacted, at, actor, comment) VALUES (?, ?, 's', '{"id":"svc"}', ?, 'before tool', 't', NULL, NULL, ?, NULL, NULL, 6, NULL, NULL)`,
    );
    rec.run("r1", 0, "policy", "allow");
    rec.run("r1", 1, "tool", "ok");
    rec.run("gone", 0, "policy", "deny"); // the audit log outlives runs
    db.close();
  }

  it("chains the rows already stored, keeps each run's recorded length, records when, and the log stays append-only", () => {
    const path = join(tmp.dir, "runs.db");
    schema4(path);
    const before = Date.now();
    const s = new SqliteStore(path);
    try {
      const r1 = s.verify("r1")[0]!;
      expect(r1).toMatchObject({ journal: { entries: 3, problems: [] }, audit: { entries: 2, problems: [] } });
      expect(r1.anchoredAt).toBeGreaterThanOrEqual(before);
      expect(r1.anchoredAt).toBeLessThanOrEqual(Date.now());
      expect(s.load("r1")!.journal.map((e) => e.value)).toEqual([{ q: 1 }, "yes", null]);
      // A hole made before the migration is still a hole: the recorded length says so.
      expect(s.verify("r2")[0]!.journal.problems.map((p) => [p.seq, p.kind])).toEqual([[1, "missing"]]);
      expect(() => s.load("r2")).toThrow(ChainError);
      // Audit records of a run that is gone: chained, but without a head to check against.
      expect(s.verify("gone")[0]!.audit.problems.map((p) => p.kind)).toEqual(["missing"]);
      // Appending carries the chains on.
      s.commit({ runId: "r1", expectVersion: 2, append: [outcome("b#0")], audit: [auditRecord("r1")] });
      expect(s.verify("r1")[0]).toMatchObject({ journal: { entries: 4, problems: [] }, audit: { entries: 3, problems: [] } });
      // A run created after the migration was not anchored by it.
      s.create(run("new", { createdAt: Date.now() + 1000 }));
      expect(s.verify("new")[0]!.anchoredAt).toBeUndefined();
    } finally {
      s.close();
    }
    const db = new Database(path);
    try {
      expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe(String(SCHEMA_VERSION));
      expect(SCHEMA_VERSION).toBe(5);
      expect(db.prepare("SELECT COUNT(*) FROM journal WHERE chain IS NULL").pluck().get()).toBe(0);
      expect(db.prepare("SELECT COUNT(*) FROM audit WHERE chain IS NULL").pluck().get()).toBe(0);
      const r1 = db.prepare("SELECT next_seq, journal_head FROM runs WHERE run_id = 'r1'").get() as Pick<RunRow, "next_seq" | "journal_head">;
      expect(r1.next_seq).toBe(4);
      expect(r1.journal_head).toBe(db.prepare("SELECT chain FROM journal WHERE run_id = 'r1' AND seq = 3").pluck().get());
      expect(() => db.prepare("UPDATE audit SET outcome = 'deny'").run()).toThrow(/append-only/);
      expect(() => db.prepare("DELETE FROM audit").run()).toThrow(/append-only/);
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      db.close();
    }
  });

  it("a new store records no anchoring time: nothing was chained after the fact", () => {
    const s = new SqliteStore(join(tmp.dir, "fresh.db"));
    try {
      s.create(run("r1", { createdAt: 0 }));
      expect(s.verify("r1")[0]!.anchoredAt).toBeUndefined();
    } finally {
      s.close();
    }
  });
});

describe("SqliteStore: a file written by an earlier build", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  // fixtures/schema-5.db was written by the schema-5 store of commit 1175ebb (its links built the
  // canonical text with JSON.stringify): r1 completed (4 entries, one value in the blob table, one
  // failed outcome; 3 audit records, one with redactions), r2 suspended (3 entries), r3 (3 entries)
  // whose entry 1 was then edited behind the store's back. The heads are what that build's
  // `awr audit --verify` printed.
  const HEADS = {
    r1: { journal: "29024b57a83010a9a47a1cc99ff5532211be652cba18fb179e78fb67deb078b3", audit: "1f4b242c370c24b40281bc8eaa4ca5e81b92cf696a9236caa9a8574ed1661239" },
    r2: { journal: "cf07caee52836792280ab8fb30df7c125d11b42d2e91aea5d6f700b96803726a", audit: "22c394168833268f7e90c76b4507562fb933603c7653412cdfae898ae797e213" },
  };
  const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

  it("verifies with the heads that build printed, names the break it had, and appending carries on", () => {
    const path = join(tmp.dir, "runs.db");
    copyFileSync(join(FIXTURES, "schema-5.db"), path);
    const s = new SqliteStore(path);
    try {
      const [r1, r2, r3] = s.verify();
      expect(r1).toEqual({ runId: "r1", journal: { entries: 4, head: HEADS.r1.journal, problems: [] }, audit: { entries: 3, head: HEADS.r1.audit, problems: [] } });
      expect(r2).toEqual({ runId: "r2", journal: { entries: 3, head: HEADS.r2.journal, problems: [] }, audit: { entries: 0, head: HEADS.r2.audit, problems: [] } });
      expect(r3!.journal.problems.map((p) => [p.seq, p.kind])).toEqual([[1, "edited"]]);
      expect(() => s.load("r3")).toThrow(ChainError);
      const loaded = s.load("r1")!;
      expect(loaded.snapshot).toMatchObject({ status: "completed", output: { ok: true } });
      expect(loaded.journal.map((e) => e.value ?? e.error)).toEqual([{ q: 'parcel "7"\n' }, { rows: "x".repeat(10_000) }, { to: "ada" }, { kind: "tool", message: "timeout" }]);
      s.commit({ runId: "r2", expectVersion: 1, append: [outcome("ask#1")], audit: [auditRecord("r2")] });
      expect(s.verify("r2")[0]).toMatchObject({ journal: { entries: 4, problems: [] }, audit: { entries: 1, problems: [] } });
    } finally {
      s.close();
    }
  });
});

describe("chain links: the canonical text", () => {
  // The links write out JSON.stringify's text of a row's columns by hand; this is what they must equal.
  const journalSpec = (prev: string, r: JournalRow): string => {
    const head = JSON.stringify([r.key, r.step, r.kind, r.phase, r.hash, r.at, r.value_blob, r.error]);
    return createHash("sha256").update(r.value === null ? `${prev}\n${head}\n` : `${prev}\n${head}\n${r.value}`).digest("hex");
  };
  const auditSpec = (prev: string, r: AuditRow): string => {
    const body = JSON.stringify([r.step, r.principal, r.kind, r.hook, r.target, r.policy, r.rule, r.outcome, r.reason, r.redacted, r.actor, r.comment, r.at]);
    return createHash("sha256").update(`${prev}\n${body}`).digest("hex");
  };
  // Strings with what JSON escapes: quotes, backslashes, control characters, lone and paired surrogates.
  const text = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom('"', "\\", "\n", "\u0000", "\u2028", "\ud800", "a\udc00b", "😀", "ü"));
  const cell = fc.oneof(text, fc.constant(null), fc.integer(), fc.double());
  const at = fc.oneof(fc.integer(), fc.double(), fc.constant(-0));

  it("a journal row's link is sha256 over JSON.stringify of its columns, whatever they hold", () => {
    fc.assert(
      fc.property(fc.tuple(text, cell, cell, cell, cell, cell, at, cell, cell, fc.oneof(text, fc.constant(null))), ([prev, key, step, kind, phase, hash, at, blob, error, value]) => {
        const r = { seq: 0, key, step, kind, phase, hash, at, value_blob: blob, error, value, chain: null } as unknown as JournalRow;
        expect(journalLink(prev, r)).toBe(journalSpec(prev, r));
      }),
      { numRuns: 500 },
    );
  });

  it("an audit row's link likewise", () => {
    fc.assert(
      fc.property(fc.tuple(text, fc.array(cell, { minLength: 12, maxLength: 12 }), at), ([prev, c, at]) => {
        const [step, principal, kind, hook, target, policy, rule, outcome, reason, redacted, actor, comment] = c;
        const r = { run_id: "r", seq: 0, step, principal, kind, hook, target, policy, rule, outcome, reason, redacted, actor, comment, at, chain: null } as unknown as AuditRow;
        expect(auditLink(prev, r)).toBe(auditSpec(prev, r));
      }),
      { numRuns: 500 },
    );
  });
});
