// The embedded durable run store: one SQLite file (better-sqlite3, WAL). Shaped for several
// workers (processes) sharing the file, and later a Postgres with the same tables:
//
//   meta     (key PRIMARY KEY, value)                 schema_version — see MIGRATIONS
//   runs     (run_id PRIMARY KEY, graph, plan_hash, status, created_at, updated_at,
//             version, next_seq, input, principal, output, error, pending)      JSON as TEXT
//   journal  (run_id → runs, seq, key, step, kind, phase, hash, at,
//             value (inline JSON) | value_blob (→ blobs), error)  PRIMARY KEY (run_id, seq),
//             INDEX (run_id, key)
//   blobs    (hash = sha256 hex PRIMARY KEY, size, bytes)        content-addressed
//   dispatch (id AUTOINCREMENT, kind, run_id, payload, created_at)  the outbox
//
// The version rule: a run's version is the NUMBER OF SUCCESSFUL COMMITS to it (0 after `create`),
// kept in `runs.version`. Not the journal length: a commit that only updates the record (e.g.
// suspended → running on resume) must also move the version, or two workers could both apply it.
// `next_seq` (the journal length) is kept beside it so an append needs no MAX(seq) scan.
//
// `commit` is one BEGIN IMMEDIATE transaction (the write lock is taken up front, so a concurrent
// worker waits on busy_timeout instead of failing with SQLITE_BUSY on lock upgrade): update the
// run and bump its version `WHERE version = expectVersion` (no row: VersionConflict, or "no run"),
// append the entries with consecutive seq from the old journal length, insert the dispatches. Any
// error (a value that is not JSON, an invalid field, an I/O error) rolls all of it back.
//
// Room for state as per-superstep deltas with periodic snapshots (DESIGN §5, not built yet): a
// migration to schema 2 adds `state_deltas (run_id → runs, superstep, delta JSON | blob)` and
// `state_snapshots (run_id, superstep, blob → blobs)`, written inside the same commit transaction
// (an optional CommitRequest field); snapshots reuse the content-addressed blob table.
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { CommitRequest, Dispatch, LoadedRun, RunRecord, RunStatus, RunStore } from "../types.js";
import { VersionConflict } from "../types.js";
import {
  checkBlobInput,
  checkExpectVersion,
  checkLimit,
  checkStatus,
  checkThreshold,
  decodeDispatch,
  decodeEntry,
  decodeRun,
  encodeDispatch,
  encodeEntry,
  encodeRun,
  encodeUpdate,
  RUN_STATUSES,
  sha256Hex,
  type DispatchRow,
  type JournalRow,
  type RunRow,
  type RunUpdateColumns,
} from "./codec.js";
import { StoreError } from "./errors.js";

export const DEFAULT_STORE_PATH = ".awr/runs.db";

/** The schema this build writes. A database with a higher version is refused, a lower one migrated. */
export const SCHEMA_VERSION = 1;

const statusList = RUN_STATUSES.map((s) => `'${s}'`).join(", ");

/** MIGRATIONS[n] takes a database from schema n to n + 1 (0 = empty file). Append only. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE runs (
    run_id     TEXT PRIMARY KEY,
    graph      TEXT NOT NULL,
    plan_hash  TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN (${statusList})),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version    INTEGER NOT NULL DEFAULT 0,  -- number of commits
    next_seq   INTEGER NOT NULL DEFAULT 0,  -- journal length
    input      TEXT NOT NULL,               -- JSON
    principal  TEXT NOT NULL,               -- JSON
    output     TEXT,                        -- JSON; NULL = absent
    error      TEXT,                        -- JSON FailureInfo
    pending    TEXT,                        -- JSON PendingInterrupt[]
    meta       TEXT                         -- JSON: where the run came from (e.g. { root })
  );
  CREATE INDEX runs_by_created ON runs (created_at);
  CREATE INDEX runs_by_status ON runs (status, created_at);
  CREATE TABLE blobs (
    hash  TEXT PRIMARY KEY,                 -- sha256 hex of bytes
    size  INTEGER NOT NULL,
    bytes BLOB NOT NULL
  );
  CREATE TABLE journal (
    run_id     TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    key        TEXT NOT NULL,
    step       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    phase      TEXT NOT NULL CHECK (phase IN ('intent', 'outcome')),
    hash       TEXT NOT NULL,
    at         INTEGER NOT NULL,
    value      TEXT,                        -- JSON, inline
    value_blob TEXT REFERENCES blobs (hash), -- or the sha256 of the JSON bytes in blobs
    error      TEXT,                        -- JSON FailureInfo
    CHECK (value IS NULL OR value_blob IS NULL),
    PRIMARY KEY (run_id, seq)
  );
  CREATE INDEX journal_by_key ON journal (run_id, key);
  CREATE TABLE dispatch (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    payload    TEXT,                        -- JSON
    created_at INTEGER NOT NULL
  );
  `,
];

export interface SqliteStoreOptions {
  /** Journal values whose JSON exceeds this many bytes are stored as blobs (default 8 KiB). */
  blobThreshold?: number;
  /** How long to wait for another process's write lock, in ms (default 5000). */
  busyTimeoutMs?: number;
  /**
   * `"normal"` (default): durable across process crashes, may lose the last commits on power loss
   * or an OS crash, never corrupts. `"full"`: fsync the WAL on every commit — durable across power
   * loss too, at the price of one fsync per commit (see the comment in the constructor).
   */
  synchronous?: "normal" | "full";
}

type Stmt = Database.Statement;

export class SqliteStore implements RunStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly threshold: number;
  private readonly s: {
    insertRun: Stmt;
    selectRun: Stmt;
    selectHead: Stmt;
    selectJournal: Stmt;
    bumpRun: Stmt;
    updateRun: Stmt;
    insertEntry: Stmt;
    insertBlob: Stmt;
    selectBlob: Stmt;
    insertDispatch: Stmt;
    selectDispatches: Stmt;
    deleteDispatches: Stmt;
    listAll: Stmt;
    listByStatus: Stmt;
  };
  private readonly commitTx: (req: CommitRequest) => number;
  private readonly loadTx: (runId: string) => LoadedRun | undefined;
  private readonly takeTx: (limit: number) => Dispatch[];

  constructor(path: string = DEFAULT_STORE_PATH, opts: SqliteStoreOptions = {}) {
    this.path = path === "" ? DEFAULT_STORE_PATH : path;
    this.threshold = checkThreshold(opts.blobThreshold);
    const busy = opts.busyTimeoutMs ?? 5000;
    const inMemory = this.path === ":memory:";

    if (!inMemory) {
      try {
        mkdirSync(dirname(this.path), { recursive: true });
      } catch (e) {
        throw new StoreError(`cannot create the directory of the run store at ${this.path} (${(e as Error).message})`, this.path, { cause: e });
      }
    }
    let db: Database.Database;
    try {
      db = new Database(this.path, { timeout: busy });
    } catch (e) {
      throw this.translate(e, "open");
    }
    this.db = db;
    try {
      // Reading the header happens here: a garbage or truncated file fails on this first pragma.
      const mode = String(db.pragma("journal_mode = WAL", { simple: true })).toLowerCase();
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busy))}`);
      db.pragma("foreign_keys = ON");
      // Durability. In WAL mode a commit appends its pages to the -wal file and returns; with
      // synchronous = NORMAL the WAL is fsync'd at checkpoints, not at every commit. That is
      // durable enough for the journal: (1) a crash of the process — the failure the VM must
      // survive (OOM, kill -9, a deploy) — loses nothing once `commit` returned, because the
      // write() is in the OS page cache, which outlives the process; (2) the database is never
      // corrupted, even by power loss: WAL frames carry checksums and a torn tail is discarded on
      // recovery; (3) only power loss or an OS crash may roll back the most recent commits since
      // the last checkpoint — the run then resumes from an earlier, consistent journal. FULL would
      // close (3) at the cost of one fsync per commit (≈ 0.1–10 ms), i.e. 2 per effect, 10-100×
      // the ≤ 100 µs budget per journaled effect; it is one option away for deployments that
      // need it. Without WAL (a file system that refuses it) NORMAL is not safe, so FULL is used.
      const sync = opts.synchronous === "full" || (mode !== "wal" && !inMemory) ? "FULL" : "NORMAL";
      db.pragma(`synchronous = ${sync}`);
      this.migrate();
    } catch (e) {
      db.close();
      throw this.translate(e, "open");
    }

    this.s = {
      insertRun: db.prepare(
        `INSERT INTO runs (run_id, graph, plan_hash, status, created_at, updated_at, version, next_seq, input, principal, output, error, pending, meta)
         VALUES (@run_id, @graph, @plan_hash, @status, @created_at, @updated_at, @version, @next_seq, @input, @principal, @output, @error, @pending, @meta)`,
      ),
      selectRun: db.prepare(`SELECT * FROM runs WHERE run_id = ?`),
      selectHead: db.prepare(`SELECT version, next_seq FROM runs WHERE run_id = ?`),
      selectJournal: db.prepare(`SELECT seq, key, step, kind, phase, hash, at, value, value_blob, error FROM journal WHERE run_id = ? ORDER BY seq`),
      bumpRun: db.prepare(`UPDATE runs SET version = version + 1, next_seq = next_seq + ? WHERE run_id = ? AND version = ? RETURNING version, next_seq`),
      // One statement for every update: a column is set when its flag is 1.
      updateRun: db.prepare(
        `UPDATE runs SET
           graph      = CASE WHEN @u_graph      THEN @graph      ELSE graph      END,
           plan_hash  = CASE WHEN @u_plan_hash  THEN @plan_hash  ELSE plan_hash  END,
           status     = CASE WHEN @u_status     THEN @status     ELSE status     END,
           updated_at = CASE WHEN @u_updated_at THEN @updated_at ELSE updated_at END,
           input      = CASE WHEN @u_input      THEN @input      ELSE input      END,
           principal  = CASE WHEN @u_principal  THEN @principal  ELSE principal  END,
           output     = CASE WHEN @u_output     THEN @output     ELSE output     END,
           error      = CASE WHEN @u_error      THEN @error      ELSE error      END,
           pending    = CASE WHEN @u_pending    THEN @pending    ELSE pending    END,
           version = version + 1, next_seq = next_seq + @appended
         WHERE run_id = @run_id AND version = @expect
         RETURNING version, next_seq`,
      ),
      insertEntry: db.prepare(
        `INSERT INTO journal (run_id, seq, key, step, kind, phase, hash, at, value, value_blob, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertBlob: db.prepare(`INSERT OR IGNORE INTO blobs (hash, size, bytes) VALUES (?, ?, ?)`),
      selectBlob: db.prepare(`SELECT bytes FROM blobs WHERE hash = ?`).pluck(),
      insertDispatch: db.prepare(`INSERT INTO dispatch (kind, run_id, payload, created_at) VALUES (?, ?, ?, ?)`),
      selectDispatches: db.prepare(`SELECT id, kind, run_id, payload FROM dispatch ORDER BY id LIMIT ?`),
      deleteDispatches: db.prepare(`DELETE FROM dispatch WHERE id <= ?`),
      listAll: db.prepare(`SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT ?`),
      listByStatus: db.prepare(`SELECT * FROM runs WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?`),
    };

    this.commitTx = db.transaction((req: CommitRequest) => this.commitInTx(req)).immediate;
    this.loadTx = db.transaction((runId: string) => this.loadInTx(runId)).deferred;
    this.takeTx = db.transaction((limit: number) => this.takeInTx(limit)).immediate;
  }

  create(run: RunRecord): void {
    this.guard("create", () => {
      const row = encodeRun(run);
      try {
        this.s.insertRun.run(row);
      } catch (e) {
        if ((e as { code?: string }).code?.startsWith("SQLITE_CONSTRAINT_PRIMARYKEY")) throw new StoreError(`run ${row.run_id} already exists`, this.path);
        throw e;
      }
    });
  }

  load(runId: string): LoadedRun | undefined {
    return this.guard("load", () => this.loadTx(runId));
  }

  commit(req: CommitRequest): number {
    return this.guard("commit", () => {
      checkExpectVersion(req);
      return this.commitTx(req);
    });
  }

  list(opts: { limit?: number; status?: RunStatus } = {}): RunRecord[] {
    return this.guard("list", () => {
      const limit = checkLimit(opts.limit, "list: limit") ?? -1;
      const rows = (
        opts.status === undefined ? this.s.listAll.all(limit) : this.s.listByStatus.all(checkStatus(opts.status, "list: status"), limit)
      ) as RunRow[];
      return rows.map(decodeRun);
    });
  }

  putBlob(bytes: Uint8Array): string {
    return this.guard("putBlob", () => this.putBlobRow(checkBlobInput(bytes)));
  }

  getBlob(hash: string): Uint8Array | undefined {
    return this.guard("getBlob", () => {
      const b = this.s.selectBlob.get(hash) as Buffer | undefined;
      return b === undefined ? undefined : new Uint8Array(b);
    });
  }

  takeDispatches(limit?: number): Dispatch[] {
    return this.guard("takeDispatches", () => this.takeTx(checkLimit(limit, "takeDispatches: limit") ?? -1));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ------------------------------------------------------------ inside transactions

  private commitInTx(req: CommitRequest): number {
    const append = req.append ?? [];
    // The version check and the bump are one statement (`WHERE version = expect`); only when it
    // matches nothing do we look at why (no such run, or it moved).
    const cols = req.update === undefined ? undefined : encodeUpdate(req.runId, req.update);
    const head = (
      cols === undefined
        ? this.s.bumpRun.get(append.length, req.runId, req.expectVersion)
        : this.s.updateRun.get(updateParams(cols, req.runId, req.expectVersion, append.length))
    ) as { version: number; next_seq: number } | undefined;
    if (!head) {
      const now = this.s.selectHead.get(req.runId) as { version: number } | undefined;
      if (!now) throw new StoreError(`commit: no run ${req.runId} in the store`, this.path);
      throw new VersionConflict(req.runId, req.expectVersion, now.version);
    }
    let seq = head.next_seq - append.length;
    const putBlob = (b: Uint8Array): string => this.putBlobRow(b);
    for (const e of append) {
      const r = encodeEntry(req.runId, e, seq++, this.threshold, putBlob);
      this.s.insertEntry.run(req.runId, r.seq, r.key, r.step, r.kind, r.phase, r.hash, r.at, r.value, r.value_blob, r.error);
    }
    const at = Date.now();
    (req.dispatch ?? []).forEach((d, i) => {
      const r = encodeDispatch(req.runId, d, i);
      this.s.insertDispatch.run(r.kind, r.run_id, r.payload, at);
    });
    return head.version;
  }

  private loadInTx(runId: string): LoadedRun | undefined {
    const row = this.s.selectRun.get(runId) as RunRow | undefined;
    if (!row) return undefined;
    const rows = this.s.selectJournal.all(runId) as JournalRow[];
    const getBlob = (h: string): Uint8Array | undefined => this.s.selectBlob.get(h) as Buffer | undefined;
    return { snapshot: decodeRun(row), journal: rows.map((r) => decodeEntry(runId, r, getBlob)), version: row.version };
  }

  private takeInTx(limit: number): Dispatch[] {
    const rows = this.s.selectDispatches.all(limit) as (DispatchRow & { id: number })[];
    if (rows.length) this.s.deleteDispatches.run(rows[rows.length - 1]!.id);
    return rows.map(decodeDispatch);
  }

  private putBlobRow(bytes: Uint8Array): string {
    const h = sha256Hex(bytes);
    this.s.insertBlob.run(h, bytes.byteLength, bytes);
    return h;
  }

  // ------------------------------------------------------------ schema

  private migrate(): void {
    const db = this.db;
    db.transaction(() => {
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).pluck().all() as string[];
      let from: number;
      if (tables.includes("meta")) {
        const v = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get() as string | undefined;
        from = Number(v);
        if (v === undefined || !Number.isInteger(from) || from < 1) {
          throw new StoreError(`the run store at ${this.path} has no valid schema version (meta.schema_version = ${JSON.stringify(v ?? null)})`, this.path);
        }
      } else if (tables.length === 0) {
        from = 0;
      } else {
        throw new StoreError(`${this.path} is a SQLite database but not an AWR run store (it has tables ${tables.join(", ")} and no meta table)`, this.path);
      }
      if (from > SCHEMA_VERSION) {
        throw new StoreError(
          `the run store at ${this.path} was written by a newer AWR (schema version ${from}; this build reads up to ${SCHEMA_VERSION}) — upgrade AWR to open it`,
          this.path,
        );
      }
      if (from === SCHEMA_VERSION) return;
      for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
      db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(String(SCHEMA_VERSION));
    }).immediate();
  }

  // ------------------------------------------------------------ errors

  private guard<T>(op: string, f: () => T): T {
    if (!this.db.open) throw new StoreError(`the run store at ${this.path} is closed`, this.path);
    try {
      return f();
    } catch (e) {
      throw this.translate(e, op);
    }
  }

  /** SQLite failures users can act on become StoreErrors naming the file; the rest pass through. */
  private translate(e: unknown, op: string): unknown {
    if (e instanceof StoreError || e instanceof VersionConflict) return e;
    const code = (e as { code?: unknown }).code;
    const msg = (e as Error).message;
    if (typeof code !== "string" || !code.startsWith("SQLITE_")) return e;
    if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") {
      return new StoreError(`the run store at ${this.path} is not a valid database (${msg})`, this.path, { cause: e });
    }
    if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
      return new StoreError(`the run store at ${this.path} is locked by another process (${op}: ${msg})`, this.path, { cause: e });
    }
    if (code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_PERM") || code.startsWith("SQLITE_READONLY")) {
      return new StoreError(`cannot open the run store at ${this.path} for writing (${msg})`, this.path, { cause: e });
    }
    if (code.startsWith("SQLITE_FULL") || code.startsWith("SQLITE_IOERR")) {
      return new StoreError(`cannot write the run store at ${this.path} (${op}: ${msg})`, this.path, { cause: e });
    }
    return e;
  }
}

function updateParams(cols: RunUpdateColumns, runId: string, expect: number, appended: number): Record<string, unknown> {
  const p: Record<string, unknown> = { run_id: runId, expect, appended };
  for (const c of ["graph", "plan_hash", "status", "updated_at", "input", "principal", "output", "error", "pending"] as const) {
    const set = Object.prototype.hasOwnProperty.call(cols, c);
    p[`u_${c}`] = set ? 1 : 0;
    p[c] = set ? cols[c] : null;
  }
  return p;
}
