// What a command may touch besides the file system: its output streams, working directory and
// environment. Tests pass a recording implementation; `processIo()` is the real one.
import { isAbsolute, relative, sep } from "node:path";

export interface Output {
  write(text: string): void;
  /** Whether escape codes may be written (a TTY, and NO_COLOR unset). */
  readonly color: boolean;
}

export interface CliIo {
  stdout: Output;
  stderr: Output;
  cwd: string;
  env: Record<string, string | undefined>;
}

/** Exit codes of every command. */
export const Exit = {
  ok: 0,
  /** The sources have errors. */
  errors: 1,
  /** Bad usage, a missing or unreadable file, a plan that cannot be read. */
  usage: 2,
  /** A plan refused by --trust: unsigned, signed by another key, or changed after signing (EX_NOPERM). */
  untrusted: 77,
  /** A bug in awr (EX_SOFTWARE). */
  internal: 70,
  /** The run was moved on by another process meanwhile (ClaimLost): this one stopped; try later (EX_TEMPFAIL). */
  lost: 75,
} as const;

/**
 * A mistake of the user's (bad flag, missing file): printed as one `error:` line and a hint, exit 2.
 * Thrown by commands and caught in main, never shown with a stack.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

export function colorEnabled(isTTY: boolean | undefined, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  return isTTY === true && env.TERM !== "dumb";
}

export function processIo(): CliIo {
  const env = process.env;
  // `awr check | head` closes the pipe early: that is the reader's choice, not an error of ours.
  for (const s of [process.stdout, process.stderr])
    s.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw e;
    });
  const stream = (s: NodeJS.WriteStream): Output => ({ write: (text) => void s.write(text), color: colorEnabled(s.isTTY, env) });
  return { stdout: stream(process.stdout), stderr: stream(process.stderr), cwd: process.cwd(), env };
}

/** A path as the user should read it: relative to the working directory when it is inside it. */
export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  const outside = rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel);
  return rel !== "" && !outside ? rel : file;
}

/** One `error:` line (plus an optional hint) on stderr. */
export function printError(io: CliIo, message: string, hint?: string): void {
  const red = (s: string) => (io.stderr.color ? `\x1b[1;31m${s}\x1b[0m` : s);
  const cyan = (s: string) => (io.stderr.color ? `\x1b[1;36m${s}\x1b[0m` : s);
  io.stderr.write(`${red("error:")} ${message}\n`);
  if (hint) io.stderr.write(`${cyan("hint:")} ${hint}\n`);
}
