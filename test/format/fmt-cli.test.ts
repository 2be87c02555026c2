// `awr fmt` as a user runs it: the built CLI (npm run build) on files in a temporary directory.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { awr } from "../helpers/awr-cli.js";

const dir = mkdtempSync(join(tmpdir(), "awr-fmt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MESSY = 'model m { provider: "openai", name: "x" }\n';
const TIDY = 'model m {\n  provider: "openai"\n  name: "x"\n}\n';

describe("awr fmt", () => {
  it("--check lists the files that would change and exits 1, touching nothing", async () => {
    writeFileSync(join(dir, "messy.awr"), MESSY);
    writeFileSync(join(dir, "tidy.awr"), TIDY);
    const r = await awr(["fmt", "--check", "."], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("messy.awr\n");
    expect(r.stderr).toContain("1 file would be reformatted, 1 file already formatted");
    expect(readFileSync(join(dir, "messy.awr"), "utf8")).toBe(MESSY);
  });

  it("rewrites changed files in place, then --check passes with exit 0", async () => {
    const r = await awr(["fmt", "."], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("1 file reformatted, 1 file unchanged");
    expect(readFileSync(join(dir, "messy.awr"), "utf8")).toBe(TIDY);
    const check = await awr(["fmt", "--check", "messy.awr", "tidy.awr"], { cwd: dir });
    expect(check.code).toBe(0);
    expect(check.stdout).toBe("");
  });

  it("prints the diagnostics of a file with syntax errors, exits 1 and leaves it untouched", async () => {
    const broken = "graph g() {\n  node n { run f(x. }\n}\n";
    writeFileSync(join(dir, "broken.awr"), broken);
    const r = await awr(["fmt", "broken.awr"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("AWR1002");
    expect(r.stderr).toContain("with syntax errors left untouched");
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(readFileSync(join(dir, "broken.awr"), "utf8")).toBe(broken);
  });

  // Issue 15: exit 70 and a stack trace on `system // note` before a multi-line template, and a
  // comment after `because` that moved on every run, so `--check` never passed.
  it("formats comments anywhere without crashing, and --check passes after one run", async () => {
    const crash = 'prompt p(x: string) {\n  system // note\n  #"line one\n  line two"#\n  model: m\n}\n';
    const moving = 'policy p {\n  before tool t {\n    deny when input.amount > 1000 because\n    // why\n    "refunds above 1000 USD go through the finance team"\n  }\n}\n';
    writeFileSync(join(dir, "crash.awr"), crash);
    writeFileSync(join(dir, "moving.awr"), moving);
    const r = await awr(["fmt", "crash.awr", "moving.awr"], { cwd: dir });
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("1 file reformatted, 1 file unchanged");
    expect(readFileSync(join(dir, "crash.awr"), "utf8")).toBe(crash);
    const check = await awr(["fmt", "--check", "crash.awr", "moving.awr"], { cwd: dir });
    expect(check.code).toBe(0);
    expect(check.stdout).toBe("");
  });

  it("keeps a CRLF file CRLF: a formatted one is unchanged", async () => {
    const crlf = TIDY.replace(/\n/g, "\r\n");
    writeFileSync(join(dir, "crlf.awr"), crlf);
    const check = await awr(["fmt", "--check", "crlf.awr"], { cwd: dir });
    expect(check.code).toBe(0);
    expect(readFileSync(join(dir, "crlf.awr"), "utf8")).toBe(crlf);
  });

  it("is a usage error without paths or with a missing one, and has help", async () => {
    expect((await awr(["fmt"], { cwd: dir })).code).toBe(2);
    expect((await awr(["fmt", "nope.awr"], { cwd: dir })).code).toBe(2);
    const help = await awr(["fmt", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: awr fmt <files|dirs>... [--check]");
    expect((await awr(["--help"])).stdout).toMatch(/\n {2}fmt +Format \.awr files/);
  });
});
