// The PostgreSQL store's tables (vm/store/postgres.ts): the rows of vm/store/codec.ts, the same
// ones SQLite keeps at its schema 5, in a PostgreSQL schema of their own (default `awr`), so one
// database can hold several AWR stores (a test per schema, a staging store beside production).
//
//   meta     (key PRIMARY KEY, value)                          schema_version — see PG_MIGRATIONS
//   runs     (run_id PRIMARY KEY, ord IDENTITY, graph, plan_hash, status, created_at, updated_at,
//             version, next_seq, next_event, next_audit, input, principal, output, error, pending,
//             meta, journal_head, audit_head)                 JSON as text, as in SQLite
//   blobs    (hash = sha256 hex PRIMARY KEY, size, bytes bytea) content-addressed
//   journal  (run_id → runs, seq, key, step, kind, phase, hash, at, value | value_blob → blobs,
//             error, chain)                                    PRIMARY KEY (run_id, seq)
//   events   (run_id → runs, seq, count, body)                one row per commit
//   audit    (run_id, seq, step, principal, kind, hook, target, policy, rule, outcome, reason,
//             redacted, actor, comment, at, chain)            PRIMARY KEY (run_id, seq), INDEX (at);
//             append-only: triggers refuse UPDATE, DELETE and TRUNCATE
//   sessions (session_id, seq, run_id, agent, role, content, tool_calls, tool_call_id, at,
//             principal)                                      INDEX (principal, session_id, seq)
//   dispatch (id IDENTITY, kind, run_id, payload, created_at)  the outbox
//
// Types: times are `double precision` because a JS number is one (an integer up to 2^53 or a
// fraction both come back as stored, which the hash chains need: chain.ts hashes `at` as written);
// ids sort with COLLATE "C" (byte order, as SQLite and the memory store compare them), so the order
// of `audit` and `sessionEntries` results is the same on every store. `ord` plays SQLite's rowid:
// the tie-break between runs created in the same millisecond.
//
// The numbering is this store's own (PostgreSQL schema 1 holds what SQLite reached at schema 5);
// a new migration is appended, never edited, and a store with a higher number is refused.
import { RUN_STATUSES } from "./codec.js";

/** The schema this build writes. A store with a higher version is refused, a lower one migrated. */
export const PG_SCHEMA_VERSION = 1;

export { DEFAULT_PG_SCHEMA, SCHEMA_NAME } from "./postgres-names.js";
import { SCHEMA_NAME } from "./postgres-names.js";

/** `awr` → `"awr"`: a checked name, quoted for SQL. */
export function quoteSchema(name: string): string {
  if (!SCHEMA_NAME.test(name)) throw new Error(`not a schema name: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

const statusList = RUN_STATUSES.map((s) => `'${s}'`).join(", ");

/** PG_MIGRATIONS(s)[n] takes the schema `s` (quoted) from version n to n + 1 (0 = no tables). Append only. */
export function pgMigrations(s: string): readonly string[] {
  return [
    `
    CREATE TABLE ${s}.meta (
      key   text PRIMARY KEY,
      value text NOT NULL
    );
    CREATE TABLE ${s}.runs (
      run_id       text COLLATE "C" PRIMARY KEY,
      ord          bigint GENERATED ALWAYS AS IDENTITY,  -- creation order (SQLite's rowid)
      graph        text NOT NULL,
      plan_hash    text NOT NULL,
      status       text NOT NULL CHECK (status IN (${statusList})),
      created_at   double precision NOT NULL,
      updated_at   double precision NOT NULL,
      version      integer NOT NULL DEFAULT 0,           -- number of commits
      next_seq     integer NOT NULL DEFAULT 0,           -- journal length
      next_event   integer NOT NULL DEFAULT 0,           -- number of stored events
      next_audit   integer NOT NULL DEFAULT 0,           -- number of its audit records
      input        text NOT NULL,                        -- JSON
      principal    text NOT NULL,                        -- JSON
      output       text,                                 -- JSON; NULL = absent
      error        text,                                 -- JSON FailureInfo
      pending      text,                                 -- JSON PendingInterrupt[]
      meta         text,                                 -- JSON
      journal_head text,                                 -- chain value of the last journal entry
      audit_head   text                                  -- chain value of the last audit record
    );
    CREATE INDEX runs_by_created ON ${s}.runs (created_at, ord);
    CREATE INDEX runs_by_status ON ${s}.runs (status, created_at);
    CREATE TABLE ${s}.blobs (
      hash  text COLLATE "C" PRIMARY KEY,                -- sha256 hex of bytes
      size  integer NOT NULL,
      bytes bytea NOT NULL
    );
    CREATE TABLE ${s}.journal (
      run_id     text COLLATE "C" NOT NULL REFERENCES ${s}.runs (run_id) ON DELETE CASCADE,
      seq        integer NOT NULL,
      key        text NOT NULL,
      step       text NOT NULL,
      kind       text NOT NULL,
      phase      text NOT NULL CHECK (phase IN ('intent', 'outcome')),
      hash       text NOT NULL,
      at         double precision NOT NULL,
      value      text,                                   -- JSON, inline
      value_blob text COLLATE "C" REFERENCES ${s}.blobs (hash), -- or the sha256 of the JSON bytes
      error      text,                                   -- JSON FailureInfo
      chain      text,                                   -- chain.ts
      CHECK (value IS NULL OR value_blob IS NULL),
      PRIMARY KEY (run_id, seq)
    );
    CREATE TABLE ${s}.events (
      run_id text COLLATE "C" NOT NULL REFERENCES ${s}.runs (run_id) ON DELETE CASCADE,
      seq    integer NOT NULL,                           -- position of the first event of the row
      count  integer NOT NULL,
      body   text NOT NULL,                              -- JSON array of the commit's events
      PRIMARY KEY (run_id, seq)
    );
    CREATE TABLE ${s}.audit (
      run_id    text COLLATE "C" NOT NULL,               -- no foreign key: the audit log outlives its runs
      seq       integer NOT NULL,
      step      text NOT NULL,
      principal text NOT NULL,                           -- JSON
      kind      text NOT NULL CHECK (kind IN ('policy', 'tool', 'operator')),
      hook      text NOT NULL,
      target    text NOT NULL,
      policy    text,
      rule      text,
      outcome   text NOT NULL,
      reason    text,
      redacted  text,                                    -- JSON [{ path, kind }]
      actor     text,
      comment   text,
      at        double precision NOT NULL,
      chain     text,
      PRIMARY KEY (run_id, seq)
    );
    CREATE INDEX audit_by_at ON ${s}.audit (at);
    CREATE FUNCTION ${s}.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'restrict_violation'; END
    $$;
    CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON ${s}.audit
      FOR EACH ROW EXECUTE FUNCTION ${s}.audit_append_only();
    CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON ${s}.audit
      FOR EACH STATEMENT EXECUTE FUNCTION ${s}.audit_append_only();
    CREATE TABLE ${s}.sessions (
      session_id   text COLLATE "C" NOT NULL,
      seq          integer NOT NULL,
      run_id       text NOT NULL,
      agent        text NOT NULL,
      role         text NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
      content      text NOT NULL,
      tool_calls   text,                                 -- JSON
      tool_call_id text,
      at           double precision NOT NULL,
      principal    text COLLATE "C",                     -- the principal id of the writing run
      PRIMARY KEY (session_id, seq)
    );
    CREATE INDEX sessions_by_principal ON ${s}.sessions (principal, session_id, seq);
    CREATE TABLE ${s}.dispatch (
      id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      kind       text NOT NULL,
      run_id     text NOT NULL,
      payload    text,                                   -- JSON
      created_at double precision NOT NULL
    );
    `,
  ];
}
