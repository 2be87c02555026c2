// The `awr` command as a user sees it: spawned through bin/awr.mjs (so dist/ must be built;
// `npm test` builds first), checking exit codes, stdout/stderr and files written.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectGolden } from "../helpers/golden.js";
import { BIN, ROOT, type Result, awr as awrAt } from "../helpers/awr-cli.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const awr = (args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) => awrAt(args, { cwd: FIXTURES, ...opts });
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

/** A user error: exit 2, one `error:` line (and maybe a `hint:` line) on stderr, no stack trace. */
function expectUsageError(r: Result, message: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe("");
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(message);
  expect(lines.length).toBeLessThanOrEqual(2);
  if (lines[1] !== undefined) expect(lines[1]).toMatch(/^hint: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "awr-cli-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function scratch(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe.concurrent("awr (no command), --version, --help", () => {
  it("prints the version", async () => {
    const r = await awr(["--version"]);
    expect(r).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
    expect((await awr(["-v"])).stdout).toBe(`${VERSION}\n`);
  });

  it("prints help listing the commands, options and exit codes", async () => {
    const r = await awr(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    for (const cmd of ["check", "build", "inspect", "graph", "run", "resume", "runs", "replay", "test", "audit", "cost", "trace", "context"]) {
      expect(r.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, "m"));
    }
    for (const text of ["Usage: awr <command>", "Exit codes:", "--version"]) expect(r.stdout).toContain(text);
    expect((await awr(["help"])).stdout).toBe(r.stdout);
  });

  it("prints usage on stderr and exits 2 without a command", async () => {
    const r = await awr([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("Usage: awr <command>");
  });

  it.each(["check", "build", "inspect", "graph", "run", "resume", "runs", "replay", "test"])("has real help for %s", async (cmd) => {
    const r = await awr([cmd, "--help"]);
    expect(r.code).toBe(0);
    for (const section of [`Usage: awr ${cmd}`, "Options:", "Examples:", "Exit codes:"]) expect(r.stdout).toContain(section);
    expect((await awr([cmd, "-h"])).stdout).toBe(r.stdout);
    expect((await awr(["help", cmd])).stdout).toBe(r.stdout);
  });

  it("rejects an unknown command with a suggestion", async () => {
    expectUsageError(await awr(["chek", "x.awr"]), /unknown command "chek"/);
    expect((await awr(["chek"])).stderr).toContain('did you mean "awr check"?');
    expectUsageError(await awr(["deploy", "x.awr"]), /unknown command "deploy"/);
    expectUsageError(await awr(["help", "chek"]), /unknown command "chek"/);
  });

  it("rejects unknown flags and missing values", async () => {
    const r = await awr(["check", "--jsn", "clean.awr"]);
    expectUsageError(r, /unknown option "--jsn"/);
    expect(r.stderr).toContain('did you mean "--json"?');
    expectUsageError(await awr(["--frobnicate"]), /unknown option "--frobnicate"/);
    expectUsageError(await awr(["build", "clean.awr", "-o"]), /option "--out" needs a value/);
    expectUsageError(await awr(["check", "--json=yes", "clean.awr"]), /option "--json" does not take a value/);
  });
});

describe.concurrent("awr check", () => {
  it("exits 0 on a clean file, with the summary on stderr", async () => {
    const r = await awr(["check", "clean.awr"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^0 errors, \d+ warnings? in 1 file\n$/);
  });

  it("exits 1 and renders the error with its source line and underline", async () => {
    const r = await awr(["check", "unknown-name.awr"]);
    expect(r.code).toBe(1);
    expectGolden(join(FIXTURES, "unknown-name.check.txt"), r.stdout);
    expect(r.stdout).toMatch(/^unknown-name\.awr:17:21: error AWR\d{4}: /m);
    expect(r.stdout).toContain("17 |   node answer { run answer_promt(ticket) -> reply }");
    expect(r.stdout).toContain("   |                     ^^^^^^^^^^^^");
    expect(r.stderr).toMatch(/^1 error, \d+ warnings? in 1 file\n$/);
  });

  it("prints exactly DESIGN §6's array with --json", async () => {
    const r = await awr(["check", "--json", "unknown-name.awr", "clean.awr"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(Array.isArray(out)).toBe(true);
    const errors = out.filter((d) => d.severity === "error");
    expect(errors.length).toBeGreaterThan(0);
    for (const d of out) {
      expect(Object.keys(d)).toEqual(["file", "line", "column", "endLine", "endColumn", "severity", "code", "message"]);
      expect(["error", "warning", "info"]).toContain(d.severity);
      expect(d.code).toMatch(/^AWR\d{4}$/);
    }
    expect(errors[0]).toMatchObject({ file: "unknown-name.awr", line: 17, column: 21, endLine: 17, endColumn: 33, severity: "error" });
    expect(r.stderr).toMatch(/in 2 files\n$/);
  });

  it("prints [] for clean files with --json", async () => {
    const r = await awr(["check", "--json", "clean.awr"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { severity: string }[]).filter((d) => d.severity === "error")).toEqual([]);
  });

  it("searches directories recursively, skipping node_modules and dot-directories", async () => {
    const dir = scratch("tree");
    mkdirSync(join(dir, "src", "deep"), { recursive: true });
    mkdirSync(join(dir, "node_modules", "pkg"), { recursive: true });
    mkdirSync(join(dir, ".hidden"));
    cpSync(join(FIXTURES, "clean.awr"), join(dir, "src", "deep", "a.awr"));
    writeFileSync(join(dir, "node_modules", "pkg", "broken.awr"), "type {{{");
    writeFileSync(join(dir, ".hidden", "broken.awr"), "type {{{");
    writeFileSync(join(dir, "src", "notes.txt"), "type {{{");
    const r = await awr(["check", "."], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/in 1 file\n$/);

    writeFileSync(join(dir, "src", "broken.awr"), "type {{{");
    const broken = await awr(["check", "--json", "src"], { cwd: dir });
    expect(broken.code).toBe(1);
    expect((JSON.parse(broken.stdout) as { file: string }[]).map((d) => d.file)).toContain(join("src", "broken.awr"));
  });

  it("exits 2 on a missing path or no arguments", async () => {
    expectUsageError(await awr(["check", "nope.awr"]), /no such file or directory: nope\.awr/);
    expectUsageError(await awr(["check"]), /missing files/);
    expectUsageError(await awr(["check"], { cwd: scratch("empty") }), /missing files/);
    expectUsageError(await awr(["check", "."], { cwd: scratch("empty") }), /no \.awr files in \./);
  });

  it("explains each graph's cost bound with --explain-cost, on stderr when stdout holds JSON", async () => {
    const r = await awr(["check", "--explain-cost", "two-graphs.awr"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^graph greet: .*model call/m);
    expect(r.stdout).toMatch(/^graph greet_twice: .*model call/m);
    const json = await awr(["check", "--json", "--explain-cost", "two-graphs.awr"]);
    expect(json.code).toBe(0);
    expect(Array.isArray(JSON.parse(json.stdout))).toBe(true);
    expect(json.stderr).toMatch(/^graph greet: /m);
  });

  it("colours only when asked", async () => {
    expect((await awr(["check", "unknown-name.awr"])).stdout).not.toContain("\x1b[");
    expect((await awr(["check", "unknown-name.awr"], { env: { NO_COLOR: "", FORCE_COLOR: "1" } })).stdout).toContain("\x1b[");
    expect((await awr(["check", "unknown-name.awr"], { env: { NO_COLOR: "1", FORCE_COLOR: "1" } })).stdout).not.toContain("\x1b[");
  });
});

describe.concurrent("awr build and inspect", () => {
  it("round-trips: build writes a plan that inspect reads", async () => {
    const dir = scratch("build");
    cpSync(join(FIXTURES, "clean.awr"), join(dir, "main.awr"));
    const b = await awr(["build", "main.awr", "-o", "out/main.awrp"], { cwd: dir });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toBe("");
    expect(b.stderr).toMatch(/wrote out\/main\.awrp \(\d+ bytes\)\n$/);
    expect(existsSync(join(dir, "out", "main.awrp"))).toBe(true);

    const text = await awr(["inspect", "out/main.awrp"], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toBe("");
    expect(text.stdout).toContain("support");
    expect(text.stdout).toContain("answer_prompt");

    const header = await awr(["inspect", "--json", "out/main.awrp"], { cwd: dir });
    expect(header.code).toBe(0);
    expect(JSON.parse(header.stdout)).toMatchObject({ magic: "AWRP", format: expect.any(Number), compiler: VERSION, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("writes next to the entry without -o", async () => {
    const dir = scratch("build-default");
    cpSync(join(FIXTURES, "clean.awr"), join(dir, "main.awr"));
    expect((await awr(["build", "main.awr"], { cwd: dir })).code).toBe(0);
    expect(existsSync(join(dir, "main.awrp"))).toBe(true);
  });

  it("exits 1 and writes nothing when the sources have errors", async () => {
    const dir = scratch("build-errors");
    cpSync(join(FIXTURES, "unknown-name.awr"), join(dir, "main.awr"));
    const r = await awr(["build", "main.awr", "-o", "main.awrp"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^main\.awr:17:21: error AWR\d{4}: /m);
    expect(r.stderr).toContain("no plan written");
    expect(existsSync(join(dir, "main.awrp"))).toBe(false);
  });

  it("exits 2 for a missing entry or extra arguments", async () => {
    expectUsageError(await awr(["build", "nope.awr"]), /no such file or directory: nope\.awr/);
    expectUsageError(await awr(["build"]), /missing entry file/);
    expectUsageError(await awr(["build", "clean.awr", "unknown-name.awr"]), /expected one entry file, got 2/);
    expectUsageError(await awr(["inspect", "nope.awrp"]), /no such file or directory: nope\.awrp/);
  });

  describe("a plan that cannot be read is one line on stderr and exit 2", () => {
    let plan: Buffer;
    let dir: string;
    beforeAll(async () => {
      dir = scratch("corrupt");
      cpSync(join(FIXTURES, "clean.awr"), join(dir, "main.awr"));
      expect((await awr(["build", "main.awr"], { cwd: dir })).code).toBe(0);
      plan = readFileSync(join(dir, "main.awrp"));
    });

    function inspectBytes(name: string, bytes: Uint8Array, json = false): Promise<Result> {
      writeFileSync(join(dir, name), bytes);
      return awr(["inspect", ...(json ? ["--json"] : []), name], { cwd: dir });
    }

    it("wrong magic", async () => {
      const bytes = Buffer.from(plan);
      bytes.write("JUNK", 0, "latin1");
      expectUsageError(await inspectBytes("magic.awrp", bytes), /not an AWR plan/);
      expectUsageError(await inspectBytes("text.awrp", Buffer.from("type Ticket {}\n")), /not an AWR plan/);
      expectUsageError(await inspectBytes("magic.awrp", bytes, true), /not an AWR plan/);
    });

    it("truncated", async () => {
      expectUsageError(await inspectBytes("short.awrp", plan.subarray(0, plan.length - 10)), /truncated/);
      expectUsageError(await inspectBytes("header.awrp", plan.subarray(0, 5)), /truncated/);
      expectUsageError(await inspectBytes("empty.awrp", new Uint8Array()), /empty|truncated/);
    });

    it("a flipped byte in the body", async () => {
      const bytes = Buffer.from(plan);
      bytes[bytes.length - 3] ^= 0xff;
      expectUsageError(await inspectBytes("flipped.awrp", bytes), /checksum|corrupt/);
    });

    it("a newer format version, naming both versions", async () => {
      const bytes = Buffer.from(plan);
      const format = bytes.readUInt16BE(4);
      // format + 1 is a signed plan (docs/plan.md § Signatures): the first unknown one is + 2.
      bytes.writeUInt16BE(format + 2, 4);
      const r = await inspectBytes("newer.awrp", bytes);
      expectUsageError(r, new RegExp(`format ${format + 2}.*newer.*${format}`));
      expect(r.stderr).toContain(VERSION);
      expectUsageError(await inspectBytes("newer.awrp", bytes, true), /newer/);
    });
  });
});

describe.concurrent("awr graph", () => {
  it("exports mermaid by default", async () => {
    const r = await awr(["graph", "clean.awr"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^(flowchart|graph|stateDiagram)/m);
    expect(r.stdout).toContain("answer");
  });

  it("exports dot", async () => {
    const r = await awr(["graph", "clean.awr", "--format", "dot"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/digraph/);
    expect(r.stdout).toContain("answer");
  });

  it("needs --graph when a file declares several, and finds it by name", async () => {
    const several = await awr(["graph", "two-graphs.awr"]);
    expectUsageError(several, /declares 2 graphs/);
    expect(several.stderr).toContain("greet, greet_twice");
    const r = await awr(["graph", "two-graphs.awr", "--graph", "greet_twice", "-f", "dot"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/digraph/);
  });

  it("rejects an unknown graph or format", async () => {
    const r = await awr(["graph", "two-graphs.awr", "--graph", "gret"]);
    expectUsageError(r, /no graph named "gret"/);
    expect(r.stderr).toContain('did you mean "greet"?');
    expectUsageError(await awr(["graph", "clean.awr", "--format", "svg"]), /unknown format "svg"/);
  });

  it("exits 1 on a file with errors", async () => {
    const r = await awr(["graph", "unknown-name.awr"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("no graph exported");
  });
});

describe("the README's newcomer command on the shipped examples", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "awr-readme-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("awr check examples stdlib exits 0", async () => {
    const r = await awr(["check", "examples", "stdlib"], { cwd: ROOT });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^0 errors, 0 warnings in \d+ files/m);
  });

  for (const name of ["support-triage", "research-pipeline", "multi-agent-handoff"]) {
    it(`awr build examples/${name}/main.awr writes a plan awr inspect reads back`, async () => {
      const out = join(dir, `${name}.awrp`);
      const b = await awr(["build", `examples/${name}/main.awr`, "-o", out], { cwd: ROOT });
      expect(b.code, b.stderr).toBe(0);
      const i = await awr(["inspect", out], { cwd: ROOT });
      expect(i.code, i.stderr).toBe(0);
      // The plan text, with the signature line (docs/plan.md § Signatures) second.
      const [first, ...rest] = readFileSync(join(ROOT, "test", "fixtures", "plans", `${name}.txt`), "utf8").split("\n");
      expect(i.stdout).toBe([first, "not signed", ...rest].join("\n"));
    });
  }
});
