// Configuration the host cannot build a runtime from: a store spec it does not support, a models
// spec it does not know, a key or recordings file it cannot read, a metrics port it cannot serve.
// Values with a code, not bugs: the CLI prints them as usage errors (exit 2), a server would
// answer them as bad configuration.

export type HostConfigErrorCode =
  /** A store spec naming a backend that exists in the design but not in this build (none today). */
  | "STORE_UNSUPPORTED"
  /** A store spec that cannot be read: a postgres://… string that is not a URL, a bad `schema=`. */
  | "STORE_INVALID"
  /** A models spec other than `openai` and `recorded:<file>`. */
  | "MODELS_UNKNOWN"
  /** An embedder spec other than `local` and `openai:<model>`. */
  | "EMBEDDER_UNKNOWN"
  /** `recorded:<file>` naming a missing or unreadable recordings file. */
  | "RECORDINGS_UNREADABLE"
  /** A trusted public key file that cannot be read. */
  | "TRUST_KEY_UNREADABLE"
  /** A trusted key file that is not an Ed25519 public key. */
  | "TRUST_KEY_INVALID"
  /** The metrics endpoint cannot listen where asked. */
  | "METRICS_UNAVAILABLE";

export class HostConfigError extends Error {
  readonly _tag = "HostConfigError";
  constructor(
    readonly code: HostConfigErrorCode,
    message: string,
    /** What to do about it, in words that do not assume a command line. */
    readonly hint?: string,
    /** The spec or file the error is about, as given. */
    readonly subject?: string,
  ) {
    super(message);
    this.name = "HostConfigError";
  }
}
