// The journal of one run: every effect's intent and outcome, keyed by a deterministic invocation
// key. Replay serves recorded outcomes; a request whose hash differs from the record is
// NonDeterminism; an intent without outcome is re-issued only for idempotent effects.
import * as crypto from "node:crypto";
import { Effect, Semaphore } from "effect";
import type { AuditRecord, CommitRequest, Dispatch, EffectKind, FailureInfo, Json, JournalEntry, LoadedRun, PendingInterrupt, RunRecord, RunStore, VmEvent } from "./types.js";
import { VmFailure } from "./types.js";
import { snapshotPrefix } from "./keys.js";
import { ClaimLost, errorTag, type VersionConflict } from "./ports/errors.js";

/** A run (or a branch of it) stops, durably, until someone answers (human input, an event, an approval). */
export class Suspended {
  readonly _tag = "Suspended";
  constructor(
    readonly pending: PendingInterrupt[],
    /** State writes the suspended node made before it stopped (visible while the run waits). */
    readonly writes: { field: string; value: Json; mode: "one" | "each"; order: string }[] = [],
  ) {}
}

/** A non-idempotent effect may or may not have happened before a crash: a person must look. */
export class NeedsAttention {
  readonly _tag = "NeedsAttention";
  constructor(
    readonly step: string,
    readonly message: string,
  ) {}
}

export type Interrupt = Suspended | NeedsAttention;

/** One-shot sha256 (Node ≥ 20.12: no Hash object per call), else the streaming API; same digest. */
const sha256: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === "function"
    ? (text) => (crypto as unknown as { hash(alg: string, data: string, enc: "hex"): string }).hash("sha256", text, "hex")
    : (text) => crypto.createHash("sha256").update(text).digest("hex");

/** Canonical JSON (sorted keys) → sha256 hex: equal requests hash equally across runs and machines. */
export function requestHash(value: unknown): string {
  return sha256(canonical(value)).slice(0, 32);
}

/** JSON with sorted keys (undefined fields dropped): equal values give equal text. */
export function canonical(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(",")}}`;
}

export interface EffectSpec {
  key: string;
  step: string;
  kind: EffectKind;
  /** The callee's name (for events and messages). */
  name: string;
  request: Json;
  /** May be performed again after a crash between intent and outcome. */
  idempotent: boolean;
  perform: () => Effect.Effect<Json, VmFailure>;
}

/**
 * What an execution persists besides the journal: its events and audit records, buffered and
 * written with the next commit (never a commit of their own). A resumed or recovered execution
 * replays the run from its start and so emits again what earlier executions already stored; those
 * repeats are recognised by their fingerprint (the record without its timestamps and `replayed`
 * flag) against what the store holds for the run — a multiset, each stored record matching one
 * repeat — and not stored twice. Run-level events (`run.*`) are per execution and always stored.
 * An execution that starts from a snapshot re-executes only what came after it: records stored
 * before `since` (the snapshot's time, less a margin for clock steps) cannot repeat and are skipped.
 */
class TraceBuffer {
  events: VmEvent[] = [];
  audit: AuditRecord[] = [];
  private readonly seenEvents = new Map<string, number>();
  private readonly seenAudit = new Map<string, number>();

  /** Fingerprints what the store holds for the run (its events and audit records since `since`). */
  static load(store: RunStore, runId: string, since = -Infinity): Effect.Effect<TraceBuffer> {
    return Effect.all([store.queries.events(runId), store.queries.audit({ runId, ...(since > -Infinity ? { since } : {}) })]).pipe(
      Effect.map(([events, audit]) => {
        const t = new TraceBuffer();
        for (const e of events) if (e.at >= since && !e.type.startsWith("run.")) bump(t.seenEvents, eventPrint(e));
        for (const a of audit) bump(t.seenAudit, auditPrint(a));
        return t;
      }),
      Effect.orDie,
    );
  }

  event(e: VmEvent) {
    // A first execution has nothing stored: no fingerprints to compute.
    if (this.seenEvents.size && !e.type.startsWith("run.") && take(this.seenEvents, eventPrint(e))) return;
    this.events.push(e);
  }

  record(a: AuditRecord) {
    if (this.seenAudit.size && take(this.seenAudit, auditPrint(a))) return;
    this.audit.push(a);
  }
}

function bump(m: Map<string, number>, k: string) {
  m.set(k, (m.get(k) ?? 0) + 1);
}

/** Consumes one stored occurrence of `k`; false when there is none left. */
function take(m: Map<string, number>, k: string): boolean {
  const n = m.get(k);
  if (!n) return false;
  if (n === 1) m.delete(k);
  else m.set(k, n - 1);
  return true;
}

function eventPrint(e: VmEvent): string {
  const { at: _at, replayed: _r, durationMs: _d, ...rest } = e as VmEvent & { replayed?: boolean; durationMs?: number };
  return canonical(rest);
}

function auditPrint(a: AuditRecord): string {
  const { at: _at, ...rest } = a;
  return canonical(rest);
}

/** Buffered events are written with a journal commit at most this often (ms), or when this many wait. */
export const EVENT_FLUSH_MS = 100;
export const EVENT_FLUSH_MAX = 1000;

export class Journal {
  private readonly outcomes = new Map<string, JournalEntry>();
  private readonly intents = new Map<string, JournalEntry>();
  private version: number;
  /**
   * One commit at a time, each at the version the one before produced. A synchronous store (SQLite,
   * memory) finishes a commit before another fiber runs; a networked one (PostgreSQL) yields while
   * it is in flight, and the run's concurrent branches would otherwise commit at the same version
   * and fail each other with VersionConflict (test/vm/async-store.test.ts).
   */
  private readonly commits = Semaphore.makeUnsafe(1);
  /** Keys whose outcome was served from the journal in this execution (for `awr replay`). */
  readonly replayed = new Set<string>();
  /** Set by `persistTrace`: events and audit records waiting for the next commit. */
  private trace: TraceBuffer | undefined;
  private eventsFlushedAt = 0;
  private readonly snapshotIndex = new Map<string, Map<number, JournalEntry>>();
  /**
   * Set when a commit met a `VersionConflict`: another process moved the run. From then on this
   * journal sends no commit and starts no effect; each attempt dies with this `ClaimLost`, which
   * the execution hands to its caller instead of a status (vm/exec/run.ts).
   */
  lost: ClaimLost | undefined;

  constructor(
    private readonly store: RunStore,
    readonly runId: string,
    loaded: LoadedRun,
    private readonly now: () => number,
    /** `awr replay`: every effect must come from the journal. */
    readonly replayOnly = false,
  ) {
    this.version = loaded.version;
    for (const e of loaded.journal) (e.phase === "outcome" ? this.outcomes : this.intents).set(e.key, e);
  }

  outcome(key: string): JournalEntry | undefined {
    return this.outcomes.get(key);
  }

  /**
   * The snapshots of `graph` in the journal, by superstep (`graph:NAME/snapshot:N`,
   * vm/exec/snapshot.ts): indexed once, on first use — before the execution writes any of its own.
   */
  snapshots(graph: string): ReadonlyMap<number, JournalEntry> {
    let m = this.snapshotIndex.get(graph);
    if (!m) {
      m = new Map();
      const prefix = snapshotPrefix(graph);
      for (const [k, e] of this.outcomes) if (k.startsWith(prefix)) m.set(Number(k.slice(prefix.length)), e);
      this.snapshotIndex.set(graph, m);
    }
    return m;
  }

  /**
   * From now on, events (`event`) and audit records (`audit`) of this execution are stored: each
   * commit carries those buffered since the previous one, atomically with its journal entries.
   * Not for `awr replay` (which must write nothing) — without this call both are ignored.
   */
  persistTrace(since?: number): Effect.Effect<void> {
    if (this.replayOnly || this.trace) return Effect.void;
    return TraceBuffer.load(this.store, this.runId, since).pipe(
      Effect.map((t) => {
        this.trace ??= t;
      }),
    );
  }

  /** Buffers an event for the next commit (when persisting the trace). */
  event(e: VmEvent) {
    this.trace?.event(e);
  }

  /** Buffers an audit record (a policy decision, a tool call) for the next commit (when persisting the trace). */
  audit(record: AuditRecord) {
    this.trace?.record(record);
  }

  /**
   * Appends entries and updates the run in one commit, with the buffered events and audit records.
   * `barrier`: the commit precedes something outside the VM that may not be repeated (a
   * non-idempotent call), so everything buffered is stored with it. `dispatch`: follow-up work for
   * the outbox, in the same commit (the webhook events of a status change, vm/webhooks.ts).
   *
   * A failure of the store is a defect of the fiber, as a throw was when the port was synchronous:
   * `Effect.runPromise` rejects with the store's error itself — a version conflict as `ClaimLost`
   * (another process moved the run; see `lost`).
   */
  commit(append: JournalEntry[], update?: Partial<Omit<RunRecord, "runId" | "createdAt">>, barrier = false, dispatch: Dispatch[] = []): Effect.Effect<void> {
    return Effect.suspend(() => this.commitNow(append, update, barrier, dispatch));
  }

  private commitNow(append: JournalEntry[], update: Partial<Omit<RunRecord, "runId" | "createdAt">> | undefined, barrier: boolean, dispatch: Dispatch[]): Effect.Effect<void> {
    let flush = false;
    let events: VmEvent[] | undefined;
    let audit: AuditRecord[] | undefined;
    return this.write(() => {
      const t = this.trace;
      // Events and audit records ride on a commit at most every EVENT_FLUSH_MS, and always on a status
      // commit and on the intent commit of a non-idempotent effect (so the decision that let an
      // irreversible call through is stored before the call). A crash loses at most that much of the
      // trace of re-issuable work; the recovery's replay emits those steps and decisions again, so
      // they are stored then (with the replay's timestamps) — the journal itself loses nothing.
      flush =
        t !== undefined &&
        (t.events.length > 0 || t.audit.length > 0) &&
        (barrier || update !== undefined || t.events.length + t.audit.length >= EVENT_FLUSH_MAX || this.now() - this.eventsFlushedAt >= EVENT_FLUSH_MS);
      events = flush && t!.events.length ? t!.events : undefined;
      audit = flush && t!.audit.length ? t!.audit : undefined;
      // Taken off the buffers now: what other fibers buffer while this commit is in flight goes
      // with the next one. A commit that fails puts them back (only a stored record leaves them).
      if (events) t!.events = [];
      if (audit) t!.audit = [];
      return {
        runId: this.runId,
        expectVersion: this.version,
        append,
        update: update ? { ...update, updatedAt: this.now() } : undefined,
        ...(dispatch.length ? { dispatch } : {}),
        ...(events ? { events } : {}),
        ...(audit ? { audit } : {}),
      };
    }).pipe(
      Effect.map(() => {
        if (flush) this.eventsFlushedAt = this.now();
        for (const e of append) (e.phase === "outcome" ? this.outcomes : this.intents).set(e.key, e);
      }),
      Effect.onError(() =>
        Effect.sync(() => {
          const t = this.trace;
          if (t && events) t.events = [...events, ...t.events];
          if (t && audit) t.audit = [...audit, ...t.audit];
        }),
      ),
    );
  }

  /**
   * One commit through the port, built when it is this journal's turn (at the version the previous
   * commit produced); the new version is this journal's.
   */
  private write(build: () => CommitRequest): Effect.Effect<void> {
    // Uninterruptible once sent: a commit on the wire lands whatever its fiber does, so an
    // interruption (a cancel, a time limit) waits for it and this journal keeps the version it
    // produced — else the run's last commit (`cancelled`) would conflict with its own.
    return this.commits.withPermits(1)(
      Effect.uninterruptible(
        Effect.suspend(() => (this.lost ? Effect.die(this.lost) : this.store.log.commit(build()))).pipe(
          Effect.map((v) => {
            this.version = v;
          }),
          Effect.catchIf(
            (e) => errorTag(e) === "VersionConflict",
            (e) => {
              const c = e as VersionConflict;
              this.lost ??= new ClaimLost(this.runId, c.expected, c.actual);
              return Effect.die(this.lost);
            },
          ),
          Effect.orDie,
        ),
      ),
    );
  }

  /** Records the answer to an interrupt (resume), with the audit record of the decision. */
  answer(p: PendingInterrupt, value: Json, audit: AuditRecord[] = []): Effect.Effect<void> {
    return Effect.suspend(() => {
      const entry: JournalEntry = { key: p.id, step: p.step, kind: p.kind === "event" ? "event" : "human", phase: "outcome", hash: this.intents.get(p.id)?.hash ?? "", at: this.now(), value };
      return this.write(() => ({ runId: this.runId, expectVersion: this.version, append: [entry], ...(audit.length ? { audit } : {}) })).pipe(Effect.map(() => void this.outcomes.set(entry.key, entry)));
    });
  }

  /**
   * Records the outcome of an effect in doubt as an operator resolved it (`resolve`): the result it
   * had, or a failure. Committed with the audit record of the decision.
   */
  resolved(intent: JournalEntry, outcome: { value: Json } | { error: FailureInfo }, audit: AuditRecord[]): Effect.Effect<void> {
    return Effect.suspend(() => {
      const entry: JournalEntry = { key: intent.key, step: intent.step, kind: intent.kind, phase: "outcome", hash: intent.hash, at: this.now(), ...outcome };
      return this.write(() => ({ runId: this.runId, expectVersion: this.version, append: [entry], audit })).pipe(Effect.map(() => void this.outcomes.set(entry.key, entry)));
    });
  }

  /** Stores audit records on their own (the decision to re-issue an effect in doubt). */
  record(audit: AuditRecord[]): Effect.Effect<void> {
    return this.write(() => ({ runId: this.runId, expectVersion: this.version, append: [], audit }));
  }

  /**
   * Effects in doubt (an intent, no outcome, not idempotent) that this execution may re-issue once,
   * with the same idempotency key: an operator's `resolve --retry`.
   */
  readonly reissue = new Set<string>();

  /**
   * Performs an effect at most once per key: a recorded outcome is served (and its request hash
   * checked), an unfinished intent is re-issued only when idempotent, anything else is performed
   * between an intent and an outcome record.
   */
  run(spec: EffectSpec, events?: { requested(replayed: boolean): void; completed(replayed: boolean, ok: boolean): void }): Effect.Effect<Json, VmFailure | NeedsAttention> {
    return Effect.suspend((): Effect.Effect<Json, VmFailure | NeedsAttention> => {
      const hash = requestHash(spec.request);
      const done = this.outcomes.get(spec.key);
      if (done) {
        if (done.hash !== hash && done.hash !== "") {
          return Effect.fail(
            new VmFailure({
              kind: "nondeterminism",
              step: spec.key,
              retryable: false,
              message: `step ${spec.key} (${spec.kind} ${spec.name}) asked for something else than the journal recorded: the plan or its input changed since the run started`,
            }),
          );
        }
        this.replayed.add(spec.key);
        events?.requested(true);
        events?.completed(true, !done.error);
        return done.error ? Effect.fail(new VmFailure(done.error)) : Effect.succeed(done.value ?? null);
      }
      const started = this.intents.get(spec.key);
      // An effect in doubt stops the run — also in `awr replay`, which then reproduces the
      // needs_attention the run ended in instead of reporting a step missing from the journal.
      if (started && !spec.idempotent && !this.reissue.delete(spec.key)) {
        return Effect.fail(
          new NeedsAttention(
            spec.key,
            `${spec.kind} ${spec.name} (step ${spec.key}) was started before the run stopped and did not report back; it is not idempotent, so it may or may not have happened. Check it, then resolve it: with its result, a retry, or a failure.`,
          ),
        );
      }
      // Another process moved the run: nothing more is started here (vm/exec/run.ts stops).
      if (this.lost) return Effect.die(this.lost);
      if (this.replayOnly) {
        return Effect.fail(
          new VmFailure({ kind: "nondeterminism", step: spec.key, retryable: false, message: `step ${spec.key} (${spec.kind} ${spec.name}) is not in the journal: the replay took another path than the run` }),
        );
      }
      // The intent is made durable BEFORE the effect only where that changes what a recovery does:
      // for an effect that may not be re-issued (a non-idempotent tool), a durable intent without
      // an outcome is what stops the run in needs_attention instead of repeating it. An effect that
      // may be re-issued (idempotent tools, model calls, clock and id reads) is re-issued after a
      // crash whether or not its intent was stored, so its intent is appended in the same commit
      // as its outcome: one commit per effect instead of two, the same journal (docs/vm.md).
      const intent: JournalEntry | undefined = started ? undefined : { key: spec.key, step: spec.step, kind: spec.kind, phase: "intent", hash, at: this.now(), value: spec.request };
      const withIntent = (outcome: JournalEntry): JournalEntry[] => (intent && spec.idempotent ? [intent, outcome] : [outcome]);
      const performed = Effect.suspend(() => {
        events?.requested(false);
        return spec.perform();
      }).pipe(
        Effect.tap((value) => this.commit(withIntent({ key: spec.key, step: spec.step, kind: spec.kind, phase: "outcome", hash, at: this.now(), value }))),
        Effect.tapError((f: VmFailure) =>
          // Cancellation is not an outcome: the effect may be re-issued when the run resumes.
          f.info.kind !== "cancelled" ? this.commit(withIntent({ key: spec.key, step: spec.step, kind: spec.kind, phase: "outcome", hash, at: this.now(), error: f.info })) : Effect.void,
        ),
        Effect.tap(() => Effect.sync(() => events?.completed(false, true))),
        Effect.tapError(() => Effect.sync(() => events?.completed(false, false))),
      );
      return intent && !spec.idempotent ? Effect.andThen(this.commit([intent], undefined, true), performed) : performed;
    });
  }

  /** Records that the run waits at `key` (the intent of an interrupt); idempotent. */
  suspendAt(key: string, step: string, kind: EffectKind, request: Json): Effect.Effect<void> {
    return Effect.suspend(() => (this.intents.has(key) ? Effect.void : this.commit([{ key, step, kind, phase: "intent", hash: requestHash(request), at: this.now(), value: request }])));
  }
}

export function failureOf(e: unknown): FailureInfo {
  if (e instanceof VmFailure) return e.info;
  return { kind: "tool", message: e instanceof Error ? e.message : String(e), retryable: false };
}
