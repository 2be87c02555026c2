// One suite, run against both stores: MemoryStore must have the semantics of SqliteStore.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryStore, SqliteStore, StoreError, type MemoryStoreOptions, type SqliteStoreOptions } from "../../../vm/store/index.js";
import { VersionConflict, type JournalEntry } from "../../../vm/types.js";
import type { EmbeddedStore } from "../../../vm/store/index.js";
import { intent, outcome, run, tempDir } from "./helpers.js";

interface Fixture {
  /** A fresh store (options apply to it). */
  open(opts?: MemoryStoreOptions & SqliteStoreOptions): EmbeddedStore;
  /** A second "worker" on the same storage: the same MemoryStore, a second connection to the SQLite file. */
  peer(store: EmbeddedStore): EmbeddedStore;
  cleanup(): void;
}

const kinds: [string, () => Fixture][] = [
  [
    "MemoryStore",
    () => ({
      open: (opts) => new MemoryStore(opts),
      peer: (s) => s,
      cleanup: () => {},
    }),
  ],
  [
    "SqliteStore",
    () => {
      const tmp = tempDir();
      const opened: SqliteStore[] = [];
      let n = 0;
      return {
        open: (opts) => {
          const s = new SqliteStore(join(tmp.dir, `runs-${n++}.db`), opts);
          opened.push(s);
          return s;
        },
        peer: (s) => {
          const p = new SqliteStore((s as SqliteStore).path);
          opened.push(p);
          return p;
        },
        cleanup: () => {
          for (const s of opened) s.close();
          tmp.cleanup();
        },
      };
    },
  ],
];

const sha = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");
const withSeq = (entries: JournalEntry[], from = 0): JournalEntry[] => entries.map((e, i) => ({ ...e, seq: from + i }));

describe.each(kinds)("%s", (_name, makeFixture) => {
  let fx: Fixture;
  let store: EmbeddedStore;
  beforeEach(() => {
    fx = makeFixture();
    store = fx.open();
  });
  afterEach(() => fx.cleanup());

  describe("create, load, commit, list", () => {
    it("creates a run at version 0 with an empty journal", () => {
      const r = run("r1");
      store.create(r);
      expect(store.load("r1")).toEqual({ snapshot: r, journal: [], version: 0 });
    });

    it("keeps a run's meta (where it came from) and leaves it out when absent", () => {
      store.create(run("m1", { meta: { root: "/srv/agents" } }));
      expect(store.load("m1")!.snapshot.meta).toEqual({ root: "/srv/agents" });
      store.create(run("m2"));
      expect("meta" in store.load("m2")!.snapshot).toBe(false);
    });

    it("load of an unknown run is undefined", () => {
      expect(store.load("nope")).toBeUndefined();
    });

    it("refuses a duplicate run id", () => {
      store.create(run("r1"));
      expect(() => store.create(run("r1", { graph: "other" }))).toThrow(StoreError);
      expect(() => store.create(run("r1"))).toThrow(/run r1 already exists/);
      expect(store.load("r1")!.snapshot.graph).toBe("triage");
    });

    it("refuses an invalid record", () => {
      expect(() => store.create(run(""))).toThrow(StoreError);
      expect(() => store.create(run("r1", { status: "done" as never }))).toThrow(/status must be one of/);
      expect(() => store.create(run("r1", { input: undefined as never }))).toThrow(/input is not JSON/);
      expect(store.load("r1")).toBeUndefined();
    });

    it("keeps optional fields absent and distinguishes a JSON null output", () => {
      store.create(run("a"));
      store.create(run("b", { output: null, error: { kind: "tool", message: "x", step: "s1" }, pending: [] }));
      const a = store.load("a")!.snapshot;
      expect("output" in a || "error" in a || "pending" in a).toBe(false);
      expect(store.load("b")!.snapshot).toMatchObject({ output: null, error: { kind: "tool", message: "x", step: "s1" }, pending: [] });
    });

    it("appends entries with consecutive seq; the version counts commits", () => {
      store.create(run("r1"));
      const v1 = store.commit({ runId: "r1", expectVersion: 0, append: [intent("s1#0")] });
      expect(v1).toBe(1);
      const v2 = store.commit({ runId: "r1", expectVersion: 1, append: [outcome("s1#0"), intent("s2#0"), outcome("s2#0")] });
      expect(v2).toBe(2);
      // A commit with no entries still moves the version.
      const v3 = store.commit({ runId: "r1", expectVersion: 2, append: [], update: { status: "suspended", updatedAt: 5 } });
      expect(v3).toBe(3);
      const loaded = store.load("r1")!;
      expect(loaded.version).toBe(3);
      expect(loaded.journal).toEqual(withSeq([intent("s1#0"), outcome("s1#0"), intent("s2#0"), outcome("s2#0")]));
      expect(loaded.snapshot.status).toBe("suspended");
      expect(loaded.snapshot.updatedAt).toBe(5);
    });

    it("assigns seq itself, ignoring what the caller put there", () => {
      store.create(run("r1"));
      store.commit({ runId: "r1", expectVersion: 0, append: [{ ...intent("s1#0"), seq: 42 }, { ...outcome("s1#0"), seq: 0 }] });
      expect(store.load("r1")!.journal.map((e) => e.seq)).toEqual([0, 1]);
    });

    it("round-trips every entry field, failures, absent values and JSON null", () => {
      store.create(run("r1"));
      const entries: JournalEntry[] = [
        { key: "g/p#0", step: "p", kind: "prompt", phase: "intent", hash: "h1", at: 1.5, value: { messages: [{ role: "user", content: "héllo ✓ 🚀" }] } },
        { key: "g/p#0", step: "p", kind: "prompt", phase: "outcome", hash: "h1", at: 2, error: { kind: "timeout", message: "took too long", retryable: true, retryAfterMs: 100 } },
        { key: "t#0", step: "t", kind: "time", phase: "outcome", hash: "h2", at: 3, value: null },
        { key: "r#0", step: "r", kind: "random", phase: "intent", hash: "h3", at: 4 },
      ];
      store.commit({ runId: "r1", expectVersion: 0, append: entries });
      const j = store.load("r1")!.journal;
      expect(j).toEqual(withSeq(entries));
      expect("value" in j[3]!).toBe(false);
      expect(j[2]!.value).toBeNull();
    });

    it("updates the record like { ...run, ...update }: undefined clears an optional field", () => {
      store.create(run("r1", { pending: [{ id: "k", kind: "human", reason: "ok?", step: "s" }] }));
      store.commit({
        runId: "r1",
        expectVersion: 0,
        append: [],
        update: { status: "completed", output: { answer: 42 }, pending: undefined, updatedAt: 9 },
      });
      const s = store.load("r1")!.snapshot;
      expect(s).toEqual(run("r1", { status: "completed", output: { answer: 42 }, updatedAt: 9 }));
      expect("pending" in s).toBe(false);
      expect(() => store.commit({ runId: "r1", expectVersion: 1, append: [], update: { status: undefined } })).toThrow(/cannot be unset/);
      expect(() => store.commit({ runId: "r1", expectVersion: 1, append: [], update: { createdAt: 1 } as never })).toThrow(/not a field a commit can update/);
      expect(store.load("r1")!.version).toBe(1);
    });

    it("lists newest first, filters by status, limits", () => {
      store.create(run("old", { createdAt: 1 }));
      store.create(run("mid", { createdAt: 2, status: "completed" }));
      store.create(run("new", { createdAt: 3 }));
      store.create(run("new2", { createdAt: 3 })); // same time: the later insert is newer
      expect(store.list().map((r) => r.runId)).toEqual(["new2", "new", "mid", "old"]);
      expect(store.list({ status: "running" }).map((r) => r.runId)).toEqual(["new2", "new", "old"]);
      expect(store.list({ status: "completed" })).toEqual([run("mid", { createdAt: 2, status: "completed" })]);
      expect(store.list({ status: "failed" })).toEqual([]);
      expect(store.list({ limit: 2 }).map((r) => r.runId)).toEqual(["new2", "new"]);
      expect(store.list({ limit: 0 })).toEqual([]);
      expect(store.list({ status: "running", limit: 1 }).map((r) => r.runId)).toEqual(["new2"]);
      store.commit({ runId: "old", expectVersion: 0, append: [], update: { status: "completed" } });
      expect(store.list({ status: "completed" }).map((r) => r.runId)).toEqual(["mid", "old"]);
      expect(() => store.list({ limit: -1 })).toThrow(StoreError);
      expect(() => store.list({ status: "nope" as never })).toThrow(StoreError);
    });

    it("returns copies: mutating what it returns or what was passed in changes nothing stored", () => {
      const r = run("r1");
      store.create(r);
      (r.input as { tags: string[] }).tags.push("mutated");
      const e = intent("s#0", { deep: { list: [1, 2] } });
      store.commit({ runId: "r1", expectVersion: 0, append: [e] });
      ((e.value as { deep: { list: number[] } }).deep.list as number[]).push(3);

      const first = store.load("r1")!;
      (first.snapshot.input as { tags: string[] }).tags.push("again");
      first.snapshot.status = "failed";
      first.journal[0]!.key = "changed";
      (first.journal[0]!.value as { deep: { list: number[] } }).deep.list.push(4);
      first.journal.push(outcome("x"));
      store.list()[0]!.graph = "changed";

      const again = store.load("r1")!;
      expect(again.snapshot).toEqual(run("r1"));
      expect(again.journal).toEqual(withSeq([intent("s#0", { deep: { list: [1, 2] } })]));
    });

    it("a closed store refuses work", () => {
      store.create(run("r1"));
      store.close();
      store.close(); // idempotent
      expect(() => store.load("r1")).toThrow(StoreError);
      expect(() => store.list()).toThrow(/closed/);
    });
  });

  describe("version conflicts", () => {
    it("two workers load the same version: the second commit fails and none of it is visible", () => {
      store.create(run("r1"));
      store.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0")] });
      const other = fx.peer(store);

      const w1 = store.load("r1")!;
      const w2 = other.load("r1")!;
      expect(w1.version).toBe(1);
      expect(w2.version).toBe(1);

      expect(store.commit({ runId: "r1", expectVersion: w1.version, append: [outcome("a#0", "w1")], update: { status: "completed" } })).toBe(2);
      let err: unknown;
      try {
        other.commit({
          runId: "r1",
          expectVersion: w2.version,
          append: [outcome("a#0", "w2"), intent("b#0")],
          update: { status: "failed", error: { kind: "tool", message: "w2" } },
          dispatch: [{ kind: "resume", runId: "r1" }],
        });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VersionConflict);
      expect(err).toMatchObject({ runId: "r1", expected: 1, actual: 2 });
      expect((err as Error).message).toBe("run r1 moved: expected version 1, found 2");

      for (const s of [store, other]) {
        const now = s.load("r1")!;
        expect(now.version).toBe(2);
        expect(now.journal).toEqual(withSeq([intent("a#0"), outcome("a#0", "w1")]));
        expect(now.snapshot.status).toBe("completed");
        expect(now.snapshot.error).toBeUndefined();
      }
      expect(store.takeDispatches()).toEqual([]);
      // The loser reloads and continues from the new version.
      expect(other.commit({ runId: "r1", expectVersion: 2, append: [intent("b#0")] })).toBe(3);
      expect(store.load("r1")!.journal.map((e) => e.seq)).toEqual([0, 1, 2]);
    });

    it("a version from the future is a conflict too", () => {
      store.create(run("r1"));
      expect(() => store.commit({ runId: "r1", expectVersion: 5, append: [intent("a#0")] })).toThrow(VersionConflict);
      expect(store.load("r1")).toMatchObject({ version: 0, journal: [] });
    });
  });

  describe("atomicity: a commit that fails part-way leaves nothing", () => {
    const expectUntouched = (): void => {
      const l = store.load("r1")!;
      expect(l.version).toBe(1);
      expect(l.journal).toEqual(withSeq([intent("a#0")]));
      expect(l.snapshot).toEqual(run("r1"));
      expect(store.takeDispatches()).toEqual([]);
    };
    beforeEach(() => {
      store.create(run("r1"));
      store.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0")] });
    });

    it("a run id that does not exist", () => {
      expect(() =>
        store.commit({ runId: "ghost", expectVersion: 0, append: [intent("a#0")], dispatch: [{ kind: "resume", runId: "r1" }] }),
      ).toThrow(/no run ghost/);
      expect(store.load("ghost")).toBeUndefined();
      expectUntouched();
    });

    it("the second entry is not JSON (after the first was appended)", () => {
      const big = "x".repeat(20_000); // the first entry also puts a blob
      expect(() =>
        store.commit({ runId: "r1", expectVersion: 1, append: [outcome("a#0", big), intent("b#0", { n: 10n } as never)] }),
      ).toThrow(/journal entry 2: value is not JSON/);
      expectUntouched();
      expect(store.getBlob(sha(JSON.stringify(big)))).toBeUndefined();
    });

    it("an invalid entry kind or phase", () => {
      expect(() => store.commit({ runId: "r1", expectVersion: 1, append: [outcome("a#0"), intent("b#0", 1, { phase: "during" as never })] })).toThrow(StoreError);
      expect(() => store.commit({ runId: "r1", expectVersion: 1, append: [outcome("a#0"), intent("b#0", 1, { kind: "magic" as never })] })).toThrow(StoreError);
      expectUntouched();
    });

    it("the update fails after the entries were appended", () => {
      expect(() =>
        store.commit({ runId: "r1", expectVersion: 1, append: [outcome("a#0")], update: { status: "exploded" as never }, dispatch: [{ kind: "resume", runId: "r1" }] }),
      ).toThrow(/status must be one of/);
      expectUntouched();
    });

    it("a dispatch fails after the entries and the update were applied", () => {
      const loop: Record<string, unknown> = {};
      loop.self = loop;
      expect(() =>
        store.commit({
          runId: "r1",
          expectVersion: 1,
          append: [outcome("a#0")],
          update: { status: "completed", output: 1 },
          dispatch: [{ kind: "resume", runId: "r1" }, { kind: "notify", runId: "r1", payload: loop as never }],
        }),
      ).toThrow(/dispatch 1: payload is not JSON/);
      expectUntouched();
    });

    it("after failed commits the next one continues at the same version with no gap in seq", () => {
      expect(() => store.commit({ runId: "r1", expectVersion: 1, append: [outcome("a#0"), intent("b#0", 1n as never)] })).toThrow();
      expect(store.commit({ runId: "r1", expectVersion: 1, append: [outcome("a#0")] })).toBe(2);
      expect(store.load("r1")!.journal.map((e) => e.seq)).toEqual([0, 1]);
    });
  });

  describe("blobs", () => {
    it("are content-addressed by sha256 and stored once", () => {
      const bytes = new TextEncoder().encode("a plan, say");
      const h = store.putBlob(bytes);
      expect(h).toBe(sha(bytes));
      expect(store.putBlob(Uint8Array.from(bytes))).toBe(h);
      expect(store.getBlob(h)).toEqual(bytes);
      expect(store.getBlob(sha("other"))).toBeUndefined();
      const empty = store.putBlob(new Uint8Array(0));
      expect(store.getBlob(empty)).toEqual(new Uint8Array(0));
      const buf = Buffer.from([0, 255, 1, 254]);
      expect(store.getBlob(store.putBlob(buf))).toEqual(new Uint8Array([0, 255, 1, 254]));
    });

    it("returns copies", () => {
      const bytes = new Uint8Array([1, 2, 3]);
      const h = store.putBlob(bytes);
      bytes[0] = 9;
      store.getBlob(h)![1] = 9;
      expect(store.getBlob(h)).toEqual(new Uint8Array([1, 2, 3]));
    });

    it("refuses what is not bytes", () => {
      expect(() => store.putBlob("text" as never)).toThrow(StoreError);
    });
  });

  describe("large journal values", () => {
    it("round-trip through the blob table (over 8 KiB of JSON by default)", () => {
      store.create(run("r1"));
      const big = { rows: Array.from({ length: 400 }, (_, i) => ({ i, text: `row ${i} ✓ 🚀 ${"·".repeat(10)}` })) };
      const justUnder = "y".repeat(8 * 1024 - 2); // JSON: 8190 + 2 quotes = 8192 bytes, stays inline
      const justOver = "y".repeat(8 * 1024 - 1);
      store.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0", big), outcome("a#0", big), intent("b#0", justUnder), intent("c#0", justOver)] });
      const j = store.load("r1")!.journal;
      expect(j).toEqual(withSeq([intent("a#0", big), outcome("a#0", big), intent("b#0", justUnder), intent("c#0", justOver)]));
      // The value's JSON bytes are a blob, shared by both entries (and by anyone putting them).
      const bytes = new TextEncoder().encode(JSON.stringify(big));
      expect(store.getBlob(sha(bytes))).toEqual(bytes);
      expect(store.putBlob(bytes)).toBe(sha(bytes));
      expect(store.getBlob(sha(JSON.stringify(justOver)))).toBeDefined();
      expect(store.getBlob(sha(JSON.stringify(justUnder)))).toBeUndefined();
    });

    it("the threshold is an option", () => {
      const s = fx.open({ blobThreshold: 16 });
      s.create(run("r1"));
      s.commit({ runId: "r1", expectVersion: 0, append: [intent("a#0", "0123456789abcdef"), intent("b#0", "short")] });
      expect(s.load("r1")!.journal.map((e) => e.value)).toEqual(["0123456789abcdef", "short"]);
      expect(s.getBlob(sha(JSON.stringify("0123456789abcdef")))).toBeDefined();
      expect(s.getBlob(sha(JSON.stringify("short")))).toBeUndefined();
    });
  });

  describe("dispatch outbox", () => {
    it("hands off dispatches with commits, oldest first, each taken once", () => {
      store.create(run("r1"));
      store.create(run("r2"));
      store.commit({ runId: "r1", expectVersion: 0, append: [], dispatch: [{ kind: "resume", runId: "r1", payload: { value: 1 } }, { kind: "start", runId: "child" }] });
      store.commit({ runId: "r2", expectVersion: 0, append: [intent("x#0")], dispatch: [{ kind: "resume", runId: "r2", payload: null }] });
      expect(store.takeDispatches(2)).toEqual([
        { kind: "resume", runId: "r1", payload: { value: 1 } },
        { kind: "start", runId: "child" },
      ]);
      const peer = fx.peer(store);
      expect(peer.takeDispatches()).toEqual([{ kind: "resume", runId: "r2", payload: null }]);
      expect(store.takeDispatches()).toEqual([]);
      expect(peer.takeDispatches(10)).toEqual([]);
      store.commit({ runId: "r1", expectVersion: 1, append: [], dispatch: [{ kind: "resume", runId: "r1" }] });
      expect(store.takeDispatches(0)).toEqual([]);
      expect(store.takeDispatches()).toEqual([{ kind: "resume", runId: "r1" }]);
    });
  });
});
