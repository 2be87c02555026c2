// SQLite-only properties: the file survives the process, the schema, corrupt and foreign files.
import Database from "better-sqlite3";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_STORE_PATH, MemoryStore, openStore, SCHEMA_VERSION, SqliteStore, StoreError } from "../../../vm/store/index.js";
import { intent, outcome, run, tempDir } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
const opened: { close(): void }[] = [];
const open = (path: string, opts?: ConstructorParameters<typeof SqliteStore>[1]): SqliteStore => {
  const s = new SqliteStore(path, opts);
  opened.push(s);
  return s;
};
const raw = (path: string): Database.Database => {
  const d = new Database(path);
  opened.push(d);
  return d;
};
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  tmp.cleanup();
});

/** A run with a journal, a large value, an update and a pending dispatch. */
function populate(s: SqliteStore): void {
  s.create(run("r1"));
  s.create(run("r2", { createdAt: 1_800_000_000_000 }));
  s.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0"), outcome("a#0", "z".repeat(10_000))] });
  s.commit({ runId: "r1", expectVersion: 1, append: [], update: { status: "completed", output: { ok: true } }, dispatch: [{ kind: "resume", runId: "r2" }] });
  s.putBlob(new Uint8Array([1, 2, 3]));
}

function expectPopulated(s: SqliteStore, dispatches = true): void {
  expect(s.load("r1")).toEqual({
    snapshot: run("r1", { status: "completed", output: { ok: true } }),
    journal: [
      { ...intent("a#0"), seq: 0 },
      { ...outcome("a#0", "z".repeat(10_000)), seq: 1 },
    ],
    version: 2,
  });
  expect(s.list().map((r) => r.runId)).toEqual(["r2", "r1"]);
  expect(s.getBlob(createHash("sha256").update(new Uint8Array([1, 2, 3])).digest("hex"))).toEqual(new Uint8Array([1, 2, 3]));
  if (dispatches) expect(s.takeDispatches()).toEqual([{ kind: "resume", runId: "r2" }]);
}

describe("SqliteStore: durability", () => {
  it("reopening the file shows everything", () => {
    const path = join(tmp.dir, "runs.db");
    const a = open(path);
    populate(a);
    a.close();
    const b = open(path);
    expectPopulated(b);
    expect(b.commit({ runId: "r1", expectVersion: 2, append: [intent("b#0")] })).toBe(3);
  });

  it("a crash image (the db and its -wal copied while the writer is still open) shows every returned commit", () => {
    const path = join(tmp.dir, "runs.db");
    const a = open(path);
    populate(a);
    // No close, no checkpoint: the commits live in the WAL only.
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    const copy = join(tmp.dir, "crash.db");
    copyFileSync(path, copy);
    copyFileSync(`${path}-wal`, `${copy}-wal`);
    expectPopulated(open(copy));
  });

  it("another process sees a commit as soon as it returned", () => {
    const path = join(tmp.dir, "runs.db");
    const a = open(path);
    populate(a);
    const script = `
      import Database from "better-sqlite3";
      const db = new Database(process.argv[1], { readonly: true });
      const j = db.prepare("SELECT seq, key, phase FROM journal WHERE run_id = 'r1' ORDER BY seq").all();
      const r = db.prepare("SELECT status, version FROM runs WHERE run_id = 'r1'").get();
      console.log(JSON.stringify({ j, r, d: db.prepare("SELECT count(*) AS n FROM dispatch").get().n }));`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script, path], { cwd: process.cwd(), encoding: "utf8" });
    expect(child.stderr).toBe("");
    expect(JSON.parse(child.stdout)).toEqual({
      j: [
        { seq: 0, key: "a#0", phase: "intent" },
        { seq: 1, key: "a#0", phase: "outcome" },
      ],
      r: { status: "completed", version: 2 },
      d: 1,
    });
  });
});

describe("SqliteStore: settings and schema", () => {
  it("WAL, synchronous NORMAL, foreign keys, busy timeout", () => {
    const path = join(tmp.dir, "runs.db");
    const s = open(path);
    const db = (s as unknown as { db: Database.Database }).db;
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(db.pragma("busy_timeout", { simple: true })).toBe(5000);
    // WAL is a property of the file: a plain connection sees it too.
    expect(raw(path).pragma("journal_mode", { simple: true })).toBe("wal");
    const full = open(join(tmp.dir, "full.db"), { synchronous: "full", busyTimeoutMs: 100 });
    const fdb = (full as unknown as { db: Database.Database }).db;
    expect(fdb.pragma("synchronous", { simple: true })).toBe(2);
    expect(fdb.pragma("busy_timeout", { simple: true })).toBe(100);
  });

  it("creates the schema on first open, with its version and indexes", () => {
    const path = join(tmp.dir, "runs.db");
    open(path).close();
    const db = raw(path);
    expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe(String(SCHEMA_VERSION));
    const names = db.prepare("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all();
    expect(names).toEqual([
      "audit",
      "audit_by_at",
      "audit_no_delete",
      "audit_no_update",
      "blobs",
      "dispatch",
      "events",
      "journal",
      "meta",
      "runs",
      "runs_by_created",
      "runs_by_status",
      "sessions",
      "sessions_by_principal",
    ]);
    // The journal, events, audit and sessions are clustered on their keys: no rowid, no extra
    // index but the audit log's by time and the sessions' by principal (cross-session memory).
    for (const t of ["journal", "events", "audit", "sessions"]) {
      const indexes = db.prepare(`PRAGMA index_list(${t})`).all() as { name: string; origin: string }[];
      expect(indexes.map((i) => i.origin).sort()).toEqual(t === "audit" || t === "sessions" ? ["c", "pk"] : ["pk"]);
      expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").pluck().get(t)).toMatch(/WITHOUT ROWID\s*$/);
    }
  });

  it("creates missing directories; the default path is .awr/runs.db", () => {
    const path = join(tmp.dir, "a", "b", "runs.db");
    open(path).create(run("r1"));
    expect(existsSync(path)).toBe(true);
    expect(DEFAULT_STORE_PATH).toBe(".awr/runs.db");
  });

  it("stores a large journal value as a blob reference, and equal blobs once", () => {
    const path = join(tmp.dir, "runs.db");
    const s = open(path);
    const big = { text: "q".repeat(9000) };
    const bytes = new TextEncoder().encode(JSON.stringify(big));
    const h = createHash("sha256").update(bytes).digest("hex");
    s.create(run("r1"));
    s.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0", big), outcome("a#0", big), outcome("b#0", "small")] });
    expect(s.putBlob(bytes)).toBe(h);
    expect(s.putBlob(bytes)).toBe(h);
    const db = raw(path);
    expect(db.prepare("SELECT seq, value, value_blob FROM journal ORDER BY seq").all()).toEqual([
      { seq: 0, value: null, value_blob: h },
      { seq: 1, value: null, value_blob: h },
      { seq: 2, value: '"small"', value_blob: null },
    ]);
    expect(db.prepare("SELECT hash, size FROM blobs").all()).toEqual([{ hash: h, size: bytes.length }]);
    expect(s.load("r1")!.journal.map((e) => e.value)).toEqual([big, big, "small"]);
  });

  it("a journal entry whose blob vanished is a StoreError, not a silent hole", () => {
    const path = join(tmp.dir, "runs.db");
    const s = open(path);
    s.create(run("r1"));
    s.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0", "w".repeat(9000))] });
    s.close();
    const db = raw(path);
    db.pragma("foreign_keys = OFF");
    db.exec("DELETE FROM blobs");
    db.close();
    expect(() => open(path).load("r1")).toThrow(/journal entry 0: its value is blob [0-9a-f]{64}, which is missing/);
  });
});

describe("SqliteStore: altered blobs", () => {
  it("a journal value whose blob bytes were edited is refused on load, naming the blob", () => {
    const path = join(tmp.dir, "runs.db");
    const s = open(path);
    s.create(run("r1"));
    s.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0", "w".repeat(9000))] });
    s.close();
    const db = raw(path);
    const { hash } = db.prepare("SELECT hash FROM blobs").get() as { hash: string };
    db.prepare("UPDATE blobs SET bytes = ? WHERE hash = ?").run(Buffer.from(JSON.stringify("x".repeat(9000))), hash);
    db.close();
    const again = open(path);
    expect(() => again.load("r1")).toThrow(`blob ${hash} was altered in the store`);
    expect(() => again.getBlob(hash)).toThrow(/its bytes hash to [0-9a-f]{64}; refusing to use it/);
  });
});

describe("SqliteStore: files it must refuse", () => {
  const expectInvalid = (path: string): void => {
    let err: unknown;
    try {
      open(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toContain(`the run store at ${path} is not a valid database (`);
    expect((err as StoreError).path).toBe(path);
  };

  function written(): string {
    const path = join(tmp.dir, "runs.db");
    const s = new SqliteStore(path);
    for (let i = 0; i < 200; i++) {
      s.create(run(`r${i}`));
      s.commit({ runId: `r${i}`, expectVersion: 0, append: [intent("a#0", "v".repeat(500)), outcome("a#0", "w".repeat(500))] });
    }
    s.close(); // checkpoints: everything is in the main file
    expect(existsSync(`${path}-wal`)).toBe(false);
    return path;
  }

  it("a truncated database file", () => {
    const path = written();
    truncateSync(path, Math.floor(statSync(path).size / 2));
    expectInvalid(path);
  });

  it("a database file cut inside its first page", () => {
    const path = written();
    truncateSync(path, 2000);
    expectInvalid(path);
  });

  it("a garbage file", () => {
    const path = join(tmp.dir, "garbage.db");
    writeFileSync(path, "this is not a database, it is a shopping list: eggs, milk, ".repeat(200));
    expectInvalid(path);
    // And it was left as it was.
    expect(readFileSync(path, "utf8").startsWith("this is not a database")).toBe(true);
  });

  it("a database written by a newer schema", () => {
    const path = join(tmp.dir, "runs.db");
    open(path).close();
    const db = raw(path);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION + 1));
    db.close();
    expect(() => open(path)).toThrow(StoreError);
    expect(() => open(path)).toThrow(`the run store at ${path} was written by a newer AWR (schema version ${SCHEMA_VERSION + 1}; this build reads up to ${SCHEMA_VERSION})`);
  });

  it("a SQLite database that is not a run store", () => {
    const path = join(tmp.dir, "other.db");
    const db = raw(path);
    db.exec("CREATE TABLE recipes (name TEXT)");
    db.close();
    expect(() => open(path)).toThrow(`${path} is a SQLite database but not an AWR run store`);
    expect(raw(path).prepare("SELECT name FROM sqlite_master").pluck().all()).toEqual(["recipes"]);
  });

  it("an empty file becomes a new store", () => {
    const path = join(tmp.dir, "empty.db");
    writeFileSync(path, "");
    const s = open(path);
    s.create(run("r1"));
    expect(s.load("r1")!.version).toBe(0);
  });
});

describe("openStore", () => {
  it("memory: is a MemoryStore, anything else a SqliteStore at that path", () => {
    const m = openStore("memory:");
    expect(m).toBeInstanceOf(MemoryStore);
    expect(openStore("memory:")).not.toBe(m);
    const path = join(tmp.dir, "x", "runs.db");
    const s = openStore(path);
    opened.push(s);
    expect(s).toBeInstanceOf(SqliteStore);
    expect((s as SqliteStore).path).toBe(path);
    expect(existsSync(path)).toBe(true);
  });
});
