// The README's first command (what a newcomer runs on a fresh machine) runs an example end to end,
// offline, into the embedded SQLite store: the awr part of that line is read from README.md and run
// in a copy of the repository's examples, so the README cannot drift from what works.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, awr } from "../helpers/awr-cli.js";

const dir = mkdtempSync(join(tmpdir(), "awr-readme-first-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the README's first command", () => {
  it("runs the support-triage example offline to completion and stores the run in .awr/runs.db (SQLite)", async () => {
    const first = readFileSync(join(ROOT, "README.md"), "utf8").split("```sh\n")[1]!.split("\n")[0]!;
    expect(first).toMatch(/^npm ci && npx awr run /);
    const args = first.slice("npm ci && npx awr ".length).split(" ");
    expect(args).not.toContain("memory:");
    cpSync(join(ROOT, "examples", "support-triage"), join(dir, "examples", "support-triage"), { recursive: true });
    const r = await awr([...args, "--json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "completed" });
    expect(existsSync(join(dir, ".awr", "runs.db"))).toBe(true);
    const runs = await awr(["runs", "--json"], { cwd: dir });
    expect(JSON.parse(runs.stdout)).toHaveLength(1);
  });
});
