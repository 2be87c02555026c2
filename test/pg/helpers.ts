// The PostgreSQL test server and a fresh schema per store: `npm run test:pg` (vitest.pg.config.ts).
// AWR_TEST_POSTGRES names the server (default: the CI machines' local one, trust auth); every test
// opens its stores in a schema of its own and drops it afterwards, so test files can run side by
// side on one database and leave nothing behind.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { PostgresStore, type PostgresStoreOptions } from "../../vm/store/postgres.js";

export const PG_URL = process.env["AWR_TEST_POSTGRES"] || "postgres://postgres@127.0.0.1:5432/test";

/** A schema name no other test uses (`prefix`: whose tests made it, for a shared server). */
export function freshSchema(prefix = "awr_test"): string {
  return `${prefix}_${process.pid}_${randomBytes(5).toString("hex")}`;
}

/** One statement on a connection of its own (outside any store). */
export async function sql<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Stores on one fresh schema, as many as asked (each its own pool: separate "processes"); `cleanup` closes them and drops the schema. */
export async function pgStores(opts: PostgresStoreOptions = {}, prefix?: string) {
  const schema = freshSchema(prefix);
  const opened: PostgresStore[] = [];
  const open = async (o: PostgresStoreOptions = {}): Promise<PostgresStore> => {
    const s = await PostgresStore.open(PG_URL, { ...opts, ...o, schema });
    opened.push(s);
    return s;
  };
  return {
    schema,
    open,
    /** A store on the same schema whose pool connects on first use (for synchronous callers). */
    peer(): PostgresStore {
      const s = new PostgresStore(PG_URL, { ...opts, schema });
      opened.push(s);
      return s;
    },
    async cleanup(): Promise<void> {
      for (const s of opened) await s.close();
      await dropSchema(schema);
    },
  };
}
