// The server's own tables (API keys, deployments, idempotency keys, webhook deliveries): kept in
// the same database as the runs — the SQLite file or the PostgreSQL schema the store spec names —
// so that `awr keys create --store X` and `awr serve --store X` see the same keys, and a backup of
// the store is a backup of the service. They are not part of the run store's port (vm/ports/): the
// VM never reads them.
//
// One small asynchronous SQL interface serves both engines. Statements are written once with `?`
// placeholders and portable SQL (TEXT, INTEGER/BIGINT, no engine-specific upserts beyond
// `INSERT … ON CONFLICT DO NOTHING`, which both speak); PostgreSQL gets them with `$n` and the
// store's schema as `search_path`. Table names are prefixed `server_` so they never meet the run
// store's.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { storeLocation, type StoreLocation } from "../host/stores.js";

export type Row = Record<string, unknown>;

export interface ServerDb {
  readonly engine: "sqlite" | "postgres";
  /** Rows of a query. */
  all<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** A statement's changed-row count. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** `f` in one transaction (statements through `tx`); rolled back when it throws. */
  transaction<A>(f: (tx: Pick<ServerDb, "all" | "run">) => Promise<A>): Promise<A>;
  /** Creates each migration's tables once, in order, recording the version reached under `name`. */
  migrate(name: string, migrations: readonly string[][]): Promise<void>;
  close(): Promise<void>;
}

/** `?` placeholders as PostgreSQL's `$1, $2, …` (no `?` appears in AWR's statements otherwise). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Opens the server tables' database for a store spec (the same default as the run store). */
export async function openServerDb(spec: string | undefined, opts: { cwd: string }): Promise<ServerDb> {
  return openServerDbAt(storeLocation(spec, opts.cwd));
}

export async function openServerDbAt(location: StoreLocation): Promise<ServerDb> {
  if (location.kind === "postgres") return openPostgres(location.url, location.schema);
  const { default: Database } = await import("better-sqlite3");
  let path = ":memory:";
  if (location.kind === "sqlite") {
    mkdirSync(dirname(location.path), { recursive: true });
    path = location.path;
  }
  const db = new Database(path, { timeout: 5000 });
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  const plain = (v: unknown): unknown => (typeof v === "boolean" ? (v ? 1 : 0) : v);
  const q = {
    all: async <T extends Row>(sql: string, params: readonly unknown[] = []) => db.prepare(sql).all(...params.map(plain)) as T[],
    run: async (sql: string, params: readonly unknown[] = []) => db.prepare(sql).run(...params.map(plain)).changes,
  };
  const self: ServerDb = {
    engine: "sqlite",
    ...q,
    // better-sqlite3 is synchronous: nothing else runs on this connection between BEGIN and
    // COMMIT unless `f` awaits something other than `tx` — which server code does not do.
    transaction: async (f) => {
      db.exec("BEGIN IMMEDIATE");
      try {
        const a = await f(q);
        db.exec("COMMIT");
        return a;
      } catch (e) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw e;
      }
    },
    migrate: async (name, migrations) => migrateWith(self, name, migrations),
    close: async () => {
      db.close();
    },
  };
  return self;
}

async function openPostgres(url: string, schema: string): Promise<ServerDb> {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString: url, max: 5, application_name: "awr-server", options: `-c search_path=${schema}` });
  pool.on("error", () => {});
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  const on = (c: { query: (text: string, values?: unknown[]) => Promise<{ rows: unknown[]; rowCount: number | null }> }) => ({
    all: async <T extends Row>(sql: string, params: readonly unknown[] = []) => (await c.query(numbered(sql), [...params])).rows as T[],
    run: async (sql: string, params: readonly unknown[] = []) => (await c.query(numbered(sql), [...params])).rowCount ?? 0,
  });
  const self: ServerDb = {
    engine: "postgres",
    ...on(pool),
    transaction: async (f) => {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const a = await f(on(client));
        await client.query("COMMIT");
        return a;
      } catch (e) {
        await client.query("ROLLBACK").catch(() => {});
        throw e;
      } finally {
        client.release();
      }
    },
    migrate: async (name, migrations) => migrateWith(self, name, migrations),
    close: () => pool.end(),
  };
  return self;
}

async function migrateWith(db: ServerDb, name: string, migrations: readonly string[][]): Promise<void> {
  await db.transaction(async (tx) => {
    // Two servers starting at once on one PostgreSQL: one migrates, the other waits and finds it done.
    if (db.engine === "postgres") await tx.all("SELECT pg_advisory_xact_lock(hashtext('awr-server-migrations'))");
    await tx.run("CREATE TABLE IF NOT EXISTS server_migrations (name TEXT PRIMARY KEY, version INTEGER NOT NULL)");
    const [row] = await tx.all<{ version: number }>("SELECT version FROM server_migrations WHERE name = ?", [name]);
    const from = row ? Number(row.version) : 0;
    if (from > migrations.length) throw new Error(`the server tables "${name}" are at version ${from}, newer than this awr knows (${migrations.length}): upgrade awr`);
    for (let v = from; v < migrations.length; v++) for (const stmt of migrations[v]!) await tx.run(stmt);
    if (from === 0) await tx.run("INSERT INTO server_migrations (name, version) VALUES (?, ?) ON CONFLICT DO NOTHING", [name, migrations.length]);
    else if (from < migrations.length) await tx.run("UPDATE server_migrations SET version = ? WHERE name = ?", [migrations.length, name]);
  });
}
