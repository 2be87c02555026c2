// Cross-session memory in the run store: `sessionEntries` lists every session's entries with the
// principal of the run that wrote them — the same contract for both stores — and the SQLite
// schema 2 → 3 migration gives the entries of an old file their principals.
import Database from "better-sqlite3";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryStore, SCHEMA_VERSION, SqliteStore, StoreError } from "../../../vm/store/index.js";
import { MIGRATIONS } from "../../../vm/store/sqlite.js";
import type { EmbeddedStore } from "../../../vm/store/index.js";
import { message, run, tempDir } from "./helpers.js";

const kinds: [string, (dir: string) => EmbeddedStore][] = [
  ["MemoryStore", () => new MemoryStore()],
  ["SqliteStore", (dir) => new SqliteStore(join(dir, "runs.db"))],
];

describe.each(kinds)("%s: sessionEntries", (_name, open) => {
  let tmp: ReturnType<typeof tempDir>;
  let store: EmbeddedStore;
  beforeEach(() => {
    tmp = tempDir();
    store = open(tmp.dir);
    store.create(run("ra", { principal: { id: "alice", roles: [], attrs: {} } }));
    store.create(run("rb", { principal: { id: "bob", roles: [], attrs: {} } }));
    store.create(run("rx", { principal: { user: "no id" } }));
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it("lists every session's entries by session id then position, with the principal of the run that wrote them", () => {
    store.appendSession("s2", [message("rb", "b1")]);
    store.appendSession("s1", [message("ra", "a1"), message("ra", "a2", { role: "assistant" })]);
    store.appendSession("s3", [message("rx", "x1"), message("gone", "g1")]);
    store.appendSession("s1", [message("ra", "a3")]);
    expect(store.sessionEntries().map((e) => [e.sessionId, e.seq, e.content, e.principal])).toEqual([
      ["s1", 0, "a1", "alice"],
      ["s1", 1, "a2", "alice"],
      ["s1", 2, "a3", "alice"],
      ["s2", 0, "b1", "bob"],
      ["s3", 0, "x1", null],
      ["s3", 1, "g1", null],
    ]);
    expect(store.sessionEntries()[1]).toEqual({ ...message("ra", "a2", { role: "assistant" }), seq: 1, sessionId: "s1", principal: "alice" });
    // session() is unchanged: no principal, no session id.
    expect(store.session("s1")[0]).toEqual({ ...message("ra", "a1"), seq: 0 });
  });

  it("filters by principal and leaves out one session", () => {
    store.appendSession("s1", [message("ra", "a1")]);
    store.appendSession("s2", [message("rb", "b1")]);
    store.appendSession("s3", [message("ra", "a3")]);
    expect(store.sessionEntries({ principal: "alice" }).map((e) => e.content)).toEqual(["a1", "a3"]);
    expect(store.sessionEntries({ principal: "alice", excludeSession: "s1" }).map((e) => e.content)).toEqual(["a3"]);
    expect(store.sessionEntries({ excludeSession: "s3" }).map((e) => e.content)).toEqual(["a1", "b1"]);
    expect(store.sessionEntries({ principal: "carol" })).toEqual([]);
    expect(() => store.sessionEntries({ principal: 7 as unknown as string })).toThrow(StoreError);
  });
});

describe("SqliteStore: schema 2 → 3", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it("migrates a schema-2 file: session entries keep everything and get their run's principal", () => {
    const path = join(tmp.dir, "runs.db");
    // A schema-2 store, written with the SQL of that schema: two runs, a session of each and one
    // entry whose run is gone.
    const old = new Database(path);
    old.exec(MIGRATIONS[0]!);
    old.exec(MIGRATIONS[1]!);
    old.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', '2')`).run();
    const insertRun = old.prepare(
      `INSERT INTO runs (run_id, graph, plan_hash, status, created_at, updated_at, input, principal) VALUES (?, 'g', 'h', 'completed', 1, 1, 'null', ?)`,
    );
    insertRun.run("ra", JSON.stringify({ id: "alice", roles: [], attrs: {} }));
    insertRun.run("rn", JSON.stringify({ id: 42 }));
    const insertEntry = old.prepare(`INSERT INTO sessions (session_id, seq, run_id, agent, role, content, tool_calls, tool_call_id, at) VALUES (?, ?, ?, 'helper', ?, ?, ?, ?, 5)`);
    insertEntry.run("s1", 0, "ra", "user", "my blender broke", null, null);
    insertEntry.run("s1", 1, "ra", "assistant", "", JSON.stringify([{ id: "c1", name: "lookup", arguments: "{}" }]), null);
    insertEntry.run("s1", 2, "ra", "tool", "order O-1", null, "c1");
    insertEntry.run("s2", 0, "rn", "user", "numeric principal", null, null);
    insertEntry.run("s3", 0, "gone", "user", "no run", null, null);
    old.close();

    const s = new SqliteStore(path);
    try {
      expect(s.sessionEntries({ principal: "alice" }).map((e) => [e.sessionId, e.seq, e.role, e.content])).toEqual([
        ["s1", 0, "user", "my blender broke"],
        ["s1", 1, "assistant", ""],
        ["s1", 2, "tool", "order O-1"],
      ]);
      expect(s.session("s1")[1]).toEqual({ seq: 1, runId: "ra", agent: "helper", role: "assistant", content: "", toolCalls: [{ id: "c1", name: "lookup", arguments: "{}" }], at: 5 });
      expect(s.sessionEntries().filter((e) => e.principal === null).map((e) => e.sessionId)).toEqual(["s2", "s3"]);
      // Appending carries on where schema 2 stopped, now with the principal.
      expect(s.appendSession("s1", [message("ra", "again")])).toBe(4);
      expect(s.sessionEntries({ principal: "alice" }).at(-1)).toMatchObject({ seq: 3, content: "again", principal: "alice" });
    } finally {
      s.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe(String(SCHEMA_VERSION));
      expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'sessions'").pluck().get()).toMatch(/principal TEXT[\s\S]*WITHOUT ROWID\s*$/);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'sessions_by_principal'").pluck().get()).toBe("sessions_by_principal");
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      db.close();
    }
  });
});
