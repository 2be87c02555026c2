// The PostgreSQL store beyond the shared contract (test/vm/store/contract.test.ts): what only a
// networked store shared by processes has to show — version conflicts between separate pools,
// concurrent commits of which exactly one wins, migrations and their refusals, an audit log the
// database itself keeps append-only, tampering found, connection errors that name the server and
// never its password. Every store here is its own pg.Pool, as another process would be.
import { Effect } from "effect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorTag } from "../../vm/ports/errors.js";
import { PG_SCHEMA_VERSION, PostgresStore } from "../../vm/store/postgres.js";
import { auditRecord, event, intent, outcome, run } from "../vm/store/helpers.js";
import { PG_URL, dropSchema, freshSchema, pgStores, sql } from "./helpers.js";

const run$ = <A, E>(e: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(e);
/** What a port call fails with (undefined: it succeeded). */
const failure = async <A, E>(e: Effect.Effect<A, E>): Promise<E | undefined> => {
  const r = await Effect.runPromise(Effect.result(e));
  return r._tag === "Failure" ? r.failure : undefined;
};

let pg: Awaited<ReturnType<typeof pgStores>>;
beforeEach(async () => {
  pg = await pgStores();
});
afterEach(() => pg.cleanup());

describe("two stores on one database (two processes)", () => {
  it("a commit on a version the other store moved is a VersionConflict and writes nothing; chains continue across stores", async () => {
    const a = await pg.open();
    const b = await pg.open();
    await run$(a.log.create(run("r1")));
    expect((await run$(b.log.load("r1")))!.version).toBe(0);
    expect(await run$(a.log.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0")], audit: [auditRecord("r1")] }))).toBe(1);
    // b still believes version 0 (its cached heads too): refused, nothing written.
    const e = await failure(b.log.commit({ runId: "r1", expectVersion: 0, append: [intent("b#0")], audit: [auditRecord("r1")], events: [event("r1", "b")], dispatch: [{ kind: "resume", runId: "r1" }] }));
    expect(errorTag(e)).toBe("VersionConflict");
    expect(e).toMatchObject({ runId: "r1", expected: 0, actual: 1 });
    // b commits at the version it is told without loading first: its cached heads are stale, the row's are used.
    expect(await run$(b.log.commit({ runId: "r1", expectVersion: 1, append: [outcome("a#0")], audit: [auditRecord("r1", { outcome: "deny" })] }))).toBe(2);
    expect(await run$(a.log.commit({ runId: "r1", expectVersion: 2, append: [intent("c#0")], update: { status: "completed" } }))).toBe(3);
    const loaded = (await run$(b.log.load("r1")))!;
    expect(loaded.journal.map((x) => [x.seq, x.key, x.phase])).toEqual([
      [0, "a#0", "intent"],
      [1, "a#0", "outcome"],
      [2, "c#0", "intent"],
    ]);
    expect(loaded).toMatchObject({ version: 3, snapshot: { status: "completed" } });
    expect(await run$(a.queries.events("r1"))).toEqual([]);
    expect(await run$(a.log.takeDispatches())).toEqual([]);
    const [report] = await run$(a.log.verify("r1"));
    expect(report).toMatchObject({ journal: { entries: 3, problems: [] }, audit: { entries: 2, problems: [] } });
  });

  it("commits racing on one version from separate pools: exactly one wins each round, the others conflict", async () => {
    const stores = await Promise.all(Array.from({ length: 6 }, () => pg.open({ maxConnections: 2 })));
    await run$(stores[0]!.log.create(run("race")));
    const ROUNDS = 15;
    for (let round = 0; round < ROUNDS; round++) {
      // Every store has loaded the run at the same version (so each commits from warm cached heads).
      const versions = await Promise.all(stores.map(async (s) => (await run$(s.log.load("race")))!.version));
      expect(new Set(versions)).toEqual(new Set([round]));
      // Even rounds append (the chain heads move too); odd rounds only update the record and add
      // events, so the version alone must stop the losers.
      const results = await Promise.all(
        stores.map((s, i) =>
          Effect.runPromise(
            Effect.result(
              s.log.commit(
                round % 2 === 0
                  ? { runId: "race", expectVersion: round, append: [intent(`w${i}#${round}`)], audit: [auditRecord("race", { step: `w${i}` })], events: [event("race", `w${i}`)] }
                  : { runId: "race", expectVersion: round, append: [], update: { updatedAt: round }, events: [event("race", `w${i}`)] },
              ),
            ),
          ),
        ),
      );
      const won = results.filter((r) => r._tag === "Success");
      const lost = results.filter((r) => r._tag === "Failure");
      expect(won).toHaveLength(1);
      expect(lost.map((r) => errorTag((r as { failure: unknown }).failure))).toEqual(Array(stores.length - 1).fill("VersionConflict"));
    }
    const appends = Math.ceil(ROUNDS / 2);
    const loaded = (await run$(stores[3]!.log.load("race")))!;
    expect(loaded.version).toBe(ROUNDS);
    expect(loaded.journal.map((e) => e.seq)).toEqual([...Array(appends).keys()]);
    // What each winning commit wrote, once: the losers wrote nothing.
    expect(await run$(stores[1]!.queries.audit({ runId: "race" }))).toHaveLength(appends);
    expect(await run$(stores[2]!.queries.events("race"))).toHaveLength(ROUNDS);
    const [report] = await run$(stores[4]!.log.verify("race"));
    expect(report).toMatchObject({ journal: { entries: appends, problems: [] }, audit: { entries: appends, problems: [] } });
  });

  it("concurrent session appends from two stores interleave without losing or repeating a position", async () => {
    const [a, b] = await Promise.all([pg.open(), pg.open()]);
    await run$(a.log.create(run("r1", { principal: { id: "ada" } })));
    const msg = (s: string) => ({ runId: "r1", agent: "helper", role: "user" as const, content: s, at: 1 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => run$((i % 2 ? a : b).sessions.appendSession("s", [msg(`m${i}`), msg(`n${i}`)]))));
    const entries = await run$(a.sessions.session("s"));
    expect(entries.map((e) => e.seq)).toEqual([...Array(20).keys()]);
    expect(new Set(entries.map((e) => e.content)).size).toBe(20);
    expect((await run$(b.sessions.sessionEntries({ principal: "ada" }))).length).toBe(20);
  });

  it("dispatches taken by two stores at once are each taken exactly once", async () => {
    const [a, b] = await Promise.all([pg.open(), pg.open()]);
    await run$(a.log.create(run("r1")));
    const dispatch = Array.from({ length: 40 }, (_, i) => ({ kind: "resume", runId: `d${i}` }));
    await run$(a.log.commit({ runId: "r1", expectVersion: 0, append: [], dispatch }));
    const taken = (await Promise.all(Array.from({ length: 8 }, (_, i) => run$((i % 2 ? a : b).log.takeDispatches(7))))).flat();
    expect(taken.map((d) => d.runId).sort()).toEqual(dispatch.map((d) => d.runId).sort());
  });
});

describe("schema and migrations", () => {
  it("creates the schema and its tables on an empty database, at the current version; opening again changes nothing", async () => {
    const s = await pg.open();
    const meta = await sql<{ key: string; value: string }>(`SELECT key, value FROM "${pg.schema}".meta`);
    expect(meta).toEqual([{ key: "schema_version", value: String(PG_SCHEMA_VERSION) }]);
    const tables = await sql<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [pg.schema]);
    expect(tables.map((r) => r.t)).toEqual(["audit", "blobs", "dispatch", "events", "journal", "meta", "runs", "sessions"]);
    await run$(s.log.create(run("r1")));
    const again = await pg.open();
    expect((await run$(again.log.load("r1")))!.version).toBe(0);
  });

  it("two processes opening a new store at once: one migrates, the other waits and finds it done", async () => {
    const opened = await Promise.all(Array.from({ length: 4 }, () => pg.open()));
    await run$(opened[0]!.log.create(run("r1")));
    expect((await run$(opened[3]!.queries.list())).map((r) => r.runId)).toEqual(["r1"]);
  });

  it("refuses a store written by a newer AWR, naming the versions; the data is left as it was", async () => {
    await (await pg.open()).close();
    await sql(`UPDATE "${pg.schema}".meta SET value = $1 WHERE key = 'schema_version'`, [String(PG_SCHEMA_VERSION + 1)]);
    const e = await PostgresStore.open(PG_URL, { schema: pg.schema }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(errorTag(e)).toBe("StoreError");
    expect((e as Error).message).toBe(
      `the run store at postgres://postgres@127.0.0.1:5432/test (schema ${pg.schema}) was written by a newer AWR (schema version ${PG_SCHEMA_VERSION + 1}; this build reads up to ${PG_SCHEMA_VERSION}) — upgrade AWR to open it`,
    );
    expect(await sql(`SELECT value FROM "${pg.schema}".meta`)).toEqual([{ value: String(PG_SCHEMA_VERSION + 1) }]);
  });

  it("refuses a schema that holds other tables, and one without a valid version", async () => {
    const other = freshSchema();
    try {
      await sql(`CREATE SCHEMA "${other}"; CREATE TABLE "${other}".customers (id int)`);
      const e = await PostgresStore.open(PG_URL, { schema: other }).catch((x: unknown) => x);
      expect((e as Error).message).toMatch(new RegExp(`\\(schema ${other}\\) is not an AWR run store \\(the schema has tables customers and no meta table\\)`));
      await sql(`CREATE TABLE "${other}".meta (key text PRIMARY KEY, value text NOT NULL)`);
      const v = await PostgresStore.open(PG_URL, { schema: other }).catch((x: unknown) => x);
      expect((v as Error).message).toMatch(/has no valid schema version \(meta.schema_version = null\)/);
      expect(await sql(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [other])).toEqual([{ table_name: "customers" }, { table_name: "meta" }]);
    } finally {
      await dropSchema(other);
    }
  });

  it("a store that could not be opened tries again on its next call (the server was down, the schema in the way)", async () => {
    await sql(`CREATE SCHEMA "${pg.schema}"; CREATE TABLE "${pg.schema}".leftover (id int)`);
    const s = pg.peer();
    expect((await failure(s.queries.list()))?.message).toMatch(/is not an AWR run store/);
    await sql(`DROP TABLE "${pg.schema}".leftover`);
    expect(await run$(s.queries.list())).toEqual([]);
    await run$(s.log.create(run("r1")));
    expect((await run$(s.log.load("r1")))!.version).toBe(0);
  });

  it("refuses a schema name that is not a plain identifier before connecting", () => {
    expect(() => new PostgresStore(PG_URL, { schema: 'awr"; DROP TABLE x; --' })).toThrow(/is not a PostgreSQL schema name AWR uses/);
  });
});

describe("the database guards the records", () => {
  it("refuses UPDATE, DELETE and TRUNCATE of audit records", async () => {
    const s = await pg.open();
    await run$(s.log.create(run("r1")));
    await run$(s.log.commit({ runId: "r1", expectVersion: 0, append: [], audit: [auditRecord("r1", { outcome: "deny" })] }));
    for (const stmt of [`UPDATE "${pg.schema}".audit SET outcome = 'allow'`, `DELETE FROM "${pg.schema}".audit`, `TRUNCATE "${pg.schema}".audit`]) {
      await expect(sql(stmt), stmt).rejects.toThrow("the audit log is append-only");
    }
    expect((await run$(s.queries.audit({ runId: "r1" }))).map((a) => a.outcome)).toEqual(["deny"]);
    expect((await run$(s.log.verify("r1")))[0]!.audit.problems).toEqual([]);
  });

  it("a journal edited in the database is found: load refuses the run (ChainBroken) and verify names the entry", async () => {
    const s = await pg.open();
    await run$(s.log.create(run("r1")));
    await run$(s.log.commit({ runId: "r1", expectVersion: 0, append: [intent("pay#0", { amount: 10 }), outcome("pay#0", { ok: true })] }));
    await sql(`UPDATE "${pg.schema}".journal SET value = '{"amount":1000}' WHERE run_id = 'r1' AND seq = 0`);
    const e = await failure((await pg.open()).log.load("r1"));
    expect(errorTag(e)).toBe("ChainBroken");
    expect((e as Error).message).toMatch(/^run r1: journal entry 0 was edited/);
    const [report] = await run$(s.log.verify("r1"));
    expect(report!.journal.problems).toMatchObject([{ seq: 0, kind: "edited" }]);
  });

  it("large values go to the blob table once, by hash, and an altered blob is refused on read", async () => {
    const s = await pg.open({ blobThreshold: 64 });
    const big = { text: "x".repeat(500) };
    await run$(s.log.create(run("r1")));
    await run$(s.log.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0", big), outcome("a#0", big)] }));
    const rows = await sql<{ value: string | null; value_blob: string | null }>(`SELECT value, value_blob FROM "${pg.schema}".journal ORDER BY seq`);
    expect(rows.every((r) => r.value === null && /^[0-9a-f]{64}$/.test(r.value_blob!))).toBe(true);
    expect(await sql(`SELECT count(*)::int AS n FROM "${pg.schema}".blobs`)).toEqual([{ n: 1 }]);
    expect((await run$((await pg.open()).log.load("r1")))!.journal.map((e) => e.value)).toEqual([big, big]);
    await sql(`UPDATE "${pg.schema}".blobs SET bytes = convert_to('{"text":"y"}', 'UTF8')`);
    const e = await failure((await pg.open()).log.load("r1"));
    expect(errorTag(e)).toBe("StoreError");
    expect((e as Error).message).toMatch(/^blob [0-9a-f]{64} was altered in the store/);
    expect((await run$(s.log.verify("r1")))[0]!.journal.problems).toMatchObject([{ seq: 0, kind: "edited" }, { seq: 1, kind: "edited" }]);
  });

  it("values PostgreSQL text cannot hold (a NUL character) fail the commit with a StoreError, and nothing is written", async () => {
    const s = await pg.open();
    await run$(s.log.create(run("r1")));
    const e = await failure(s.log.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0", { ok: 1 }, { step: "a\u0000b" })] }));
    expect(errorTag(e)).toBe("StoreError");
    expect((await run$(s.log.load("r1")))!).toMatchObject({ version: 0, journal: [] });
  });
});

describe("connection errors", () => {
  it("connections the server drops (a restart, a proxy) are replaced: the next calls work, nothing is lost", async () => {
    const app = `awr-test-${pg.schema}`;
    const s = await pg.open({ maxConnections: 3, applicationName: app });
    await run$(s.log.create(run("r1")));
    await run$(s.log.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0")] }));
    // Every connection of this store's pool, idle in the pool, is killed by the server.
    const killed = await sql<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle'`,
      [app],
    );
    expect(killed.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(await run$(s.log.commit({ runId: "r1", expectVersion: 1, append: [outcome("a#0")] }))).toBe(2);
    expect((await run$(s.log.load("r1")))!.journal.map((e) => e.phase)).toEqual(["intent", "outcome"]);
  });

  it("a server that cannot be reached is a StoreError naming host and port, never the password", async () => {
    const e = await PostgresStore.open("postgres://alice:s3cret@127.0.0.1:1/awr?sslmode=disable", { connectTimeoutMs: 2000 }).catch((x: unknown) => x);
    expect(errorTag(e)).toBe("StoreError");
    expect((e as Error).message).toMatch(/^cannot reach PostgreSQL at postgres:\/\/alice@127\.0\.0\.1:1\/awr \(schema awr\) \(connect: ECONNREFUSED/);
    expect((e as Error).message).not.toContain("s3cret");
  });

  it("a database that does not exist is a StoreError from the server, naming the store", async () => {
    const url = new URL(PG_URL);
    url.pathname = "/no_such_db_awr";
    const e = await PostgresStore.open(url.toString()).catch((x: unknown) => x);
    expect(errorTag(e)).toBe("StoreError");
    expect((e as Error).message).toMatch(/^the run store at postgres:\/\/\S+\/no_such_db_awr \(schema awr\) failed \(connect: database "no_such_db_awr" does not exist \[3D000\]\)/);
  });
});
