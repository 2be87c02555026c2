// The embedded stores' synchronous engine (better-sqlite3 is synchronous; the memory store mirrors
// it) and the adapter that puts the asynchronous ports (vm/ports/store.ts) in front of it. Only
// vm/store/ and the stores' own tests call an engine directly; everyone else has a `RunStore`.
import { Effect } from "effect";
import { StoreError, VersionConflict } from "../ports/errors.js";
import type { OutboxEntry, RunLog, RunQueries, SessionStore } from "../ports/store.js";
import type { AuditQuery, AuditRecord, ChainReport, CommitRequest, Dispatch, LoadedRun, RunRecord, RunStatus, SessionEntry, SessionMemoryEntry, SessionQuery, VmEvent } from "../types.js";

/**
 * The synchronous face of an embedded store: the same operations as the ports, answered at once.
 * Throws `StoreError` (and `ChainError`) or `VersionConflict`.
 */
export interface StoreEngine {
  create(run: RunRecord): void;
  load(runId: string): LoadedRun | undefined;
  /** Returns the new version. Throws VersionConflict. */
  commit(req: CommitRequest): number;
  list(opts?: { limit?: number; status?: RunStatus; since?: number; until?: number }): RunRecord[];
  audit(query?: AuditQuery): AuditRecord[];
  events(runId: string): VmEvent[];
  session(sessionId: string): SessionEntry[];
  appendSession(sessionId: string, entries: SessionEntry[]): number;
  sessionEntries(query?: SessionQuery): SessionMemoryEntry[];
  putBlob(bytes: Uint8Array): string;
  getBlob(hash: string): Uint8Array | undefined;
  takeDispatches(limit?: number): Dispatch[];
  peekDispatches(limit?: number): OutboxEntry[];
  ackDispatches(seqs: readonly number[]): void;
  verify(runId?: string): ChainReport[];
  close(): void;
}

/**
 * Runs one engine call as an effect: its value, its `StoreError`/`VersionConflict` as the typed
 * failure, anything else as a defect (a bug). No promise, no microtask: a fiber runs it in line.
 */
function call<A>(f: () => A): Effect.Effect<A, StoreError>;
function call<A>(f: () => A, conflicts: true): Effect.Effect<A, StoreError | VersionConflict>;
function call<A>(f: () => A): Effect.Effect<A, StoreError | VersionConflict> {
  return Effect.suspend(() => {
    try {
      return Effect.succeed(f());
    } catch (e) {
      return settled(e);
    }
  });
}

/** An engine's throw as an effect: its `StoreError`/`VersionConflict` the typed failure, anything else a defect. */
export function settled(e: unknown): Effect.Effect<never, StoreError | VersionConflict> {
  return e instanceof StoreError || e instanceof VersionConflict ? Effect.fail(e) : Effect.die(e);
}

/** The three ports over an engine; each call goes to the engine's method at the time it runs. */
export function portsOf(engine: StoreEngine): { log: RunLog; queries: RunQueries; sessions: SessionStore } {
  return {
    log: {
      create: (run) => call(() => engine.create(run)),
      load: (runId) => call(() => engine.load(runId)),
      commit: (req) => call(() => engine.commit(req), true),
      putBlob: (bytes) => call(() => engine.putBlob(bytes)),
      getBlob: (hash) => call(() => engine.getBlob(hash)),
      takeDispatches: (limit) => call(() => engine.takeDispatches(limit)),
      peekDispatches: (limit) => call(() => engine.peekDispatches(limit)),
      ackDispatches: (seqs) => call(() => engine.ackDispatches(seqs)),
      verify: (runId) => call(() => engine.verify(runId)),
    },
    queries: {
      list: (opts) => call(() => engine.list(opts)),
      events: (runId) => call(() => engine.events(runId)),
      audit: (query) => call(() => engine.audit(query)),
    },
    sessions: {
      session: (sessionId) => call(() => engine.session(sessionId)),
      appendSession: (sessionId, entries) => call(() => engine.appendSession(sessionId, entries)),
      sessionEntries: (query) => call(() => engine.sessionEntries(query)),
    },
  };
}
