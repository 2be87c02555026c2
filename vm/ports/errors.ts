// The errors of the store port and of the runtime's refusals, tagged: a caller decides by `_tag`
// (`Effect.catchTag`, a `switch`), never by reading a message. The messages are one line meant for
// users; the CLI prints them as they are and maps each tag to an exit code (cli/commands/errors.ts),
// an HTTP server to a status (`status` on the refusals).
//
//   tag                  class                 meaning                                      CLI exit
//   VersionConflict      VersionConflict       another writer committed first (expectVersion) 70
//   ClaimLost            ClaimLost             an execution's run moved on in another process   75
//   StoreError           StoreError            unreadable, foreign, newer, closed store; bad JSON 2
//   ChainBroken          ChainError            a run's hash chain is broken (vm/store/chain.ts) 2
//   BlobMissing          BlobMissing           a blob (a run's plan) is not in the store       2
//   UnknownRun           RunNotFound           no such run                                     2
//   NotWaiting           NotWaiting            resume of a run that waits for no such answer   2
//   NotNeedingAttention  NotNeedingAttention   resolve of a run not stopped on an effect        2
//   InvalidResumeValue   InvalidResumeValue    the answer does not fit what the run waits for  2
import type { RunStatus } from "../types.js";

/** Another writer committed to the run since it was loaded: reload and decide again (DESIGN §9). */
export class VersionConflict extends Error {
  readonly _tag = "VersionConflict";
  constructor(
    readonly runId: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`run ${runId} moved: expected version ${expected}, found ${actual}`);
    this.name = "VersionConflict";
  }
}

/**
 * An execution (start, resume, resolve, recover) found that another process committed to its run
 * (a `VersionConflict` mid-run: a worker that took the run over, a second `awr resume`): this
 * process stopped executing it and wrote nothing more. The run is not failed — it goes on where it
 * moved; the caller drops it (a worker whose claim still holds loads it again). Effects already in
 * flight here finish, but their outcomes are not stored: the other process's journal decides.
 */
export class ClaimLost extends Error {
  readonly _tag = "ClaimLost";
  /** The HTTP status an API answers with. */
  readonly status = 409;
  constructor(
    readonly runId: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`run ${runId} was moved on by another execution, in another process or this one (expected version ${expected}, found ${actual}): this one stopped and stored nothing more; the run is not failed`);
    this.name = "ClaimLost";
  }
}

/**
 * A run store failure that is not a version conflict: a missing or duplicate run, a value that is
 * not JSON, a database that is corrupt, foreign or written by a newer AWR, a closed store. The
 * message is one line meant for users (the CLI prints it without a stack trace).
 */
export class StoreError extends Error {
  readonly _tag: "StoreError" | "ChainBroken" | "BlobMissing" = "StoreError";
  constructor(
    message: string,
    /** The database file, when the error is about one. */
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StoreError";
  }
}

/** A blob the store should hold is not there (the plan a run was started with). */
export class BlobMissing extends StoreError {
  override readonly _tag = "BlobMissing";
  constructor(
    readonly hash: string,
    /** What the blob is, for the message: e.g. "the plan of run 6f1c…". */
    what: string,
    path?: string,
  ) {
    super(`${what} (${hash}) is missing from the store`, path);
    this.name = "BlobMissing";
  }
}

/** A request about a run that the runtime refuses; nothing was stored. */
export class RunRejection extends Error {
  readonly _tag: "UnknownRun" | "NotWaiting" | "NotNeedingAttention" | "InvalidResumeValue" = "NotWaiting";
  /** The HTTP status an API answers with. */
  readonly status: number = 409;
  constructor(
    message: string,
    readonly runId: string,
  ) {
    super(message);
    this.name = "RunRejection";
  }
}

/** No such run in the store (404). Tag `UnknownRun`. */
export class RunNotFound extends RunRejection {
  override readonly _tag = "UnknownRun";
  override readonly status = 404;
  constructor(runId: string) {
    super(`no run ${runId} in this store`, runId);
    this.name = "RunNotFound";
  }
}

/** The port's name for `RunNotFound`. */
export { RunNotFound as UnknownRun };

/** The run waits for no answer, or not for the interrupt named (409). */
export class NotWaiting extends RunRejection {
  override readonly _tag = "NotWaiting";
  constructor(
    message: string,
    runId: string,
    readonly runStatus: RunStatus,
  ) {
    super(message, runId);
    this.name = "NotWaiting";
  }
}

/** `resolve` on a run that is not `needs_attention` (409). */
export class NotNeedingAttention extends RunRejection {
  override readonly _tag = "NotNeedingAttention";
  constructor(
    runId: string,
    readonly runStatus: RunStatus,
  ) {
    super(`run ${runId} is ${runStatus}, not needs_attention: only a run stopped on an effect in doubt can be resolved`, runId);
    this.name = "NotNeedingAttention";
  }
}

/**
 * A value that does not fit what the run waits for: an interrupt's answer or a resolved effect's
 * result (422). `expected` describes the type, `errors` are the schema errors with their JSON paths.
 */
export class InvalidResumeValue extends RunRejection {
  override readonly _tag = "InvalidResumeValue";
  override readonly status = 422;
  constructor(
    runId: string,
    /** What the value answers, e.g. `approval "refund needs approval"` or `the result of tool refund`. */
    readonly target: string,
    readonly expected: string,
    readonly errors: string[],
  ) {
    super(`the value does not fit ${target}: expected ${expected}; ${errors.join("; ")}`, runId);
    this.name = "InvalidResumeValue";
  }
}

/** What a store port call can fail with (besides a defect). */
export type StoreFailure = StoreError | VersionConflict;

/** A tagged error of the port or the runtime (anything with a string `_tag` and a message). */
export function errorTag(e: unknown): string | undefined {
  return e instanceof Error && typeof (e as { _tag?: unknown })._tag === "string" ? (e as unknown as { _tag: string })._tag : undefined;
}
