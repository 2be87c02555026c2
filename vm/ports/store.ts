// The store port: what the VM, the reports and the CLI need from wherever runs are kept, split by
// job and asynchronous, so that a networked store (PostgreSQL, DESIGN §9) implements it as well as
// the embedded ones (vm/store/: SQLite, memory) do.
//
// Every operation returns an `Effect`, not a Promise (docs/vm.md § The store port):
// - the interpreter is Effect-based: a journal commit is a step of the run's fiber, interruptible,
//   and its failures are typed (`VersionConflict`, `StoreError`, …, vm/ports/errors.ts) instead of
//   whatever a Promise rejects with;
// - a synchronous engine (better-sqlite3, memory) answers with `Effect.sync`, which the fiber runs
//   without a hop through the microtask queue: the embedded stores pay nothing for the port being
//   asynchronous (bench/store.mjs, bench/vm.mjs). A networked store answers with `Effect.tryPromise`;
// - Promise callers (the CLI, embedders, the coming HTTP server) run one with `Effect.runPromise`,
//   which rejects with the tagged error itself.
import type { Effect } from "effect";
import type { StoreError, VersionConflict } from "./errors.js";
import type { AuditQuery, AuditRecord, ChainReport, CommitRequest, Dispatch, LoadedRun, RunRecord, RunStatus, SessionEntry, SessionMemoryEntry, SessionQuery, VmEvent } from "../types.js";

export type { CommitRequest, Dispatch, LoadedRun } from "../types.js";

/** A dispatch as the outbox holds it: `seq` orders the outbox and names the entry to acknowledge. */
export type OutboxEntry = Dispatch & { seq: number };

/**
 * The run log: runs, their journals (hash-chained), the blobs they refer to, and the outbox of
 * follow-up work. Shaped for many workers sharing one database (DESIGN §5, §9): `load` gives a
 * consistent view with a version; `commit` appends journal entries, events, audit records and
 * dispatches and updates the run atomically, failing with `VersionConflict` if another writer
 * committed since `expectVersion`.
 */
export interface RunLog {
  /** Stores a new run (version 0). A duplicate run id is a `StoreError`. */
  create(run: RunRecord): Effect.Effect<void, StoreError>;
  /**
   * The run, its journal and its version; `undefined` for an unknown run. A run whose journal
   * chain is broken fails with `ChainError` (tag `ChainBroken`).
   */
  load(runId: string): Effect.Effect<LoadedRun | undefined, StoreError>;
  /**
   * One atomic commit; succeeds with the new version. `dispatch`: follow-up work written to the
   * outbox in the same transaction as the status change it follows from (DESIGN §8: webhooks) —
   * for the coming server and workers, which take it with `takeDispatches`; the runtime puts the webhook events of a status change there (vm/webhooks.ts, kind `webhook`).
   */
  commit(req: CommitRequest): Effect.Effect<number, VersionConflict | StoreError>;
  /** Content-addressed blobs (plans, large payloads): succeeds with the sha256 hex. */
  putBlob(bytes: Uint8Array): Effect.Effect<string, StoreError>;
  getBlob(hash: string): Effect.Effect<Uint8Array | undefined, StoreError>;
  /** Dispatches not yet taken (oldest first), removed as they are taken. */
  takeDispatches(limit?: number): Effect.Effect<Dispatch[], StoreError>;
  /**
   * Dispatches not yet acknowledged (oldest first), each with its outbox `seq`; they stay in the
   * outbox. A taker that must not lose one (the webhook deliverer) stores what it needs, then
   * `ackDispatches`: a crash in between hands the same dispatches out again (at least once).
   */
  peekDispatches(limit?: number): Effect.Effect<OutboxEntry[], StoreError>;
  /** Removes these dispatches from the outbox (seqs already gone are ignored). */
  ackDispatches(seqs: readonly number[]): Effect.Effect<void, StoreError>;
  /**
   * Checks the hash chains of a run's journal and audit records (of every run when no id is given)
   * and reports each break (`awr audit --verify`).
   */
  verify(runId?: string): Effect.Effect<ChainReport[], StoreError>;
}

/** Read-only questions over many runs: the run list, a run's trace, the audit log. */
export interface RunQueries {
  /** Newest first. `since`/`until` bound `createdAt` (inclusive, ms since the epoch). */
  list(opts?: { limit?: number; status?: RunStatus; since?: number; until?: number }): Effect.Effect<RunRecord[], StoreError>;
  /** The stored events of a run (its trace), in emission order. */
  events(runId: string): Effect.Effect<VmEvent[], StoreError>;
  /** Audit records matching the query, oldest first. */
  audit(query?: AuditQuery): Effect.Effect<AuditRecord[], StoreError>;
}

/** Session memory: conversations that continue across runs (docs/agents.md § Sessions). */
export interface SessionStore {
  /** A session's history, oldest first (empty for an unknown session). */
  session(sessionId: string): Effect.Effect<SessionEntry[], StoreError>;
  /** Appends to a session (created on first append); succeeds with the new length. */
  appendSession(sessionId: string, entries: SessionEntry[]): Effect.Effect<number, StoreError>;
  /**
   * Entries of every session (cross-session memory), by session id then position: those of
   * `principal` only (the id of the principal of the run that wrote them) when given, without
   * `excludeSession`'s.
   */
  sessionEntries(query?: SessionQuery): Effect.Effect<SessionMemoryEntry[], StoreError>;
}

/**
 * A run store as the runtime, the reports and the CLI see it: its three ports. Which store it is
 * (SQLite, memory, PostgreSQL) only `vm/store/` and the code that opens it (the host) know.
 */
export interface RunStore {
  readonly log: RunLog;
  readonly queries: RunQueries;
  readonly sessions: SessionStore;
  /** Releases the store (a database handle, a pool): the opener's job; awaitable for a networked store. */
  close(): void | Promise<void>;
}
