// Group commit (vm/store/sqlite.ts `groupCommit`): commits of several runs that arrive in one turn of
// the event loop are stored in one transaction, each in its own savepoint; a run alone commits in
// line. Through the port (what the VM uses), and through whole runs advancing at once.
import { Effect, Exit } from "effect";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRuntime } from "../../../vm/runtime.js";
import { SqliteStore } from "../../../vm/store/index.js";
import { VersionConflict } from "../../../vm/types.js";
import { Tools } from "../../../vm/tools/index.js";
import { noModels, planOf } from "../helpers.js";
import { intent, outcome, run, tempDir } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let store: SqliteStore;
beforeEach(() => {
  tmp = tempDir();
  store = new SqliteStore(join(tmp.dir, "runs.db"));
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

const commitOf = (runId: string, expectVersion: number, key: string) =>
  store.log.commit({ runId, expectVersion, append: [intent(key), outcome(key)] });

describe("group commit through the port", () => {
  it("a run alone commits in line: its commit is stored before the effect returns to the caller's turn", async () => {
    store.create(run("solo"));
    for (let v = 0; v < 5; v++) expect(await Effect.runPromise(commitOf("solo", v, `a#${v}`))).toBe(v + 1);
    expect(store.commitStats).toEqual({ inline: 5, grouped: 0, groups: 0 });
    expect(store.load("solo")!.journal).toHaveLength(10);
  });

  it("commits of many runs in one turn share one transaction; each is stored and versioned", async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `r${i}`);
    for (const id of ids) store.create(run(id));
    const versions = await Effect.runPromise(Effect.all(ids.map((id) => commitOf(id, 0, "a#0")), { concurrency: "unbounded" }));
    expect(versions).toEqual(ids.map(() => 1));
    // The first went in line; the other 39 waited for the end of the turn and were one transaction.
    expect(store.commitStats).toEqual({ inline: 1, grouped: 39, groups: 1 });
    for (const id of ids) expect(store.load(id)!.journal.map((e) => e.phase)).toEqual(["intent", "outcome"]);
    expect(store.verify().flatMap((r) => [...r.journal.problems, ...r.audit.problems])).toEqual([]);
  });

  it("a conflict in a group fails its own commit only (savepoints): the others are stored", async () => {
    for (const id of ["a", "b", "c", "d"]) store.create(run(id));
    store.commit({ runId: "c", expectVersion: 0, append: [] }); // c moved on: version 1
    const exits = await Effect.runPromise(
      Effect.all(
        ["a", "b", "c", "d"].map((id) => Effect.exit(commitOf(id, 0, "k#0"))),
        { concurrency: "unbounded" },
      ),
    );
    expect(exits.map(Exit.isSuccess)).toEqual([true, true, false, true]);
    const failed = exits[2]!;
    expect(Exit.isFailure(failed) && failed.cause.toString()).toContain("VersionConflict");
    expect(store.commitStats.groups).toBe(1);
    expect(store.load("c")!.journal).toEqual([]);
    expect(store.load("d")!.journal).toHaveLength(2);
    expect(() => store.commit({ runId: "c", expectVersion: 0, append: [] })).toThrow(VersionConflict);
  });

  it("commits still waiting for their group are stored when the store is closed", async () => {
    for (const id of ["x", "y"]) store.create(run(id));
    const pending = Effect.runPromise(Effect.all([commitOf("x", 0, "a#0"), commitOf("y", 0, "a#0")], { concurrency: "unbounded" }));
    await new Promise((r) => queueMicrotask(() => r(undefined)));
    store.close();
    expect(await pending).toEqual([1, 1]);
    const again = new SqliteStore(store.path);
    try {
      expect(again.load("y")!.journal).toHaveLength(2);
    } finally {
      again.close();
    }
  });
});

describe("group commit under whole runs", () => {
  // Parallel branches of each run commit too: a run's commits must go one at a time through its
  // journal even when one of them waits for a group (else the second would reuse the version).
  const plan = planOf(`import "std/time"
graph g() -> int {
  state { n: int @reduce(sum) = 0, r: int @reduce(sum) = 0, t: list<string> @reduce(append) = [] }
  node fork { set r = 1 }
  node a { run time_now() -> t  set n = 1 }
  node b { run time_now() -> t  set n = 1 }
  node c { run time_now() -> t  set n = 1 }
  node join { set n = 0 }
  edge start -> fork
  edge fork -> [a, b, c]
  edge [a, b, c] -> join
  edge join -> fork when r < 10 max 10
  edge join -> end otherwise
  return n
}
`);

  it("60 concurrent runs with parallel branches: every run completes, its journal whole and chained", async () => {
    const rt = createRuntime({ plan, store, models: noModels, tools: new Tools({ baseDir: tmp.dir }), instant: true });
    const outs = await Promise.all(Array.from({ length: 60 }, () => rt.start("g", {})));
    expect(outs.map((o) => [o.status, o.output])).toEqual(outs.map(() => ["completed", 30]));
    expect(store.commitStats.groups).toBeGreaterThan(0);
    expect(store.commitStats.grouped).toBeGreaterThan(store.commitStats.groups);
    for (const o of outs) {
      const tools = store.load(o.runId)!.journal.filter((e) => e.kind === "tool" && e.phase === "outcome");
      expect(tools).toHaveLength(30);
    }
    expect(store.verify().flatMap((r) => [...r.journal.problems, ...r.audit.problems])).toEqual([]);
  });
});
