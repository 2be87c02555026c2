// The embedded durable run store: one SQLite file (better-sqlite3, WAL). Shaped for several
// workers (processes) sharing the file, and later a Postgres with the same tables (schema 2):
//
//   meta     (key PRIMARY KEY, value)                 schema_version — see MIGRATIONS
//   runs     (run_id PRIMARY KEY, graph, plan_hash, status, created_at, updated_at,
//             version, next_seq, next_event, next_audit, input, principal, output, error,
//             pending, meta, journal_head, audit_head (schema 5))               JSON as TEXT
//   journal  (run_id → runs, seq, key, step, kind, phase, hash, at,
//             value (inline JSON) | value_blob (→ blobs), error, chain (schema 5))
//             PRIMARY KEY (run_id, seq) WITHOUT ROWID
//   events   (run_id → runs, seq, count, body JSON)  PRIMARY KEY (run_id, seq) WITHOUT ROWID:
//             one row per commit, `body` the array of its events, `seq` the first one's position
//   audit    (run_id, seq, step, principal, kind, hook, target, policy, rule, outcome, reason,
//             redacted, at, actor, comment (schema 4), chain (schema 5))  PRIMARY KEY (run_id, seq) WITHOUT ROWID, INDEX (at);
//             append-only: triggers refuse UPDATE and DELETE
//   sessions (session_id, seq, run_id, agent, role, content, tool_calls, tool_call_id, at,
//             principal)  PRIMARY KEY (session_id, seq) WITHOUT ROWID,
//             INDEX (principal, session_id, seq): cross-session memory by principal (schema 3)
//   blobs    (hash = sha256 hex PRIMARY KEY, size, bytes)        content-addressed
//   dispatch (id AUTOINCREMENT, kind, run_id, payload, created_at)  the outbox
//
// The version rule: a run's version is the NUMBER OF SUCCESSFUL COMMITS to it (0 after `create`),
// kept in `runs.version`. Not the journal length: a commit that only updates the record (e.g.
// suspended → running on resume) must also move the version, or two workers could both apply it.
// `next_seq`, `next_event` and `next_audit` (the lengths of the run's journal, events and audit
// records) are kept beside it so an append needs no MAX(seq) scan.
//
// Hash chains (schema 5, chain.ts): every journal entry and audit record stores `chain`, the sha256
// of the previous one's chain value and its own content; the run's row keeps the heads
// (`next_seq` + `journal_head`, `next_audit` + `audit_head`). A commit needs the old heads: they
// are cached per run from this connection's last load or commit, and the UPDATE only matches when
// the row still holds them (`journal_head IS @old_journal_head …`), so a stale cache costs a
// re-read, never a wrong chain. `load` verifies the journal chain; `verify` both chains.
//
// `commit` is one BEGIN IMMEDIATE transaction (the write lock is taken up front, so a concurrent
// worker waits on busy_timeout instead of failing with SQLITE_BUSY on lock upgrade): update the
// run and bump its version and lengths `WHERE version = expectVersion` (no row: VersionConflict,
// or "no run"), append the entries, events and audit records with consecutive seqs from the old
// lengths, insert the dispatches. Any error (a value that is not JSON, an invalid field, an I/O
// error) rolls all of it back.
//
// Cost: a commit touches the run's row and the right-most leaf of each table it appends to; the
// clustered (WITHOUT ROWID) tables make each of those one b-tree (schema 1's journal was three:
// the rowid table, its primary-key index and an index by key that nothing read).
//
// Room for state as per-superstep deltas with periodic snapshots (DESIGN §5, not built yet): a
// migration adds `state_deltas (run_id → runs, superstep, delta JSON | blob)` and
// `state_snapshots (run_id, superstep, blob → blobs)`, written inside the same commit transaction
// (an optional CommitRequest field); snapshots reuse the content-addressed blob table.
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Effect } from "effect";
import { portsOf, settled, type StoreEngine } from "./engine.js";
import type { OutboxEntry, RunLog, RunQueries, RunStore, SessionStore } from "../ports/store.js";
import type { AuditQuery, AuditRecord, ChainReport, CommitRequest, Dispatch, LoadedRun, RunRecord, RunStatus, SessionEntry, SessionMemoryEntry, SessionQuery, VmEvent } from "../types.js";
import { VersionConflict } from "../types.js";
import {
  checkAuditQuery,
  checkListOptions,
  checkSessionEntries,
  checkSessionId,
  checkSessionQuery,
  decodeAudit,
  decodeEvents,
  decodeSessionEntry,
  decodeSessionMemoryEntry,
  principalIdOf,
  type SessionMemoryRow,
  encodeAudit,
  encodeEvents,
  encodeSessionEntry,
  type AuditRow,
  type SessionRow,
  checkBlobInput,
  schemaVersionOf,
  verifiedBlob,
  checkExpectVersion,
  checkLimit,
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
import { ChainError, auditLink, chainReport, chainRows, genesis, journalLink, verifyChain } from "./chain.js";
import { StoreError } from "./errors.js";

export const DEFAULT_STORE_PATH = ".awr/runs.db";

/** The schema this build writes. A database with a higher version is refused, a lower one migrated. */
export const SCHEMA_VERSION = 5;

const statusList = RUN_STATUSES.map((s) => `'${s}'`).join(", ");

/** MIGRATIONS[n] takes a database from schema n to n + 1 (0 = empty file). Append only. */
export const MIGRATIONS: readonly string[] = [
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
  // 1 → 2: the journal becomes a clustered (WITHOUT ROWID) table on (run_id, seq) — one b-tree
  // per append instead of three (the rowid table, the primary-key index and journal_by_key, which
  // nothing queried: loads read a whole journal in seq order); events, the audit log, sessions.
  `
  CREATE TABLE journal_v2 (
    run_id     TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    key        TEXT NOT NULL,
    step       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    phase      TEXT NOT NULL CHECK (phase IN ('intent', 'outcome')),
    hash       TEXT NOT NULL,
    at         INTEGER NOT NULL,
    value      TEXT,
    value_blob TEXT REFERENCES blobs (hash),
    error      TEXT,
    CHECK (value IS NULL OR value_blob IS NULL),
    PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;
  INSERT INTO journal_v2 (run_id, seq, key, step, kind, phase, hash, at, value, value_blob, error)
    SELECT run_id, seq, key, step, kind, phase, hash, at, value, value_blob, error FROM journal;
  DROP TABLE journal;
  ALTER TABLE journal_v2 RENAME TO journal;
  ALTER TABLE runs ADD COLUMN next_event INTEGER NOT NULL DEFAULT 0;  -- number of stored events
  CREATE TABLE events (
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,                -- the run's position (emission order, from 0) of the first event
    count  INTEGER NOT NULL,                -- the events of one commit are one row
    body   TEXT NOT NULL,                   -- JSON array of the VmEvents, without their runId (the key's)
    PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;
  ALTER TABLE runs ADD COLUMN next_audit INTEGER NOT NULL DEFAULT 0;  -- number of its audit records
  CREATE TABLE audit (
    run_id    TEXT NOT NULL,                -- no foreign key: the audit log outlives its runs
    seq       INTEGER NOT NULL,             -- append order within the run, from 0
    step      TEXT NOT NULL,
    principal TEXT NOT NULL,                -- JSON
    kind      TEXT NOT NULL CHECK (kind IN ('policy', 'tool')),
    hook      TEXT NOT NULL,
    target    TEXT NOT NULL,
    policy    TEXT,
    rule      TEXT,
    outcome   TEXT NOT NULL,
    reason    TEXT,
    redacted  TEXT,                         -- JSON [{ path, kind }]
    at        INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;
  CREATE INDEX audit_by_at ON audit (at);
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TABLE sessions (
    session_id   TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    run_id       TEXT NOT NULL,
    agent        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content      TEXT NOT NULL,
    tool_calls   TEXT,                      -- JSON
    tool_call_id TEXT,
    at           INTEGER NOT NULL,
    PRIMARY KEY (session_id, seq)
  ) WITHOUT ROWID;
  `,
  // 2 → 3: session entries carry the principal id of the run that wrote them, so cross-session
  // memory (`sessions()` context sources) can search one principal's sessions by index. Old rows
  // get theirs from their run (NULL when the run is gone or its principal has no string id: such
  // entries are only seen with scope "all").
  `
  ALTER TABLE sessions ADD COLUMN principal TEXT;
  UPDATE sessions SET principal = (
    SELECT CASE WHEN json_type(r.principal, '$.id') = 'text' THEN json_extract(r.principal, '$.id') END
    FROM runs r WHERE r.run_id = sessions.run_id
  );
  CREATE INDEX sessions_by_principal ON sessions (principal, session_id, seq);
  `,
  // 3 → 4: the audit log also holds operators' decisions about stopped runs (kind 'operator': an
  // answer given with resume, a resolution of an effect in doubt) with who decided (`actor`) and
  // their comment. SQLite cannot change a CHECK constraint, so the table is rebuilt, its rows copied
  // as they are; the append-only triggers are dropped for the copy and created again.
  `
  DROP TRIGGER audit_no_update;
  DROP TRIGGER audit_no_delete;
  CREATE TABLE audit_v4 (
    run_id    TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    step      TEXT NOT NULL,
    principal TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('policy', 'tool', 'operator')),
    hook      TEXT NOT NULL,
    target    TEXT NOT NULL,
    policy    TEXT,
    rule      TEXT,
    outcome   TEXT NOT NULL,
    reason    TEXT,
    redacted  TEXT,
    at        INTEGER NOT NULL,
    actor     TEXT,                         -- operator records: who decided
    comment   TEXT,                         -- operator records: their comment
    PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;
  INSERT INTO audit_v4 (run_id, seq, step, principal, kind, hook, target, policy, rule, outcome, reason, redacted, at)
    SELECT run_id, seq, step, principal, kind, hook, target, policy, rule, outcome, reason, redacted, at FROM audit;
  DROP TABLE audit;
  ALTER TABLE audit_v4 RENAME TO audit;
  CREATE INDEX audit_by_at ON audit (at);
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
  // 4 → 5: hash chains over each run's journal and audit records, and their heads in the run's row.
  // The triggers are dropped while BACKFILL[5] computes the chains of the rows already there (the
  // only UPDATE the audit log ever sees) and created again by it.
  `
  ALTER TABLE journal ADD COLUMN chain TEXT;  -- sha256 hex over the previous entry's chain and this entry
  ALTER TABLE audit ADD COLUMN chain TEXT;
  ALTER TABLE runs ADD COLUMN journal_head TEXT;  -- the chain value of the last journal entry (count: next_seq)
  ALTER TABLE runs ADD COLUMN audit_head TEXT;    -- the chain value of the last audit record (count: next_audit)
  DROP TRIGGER audit_no_update;
  DROP TRIGGER audit_no_delete;
  `,
];

const AUDIT_TRIGGERS = `
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`;

const JOURNAL_COLUMNS = "seq, key, step, kind, phase, hash, at, value, value_blob, error, chain";
const AUDIT_COLUMNS = "run_id, seq, step, principal, kind, hook, target, policy, rule, outcome, reason, redacted, actor, comment, at, chain";

/**
 * Steps in code after MIGRATIONS[to - 1]. 5: chain the rows already stored, in seq order, as they
 * are, and record the heads — those entries are anchored at migration time, not at write time
 * (meta.chains_anchored_at says when). A run's recorded length (next_seq, next_audit) is kept, so
 * rows deleted before the migration still show as missing.
 */
const BACKFILL: Record<number, (db: Database.Database) => void> = {
  5: (db) => {
    const journal = db.prepare(`SELECT ${JOURNAL_COLUMNS} FROM journal WHERE run_id = ? ORDER BY seq`);
    const setEntry = db.prepare(`UPDATE journal SET chain = ? WHERE run_id = ? AND seq = ?`);
    const audit = db.prepare(`SELECT ${AUDIT_COLUMNS} FROM audit WHERE run_id = ? ORDER BY seq`);
    const setRecord = db.prepare(`UPDATE audit SET chain = ? WHERE run_id = ? AND seq = ?`);
    const setHeads = db.prepare(`UPDATE runs SET journal_head = ?, audit_head = ? WHERE run_id = ?`);
    const ids = db.prepare(`SELECT run_id FROM runs UNION SELECT run_id FROM audit`).pluck().all() as string[];
    for (const id of ids) {
      const entries = journal.all(id) as JournalRow[];
      const jh = chainRows(genesis("journal", id), entries, journalLink);
      for (const e of entries) setEntry.run(e.chain, id, e.seq);
      const records = audit.all(id) as AuditRow[];
      const ah = chainRows(genesis("audit", id), records, auditLink);
      for (const a of records) setRecord.run(a.chain, id, a.seq);
      setHeads.run(jh, ah, id);
    }
    db.exec(AUDIT_TRIGGERS);
    if (ids.length) db.prepare(`INSERT INTO meta (key, value) VALUES ('chains_anchored_at', ?)`).run(String(Date.now()));
  },
};

/** What this connection last saw of a run: the base of its next commit when the version still matches. */
interface RunHead {
  version: number;
  next_seq: number;
  next_audit: number;
  journal_head: string | null;
  audit_head: string | null;
}

/** A commit waiting for its group's transaction (`SqliteStore.groupCommit`). */
interface Waiting {
  req: CommitRequest;
  resume: (outcome: Effect.Effect<number, StoreError | VersionConflict>) => void;
}

/** Runs whose heads a connection remembers (the oldest is forgotten first). */
const HEAD_CACHE = 4096;

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

/** An embedded store: a synchronous engine (for vm/store/ and its tests) behind the asynchronous ports. */
export class SqliteStore implements StoreEngine, RunStore {
  readonly log: RunLog;
  readonly queries: RunQueries;
  readonly sessions: SessionStore;
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
    deleteDispatch: Stmt;
    insertAudit: Stmt;
    insertEvent: Stmt;
    selectEvents: Stmt;
    selectSession: Stmt;
    sessionLength: Stmt;
    insertSession: Stmt;
    selectPrincipal: Stmt;
  };
  /** Prepared `list` and `audit` queries, by the set of filters used. */
  private readonly prepared = new Map<string, Stmt>();
  private readonly commitTx: (req: CommitRequest) => RunHead;
  private readonly loadTx: (runId: string) => LoadedRun | undefined;
  private readonly verifyTx: (runId: string | undefined) => ChainReport[];
  /** Per run, what this connection last read or wrote of its row (see the header: hash chains). */
  private readonly heads = new Map<string, RunHead>();
  private readonly takeTx: (limit: number) => Dispatch[];
  /** Commits of other runs that arrived in the same turn of the event loop: one transaction for all (`groupCommit`). */
  private readonly waiting: Waiting[] = [];
  private readonly groupTx: (reqs: CommitRequest[]) => (RunHead | { error: unknown })[];
  /** The run whose commit went in line in this turn of the event loop; reset by `endTurn`. */
  private inlineRun: string | undefined;
  private turnArmed = false;
  /** Commits stored in line and in groups, and the groups' transactions (benches and tests read it). */
  readonly commitStats = { inline: 0, grouped: 0, groups: 0 };
  private readonly appendSessionTx: (sessionId: string, entries: SessionEntry[]) => number;

  constructor(path: string = DEFAULT_STORE_PATH, opts: SqliteStoreOptions = {}) {
    const ports = portsOf(this);
    this.log = { ...ports.log, commit: (req) => this.groupCommit(req) };
    ({ queries: this.queries, sessions: this.sessions } = ports);
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
        `INSERT INTO runs (run_id, graph, plan_hash, status, created_at, updated_at, version, next_seq, input, principal, output, error, pending, meta, journal_head, audit_head)
         VALUES (@run_id, @graph, @plan_hash, @status, @created_at, @updated_at, @version, @next_seq, @input, @principal, @output, @error, @pending, @meta, @journal_head, @audit_head)`,
      ),
      selectRun: db.prepare(`SELECT * FROM runs WHERE run_id = ?`),
      selectHead: db.prepare(`SELECT version, next_seq, next_audit, journal_head, audit_head FROM runs WHERE run_id = ?`),
      selectJournal: db.prepare(`SELECT ${JOURNAL_COLUMNS} FROM journal WHERE run_id = ? ORDER BY seq`),
      bumpRun: db.prepare(
        `UPDATE runs SET version = version + 1, next_seq = next_seq + ?, next_event = next_event + ?, next_audit = next_audit + ?,
           journal_head = ?, audit_head = ?
         WHERE run_id = ? AND version = ? AND journal_head IS ? AND audit_head IS ?
         RETURNING version, next_seq, next_event, next_audit`,
      ),
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
           version = version + 1, next_seq = next_seq + @appended, next_event = next_event + @events, next_audit = next_audit + @audits,
           journal_head = @journal_head, audit_head = @audit_head
         WHERE run_id = @run_id AND version = @expect AND journal_head IS @old_journal_head AND audit_head IS @old_audit_head
         RETURNING version, next_seq, next_event, next_audit`,
      ),
      insertEntry: db.prepare(
        `INSERT INTO journal (run_id, seq, key, step, kind, phase, hash, at, value, value_blob, error, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertBlob: db.prepare(`INSERT OR IGNORE INTO blobs (hash, size, bytes) VALUES (?, ?, ?)`),
      selectBlob: db.prepare(`SELECT bytes FROM blobs WHERE hash = ?`).pluck(),
      insertDispatch: db.prepare(`INSERT INTO dispatch (kind, run_id, payload, created_at) VALUES (?, ?, ?, ?)`),
      selectDispatches: db.prepare(`SELECT id, kind, run_id, payload FROM dispatch ORDER BY id LIMIT ?`),
      deleteDispatches: db.prepare(`DELETE FROM dispatch WHERE id <= ?`),
      deleteDispatch: db.prepare(`DELETE FROM dispatch WHERE id = ?`),
      insertAudit: db.prepare(
        `INSERT INTO audit (run_id, seq, step, principal, kind, hook, target, policy, rule, outcome, reason, redacted, actor, comment, at, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertEvent: db.prepare(`INSERT INTO events (run_id, seq, count, body) VALUES (?, ?, ?, ?)`),
      selectEvents: db.prepare(`SELECT seq, count, body FROM events WHERE run_id = ? ORDER BY seq`),
      selectSession: db.prepare(`SELECT seq, run_id, agent, role, content, tool_calls, tool_call_id, at, principal FROM sessions WHERE session_id = ? ORDER BY seq`),
      sessionLength: db.prepare(`SELECT COALESCE(MAX(seq) + 1, 0) FROM sessions WHERE session_id = ?`).pluck(),
      insertSession: db.prepare(
        `INSERT INTO sessions (session_id, seq, run_id, agent, role, content, tool_calls, tool_call_id, at, principal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      selectPrincipal: db.prepare(`SELECT principal FROM runs WHERE run_id = ?`).pluck(),
    };

    this.commitTx = db.transaction((req: CommitRequest) => this.commitInTx(req)).immediate;
    this.loadTx = db.transaction((runId: string) => this.loadInTx(runId)).deferred;
    this.verifyTx = db.transaction((runId: string | undefined) => this.verifyInTx(runId)).deferred;
    this.takeTx = db.transaction((limit: number) => this.takeInTx(limit)).immediate;
    // Each commit of a group in a savepoint of its own (better-sqlite3 nests transactions so): one
    // that fails (a version conflict, a value that is not JSON) is rolled back alone.
    this.groupTx = db.transaction((reqs: CommitRequest[]) =>
      reqs.map((req) => {
        try {
          checkExpectVersion(req);
          return this.commitTx(req);
        } catch (error) {
          return { error };
        }
      }),
    ).immediate;
    this.appendSessionTx = db.transaction((id: string, entries: SessionEntry[]) => this.appendSessionInTx(id, entries)).immediate;
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
      this.remember(row.run_id, row);
    });
  }

  load(runId: string): LoadedRun | undefined {
    return this.guard("load", () => this.loadTx(runId));
  }

  commit(req: CommitRequest): number {
    return this.guard("commit", () => {
      checkExpectVersion(req);
      const head = this.commitTx(req);
      this.remember(req.runId, head); // only once the transaction is committed
      return head.version;
    });
  }

  list(opts?: { limit?: number; status?: RunStatus; since?: number; until?: number }): RunRecord[] {
    return this.guard("list", () => {
      const o = checkListOptions(opts);
      const where: string[] = [];
      const params: unknown[] = [];
      if (o.status !== undefined) where.push("status = ?"), params.push(o.status);
      if (o.since !== undefined) where.push("created_at >= ?"), params.push(o.since);
      if (o.until !== undefined) where.push("created_at <= ?"), params.push(o.until);
      const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, rowid DESC LIMIT ?`;
      return (this.query(sql).all(...params, o.limit ?? -1) as RunRow[]).map(decodeRun);
    });
  }

  audit(query?: AuditQuery): AuditRecord[] {
    return this.guard("audit", () => {
      const q = checkAuditQuery(query);
      const where: string[] = [];
      const params: unknown[] = [];
      const eq = (col: string, v: unknown) => {
        if (v !== undefined) where.push(`${col} = ?`), params.push(v);
      };
      eq("run_id", q.runId);
      eq("policy", q.policy);
      eq("outcome", q.outcome);
      eq("kind", q.kind);
      if (q.since !== undefined) where.push("at >= ?"), params.push(q.since);
      if (q.until !== undefined) where.push("at <= ?"), params.push(q.until);
      const sql = `SELECT run_id, step, principal, kind, hook, target, policy, rule, outcome, reason, redacted, actor, comment, at FROM audit ${
        where.length ? `WHERE ${where.join(" AND ")}` : ""
      } ORDER BY at, run_id, seq LIMIT ?`;
      return (this.query(sql).all(...params, q.limit ?? -1) as AuditRow[]).map(decodeAudit);
    });
  }

  events(runId: string): VmEvent[] {
    return this.guard("events", () => (this.s.selectEvents.all(runId) as { seq: number; count: number; body: string }[]).flatMap((r) => decodeEvents(runId, r.seq, r.count, r.body)));
  }

  session(sessionId: string): SessionEntry[] {
    return this.guard("session", () => {
      const id = checkSessionId(sessionId, "session");
      return (this.s.selectSession.all(id) as SessionRow[]).map((r) => decodeSessionEntry(id, r));
    });
  }

  appendSession(sessionId: string, entries: SessionEntry[]): number {
    return this.guard("appendSession", () => {
      const id = checkSessionId(sessionId, "appendSession");
      return this.appendSessionTx(id, checkSessionEntries(id, entries));
    });
  }

  sessionEntries(query?: SessionQuery): SessionMemoryEntry[] {
    return this.guard("sessionEntries", () => {
      const q = checkSessionQuery(query);
      const where: string[] = [];
      const params: unknown[] = [];
      if (q.principal !== undefined) where.push("principal = ?"), params.push(q.principal);
      if (q.excludeSession !== undefined) where.push("session_id <> ?"), params.push(q.excludeSession);
      const sql = `SELECT session_id, seq, run_id, agent, role, content, tool_calls, tool_call_id, at, principal FROM sessions ${
        where.length ? `WHERE ${where.join(" AND ")}` : ""
      } ORDER BY session_id, seq`;
      return (this.query(sql).all(...params) as SessionMemoryRow[]).map(decodeSessionMemoryEntry);
    });
  }

  putBlob(bytes: Uint8Array): string {
    return this.guard("putBlob", () => this.putBlobRow(checkBlobInput(bytes)));
  }

  getBlob(hash: string): Uint8Array | undefined {
    return this.guard("getBlob", () => {
      const b = this.s.selectBlob.get(hash) as Buffer | undefined;
      return b === undefined ? undefined : verifiedBlob(hash, new Uint8Array(b));
    });
  }

  verify(runId?: string): ChainReport[] {
    return this.guard("verify", () => this.verifyTx(runId));
  }

  takeDispatches(limit?: number): Dispatch[] {
    return this.guard("takeDispatches", () => this.takeTx(checkLimit(limit, "takeDispatches: limit") ?? -1));
  }

  peekDispatches(limit?: number): OutboxEntry[] {
    return this.guard("peekDispatches", () => {
      const rows = this.s.selectDispatches.all(checkLimit(limit, "peekDispatches: limit") ?? -1) as (DispatchRow & { id: number })[];
      return rows.map((r) => ({ ...decodeDispatch(r), seq: r.id }));
    });
  }

  ackDispatches(seqs: readonly number[]): void {
    this.guard("ackDispatches", () => this.db.transaction(() => {
      for (const id of seqs) this.s.deleteDispatch.run(id);
    })());
  }

  close(): void {
    // Commits waiting for their group are stored first: their runs wait for them.
    if (this.waiting.length && this.db.open) this.flush();
    if (this.db.open) this.db.close();
  }

  // ------------------------------------------------------------ group commit

  /**
   * The port's commit. A run alone commits in line, as the engine's `commit` (no waiting, no extra
   * turn of the event loop). When commits of several runs arrive in one turn of the event loop
   * (many runs advancing at once), the first goes in line and the others wait for the end of the
   * turn, then are stored in ONE transaction — each in a savepoint, so a conflict fails only its
   * own commit. A waiting commit's effect completes only once that transaction is committed: what
   * a run does after a commit (an irreversible call after its intent) still happens after the
   * commit is on disk, and a crash before it loses only commits nobody was told were stored.
   */
  private groupCommit(req: CommitRequest): Effect.Effect<number, StoreError | VersionConflict> {
    return Effect.suspend(() => {
      if (this.waiting.length === 0 && (this.inlineRun === undefined || this.inlineRun === req.runId)) {
        this.inlineRun = req.runId;
        if (!this.turnArmed) {
          this.turnArmed = true;
          setImmediate(this.endTurn);
        }
        try {
          this.commitStats.inline++;
          return Effect.succeed(this.commit(req));
        } catch (e) {
          return settled(e);
        }
      }
      return Effect.callback<number, StoreError | VersionConflict>((resume) => {
        const w: Waiting = { req, resume };
        this.waiting.push(w);
        if (this.waiting.length === 1) setImmediate(this.flush);
        // An interrupted run's commit that is still waiting is not stored.
        return Effect.sync(() => {
          const i = this.waiting.indexOf(w);
          if (i >= 0) this.waiting.splice(i, 1);
        });
      });
    });
  }

  private readonly endTurn = (): void => {
    this.inlineRun = undefined;
    this.turnArmed = false;
  };

  /** Stores every waiting commit in one transaction and tells each its outcome. */
  private readonly flush = (): void => {
    const group = this.waiting.splice(0);
    if (group.length === 0) return;
    let results: (RunHead | { error: unknown })[];
    try {
      if (!this.db.open) throw new StoreError(`the run store at ${this.path} is closed`, this.path);
      results = this.groupTx(group.map((w) => w.req));
      this.commitStats.groups++;
      this.commitStats.grouped += group.length;
    } catch (e) {
      // The transaction itself failed (its COMMIT, the write lock): nothing of the group is stored.
      const error = this.translate(e, "commit");
      for (const w of group) {
        this.heads.delete(w.req.runId);
        w.resume(settled(error));
      }
      return;
    }
    for (let i = 0; i < group.length; i++) {
      const w = group[i]!;
      const r = results[i]!;
      if ("error" in r) {
        this.heads.delete(w.req.runId);
        w.resume(settled(this.translate(r.error, "commit")));
      } else {
        this.remember(w.req.runId, r);
        w.resume(Effect.succeed(r.version));
      }
    }
  };

  // ------------------------------------------------------------ inside transactions

  private commitInTx(req: CommitRequest): RunHead {
    const runId = req.runId;
    const append = req.append ?? [];
    const events = req.events ?? [];
    const audit = req.audit ?? [];
    const cols = req.update === undefined ? undefined : encodeUpdate(runId, req.update);
    // The version check and the bump are one statement (`WHERE version = expect`, and the heads
    // the new entries are chained to); only when it matches nothing do we look at why (no such
    // run, it moved, or this connection's idea of its heads was stale: then once more, from the row).
    let base = this.heads.get(runId);
    let fresh = false;
    if (base === undefined || base.version !== req.expectVersion) {
      base = this.readHead(runId, req.expectVersion);
      fresh = true;
    }
    for (;;) {
      let seq = base.next_seq;
      const rows: JournalRow[] = new Array(append.length);
      for (let i = 0; i < append.length; i++) rows[i] = encodeEntry(runId, append[i]!, seq++, this.threshold, this.putBlobRow);
      const arows: AuditRow[] = new Array(audit.length);
      for (let i = 0; i < audit.length; i++) arows[i] = encodeAudit(runId, audit[i]!, i, base.next_audit + i);
      const journalHead = rows.length ? chainRows(base.journal_head ?? "", rows, journalLink) : base.journal_head;
      const auditHead = arows.length ? chainRows(base.audit_head ?? "", arows, auditLink) : base.audit_head;
      const head = (
        cols === undefined
          ? this.s.bumpRun.get(rows.length, events.length, arows.length, journalHead, auditHead, runId, req.expectVersion, base.journal_head, base.audit_head)
          : this.s.updateRun.get(
              updateParams(cols, {
                run_id: runId,
                expect: req.expectVersion,
                appended: rows.length,
                events: events.length,
                audits: arows.length,
                journal_head: journalHead,
                audit_head: auditHead,
                old_journal_head: base.journal_head,
                old_audit_head: base.audit_head,
              }),
            )
      ) as
        | { version: number; next_seq: number; next_event: number; next_audit: number }
        | undefined;
      if (!head) {
        if (fresh) throw new StoreError(`commit: run ${runId} changed while it was being committed`, this.path);
        this.heads.delete(runId);
        base = this.readHead(runId, req.expectVersion);
        fresh = true;
        continue;
      }
      for (const r of rows) this.s.insertEntry.run(runId, r.seq, r.key, r.step, r.kind, r.phase, r.hash, r.at, r.value, r.value_blob, r.error, r.chain);
      if (events.length > 0) this.s.insertEvent.run(runId, head.next_event - events.length, events.length, encodeEvents(runId, events));
      for (const a of arows) {
        this.s.insertAudit.run(a.run_id, a.seq, a.step, a.principal, a.kind, a.hook, a.target, a.policy, a.rule, a.outcome, a.reason, a.redacted, a.actor, a.comment, a.at, a.chain);
      }
      const dispatch = req.dispatch;
      if (dispatch !== undefined && dispatch.length > 0) {
        const at = Date.now();
        for (let i = 0; i < dispatch.length; i++) {
          const r = encodeDispatch(runId, dispatch[i]!, i);
          this.s.insertDispatch.run(r.kind, r.run_id, r.payload, at);
        }
      }
      return { version: head.version, next_seq: head.next_seq, next_audit: head.next_audit, journal_head: journalHead, audit_head: auditHead };
    }
  }

  /** The run's row as the base of a commit at `expect`: no run is a StoreError, another version a conflict. */
  private readHead(runId: string, expect: number): RunHead {
    const now = this.s.selectHead.get(runId) as RunHead | undefined;
    if (!now) throw new StoreError(`commit: no run ${runId} in the store`, this.path);
    if (now.version !== expect) throw new VersionConflict(runId, expect, now.version);
    return now;
  }

  private remember(runId: string, head: RunHead): void {
    this.heads.delete(runId);
    if (this.heads.size >= HEAD_CACHE) this.heads.delete(this.heads.keys().next().value!);
    this.heads.set(runId, { version: head.version, next_seq: head.next_seq, next_audit: head.next_audit, journal_head: head.journal_head, audit_head: head.audit_head });
  }

  private loadInTx(runId: string): LoadedRun | undefined {
    const row = this.s.selectRun.get(runId) as RunRow | undefined;
    if (!row) return undefined;
    const rows = this.s.selectJournal.all(runId) as JournalRow[];
    const chain = verifyChain("journal", runId, rows, journalLink, { count: row.next_seq, hash: row.journal_head });
    if (chain.problems.length) throw new ChainError(chain.problems, this.path);
    const getBlob = (h: string): Uint8Array | undefined => verifiedBlob(h, this.s.selectBlob.get(h) as Buffer | undefined);
    const loaded = { snapshot: decodeRun(row), journal: rows.map((r) => decodeEntry(runId, r, getBlob)), version: row.version };
    this.remember(runId, row);
    return loaded;
  }

  private verifyInTx(runId: string | undefined): ChainReport[] {
    const db = this.db;
    const anchored = db.prepare(`SELECT value FROM meta WHERE key = 'chains_anchored_at'`).pluck().get() as string | undefined;
    const anchoredAt = anchored === undefined ? undefined : Number(anchored);
    const ids =
      runId !== undefined
        ? [runId]
        : (db.prepare(`SELECT run_id FROM (SELECT run_id, created_at, rowid AS o FROM runs UNION ALL SELECT DISTINCT run_id, NULL, NULL FROM audit WHERE run_id NOT IN (SELECT run_id FROM runs)) ORDER BY created_at IS NULL, created_at, o, run_id`).pluck().all() as string[]);
    const selectAudit = this.query(`SELECT ${AUDIT_COLUMNS} FROM audit WHERE run_id = ? ORDER BY seq`);
    const selectRow = this.query(`SELECT next_seq, next_audit, journal_head, audit_head, created_at FROM runs WHERE run_id = ?`);
    const blobProblem = (h: string): string | undefined => {
      const b = this.s.selectBlob.get(h) as Buffer | undefined;
      if (!b) return `its value is blob ${h}, which is missing`;
      return sha256Hex(b) === h ? undefined : `its value is blob ${h}, whose bytes were altered`;
    };
    const out: ChainReport[] = [];
    for (const id of ids) {
      const row = selectRow.get(id) as (Pick<RunRow, "next_seq" | "next_audit" | "journal_head" | "audit_head" | "created_at">) | undefined;
      const journal = this.s.selectJournal.all(id) as JournalRow[];
      const audit = selectAudit.all(id) as AuditRow[];
      if (!row && !audit.length) continue;
      const heads = row && { journal: { count: row.next_seq, hash: row.journal_head }, audit: { count: row.next_audit, hash: row.audit_head } };
      const report = chainReport(id, journal, audit, heads, blobProblem);
      if (anchoredAt !== undefined && (row === undefined || row.created_at < anchoredAt)) report.anchoredAt = anchoredAt;
      out.push(report);
    }
    return out;
  }

  private takeInTx(limit: number): Dispatch[] {
    const rows = this.s.selectDispatches.all(limit) as (DispatchRow & { id: number })[];
    if (rows.length) this.s.deleteDispatches.run(rows[rows.length - 1]!.id);
    return rows.map(decodeDispatch);
  }

  private appendSessionInTx(id: string, entries: SessionEntry[]): number {
    let seq = this.s.sessionLength.get(id) as number;
    const principals = new Map<string, string | null>();
    const principalOf = (runId: unknown): string | null => {
      if (typeof runId !== "string") return null;
      if (!principals.has(runId)) principals.set(runId, principalIdOf(this.s.selectPrincipal.get(runId) as string | undefined));
      return principals.get(runId)!;
    };
    for (const e of entries) {
      const r = encodeSessionEntry(id, e, seq++, principalOf(e?.runId));
      this.s.insertSession.run(id, r.seq, r.run_id, r.agent, r.role, r.content, r.tool_calls, r.tool_call_id, r.at, r.principal);
    }
    return seq;
  }

  /** Stores bytes under their sha256 (an arrow: passed to encodeEntry without a closure per commit). */
  private readonly putBlobRow = (bytes: Uint8Array): string => {
    const h = sha256Hex(bytes);
    this.s.insertBlob.run(h, bytes.byteLength, bytes);
    return h;
  };

  private query(sql: string): Stmt {
    let st = this.prepared.get(sql);
    if (!st) this.prepared.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  // ------------------------------------------------------------ schema

  private migrate(): void {
    const db = this.db;
    db.transaction(() => {
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).pluck().all() as string[];
      const stored = tables.includes("meta") ? (db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get() as string | undefined) : undefined;
      const from = schemaVersionOf(tables, stored, SCHEMA_VERSION, this.path, () => `${this.path} is a SQLite database but not an AWR run store (it has tables ${tables.join(", ")} and no meta table)`);
      if (from === SCHEMA_VERSION) return;
      for (let v = from; v < SCHEMA_VERSION; v++) {
        db.exec(MIGRATIONS[v]!);
        BACKFILL[v + 1]?.(db);
      }
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

function updateParams(cols: RunUpdateColumns, base: Record<string, unknown>): Record<string, unknown> {
  const p: Record<string, unknown> = { ...base };
  for (const c of ["graph", "plan_hash", "status", "updated_at", "input", "principal", "output", "error", "pending"] as const) {
    const set = Object.prototype.hasOwnProperty.call(cols, c);
    p[`u_${c}`] = set ? 1 : 0;
    p[c] = set ? cols[c] : null;
  }
  return p;
}
