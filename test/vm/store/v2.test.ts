// The run store v2 API — audit log, events, sessions, list by time — as one contract both stores
// pass, plus the SQLite-only parts: the schema 1 → 2 migration of a real file, the append-only
// triggers, and everything surviving a reopen.
import Database from "better-sqlite3";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryStore, SCHEMA_VERSION, SqliteStore, StoreError } from "../../../vm/store/index.js";
import { VersionConflict } from "../../../vm/types.js";
import type { EmbeddedStore } from "../../../vm/store/index.js";
import { auditRecord, event, intent, message, outcome, run, tempDir } from "./helpers.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

interface Fixture {
  open(): EmbeddedStore;
  /** The same storage seen again: the same MemoryStore, or the SQLite file closed and reopened. */
  reopen(store: EmbeddedStore): EmbeddedStore;
  cleanup(): void;
}

const kinds: [string, () => Fixture][] = [
  ["MemoryStore", () => ({ open: () => new MemoryStore(), reopen: (s) => s, cleanup: () => {} })],
  [
    "SqliteStore",
    () => {
      const tmp = tempDir();
      const opened: SqliteStore[] = [];
      let n = 0;
      return {
        open: () => {
          const s = new SqliteStore(join(tmp.dir, `runs-${n++}.db`));
          opened.push(s);
          return s;
        },
        reopen: (s) => {
          s.close();
          const p = new SqliteStore((s as SqliteStore).path);
          opened.push(p);
          return p;
        },
        cleanup: () => {
          for (const s of opened) s.close();
          tmp.cleanup();
        },
      };
    },
  ],
];

describe.each(kinds)("%s: v2 API", (_name, makeFixture) => {
  let fx: Fixture;
  let store: EmbeddedStore;
  beforeEach(() => {
    fx = makeFixture();
    store = fx.open();
  });
  afterEach(() => fx.cleanup());

  describe("audit log", () => {
    it("stores the records of a commit with its journal entries, oldest first, every field round-tripped", () => {
      store.create(run("r1"));
      const a1 = auditRecord("r1");
      const a2 = auditRecord("r1", {
        kind: "policy",
        outcome: "redact",
        reason: "PII in the ticket",
        redacted: [{ path: "$.ticket.body", kind: "email" }],
        at: 1_700_000_000_301,
      });
      const t1 = auditRecord("r1", { kind: "tool", hook: "call", policy: null, rule: null, outcome: "ok", at: 1_700_000_000_302 });
      store.commit({ runId: "r1", expectVersion: 0, append: [intent("lookup#0")], audit: [a1, a2] });
      store.commit({ runId: "r1", expectVersion: 1, append: [outcome("lookup#0")], audit: [t1] });
      store = fx.reopen(store);
      expect(store.audit()).toEqual([a1, a2, t1]);
      expect(store.audit({ runId: "r1" })).toEqual([a1, a2, t1]);
      expect(store.load("r1")!.journal).toHaveLength(2);
    });

    it("filters by run, time range (inclusive), policy, outcome, kind, and limits", () => {
      store.create(run("r1"));
      store.create(run("r2"));
      const recs = [
        auditRecord("r1", { at: 100, policy: "pii", outcome: "allow" }),
        auditRecord("r1", { at: 200, policy: "acl", rule: "admins-only", outcome: "deny", reason: "not an admin" }),
        auditRecord("r1", { at: 300, kind: "tool", hook: "call", policy: null, rule: null, outcome: "failed" }),
      ];
      const other = [auditRecord("r2", { at: 150, policy: "acl", outcome: "deny" }), auditRecord("r2", { at: 250, kind: "tool", hook: "call", policy: null, rule: null, outcome: "ok" })];
      store.commit({ runId: "r1", expectVersion: 0, append: [], audit: recs.slice(0, 2) });
      store.commit({ runId: "r2", expectVersion: 0, append: [], audit: other });
      store.commit({ runId: "r1", expectVersion: 1, append: [], audit: recs.slice(2) });
      const ats = (q: Parameters<EmbeddedStore["audit"]>[0]) => store.audit(q).map((a) => `${a.runId}@${a.at}`);
      expect(ats({})).toEqual(["r1@100", "r2@150", "r1@200", "r2@250", "r1@300"]); // oldest first
      expect(ats({ runId: "r2" })).toEqual(["r2@150", "r2@250"]);
      expect(ats({ since: 150, until: 250 })).toEqual(["r2@150", "r1@200", "r2@250"]);
      expect(ats({ since: 201 })).toEqual(["r2@250", "r1@300"]);
      expect(ats({ until: 100 })).toEqual(["r1@100"]);
      expect(ats({ policy: "acl" })).toEqual(["r2@150", "r1@200"]);
      expect(ats({ outcome: "deny", runId: "r1" })).toEqual(["r1@200"]);
      expect(ats({ kind: "tool" })).toEqual(["r2@250", "r1@300"]);
      expect(ats({ kind: "policy", limit: 2 })).toEqual(["r1@100", "r2@150"]);
      expect(ats({ limit: 0 })).toEqual([]);
      expect(ats({ runId: "nobody" })).toEqual([]);
    });

    it("orders equal times by run, then by the run's append order", () => {
      store.create(run("b"));
      store.create(run("a"));
      store.commit({ runId: "b", expectVersion: 0, append: [], audit: [auditRecord("b", { at: 5, outcome: "b0" }), auditRecord("b", { at: 5, outcome: "b1" })] });
      store.commit({ runId: "a", expectVersion: 0, append: [], audit: [auditRecord("a", { at: 5, outcome: "a0" })] });
      store.commit({ runId: "b", expectVersion: 1, append: [], audit: [auditRecord("b", { at: 5, outcome: "b2" }), auditRecord("b", { at: 4, outcome: "b3" })] });
      expect(store.audit().map((a) => a.outcome)).toEqual(["b3", "a0", "b0", "b1", "b2"]);
      expect(store.audit({ runId: "b", limit: 2 }).map((a) => a.outcome)).toEqual(["b3", "b0"]);
    });

    it("refuses bad queries and bad records (and the commit with them)", () => {
      store.create(run("r1"));
      expect(() => store.audit({ kind: "magic" as never })).toThrow(StoreError);
      expect(() => store.audit({ limit: -1 })).toThrow(StoreError);
      expect(() => store.audit({ since: "yesterday" as never })).toThrow(StoreError);
      expect(() => store.audit({ run: "r1" } as never)).toThrow(/not a filter/);
      expect(() => store.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0")], audit: [auditRecord("r2")] })).toThrow(/runId must be the run of the commit/);
      expect(() => store.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0")], audit: [auditRecord("r1", { kind: "vibes" as never })] })).toThrow(StoreError);
      expect(() => store.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0")], audit: [auditRecord("r1", { redacted: [{ path: 1 }] as never })] })).toThrow(/redacted/);
      expect(store.load("r1")!.version).toBe(0);
      expect(store.load("r1")!.journal).toEqual([]);
      expect(store.audit()).toEqual([]);
    });

    it("returns copies: mutating a returned record changes nothing stored", () => {
      store.create(run("r1"));
      const a = auditRecord("r1", { redacted: [{ path: "$.x", kind: "ssn" }] });
      store.commit({ runId: "r1", expectVersion: 0, append: [], audit: [a] });
      (a.redacted as { path: string }[])[0]!.path = "changed after commit";
      const got = store.audit()[0]!;
      got.outcome = "deny";
      expect(store.audit()[0]).toEqual(auditRecord("r1", { redacted: [{ path: "$.x", kind: "ssn" }] }));
    });

    it("has no API that updates or deletes a record", () => {
      const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(store)).filter((m) => /audit/i.test(m));
      expect(methods).toEqual(["audit"]);
    });
  });

  describe("events", () => {
    it("keeps a run's events in emission order across commits, apart from other runs", () => {
      store.create(run("r1"));
      store.create(run("r2"));
      const big = { ...event("r1", "b#0"), note: "n".repeat(50_000) } as never;
      store.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0")], events: [event("r1", "a#0", 5), event("r1", "a#1", 3)] });
      store.commit({ runId: "r2", expectVersion: 0, append: [], events: [event("r2", "x#0")] });
      store.commit({ runId: "r1", expectVersion: 1, append: [], events: [] });
      store.commit({ runId: "r1", expectVersion: 2, append: [], update: { status: "completed" }, events: [big, event("r1", "c#0", 1)] });
      store = fx.reopen(store);
      // Emission order, not time order: `at` 5 before 3.
      expect(store.events("r1")).toEqual([event("r1", "a#0", 5), event("r1", "a#1", 3), big, event("r1", "c#0", 1)]);
      expect(store.events("r2")).toEqual([event("r2", "x#0")]);
      expect(store.events("nobody")).toEqual([]);
    });

    it("refuses an event of another run or without a type (and the commit with it)", () => {
      store.create(run("r1"));
      expect(() => store.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0")], events: [event("r1", "a#0"), event("r2", "a#0")] })).toThrow(
        /runId must be the run of the commit/,
      );
      expect(() => store.commit({ runId: "r1", expectVersion: 0, append: [], events: [{ runId: "r1", at: 1 } as never] })).toThrow(/type/);
      expect(() => store.commit({ runId: "r1", expectVersion: 0, append: [], events: [{ ...event("r1", "a#0"), x: 1n } as never] })).toThrow(StoreError);
      expect(store.events("r1")).toEqual([]);
      expect(store.load("r1")!.version).toBe(0);
      // The next commit starts the event sequence at 0: no gap left by the failed ones.
      store.commit({ runId: "r1", expectVersion: 0, append: [], events: [event("r1", "z#0")] });
      expect(store.events("r1")).toEqual([event("r1", "z#0")]);
    });
  });

  describe("atomicity with the journal", () => {
    beforeEach(() => {
      store.create(run("r1"));
      store.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0")], audit: [auditRecord("r1")], events: [event("r1", "a#0")] });
    });
    const untouched = () => {
      expect(store.load("r1")!.version).toBe(1);
      expect(store.load("r1")!.journal).toHaveLength(1);
      expect(store.audit()).toEqual([auditRecord("r1")]);
      expect(store.events("r1")).toEqual([event("r1", "a#0")]);
    };

    it("a commit that fails its version check writes no audit records and no events", () => {
      expect(() =>
        store.commit({ runId: "r1", expectVersion: 0, append: [outcome("a#0")], audit: [auditRecord("r1", { outcome: "deny" })], events: [event("r1", "b#0")] }),
      ).toThrow(VersionConflict);
      untouched();
    });

    it("a commit whose journal entry is invalid writes neither (the audit record was valid)", () => {
      expect(() =>
        store.commit({ runId: "r1", expectVersion: 1, append: [outcome("a#0", 1n as never)], audit: [auditRecord("r1", { outcome: "deny" })], events: [event("r1", "b#0")] }),
      ).toThrow(StoreError);
      untouched();
    });

    it("a commit whose last audit record is invalid writes none of its entries, events or records", () => {
      expect(() =>
        store.commit({
          runId: "r1",
          expectVersion: 1,
          append: [outcome("a#0", "y".repeat(20_000))],
          update: { status: "completed" },
          events: [event("r1", "b#0")],
          audit: [auditRecord("r1", { at: 7 }), auditRecord("r1", { hook: "" })],
        }),
      ).toThrow(StoreError);
      untouched();
      expect(store.load("r1")!.snapshot.status).toBe("running");
    });
  });

  describe("list by creation time", () => {
    it("bounds createdAt inclusively, with status and limit, newest first", () => {
      store.create(run("a", { createdAt: 100 }));
      store.create(run("b", { createdAt: 200, status: "completed" }));
      store.create(run("c", { createdAt: 300 }));
      store.create(run("d", { createdAt: 400, status: "completed" }));
      const ids = (o: Parameters<EmbeddedStore["list"]>[0]) => store.list(o).map((r) => r.runId);
      expect(ids({ since: 200 })).toEqual(["d", "c", "b"]);
      expect(ids({ until: 200 })).toEqual(["b", "a"]);
      expect(ids({ since: 150, until: 350 })).toEqual(["c", "b"]);
      expect(ids({ since: 150, status: "completed" })).toEqual(["d", "b"]);
      expect(ids({ since: 100, limit: 1 })).toEqual(["d"]);
      expect(ids({ since: 500 })).toEqual([]);
      expect(() => store.list({ since: "today" as never })).toThrow(StoreError);
    });
  });

  describe("sessions", () => {
    it("appends in order, numbers entries from 0, returns the new length, survives a reopen", () => {
      expect(store.session("s1")).toEqual([]);
      const m1 = message("r1", "hello");
      const m2 = message("r1", "", { role: "assistant", toolCalls: [{ id: "c1", type: "function", function: { name: "lookup", arguments: "{}" } }] });
      const m3 = message("r1", '{"ok":true}', { role: "tool", toolCallId: "c1" });
      expect(store.appendSession("s1", [m1, m2])).toBe(2);
      expect(store.appendSession("s2", [message("r9", "other")])).toBe(1);
      expect(store.appendSession("s1", [{ ...m3, seq: 99 }])).toBe(3);
      expect(store.appendSession("s1", [])).toBe(3);
      store = fx.reopen(store);
      expect(store.session("s1")).toEqual([
        { ...m1, seq: 0 },
        { ...m2, seq: 1 },
        { ...m3, seq: 2 },
      ]);
      expect(store.session("s2")).toEqual([{ ...message("r9", "other"), seq: 0 }]);
    });

    it("an append with one invalid entry appends nothing", () => {
      store.appendSession("s1", [message("r1", "a")]);
      expect(() => store.appendSession("s1", [message("r1", "b"), message("r1", "c", { role: "robot" as never })])).toThrow(/role/);
      expect(() => store.appendSession("s1", [message("r1", 5 as never)])).toThrow(/content/);
      expect(() => store.appendSession("", [message("r1", "a")])).toThrow(/session id/);
      expect(store.session("s1").map((e) => e.content)).toEqual(["a"]);
      expect(store.appendSession("s1", [message("r1", "b")])).toBe(2);
    });
  });
});

describe("SqliteStore: schema 1 → 2", () => {
  let tmp: ReturnType<typeof tempDir>;
  const opened: { close(): void }[] = [];
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
    tmp.cleanup();
  });

  // fixtures/schema-1.db was written by the schema-1 store (commit 088ad20): run r1 completed with
  // a 4-entry journal (a 10 kB value in the blob table, a failed outcome), run r2 suspended, one
  // pending dispatch.
  it("migrates a file written by schema 1: every run, entry, blob and dispatch is kept, the new tables work", () => {
    const path = join(tmp.dir, "runs.db");
    copyFileSync(join(FIXTURES, "schema-1.db"), path);
    const before = new Database(path, { readonly: true });
    expect(before.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe("1");
    before.close();

    const s = new SqliteStore(path);
    opened.push(s);
    const r1 = s.load("r1")!;
    expect(r1.version).toBe(3);
    expect(r1.snapshot).toMatchObject({ runId: "r1", status: "completed", output: { ok: true }, principal: { id: "ada", roles: ["agent"] } });
    expect(r1.journal.map((e) => `${e.seq} ${e.key} ${e.phase}`)).toEqual(["0 lookup#0 intent", "1 lookup#0 outcome", "2 send#0 intent", "3 send#0 outcome"]);
    expect(r1.journal[1]!.value).toBe("z".repeat(10_000));
    expect(r1.journal[3]!.error).toEqual({ kind: "tool", message: "boom", retryable: false });
    const r2 = s.load("r2")!;
    expect(r2.snapshot.pending).toEqual([{ id: "ask#0", kind: "human", reason: "ok?", step: "ask" }]);
    expect(s.list().map((r) => r.runId)).toEqual(["r2", "r1"]);
    expect(s.takeDispatches()).toEqual([{ kind: "resume", runId: "r2", payload: { n: 1 } }]);

    // Carries on where schema 1 stopped: seq 1 after seq 0, version 2 after 1; events from 0.
    expect(s.commit({ runId: "r2", expectVersion: 1, append: [outcome("ask#0", "yes")], events: [event("r2", "ask#0")], audit: [auditRecord("r2")] })).toBe(2);
    expect(s.load("r2")!.journal.map((e) => e.seq)).toEqual([0, 1]);
    expect(s.events("r2")).toEqual([event("r2", "ask#0")]);
    expect(s.audit()).toEqual([auditRecord("r2")]);
    expect(s.appendSession("s", [message("r2", "hi")])).toBe(1);
    s.close();

    const db = new Database(path, { readonly: true });
    opened.push(db);
    expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe(String(SCHEMA_VERSION));
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'journal'").pluck().get()).toMatch(/WITHOUT ROWID\s*$/);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'journal_by_key'").get()).toBeUndefined();
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(db.pragma("foreign_key_check")).toEqual([]);
  });

  it("the audit table refuses UPDATE and DELETE, even from plain SQL", () => {
    const path = join(tmp.dir, "runs.db");
    const s = new SqliteStore(path);
    opened.push(s);
    s.create(run("r1"));
    s.commit({ runId: "r1", expectVersion: 0, append: [], audit: [auditRecord("r1")] });
    const db = new Database(path);
    opened.push(db);
    expect(() => db.prepare("UPDATE audit SET outcome = 'deny'").run()).toThrow(/append-only/);
    expect(() => db.prepare("DELETE FROM audit").run()).toThrow(/append-only/);
    expect(s.audit()).toEqual([auditRecord("r1")]);
  });
});
