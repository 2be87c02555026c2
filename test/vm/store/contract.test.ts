// The store contract through the asynchronous ports (vm/ports/store.ts): what the runtime, the
// reports and the CLI rely on, run against every store. A new store joins by adding one line to
// `stores` (PostgreSQL's is added when AWR_TEST_POSTGRES is set). Engine details (SQL, migrations, blob thresholds) are tested per engine in
// store.test.ts, v2.test.ts, sqlite.test.ts and chain.test.ts.
import { join } from "node:path";
import { Effect } from "effect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryStore, SqliteStore } from "../../../vm/store/index.js";
import { errorTag } from "../../../vm/ports/errors.js";
import type { RunStore } from "../../../vm/ports/store.js";
import { auditRecord, event, intent, message, outcome, run, tempDir } from "./helpers.js";

interface Opened {
  store: RunStore;
  /** A second worker on the same storage (the same object for an in-process store). */
  peer(): RunStore;
  cleanup(): Promise<void>;
}

const stores: [string, () => Promise<Opened>][] = [
  ["memory", async () => {
    const store = new MemoryStore();
    return { store, peer: () => store, cleanup: async () => {} };
  }],
  ["sqlite", async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, "runs.db");
    const opened: RunStore[] = [new SqliteStore(path)];
    return {
      store: opened[0]!,
      peer: () => (opened.push(new SqliteStore(path)), opened[opened.length - 1]!),
      cleanup: async () => {
        for (const s of opened) await s.close();
        tmp.cleanup();
      },
    };
  }],
];

// PostgreSQL joins when AWR_TEST_POSTGRES names a server (`npm run test:pg`, which also runs test/pg/):
// each test gets a fresh schema, dropped after it; `peer()` is another pool, as another process would be.
if (process.env["AWR_TEST_POSTGRES"]) {
  stores.push(["postgres", async () => {
    const { pgStores } = await import("../../pg/helpers.js");
    const pg = await pgStores();
    return { store: await pg.open(), peer: () => pg.peer(), cleanup: () => pg.cleanup() };
  }]);
}

/** One port call, as a promise (rejects with the tagged error). */
const run$ = <A, E>(e: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(e);
/** The tag a port call fails with (undefined: it succeeded). */
const failsWith = async <A, E>(e: Effect.Effect<A, E>): Promise<string | undefined> => {
  const exit = await Effect.runPromise(Effect.result(e));
  return exit._tag === "Failure" ? (errorTag(exit.failure) ?? "untagged") : undefined;
};

describe.each(stores)("store contract through the ports: %s", (_name, open) => {
  let o: Opened;
  let store: RunStore;
  beforeEach(async () => {
    o = await open();
    store = o.store;
  });
  afterEach(() => o.cleanup());

  it("creates a run at version 0; an unknown run loads as undefined; a duplicate is a StoreError", async () => {
    await run$(store.log.create(run("r1")));
    expect(await run$(store.log.load("r1"))).toEqual({ snapshot: run("r1"), journal: [], version: 0 });
    expect(await run$(store.log.load("nope"))).toBeUndefined();
    expect(await failsWith(store.log.create(run("r1")))).toBe("StoreError");
  });

  it("commits append with consecutive seq and bump the version; the record takes the update", async () => {
    await run$(store.log.create(run("r1")));
    expect(await run$(store.log.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0")] }))).toBe(1);
    expect(await run$(store.log.commit({ runId: "r1", expectVersion: 1, append: [outcome("a#0")], update: { status: "completed", output: 3, updatedAt: 9 } }))).toBe(2);
    const loaded = (await run$(store.log.load("r1")))!;
    expect(loaded.version).toBe(2);
    expect(loaded.journal.map((e) => [e.seq, e.phase, e.key])).toEqual([
      [0, "intent", "a#0"],
      [1, "outcome", "a#0"],
    ]);
    expect(loaded.snapshot).toMatchObject({ status: "completed", output: 3, updatedAt: 9 });
  });

  it("two workers on one version: the second commit fails with VersionConflict and writes nothing", async () => {
    await run$(store.log.create(run("r1")));
    const peer = o.peer();
    const a = (await run$(store.log.load("r1")))!;
    const b = (await run$(peer.log.load("r1")))!;
    await run$(store.log.commit({ runId: "r1", expectVersion: a.version, append: [intent("a#0")], update: { status: "completed" } }));
    const e = await Effect.runPromise(Effect.flip(peer.log.commit({ runId: "r1", expectVersion: b.version, append: [intent("b#0")], audit: [auditRecord("r1")], events: [event("r1", "b")] })));
    expect(errorTag(e)).toBe("VersionConflict");
    expect(e).toMatchObject({ runId: "r1", expected: 0, actual: 1 });
    const after = (await run$(store.log.load("r1")))!;
    expect(after.journal.map((x) => x.key)).toEqual(["a#0"]);
    expect(await run$(store.queries.audit({ runId: "r1" }))).toEqual([]);
    expect(await run$(store.queries.events("r1"))).toEqual([]);
  });

  it("a commit that fails part-way leaves nothing: not the entries, not the dispatches", async () => {
    await run$(store.log.create(run("r1")));
    expect(await failsWith(store.log.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0"), intent("b#0", 1n as never)], dispatch: [{ kind: "resume", runId: "r1" }] }))).toBe("StoreError");
    expect((await run$(store.log.load("r1")))!).toMatchObject({ journal: [], version: 0 });
    expect(await run$(store.log.takeDispatches())).toEqual([]);
  });

  it("blobs are content-addressed (sha256 hex) and a missing one is undefined", async () => {
    const bytes = new TextEncoder().encode("a plan");
    const h = await run$(store.log.putBlob(bytes));
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(await run$(store.log.putBlob(bytes))).toBe(h);
    expect(Buffer.from((await run$(store.log.getBlob(h)))!).toString()).toBe("a plan");
    expect(await run$(store.log.getBlob("0".repeat(64)))).toBeUndefined();
  });

  it("dispatches are written with their commit and taken once, oldest first, by any worker", async () => {
    await run$(store.log.create(run("r1")));
    await run$(store.log.commit({ runId: "r1", expectVersion: 0, append: [], update: { status: "completed" }, dispatch: [{ kind: "webhook", runId: "r1", payload: { type: "run.completed" } }, { kind: "resume", runId: "r2" }] }));
    expect(await run$(store.log.takeDispatches(1))).toEqual([{ kind: "webhook", runId: "r1", payload: { type: "run.completed" } }]);
    expect(await run$(o.peer().log.takeDispatches())).toEqual([{ kind: "resume", runId: "r2" }]);
    expect(await run$(store.log.takeDispatches())).toEqual([]);
  });

  it("peeked dispatches stay in the outbox until acknowledged, by any worker; an acknowledged seq twice is harmless", async () => {
    await run$(store.log.create(run("r1")));
    await run$(store.log.commit({ runId: "r1", expectVersion: 0, append: [], update: { status: "completed" }, dispatch: [{ kind: "webhook", runId: "r1", payload: { type: "run.completed" } }, { kind: "resume", runId: "r2" }] }));
    const first = await run$(store.log.peekDispatches(1));
    expect(first).toEqual([{ kind: "webhook", runId: "r1", payload: { type: "run.completed" }, seq: expect.any(Number) }]);
    // Not acknowledged (the taker died): a peer finds both again, in order.
    const all = await run$(o.peer().log.peekDispatches());
    expect(all.map((d) => d.kind)).toEqual(["webhook", "resume"]);
    expect(all[0]!.seq).toBe(first[0]!.seq);
    expect(all[1]!.seq).toBeGreaterThan(all[0]!.seq);
    await run$(o.peer().log.ackDispatches([all[0]!.seq]));
    await run$(store.log.ackDispatches([all[0]!.seq]));
    expect((await run$(store.log.peekDispatches())).map((d) => d.kind)).toEqual(["resume"]);
    await run$(store.log.ackDispatches([all[1]!.seq]));
    expect(await run$(store.log.peekDispatches())).toEqual([]);
    expect(await run$(store.log.takeDispatches())).toEqual([]);
  });

  it("queries: runs newest first with filters, a run's events in order, audit records by query", async () => {
    await run$(store.log.create(run("old", { createdAt: 1, updatedAt: 1 })));
    await run$(store.log.create(run("new", { createdAt: 2, updatedAt: 2, status: "suspended" })));
    expect((await run$(store.queries.list())).map((r) => r.runId)).toEqual(["new", "old"]);
    expect((await run$(store.queries.list({ status: "suspended" }))).map((r) => r.runId)).toEqual(["new"]);
    expect((await run$(store.queries.list({ limit: 1, until: 1 }))).map((r) => r.runId)).toEqual(["old"]);
    await run$(store.log.commit({ runId: "old", expectVersion: 0, append: [], events: [event("old", "a", 10), event("old", "b", 11)], audit: [auditRecord("old", { outcome: "deny" }), auditRecord("old")] }));
    expect((await run$(store.queries.events("old"))).map((e) => (e as { step: string }).step)).toEqual(["a", "b"]);
    expect((await run$(store.queries.audit({ runId: "old", outcome: "deny" }))).map((a) => a.outcome)).toEqual(["deny"]);
    expect(await run$(store.queries.audit({ runId: "new" }))).toEqual([]);
  });

  it("sessions: appended in order, read back, searched across sessions by principal", async () => {
    await run$(store.log.create(run("r1", { principal: { id: "ada", roles: [], attrs: {} } })));
    expect(await run$(store.sessions.session("s1"))).toEqual([]);
    expect(await run$(store.sessions.appendSession("s1", [message("r1", "hello"), message("r1", "hi", { role: "assistant" })]))).toBe(2);
    expect((await run$(store.sessions.session("s1"))).map((e) => [e.seq, e.content])).toEqual([
      [0, "hello"],
      [1, "hi"],
    ]);
    expect((await run$(store.sessions.sessionEntries({ principal: "ada" }))).map((e) => [e.sessionId, e.content])).toEqual([
      ["s1", "hello"],
      ["s1", "hi"],
    ]);
    expect(await run$(store.sessions.sessionEntries({ principal: "bob" }))).toEqual([]);
    expect(await run$(store.sessions.sessionEntries({ excludeSession: "s1" }))).toEqual([]);
  });

  it("verify reports intact chains with their counts", async () => {
    await run$(store.log.create(run("r1")));
    await run$(store.log.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0"), outcome("a#0")], audit: [auditRecord("r1")] }));
    const [report] = await run$(store.log.verify("r1"));
    expect(report).toMatchObject({ runId: "r1", journal: { entries: 2, problems: [] }, audit: { entries: 1, problems: [] } });
    expect(await run$(store.log.verify("nope"))).toEqual([]);
  });

  it("a closed store fails with a StoreError, not a defect", async () => {
    await store.close();
    expect(await failsWith(store.log.load("r1"))).toBe("StoreError");
  });
});
