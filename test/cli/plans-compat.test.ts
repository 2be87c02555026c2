// `awr plans compat OLD NEW` (DESIGN §8): which waiting runs of one plan could continue on another.
// A run waits after a finished tool step; versions of its program add a step after the wait
// (compatible), change the awaited type or the finished step's request (not compatible).
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, awr } from "../helpers/awr-cli.js";

let dir: string;
let runId: string;
let oldHash: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-compat-"));
  cpSync(join(ROOT, "test", "cli", "fixtures", "compat"), dir, { recursive: true });
  const r = await awr(["run", "v1.awr", "--input", '{"n":1}', "--json"], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  runId = (JSON.parse(r.stdout) as { runId: string; status: string }).runId;
  const shown = JSON.parse((await awr(["runs", "show", runId, "--json"], { cwd: dir })).stdout) as { status: string; planHash: string };
  expect(shown.status).toBe("suspended");
  oldHash = shown.planHash;
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Report {
  old: string;
  new: string;
  runs: { runId: string; graph: string; compatible: boolean; problems: string[] }[];
}
const compat = async (...args: string[]) => {
  const r = await awr(["plans", "compat", ...args, "--json"], { cwd: dir });
  return { code: r.code, report: r.stdout ? (JSON.parse(r.stdout) as Report) : undefined, stderr: r.stderr };
};

describe("awr plans compat", () => {
  it("a step added after the wait: the waiting run could continue (exit 0)", async () => {
    const { code, report } = await compat("v1.awr", "v2-after.awr");
    expect(code).toBe(0);
    expect(report!.old).toBe(oldHash);
    expect(report!.runs).toEqual([{ runId, graph: "review", compatible: true, problems: [] }]);
  });

  it("the awaited type changed: not compatible, and the message names both types (exit 1)", async () => {
    const { code, report } = await compat("v1.awr", "v3-type.awr");
    expect(code).toBe(1);
    expect(report!.runs[0]!.compatible).toBe(false);
    expect(report!.runs[0]!.problems.join("\n")).toMatch(/changed type \(.*string.* → .*int/);
  });

  it("a finished step asks for something else: not compatible, naming the step", async () => {
    const { code, report } = await compat("v1.awr", "v4-request.awr");
    expect(code).toBe(1);
    expect(report!.runs[0]!.problems.join("\n")).toContain("node:one");
  });

  it("takes the old plan by a prefix of its hash, and prints a readable summary", async () => {
    const r = await awr(["plans", "compat", oldHash.slice(0, 10), "v2-after.awr"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`1 waiting run of plan ${oldHash.slice(0, 12)}: 1 could continue`);
    expect(r.stdout).toContain(`${runId} (review): compatible`);
  });

  it("a plan of no waiting run: nothing to move (exit 0); an unknown hash or subcommand is a usage error (exit 2)", async () => {
    const none = await compat("v2-after.awr", "v1.awr");
    expect(none.code).toBe(0);
    expect(none.report!.runs).toEqual([]);
    const unknown = await awr(["plans", "compat", "deadbeefdeadbeef", "v1.awr"], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no plan deadbeefdeadbeef");
    const sub = await awr(["plans", "diff", "a", "b"], { cwd: dir });
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain('unknown subcommand "diff"');
  });
});
