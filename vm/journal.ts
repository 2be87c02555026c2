// The journal of one run: every effect's intent and outcome, keyed by a deterministic invocation
// key. Replay serves recorded outcomes; a request whose hash differs from the record is
// NonDeterminism; an intent without outcome is re-issued only for idempotent effects.
import { createHash } from "node:crypto";
import { Effect } from "effect";
import type { EffectKind, FailureInfo, Json, JournalEntry, LoadedRun, PendingInterrupt, RunRecord, RunStore } from "./types.js";
import { VmFailure } from "./types.js";

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

/** Canonical JSON (sorted keys) → sha256 hex: equal requests hash equally across runs and machines. */
export function requestHash(value: unknown): string {
  return createHash("sha256").update(canonical(value)).digest("hex").slice(0, 32);
}

function canonical(v: unknown): string {
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

export class Journal {
  private readonly outcomes = new Map<string, JournalEntry>();
  private readonly intents = new Map<string, JournalEntry>();
  private version: number;
  /** Keys whose outcome was served from the journal in this execution (for `awr replay`). */
  readonly replayed = new Set<string>();

  constructor(
    private readonly store: RunStore,
    readonly runId: string,
    loaded: LoadedRun,
    private readonly now: () => number,
    /** `awr replay`: every effect must come from the journal. */
    private readonly replayOnly = false,
  ) {
    this.version = loaded.version;
    for (const e of loaded.journal) (e.phase === "outcome" ? this.outcomes : this.intents).set(e.key, e);
  }

  outcome(key: string): JournalEntry | undefined {
    return this.outcomes.get(key);
  }

  /** Appends entries and updates the run in one commit. */
  commit(append: JournalEntry[], update?: Partial<Omit<RunRecord, "runId" | "createdAt">>) {
    this.version = this.store.commit({ runId: this.runId, expectVersion: this.version, append, update: update ? { ...update, updatedAt: this.now() } : undefined });
    for (const e of append) (e.phase === "outcome" ? this.outcomes : this.intents).set(e.key, e);
  }

  /** Records the answer to an interrupt (resume). */
  answer(p: PendingInterrupt, value: Json) {
    this.commit([{ key: p.id, step: p.step, kind: p.kind === "event" ? "event" : "human", phase: "outcome", hash: this.intents.get(p.id)?.hash ?? "", at: this.now(), value }]);
  }

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
      if (this.replayOnly) {
        return Effect.fail(
          new VmFailure({ kind: "nondeterminism", step: spec.key, retryable: false, message: `step ${spec.key} (${spec.kind} ${spec.name}) is not in the journal: the replay took another path than the run` }),
        );
      }
      const started = this.intents.get(spec.key);
      if (started && !spec.idempotent) {
        return Effect.fail(
          new NeedsAttention(
            spec.key,
            `${spec.kind} ${spec.name} (step ${spec.key}) was started before the run stopped and did not report back; it is not idempotent, so it may or may not have happened. Check it, then resume with its result.`,
          ),
        );
      }
      if (!started) this.commit([{ key: spec.key, step: spec.step, kind: spec.kind, phase: "intent", hash, at: this.now(), value: spec.request }]);
      events?.requested(false);
      return spec.perform().pipe(
        Effect.tap((value) => Effect.sync(() => this.commit([{ key: spec.key, step: spec.step, kind: spec.kind, phase: "outcome", hash, at: this.now(), value }]))),
        Effect.tapError((f: VmFailure) =>
          Effect.sync(() => {
            // Cancellation is not an outcome: the effect may be re-issued when the run resumes.
            if (f.info.kind !== "cancelled") this.commit([{ key: spec.key, step: spec.step, kind: spec.kind, phase: "outcome", hash, at: this.now(), error: f.info }]);
          }),
        ),
        Effect.tap(() => Effect.sync(() => events?.completed(false, true))),
        Effect.tapError(() => Effect.sync(() => events?.completed(false, false))),
      );
    });
  }

  /** Records that the run waits at `key` (the intent of an interrupt); idempotent. */
  suspendAt(key: string, step: string, kind: EffectKind, request: Json) {
    if (!this.intents.has(key)) this.commit([{ key, step, kind, phase: "intent", hash: requestHash(request), at: this.now(), value: request }]);
  }
}

export function failureOf(e: unknown): FailureInfo {
  if (e instanceof VmFailure) return e.info;
  return { kind: "tool", message: e instanceof Error ? e.message : String(e), retryable: false };
}
