// Operators' decisions in the audit log (`kind: "operator"`, with who decided and their comment):
// the same contract for both stores, and the SQLite schema 3 → 4 migration that allows them keeps
// every older record and the log append-only.
import Database from "better-sqlite3";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryStore, SCHEMA_VERSION, SqliteStore, StoreError } from "../../../vm/store/index.js";
import { MIGRATIONS } from "../../../vm/store/sqlite.js";
import type { AuditRecord } from "../../../vm/types.js";
import type { EmbeddedStore } from "../../../vm/store/index.js";
import { run, tempDir } from "./helpers.js";

const decision = (runId: string, over: Partial<AuditRecord> = {}): AuditRecord => ({
  runId,
  step: "graph:g/node:pay/stmt:0#0",
  principal: { id: "svc", roles: [], attrs: {} },
  kind: "operator",
  hook: "resolve",
  target: "charge",
  policy: null,
  rule: null,
  outcome: "succeeded",
  by: "carol",
  comment: "seen in the ledger",
  at: 1000,
  ...over,
});

const kinds: [string, (dir: string) => EmbeddedStore][] = [
  ["MemoryStore", () => new MemoryStore()],
  ["SqliteStore", (dir) => new SqliteStore(join(dir, "runs.db"))],
];

describe.each(kinds)("%s: operator records", (_name, open) => {
  let tmp: ReturnType<typeof tempDir>;
  let store: EmbeddedStore;
  beforeEach(() => {
    tmp = tempDir();
    store = open(tmp.dir);
    store.create(run("r1"));
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it("stores who decided and the comment, and filters by kind", () => {
    store.commit({ runId: "r1", expectVersion: 0, append: [], audit: [decision("r1"), decision("r1", { outcome: "retried", comment: undefined, at: 1001 })] });
    const { comment: _c, ...withoutComment } = decision("r1", { outcome: "retried", at: 1001 });
    expect(store.audit({ kind: "operator" })).toEqual([decision("r1"), withoutComment]);
    expect(store.audit({ kind: "policy" })).toEqual([]);
  });

  it("refuses a `by` or `comment` that is not a string, storing nothing of the commit", () => {
    expect(() => store.commit({ runId: "r1", expectVersion: 0, append: [], audit: [decision("r1", { by: 7 as unknown as string })] })).toThrow(StoreError);
    expect(() => store.commit({ runId: "r1", expectVersion: 0, append: [], audit: [decision("r1", { comment: {} as unknown as string })] })).toThrow(StoreError);
    expect(store.audit()).toEqual([]);
  });
});

describe("SqliteStore: schema 3 → 4", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it("migrates a schema-3 file: its audit records stay as they were, operator records can be added, the log stays append-only", () => {
    const path = join(tmp.dir, "runs.db");
    const old = new Database(path);
    for (const m of MIGRATIONS.slice(0, 3)) old.exec(m);
    old.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', '3')`).run();
    old.prepare(`INSERT INTO runs (run_id, graph, plan_hash, status, created_at, updated_at, input, principal, next_audit) VALUES ('r1', 'g', 'h', 'suspended', 1, 1, 'null', '{"id":"svc"}', 2)`).run();
    const insert = old.prepare(
      `INSERT INTO audit (run_id, seq, step, principal, kind, hook, target, policy, rule, outcome, reason, redacted, at) VALUES ('r1', ?, 's', '{"id":"svc"}', ?, ?, 't', ?, ?, ?, ?, ?, ?)`,
    );
    insert.run(0, "policy", "before tool", "money", "policy:money/hook:0/rule:0", "approve", "needs a lead", null, 5);
    insert.run(1, "tool", "call", null, null, "ok", null, null, 6);
    // Schema 3 has no room for an operator's decision.
    expect(() => insert.run(2, "operator", "resume", null, null, "approved", null, null, 7)).toThrow(/CHECK constraint failed/);
    old.close();

    const s = new SqliteStore(path);
    try {
      expect(s.audit()).toEqual([
        { runId: "r1", step: "s", principal: { id: "svc" }, kind: "policy", hook: "before tool", target: "t", policy: "money", rule: "policy:money/hook:0/rule:0", outcome: "approve", reason: "needs a lead", at: 5 },
        { runId: "r1", step: "s", principal: { id: "svc" }, kind: "tool", hook: "call", target: "t", policy: null, rule: null, outcome: "ok", at: 6 },
      ]);
      // Appending carries on at the run's next position.
      s.commit({ runId: "r1", expectVersion: 0, append: [], audit: [decision("r1", { at: 8 })] });
      expect(s.audit({ kind: "operator" })).toEqual([decision("r1", { at: 8 })]);
    } finally {
      s.close();
    }
    const db = new Database(path);
    try {
      expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe(String(SCHEMA_VERSION));
      expect(db.prepare("SELECT seq FROM audit WHERE run_id = 'r1' ORDER BY seq").pluck().all()).toEqual([0, 1, 2]);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'audit_by_at'").pluck().get()).toBe("audit_by_at");
      expect(() => db.prepare("UPDATE audit SET outcome = 'deny'").run()).toThrow(/append-only/);
      expect(() => db.prepare("DELETE FROM audit").run()).toThrow(/append-only/);
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      db.close();
    }
  });
});
