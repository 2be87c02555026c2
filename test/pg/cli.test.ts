// The CLI on a PostgreSQL store, end to end through the built `awr` (npm run test:pg builds first):
// the README example runs offline into `--store postgres://…?schema=<fresh>`, and the commands that
// read runs — runs, trace, cost, audit, audit --verify, replay — find it from other processes, as
// they would from other machines. A journal edited in the database is then named by --verify.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, awr } from "../helpers/awr-cli.js";
import { PG_URL, dropSchema, freshSchema, sql } from "./helpers.js";

let dir: string;
let schema: string;
let store: string;
let runId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-pg-cli-"));
  cpSync(join(ROOT, "examples", "support-triage"), join(dir, "s"), { recursive: true });
  schema = freshSchema();
  const u = new URL(PG_URL);
  u.searchParams.set("schema", schema);
  store = u.toString();
  const r = await awr(["run", "s/main.awr", "-i", "@s/input.json", "--models", "recorded:s/recorded.jsonl", "--store", store, "--json"], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { runId: string; status: string };
  expect(out.status).toBe("completed");
  runId = out.runId;
}, 120_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropSchema(schema);
});

describe("awr on --store postgres://…", () => {
  it("runs lists the run; AWR_STORE names the same store", async () => {
    const flag = await awr(["runs", "--store", store], { cwd: dir });
    expect(flag.code, flag.stderr).toBe(0);
    expect(flag.stdout).toMatch(new RegExp(`^${runId}  completed +support_case `, "m"));
    const env = await awr(["runs", "--json"], { cwd: dir, env: { AWR_STORE: store } });
    expect(env.code, env.stderr).toBe(0);
    expect((JSON.parse(env.stdout) as { runId: string }[]).map((r) => r.runId)).toEqual([runId]);
  });

  it("trace, cost and audit read the run from another process", async () => {
    const [trace, cost, audit] = await Promise.all([
      awr(["trace", runId, "--store", store], { cwd: dir }),
      awr(["cost", "--run", runId, "--store", store, "--json"], { cwd: dir }),
      awr(["audit", "--run", runId, "--store", store, "--json"], { cwd: dir }),
    ]);
    expect(trace.code, trace.stderr).toBe(0);
    expect(trace.stdout).toContain("classify");
    expect(cost.code, cost.stderr).toBe(0);
    expect(JSON.parse(cost.stdout)).toMatchObject({ runs: 1, total: { modelCalls: 3 } });
    expect(audit.code, audit.stderr).toBe(0);
  });

  it("replay re-runs the stored run against its journal and finds no divergence", async () => {
    const r = await awr(["replay", runId, "--store", store], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it("audit --verify checks the hash chains; an entry edited in the database is named, and the run is refused", async () => {
    const ok = await awr(["audit", "--verify", "--store", store], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`run ${runId}: OK`);
    expect(ok.stdout).toContain("1 run verified: OK");

    await sql(`UPDATE "${schema}".journal SET at = at + 1 WHERE run_id = $1 AND seq = 2`, [runId]);
    const bad = await awr(["audit", "--verify", runId, "--store", store], { cwd: dir });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/journal entry 2 was edited/);
    const trace = await awr(["trace", runId, "--store", store], { cwd: dir });
    expect(trace.code).toBe(2);
    expect(trace.stderr).toMatch(new RegExp(`run ${runId}: journal entry 2 was edited`));
  });
});
