/**
 * A run store failure that is not a version conflict: a missing or duplicate run, a value that is
 * not JSON, a database that is corrupt, foreign or written by a newer AWR, a closed store. The
 * message is one line meant for users (the CLI prints it without a stack trace).
 */
export class StoreError extends Error {
  readonly _tag = "StoreError";
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
