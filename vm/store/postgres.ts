// The shared durable run store: PostgreSQL through node-postgres (`pg`), for many processes on one
// database (DESIGN §9). It implements the asynchronous ports (vm/ports/store.ts) directly: every
// call is a promise over a pooled connection, run as an `Effect` whose typed failures are the port's
// (`StoreError`, `ChainError`, `VersionConflict`); anything else is a defect (a bug).
//
// Same rows, same rules as SQLite (vm/store/sqlite.ts; the tables in postgres-schema.ts): the row
// encoding is codec.ts's, the hash chains chain.ts's, so `awr audit --verify` reads either store.
//
// `commit` is ONE statement, so one round trip and atomic without BEGIN/COMMIT: a data-modifying
// CTE whose first part is
//   UPDATE runs SET version = version + 1, … WHERE run_id = $ AND version = $expect AND the heads
//     are the ones the new entries are chained to  RETURNING the new lengths
// and whose other parts insert the blobs, journal entries, events, audit records and dispatches
// only if that UPDATE matched. A concurrent commit to the same run holds the row's lock until it
// ends; PostgreSQL then re-evaluates our WHERE against the row it wrote, so of any number of
// commits at one version, in any number of processes, exactly one matches; the others write
// nothing. When nothing matched the row is read: no run is a StoreError, another version a
// `VersionConflict`, the same version means only this process's cached heads were stale (another
// process committed, we never loaded since) — the entries are chained again from the row and the
// statement sent once more.
//
// `load` and `verify` read in one REPEATABLE READ transaction (one snapshot: the run's row and its
// journal agree even while another process commits).
//
// Not here yet (issue 16, next increments): group commit, snapshots plus journal tails. Workers
// and their queue (pg-boss) are in server/worker/.
import pg from "pg";
import { Effect } from "effect";
import type { OutboxEntry, RunLog, RunQueries, RunStore, SessionStore } from "../ports/store.js";
import type { AuditQuery, AuditRecord, ChainReport, CommitRequest, Dispatch, LoadedRun, RunRecord, RunStatus, SessionEntry, SessionMemoryEntry, SessionQuery, VmEvent } from "../types.js";
import {
  checkAuditQuery,
  checkBlobInput,
  checkExpectVersion,
  checkLimit,
  checkListOptions,
  checkSessionEntries,
  checkSessionId,
  checkSessionQuery,
  checkThreshold,
  decodeAudit,
  decodeDispatch,
  decodeEntry,
  decodeEvents,
  decodeRun,
  decodeSessionEntry,
  decodeSessionMemoryEntry,
  encodeAudit,
  encodeDispatch,
  encodeEntry,
  encodeEvents,
  encodeRun,
  encodeSessionEntry,
  encodeUpdate,
  principalIdOf,
  sha256Hex,
  schemaVersionOf,
  verifiedBlob,
  type AuditRow,
  type DispatchRow,
  type JournalRow,
  type RunRow,
  type SessionMemoryRow,
  type SessionRow,
} from "./codec.js";
import { ChainError, auditLink, chainReport, chainRows, journalLink, verifyChain } from "./chain.js";
import { StoreError, VersionConflict } from "./errors.js";
import { DEFAULT_PG_SCHEMA, PG_SCHEMA_VERSION, SCHEMA_NAME, pgMigrations, quoteSchema } from "./postgres-schema.js";

export { DEFAULT_PG_SCHEMA, PG_SCHEMA_VERSION } from "./postgres-schema.js";

export interface PostgresStoreOptions {
  /** The PostgreSQL schema holding the tables (default `awr`; created with them when missing). */
  schema?: string;
  /** Journal values whose JSON exceeds this many bytes are stored as blobs (default 8 KiB). */
  blobThreshold?: number;
  /** Connections in the pool (default 10). */
  maxConnections?: number;
  /** How long to wait for a connection before failing, in ms (default 10,000). */
  connectTimeoutMs?: number;
  /** How the connections show in `pg_stat_activity` (default `awr`). */
  applicationName?: string;
}

/** What this process last saw of a run: the base of its next commit when the version still matches. */
interface RunHead {
  version: number;
  next_seq: number;
  next_audit: number;
  journal_head: string | null;
  audit_head: string | null;
}

/** Runs whose heads a store remembers (the oldest is forgotten first). */
const HEAD_CACHE = 4096;

const RUN_COLUMNS =
  "run_id, graph, plan_hash, status, created_at, updated_at, version, next_seq, next_event, next_audit, input, principal, output, error, pending, meta, journal_head, audit_head";
const JOURNAL_COLUMNS = "seq, key, step, kind, phase, hash, at, value, value_blob, error, chain";
const AUDIT_COLUMNS = "run_id, seq, step, principal, kind, hook, target, policy, rule, outcome, reason, redacted, actor, comment, at, chain";
const SESSION_COLUMNS = "seq, run_id, agent, role, content, tool_calls, tool_call_id, at, principal";

/** The columns of `runs` a commit's update may set, in the order of the SET clause. */
const UPDATABLE = ["graph", "plan_hash", "status", "updated_at", "input", "principal", "output", "error", "pending"] as const;

type Queryable = Pick<pg.PoolClient, "query">;

/**
 * `postgres://user:secret@host:5432/db?sslmode=…` → `postgres://user@host:5432/db`: how messages
 * name the store. Never the password, never the query (it may carry one too).
 */
export function redactConnectionString(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${decodeURIComponent(u.username)}@` : "";
    return `${u.protocol}//${user}${u.host}${u.pathname}`;
  } catch {
    return "postgres://…";
  }
}

/** A PostgreSQL run store behind the asynchronous ports. Open it with `PostgresStore.open`. */
export class PostgresStore implements RunStore {
  readonly log: RunLog;
  readonly queries: RunQueries;
  readonly sessions: SessionStore;
  /** The connection string without its password, and the schema: how messages name this store. */
  readonly label: string;
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly threshold: number;
  private readonly t: { runs: string; journal: string; events: string; audit: string; blobs: string; sessions: string; dispatch: string; meta: string };
  /** Per run, what this process last read or wrote of its row (see the header: `commit`). */
  private readonly heads = new Map<string, RunHead>();
  /** The commit statement per set of updated columns (a handful: status, output, error, pending…). */
  private readonly commitStatements = new Map<string, { name: string; text: string }>();
  /** Settles once the schema is checked and migrated; every call waits for it (a failed one is tried again by the next call). */
  private ready: Promise<void> | undefined;
  private closed = false;

  /** Opens a pool on `url` and migrates the schema; fails with a `StoreError` naming the server when it cannot. */
  static async open(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const store = new PostgresStore(url, opts);
    try {
      await store.ensureReady();
    } catch (e) {
      await store.close();
      throw e;
    }
    return store;
  }

  /** Prefer `open`: this starts connecting and migrating, and the first call waits for it. */
  constructor(url: string, opts: PostgresStoreOptions = {}) {
    const schema = opts.schema ?? DEFAULT_PG_SCHEMA;
    if (!SCHEMA_NAME.test(schema)) {
      throw new StoreError(`${JSON.stringify(schema)} is not a PostgreSQL schema name AWR uses: lower-case letters, digits and _, not starting with a digit`);
    }
    this.schema = schema;
    this.label = `${redactConnectionString(url)} (schema ${schema})`;
    this.threshold = checkThreshold(opts.blobThreshold);
    const s = quoteSchema(schema);
    this.t = {
      runs: `${s}.runs`,
      journal: `${s}.journal`,
      events: `${s}.events`,
      audit: `${s}.audit`,
      blobs: `${s}.blobs`,
      sessions: `${s}.sessions`,
      dispatch: `${s}.dispatch`,
      meta: `${s}.meta`,
    };
    this.pool = new pg.Pool({
      connectionString: url,
      max: opts.maxConnections ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
      application_name: opts.applicationName ?? "awr",
    });
    // An idle connection the server drops (a restart, a proxy) is an event on the pool, not an
    // error of any call: without a listener it would crash the process. The next call reconnects.
    this.pool.on("error", () => {});
    this.ensureReady().catch(() => {}); // observed by every call (and by `open`)

    const call = <A>(op: string, f: () => Promise<A>): Effect.Effect<A, StoreError> => this.call(op, f) as Effect.Effect<A, StoreError>;
    // A write, once sent, lands whatever its fiber does: an interruption waits for its answer, so
    // the caller learns the new version, or that the dispatches it took are its own.
    const write = <A>(op: string, f: () => Promise<A>): Effect.Effect<A, StoreError> => Effect.uninterruptible(call(op, f));
    this.log = {
      create: (run) => write("create", () => this.create(run)),
      load: (runId) => call("load", () => this.load(runId)),
      commit: (req) => Effect.uninterruptible(this.call("commit", () => this.commit(req))),
      putBlob: (bytes) => write("putBlob", () => this.putBlob(bytes)),
      getBlob: (hash) => call("getBlob", () => this.getBlob(hash)),
      takeDispatches: (limit) => write("takeDispatches", () => this.takeDispatches(limit)),
      peekDispatches: (limit) => call("peekDispatches", () => this.peekDispatches(limit)),
      ackDispatches: (seqs) => write("ackDispatches", () => this.ackDispatches(seqs)),
      verify: (runId) => call("verify", () => this.verify(runId)),
    };
    this.queries = {
      list: (o) => call("list", () => this.list(o)),
      events: (runId) => call("events", () => this.events(runId)),
      audit: (q) => call("audit", () => this.audit(q)),
    };
    this.sessions = {
      session: (id) => call("session", () => this.session(id)),
      appendSession: (id, entries) => write("appendSession", () => this.appendSession(id, entries)),
      sessionEntries: (q) => call("sessionEntries", () => this.sessionEntries(q)),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  // ------------------------------------------------------------ the port's operations

  private async create(run: RunRecord): Promise<void> {
    const row = encodeRun(run);
    try {
      await this.pool.query({
        name: "awr.create",
        text: `INSERT INTO ${this.t.runs} (run_id, graph, plan_hash, status, created_at, updated_at, version, next_seq, input, principal, output, error, pending, meta, journal_head, audit_head)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        values: [row.run_id, row.graph, row.plan_hash, row.status, row.created_at, row.updated_at, row.version, row.next_seq, row.input, row.principal, row.output, row.error, row.pending, row.meta, row.journal_head, row.audit_head],
      });
    } catch (e) {
      if (e instanceof pg.DatabaseError && e.code === "23505") throw new StoreError(`run ${row.run_id} already exists`, this.label);
      throw e;
    }
    this.remember(row.run_id, row);
  }

  private load(runId: string): Promise<LoadedRun | undefined> {
    return this.tx("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", async (c) => {
      const row = (await c.query<RunRow>({ name: "awr.selectRun", text: `SELECT ${RUN_COLUMNS} FROM ${this.t.runs} WHERE run_id = $1`, values: [runId] })).rows[0];
      if (!row) return undefined;
      const rows = await this.journalRows(c, runId);
      const chain = verifyChain("journal", runId, rows, journalLink, { count: row.next_seq, hash: row.journal_head });
      if (chain.problems.length) throw new ChainError(chain.problems, this.label);
      const blobs = await this.blobsOf(c, rows);
      const getBlob = (h: string): Uint8Array | undefined => verifiedBlob(h, blobs.get(h));
      const loaded: LoadedRun = { snapshot: decodeRun(row), journal: rows.map((r) => decodeEntry(runId, r, getBlob)), version: row.version };
      this.remember(runId, row);
      return loaded;
    });
  }

  private async commit(req: CommitRequest): Promise<number> {
    checkExpectVersion(req);
    const runId = req.runId;
    const append = req.append ?? [];
    const events = req.events ?? [];
    const audit = req.audit ?? [];
    const cols = encodeUpdate(runId, req.update);
    // Encoded before any round trip: a value that is not JSON fails here and nothing is sent.
    const blobs = new Map<string, Uint8Array>();
    const putBlob = (bytes: Uint8Array): string => {
      const h = sha256Hex(bytes);
      blobs.set(h, bytes);
      return h;
    };
    const encode = (base: RunHead) => {
      blobs.clear();
      const rows: JournalRow[] = append.map((e, i) => encodeEntry(runId, e, base.next_seq + i, this.threshold, putBlob));
      const arows: AuditRow[] = audit.map((a, i) => encodeAudit(runId, a, i, base.next_audit + i));
      const journalHead = rows.length ? chainRows(base.journal_head ?? "", rows, journalLink) : base.journal_head;
      const auditHead = arows.length ? chainRows(base.audit_head ?? "", arows, auditLink) : base.audit_head;
      return { rows, arows, journalHead, auditHead };
    };
    const eventsJson = events.length ? encodeEvents(runId, events) : undefined;
    const dispatch = (req.dispatch ?? []).map((d, i) => encodeDispatch(runId, d, i));
    const cached = this.heads.get(runId);
    // Without a cached head of this version any base will do for this first encoding (it checks the
    // values before a round trip); the real one is read from the row below.
    let base: RunHead | undefined = cached !== undefined && cached.version === req.expectVersion ? cached : undefined;
    let enc = encode(base ?? { version: req.expectVersion, next_seq: 0, next_audit: 0, journal_head: "", audit_head: "" });

    const set = UPDATABLE.filter((c) => Object.prototype.hasOwnProperty.call(cols, c));
    const setValues = set.map((c) => cols[c] ?? null);
    const statement = this.commitStatement(set);
    const at = Date.now();
    for (let attempt = 0; attempt < 3; attempt++) {
      if (base === undefined) {
        // No cached head of this version, or it was stale: the row as it is now.
        const now = (await this.pool.query<RunHead>({ name: "awr.head", text: `SELECT version, next_seq, next_audit, journal_head, audit_head FROM ${this.t.runs} WHERE run_id = $1`, values: [runId] })).rows[0];
        if (!now) throw new StoreError(`commit: no run ${runId} in the store`, this.label);
        if (now.version !== req.expectVersion) {
          this.remember(runId, now);
          throw new VersionConflict(runId, req.expectVersion, now.version);
        }
        base = now;
        enc = encode(base);
      }
      const hashes = [...blobs.keys()];
      const { rows: r, arows: a } = enc;
      const done = (
        await this.pool.query<{ version: number; next_seq: number; next_event: number; next_audit: number }>({
          name: statement.name,
          text: statement.text,
          values: [
            r.length, events.length, a.length, enc.journalHead, enc.auditHead, runId, req.expectVersion, base.journal_head, base.audit_head,
            hashes, hashes.map((h) => blobs.get(h)!.byteLength), hashes.map((h) => Buffer.from(blobs.get(h)!)),
            r.map((x) => x.seq), r.map((x) => x.key), r.map((x) => x.step), r.map((x) => x.kind), r.map((x) => x.phase), r.map((x) => x.hash), r.map((x) => x.at), r.map((x) => x.value), r.map((x) => x.value_blob), r.map((x) => x.error), r.map((x) => x.chain),
            eventsJson ?? null,
            a.map((x) => x.seq), a.map((x) => x.step), a.map((x) => x.principal), a.map((x) => x.kind), a.map((x) => x.hook), a.map((x) => x.target), a.map((x) => x.policy),
            a.map((x) => x.rule), a.map((x) => x.outcome), a.map((x) => x.reason), a.map((x) => x.redacted), a.map((x) => x.actor), a.map((x) => x.comment), a.map((x) => x.at), a.map((x) => x.chain),
            dispatch.map((d) => d.kind), dispatch.map((d) => d.run_id), dispatch.map((d) => d.payload), at,
            ...setValues,
          ],
        })
      ).rows[0];
      if (done) {
        this.remember(runId, { version: done.version, next_seq: done.next_seq, next_audit: done.next_audit, journal_head: enc.journalHead, audit_head: enc.auditHead });
        return done.version;
      }
      // Nothing matched, nothing was written: another process committed (the next read says so), or
      // only this process's cached heads were stale (then once more, chained from the row).
      this.heads.delete(runId);
      base = undefined;
    }
    throw new StoreError(`commit: run ${runId} kept changing while it was being committed`, this.label);
  }

  /** The commit statement for an update of the columns `set` (prepared once per connection). */
  private commitStatement(set: readonly (typeof UPDATABLE)[number][]): { name: string; text: string } {
    const key = set.join(",");
    let st = this.commitStatements.get(key);
    if (st) return st;
    const t = this.t;
    const n = 43; // the parameters before the updated columns
    const matched = "EXISTS (SELECT 1 FROM u)";
    st = {
      name: `awr.commit.${this.commitStatements.size}`,
      text: `WITH u AS (
          UPDATE ${t.runs} SET ${set.map((c, i) => `${c} = $${n + i + 1}, `).join("")}version = version + 1,
            next_seq = next_seq + $1, next_event = next_event + $2, next_audit = next_audit + $3, journal_head = $4, audit_head = $5
          WHERE run_id = $6 AND version = $7 AND journal_head IS NOT DISTINCT FROM $8 AND audit_head IS NOT DISTINCT FROM $9
          RETURNING version, next_seq, next_event, next_audit),
        b AS (INSERT INTO ${t.blobs} (hash, size, bytes)
          SELECT * FROM unnest($10::text[], $11::int[], $12::bytea[]) WHERE ${matched} ON CONFLICT (hash) DO NOTHING),
        j AS (INSERT INTO ${t.journal} (run_id, seq, key, step, kind, phase, hash, at, value, value_blob, error, chain)
          SELECT $6, * FROM unnest($13::int[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::float8[], $20::text[], $21::text[], $22::text[], $23::text[]) WHERE ${matched}),
        e AS (INSERT INTO ${t.events} (run_id, seq, count, body)
          SELECT $6, u.next_event - $2, $2, $24::text FROM u WHERE $24::text IS NOT NULL),
        a AS (INSERT INTO ${t.audit} (run_id, seq, step, principal, kind, hook, target, policy, rule, outcome, reason, redacted, actor, comment, at, chain)
          SELECT $6, * FROM unnest($25::int[], $26::text[], $27::text[], $28::text[], $29::text[], $30::text[], $31::text[], $32::text[], $33::text[], $34::text[], $35::text[], $36::text[], $37::text[], $38::float8[], $39::text[]) WHERE ${matched}),
        d AS (INSERT INTO ${t.dispatch} (kind, run_id, payload, created_at)
          SELECT kind, run_id, payload, $43 FROM unnest($40::text[], $41::text[], $42::text[]) WITH ORDINALITY AS x (kind, run_id, payload, o) WHERE ${matched} ORDER BY o)
      SELECT version, next_seq, next_event, next_audit FROM u`,
    };
    this.commitStatements.set(key, st);
    return st;
  }

  private async putBlob(bytes: Uint8Array): Promise<string> {
    const b = checkBlobInput(bytes);
    const h = sha256Hex(b);
    await this.pool.query({
      name: "awr.putBlob",
      text: `INSERT INTO ${this.t.blobs} (hash, size, bytes) VALUES ($1, $2, $3) ON CONFLICT (hash) DO NOTHING`,
      values: [h, b.byteLength, Buffer.from(b.buffer, b.byteOffset, b.byteLength)],
    });
    return h;
  }

  private async getBlob(hash: string): Promise<Uint8Array | undefined> {
    const r = await this.pool.query<{ bytes: Buffer }>({ name: "awr.getBlob", text: `SELECT bytes FROM ${this.t.blobs} WHERE hash = $1`, values: [hash] });
    const b = r.rows[0]?.bytes;
    return b === undefined ? undefined : verifiedBlob(hash, new Uint8Array(b));
  }

  private async takeDispatches(limit?: number): Promise<Dispatch[]> {
    const n = checkLimit(limit, "takeDispatches: limit") ?? null;
    // Taken and removed in one statement; SKIP LOCKED lets two workers take different ones at once.
    const r = await this.pool.query<DispatchRow>({
      name: "awr.takeDispatches",
      text: `WITH taken AS (
               DELETE FROM ${this.t.dispatch} WHERE id IN (SELECT id FROM ${this.t.dispatch} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
               RETURNING id, kind, run_id, payload)
             SELECT kind, run_id, payload FROM taken ORDER BY id`,
      values: [n],
    });
    return r.rows.map(decodeDispatch);
  }

  private async peekDispatches(limit?: number): Promise<OutboxEntry[]> {
    const n = checkLimit(limit, "peekDispatches: limit") ?? null;
    const r = await this.pool.query<DispatchRow & { id: string }>({
      name: "awr.peekDispatches",
      text: `SELECT id, kind, run_id, payload FROM ${this.t.dispatch} ORDER BY id LIMIT $1`,
      values: [n],
    });
    return r.rows.map((row) => ({ ...decodeDispatch(row), seq: Number(row.id) }));
  }

  private async ackDispatches(seqs: readonly number[]): Promise<void> {
    if (!seqs.length) return;
    await this.pool.query({ name: "awr.ackDispatches", text: `DELETE FROM ${this.t.dispatch} WHERE id = ANY($1::bigint[])`, values: [[...seqs]] });
  }

  private verify(runId?: string): Promise<ChainReport[]> {
    return this.tx("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", async (c) => {
      const ids =
        runId !== undefined
          ? [runId]
          : (
              await c.query<{ run_id: string }>(
                `SELECT run_id FROM (
                   SELECT run_id, created_at, ord FROM ${this.t.runs}
                   UNION ALL SELECT DISTINCT run_id, NULL::float8, NULL::bigint FROM ${this.t.audit} a WHERE NOT EXISTS (SELECT 1 FROM ${this.t.runs} r WHERE r.run_id = a.run_id)
                 ) x ORDER BY created_at IS NULL, created_at, ord, run_id`,
              )
            ).rows.map((r) => r.run_id);
      const out: ChainReport[] = [];
      for (const id of ids) {
        const row = (
          await c.query<Pick<RunRow, "next_seq" | "next_audit" | "journal_head" | "audit_head">>({
            name: "awr.verifyHead",
            text: `SELECT next_seq, next_audit, journal_head, audit_head FROM ${this.t.runs} WHERE run_id = $1`,
            values: [id],
          })
        ).rows[0];
        const journal = await this.journalRows(c, id);
        const audit = (await c.query<AuditRow>({ name: "awr.auditOfRun", text: `SELECT ${AUDIT_COLUMNS} FROM ${this.t.audit} WHERE run_id = $1 ORDER BY seq`, values: [id] })).rows;
        if (!row && !audit.length) continue;
        const blobs = await this.blobsOf(c, journal);
        const blobProblem = (h: string): string | undefined => {
          const b = blobs.get(h);
          if (!b) return `its value is blob ${h}, which is missing`;
          return sha256Hex(b) === h ? undefined : `its value is blob ${h}, whose bytes were altered`;
        };
        const heads = row && { journal: { count: row.next_seq, hash: row.journal_head }, audit: { count: row.next_audit, hash: row.audit_head } };
        out.push(chainReport(id, journal, audit, heads, blobProblem));
      }
      return out;
    });
  }

  private async list(opts?: { limit?: number; status?: RunStatus; since?: number; until?: number }): Promise<RunRecord[]> {
    const o = checkListOptions(opts);
    const where: string[] = [];
    const values: unknown[] = [];
    if (o.status !== undefined) values.push(o.status), where.push(`status = $${values.length}`);
    if (o.since !== undefined) values.push(o.since), where.push(`created_at >= $${values.length}`);
    if (o.until !== undefined) values.push(o.until), where.push(`created_at <= $${values.length}`);
    values.push(o.limit ?? null);
    const sql = `SELECT ${RUN_COLUMNS} FROM ${this.t.runs} ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, ord DESC LIMIT $${values.length}`;
    return (await this.pool.query<RunRow>(sql, values)).rows.map(decodeRun);
  }

  private async events(runId: string): Promise<VmEvent[]> {
    const r = await this.pool.query<{ seq: number; count: number; body: string }>({
      name: "awr.events",
      text: `SELECT seq, count, body FROM ${this.t.events} WHERE run_id = $1 ORDER BY seq`,
      values: [runId],
    });
    return r.rows.flatMap((x) => decodeEvents(runId, x.seq, x.count, x.body));
  }

  private async audit(query?: AuditQuery): Promise<AuditRecord[]> {
    const q = checkAuditQuery(query);
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (cond: (p: string) => string, v: unknown) => {
      if (v !== undefined) values.push(v), where.push(cond(`$${values.length}`));
    };
    add((p) => `run_id = ${p}`, q.runId);
    add((p) => `policy = ${p}`, q.policy);
    add((p) => `outcome = ${p}`, q.outcome);
    add((p) => `kind = ${p}`, q.kind);
    add((p) => `at >= ${p}`, q.since);
    add((p) => `at <= ${p}`, q.until);
    values.push(q.limit ?? null);
    const sql = `SELECT ${AUDIT_COLUMNS} FROM ${this.t.audit} ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY at, run_id, seq LIMIT $${values.length}`;
    return (await this.pool.query<AuditRow>(sql, values)).rows.map(decodeAudit);
  }

  private async session(sessionId: string): Promise<SessionEntry[]> {
    const id = checkSessionId(sessionId, "session");
    const r = await this.pool.query<SessionRow>({ name: "awr.session", text: `SELECT ${SESSION_COLUMNS} FROM ${this.t.sessions} WHERE session_id = $1 ORDER BY seq`, values: [id] });
    return r.rows.map((x) => decodeSessionEntry(id, x));
  }

  private async appendSession(sessionId: string, entries: SessionEntry[]): Promise<number> {
    const id = checkSessionId(sessionId, "appendSession");
    const list = checkSessionEntries(id, entries);
    return this.tx("BEGIN", async (c) => {
      // Appenders to one session take turns (the next seq is read, then written).
      await c.query({ name: "awr.lockSession", text: `SELECT pg_advisory_xact_lock(hashtext($1))`, values: [`awr:${this.schema}:session:${id}`] });
      const runIds = [...new Set(list.map((e) => (e !== null && typeof e === "object" ? e.runId : undefined)).filter((r): r is string => typeof r === "string"))];
      const principals = new Map<string, string | null>();
      if (runIds.length) {
        const r = await c.query<{ run_id: string; principal: string }>({ name: "awr.principals", text: `SELECT run_id, principal FROM ${this.t.runs} WHERE run_id = ANY($1::text[])`, values: [runIds] });
        for (const row of r.rows) principals.set(row.run_id, principalIdOf(row.principal));
      }
      let seq = (await c.query<{ n: number }>({ name: "awr.sessionLength", text: `SELECT COALESCE(MAX(seq) + 1, 0)::int AS n FROM ${this.t.sessions} WHERE session_id = $1`, values: [id] })).rows[0]!.n;
      const rows = list.map((e) => encodeSessionEntry(id, e, seq++, principals.get(e.runId) ?? null));
      if (rows.length) {
        await c.query({
          name: "awr.insertSession",
          text: `INSERT INTO ${this.t.sessions} (session_id, seq, run_id, agent, role, content, tool_calls, tool_call_id, at, principal)
                 SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::float8[], $10::text[])`,
          values: [id, rows.map((r) => r.seq), rows.map((r) => r.run_id), rows.map((r) => r.agent), rows.map((r) => r.role), rows.map((r) => r.content), rows.map((r) => r.tool_calls), rows.map((r) => r.tool_call_id), rows.map((r) => r.at), rows.map((r) => r.principal)],
        });
      }
      return seq;
    });
  }

  private async sessionEntries(query?: SessionQuery): Promise<SessionMemoryEntry[]> {
    const q = checkSessionQuery(query);
    const where: string[] = [];
    const values: unknown[] = [];
    if (q.principal !== undefined) values.push(q.principal), where.push(`principal = $${values.length}`);
    if (q.excludeSession !== undefined) values.push(q.excludeSession), where.push(`session_id <> $${values.length}`);
    const sql = `SELECT session_id, ${SESSION_COLUMNS} FROM ${this.t.sessions} ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY session_id, seq`;
    return (await this.pool.query<SessionMemoryRow>(sql, values)).rows.map(decodeSessionMemoryEntry);
  }

  // ------------------------------------------------------------ helpers

  private async journalRows(c: Queryable, runId: string): Promise<JournalRow[]> {
    return (await c.query<JournalRow>({ name: "awr.journal", text: `SELECT ${JOURNAL_COLUMNS} FROM ${this.t.journal} WHERE run_id = $1 ORDER BY seq`, values: [runId] })).rows;
  }

  /** The blobs the rows' values are kept in, by hash (missing ones absent). */
  private async blobsOf(c: Queryable, rows: readonly JournalRow[]): Promise<Map<string, Uint8Array>> {
    const hashes = [...new Set(rows.map((r) => r.value_blob).filter((h): h is string => h !== null))];
    const out = new Map<string, Uint8Array>();
    if (!hashes.length) return out;
    const r = await c.query<{ hash: string; bytes: Buffer }>({ name: "awr.blobsOf", text: `SELECT hash, bytes FROM ${this.t.blobs} WHERE hash = ANY($1::text[])`, values: [hashes] });
    for (const b of r.rows) out.set(b.hash, new Uint8Array(b.bytes));
    return out;
  }

  private remember(runId: string, head: RunHead): void {
    this.heads.delete(runId);
    if (this.heads.size >= HEAD_CACHE) this.heads.delete(this.heads.keys().next().value!);
    this.heads.set(runId, { version: head.version, next_seq: head.next_seq, next_audit: head.next_audit, journal_head: head.journal_head, audit_head: head.audit_head });
  }

  /** `f` inside one transaction on one pooled connection; rolled back on any failure. */
  private async tx<T>(begin: string, f: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query(begin);
      try {
        const v = await f(c);
        await c.query("COMMIT");
        return v;
      } catch (e) {
        await c.query("ROLLBACK").catch((r: Error) => (broken = r));
        throw e;
      }
    } catch (e) {
      broken ??= isConnectionError(e) ? (e as Error) : undefined;
      throw e;
    } finally {
      // A connection that failed mid-transaction is not handed to the next caller.
      c.release(broken);
    }
  }

  /**
   * One port call: waits for the schema, runs `f`, and turns what it rejects with into the port's
   * typed failures (PostgreSQL and connection errors become `StoreError`s naming the store).
   */
  private call<A>(op: string, f: () => Promise<A>): Effect.Effect<A, StoreError | VersionConflict> {
    return Effect.flatMap(
      Effect.promise(() =>
        (this.closed ? Promise.reject(new StoreError(`the run store at ${this.label} is closed`, this.label)) : this.ensureReady().then(f)).then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error: this.translate(error, op) }),
        ),
      ),
      (r) => (r.ok ? Effect.succeed(r.value) : r.error instanceof StoreError || r.error instanceof VersionConflict ? Effect.fail(r.error) : Effect.die(r.error)),
    );
  }

  /** PostgreSQL and network failures users can act on become StoreErrors naming the store; the rest (bugs) pass through. */
  private translate(e: unknown, op: string): unknown {
    if (e instanceof StoreError || e instanceof VersionConflict) {
      if (e instanceof StoreError && e.path === undefined) return Object.assign(e, { path: this.label });
      return e;
    }
    if (this.closed && e instanceof Error && /after calling end on the pool|Client was closed/i.test(e.message)) {
      return new StoreError(`the run store at ${this.label} is closed`, this.label, { cause: e });
    }
    if (e instanceof pg.DatabaseError) {
      const detail = e.code === "42501" ? " — the user lacks a privilege on the schema" : "";
      return new StoreError(`the run store at ${this.label} failed (${op}: ${e.message}${e.code ? ` [${e.code}]` : ""})${detail}`, this.label, { cause: e });
    }
    if (isConnectionError(e)) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code ?? (err.message || String(e));
      return new StoreError(`cannot reach PostgreSQL at ${this.label} (${op}: ${why}${err.code && err.message ? `: ${err.message}` : ""})`, this.label, { cause: e });
    }
    return e;
  }

  // ------------------------------------------------------------ schema

  /** The schema check and migration, once; after a failure (the server was down) the next call tries again. */
  private ensureReady(): Promise<void> {
    return (this.ready ??= this.migrate().catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    }));
  }

  /** Creates the schema and its tables, or migrates them, or refuses a newer or foreign one; one process at a time. */
  private async migrate(): Promise<void> {
    let c: pg.PoolClient;
    try {
      c = await this.pool.connect();
    } catch (e) {
      throw this.translate(e, "connect");
    }
    let broken: Error | undefined;
    try {
      await c.query("BEGIN");
      // Two processes opening a new store at once: the second waits, then finds it migrated.
      await c.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`awr:${this.schema}:migrate`]);
      const exists = (await c.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [this.schema])).rowCount! > 0;
      const tables = exists ? (await c.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1`, [this.schema])).rows.map((r) => r.t) : [];
      const stored = tables.includes("meta") ? (await c.query<{ value: string }>(`SELECT value FROM ${this.t.meta} WHERE key = 'schema_version'`)).rows[0]?.value : undefined;
      const from = schemaVersionOf(tables, stored, PG_SCHEMA_VERSION, this.label, () => `${this.label} is not an AWR run store (the schema has tables ${[...tables].sort().join(", ")} and no meta table): name another schema with ?schema=`);
      if (from < PG_SCHEMA_VERSION) {
        if (!exists) await c.query(`CREATE SCHEMA ${quoteSchema(this.schema)}`);
        const migrations = pgMigrations(quoteSchema(this.schema));
        for (let v = from; v < PG_SCHEMA_VERSION; v++) await c.query(migrations[v]!);
        await c.query(`INSERT INTO ${this.t.meta} (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [String(PG_SCHEMA_VERSION)]);
      }
      await c.query("COMMIT");
    } catch (e) {
      await c.query("ROLLBACK").catch((r: Error) => (broken = r));
      throw this.translate(e, "open");
    } finally {
      c.release(broken);
    }
  }
}

/** A failure of the connection rather than of a statement: refused, unreachable, reset, timed out, ended. */
function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error) || e instanceof pg.DatabaseError) return false;
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|connection timeout|Connection ended|server closed the connection/i.test(e.message);
}
