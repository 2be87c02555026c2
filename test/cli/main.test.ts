// main() in-process, for what a spawned process cannot easily provoke.
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../cli/io.js";
import { main } from "../../cli/main.js";

function recordingIo(write?: () => void): CliIo & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    cwd: process.cwd(),
    env: {},
    stdout: { color: false, write: (t: string) => (write ? write() : void (io.out += t)) },
    stderr: { color: false, write: (t: string) => void (io.err += t) },
  };
  return io;
}

describe("main", () => {
  it("reports an unexpected exception as an internal error with its stack, exit 70", async () => {
    const io = recordingIo(() => {
      throw new TypeError("boom");
    });
    expect(await main(["--version"], io)).toBe(70);
    expect(io.err).toMatch(/^internal error: this is a bug in awr/);
    expect(io.err).toContain("TypeError: boom");
    expect(io.err).toMatch(/\n\s+at /);
  });

  it("reports a usage error in one line, exit 2", async () => {
    const io = recordingIo();
    expect(await main(["nope"], io)).toBe(2);
    expect(io.err).toBe('error: unknown command "nope"\nhint: run "awr --help" for the list of commands\n');
  });
});
