// The store a command uses: --store, else AWR_STORE (DESIGN §6), else .awr/runs.db; a
// postgres://… spec opens a PostgreSQL store (test/pg/cli.test.ts runs commands on a real server;
// here only what needs none). main() in-process.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CliIo } from "../../cli/io.js";
import { main } from "../../cli/main.js";

function recordingIo(cwd: string, env: Record<string, string> = {}): CliIo & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    cwd,
    env,
    stdout: { color: false, write: (t: string) => void (io.out += t) },
    stderr: { color: false, write: (t: string) => void (io.err += t) },
  };
  return io;
}

const GRAPH = `graph double(x: int) -> int {
  state { y: int = 0 }
  node n { set y = x * 2 }
  edge start -> n
  edge n -> end
  return y
}
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "awr-store-spec-"));
  writeFileSync(join(dir, "double.awr"), GRAPH);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("AWR_STORE", () => {
  it("is the store of run and runs when --store is not given", async () => {
    const env = { AWR_STORE: "env-runs.db" };
    const run = recordingIo(dir, env);
    expect(await main(["run", "double.awr", "--input", '{"x": 21}', "--json"], run), run.err).toBe(0);
    const { runId, output } = JSON.parse(run.out) as { runId: string; output: number };
    expect(output).toBe(42);
    expect(existsSync(join(dir, "env-runs.db"))).toBe(true);
    expect(existsSync(join(dir, ".awr", "runs.db"))).toBe(false);

    const runs = recordingIo(dir, env);
    expect(await main(["runs"], runs), runs.err).toBe(0);
    expect(runs.out).toContain(`${runId}  completed`);
  });

  it("gives way to --store", async () => {
    const io = recordingIo(dir, { AWR_STORE: "env-runs.db" });
    expect(await main(["run", "double.awr", "--input", '{"x": 1}', "--store", "flag-runs.db"], io), io.err).toBe(0);
    expect(existsSync(join(dir, "flag-runs.db"))).toBe(true);
    expect(existsSync(join(dir, "env-runs.db"))).toBe(false);
  });

  it("memory: from the environment is a throwaway store like --store memory:", async () => {
    const io = recordingIo(dir, { AWR_STORE: "memory:" });
    expect(await main(["run", "double.awr", "--input", '{"x": 1}'], io), io.err).toBe(0);
    expect(io.out).toMatch(/^run \S+: completed\n2\n$/);
    expect(existsSync(join(dir, ".awr"))).toBe(false);
  });
});

describe("postgres://", () => {
  it("opens a PostgreSQL store; one that cannot be reached is exit 2 naming the server, never the password", async () => {
    for (const [args, env] of [
      [["runs", "--store", "postgres://alice:s3cret@127.0.0.1:1/awr"], {}],
      [["run", "double.awr", "--input", '{"x": 1}'], { AWR_STORE: "postgresql://alice:s3cret@127.0.0.1:1/awr?schema=staging" }],
    ] as const) {
      const io = recordingIo(dir, env);
      expect(await main(args, io)).toBe(2);
      expect(io.err).toMatch(/^error: cannot reach PostgreSQL at postgres(ql)?:\/\/alice@127\.0\.0\.1:1\/awr \(schema (awr|staging)\) \(connect: ECONNREFUSED/);
      expect(io.err + io.out).not.toContain("s3cret");
      expect(io.out).toBe("");
    }
    // Nothing was created in its place (a SQLite file named after the URL, say).
    expect(existsSync(join(dir, "postgres:"))).toBe(false);
    expect(existsSync(join(dir, "postgresql:"))).toBe(false);
  });

  it("refuses a schema name that is not a plain identifier, before connecting", async () => {
    const io = recordingIo(dir);
    expect(await main(["runs", "--store", "postgres://alice:s3cret@127.0.0.1:1/awr?schema=Robert%27);DROP"], io)).toBe(2);
    expect(io.err).toBe(
      'error: the schema "Robert\');DROP" of the PostgreSQL store postgres://alice@127.0.0.1:1/awr is not a plain name\nhint: use lower-case letters, digits and _ (not starting with a digit) after ?schema=\n',
    );
  });
});
