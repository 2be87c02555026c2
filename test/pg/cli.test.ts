// The CLI on a PostgreSQL store, end to end through the built `awr` (npm run test:pg builds first):
// the README example runs offline into `--store postgres://…?schema=<fresh>`, and the commands that
// read runs — runs, trace, cost, audit, audit --verify, replay — find it from other processes, as
// they would from other machines; a run waiting for an approval is resumed by another process. A
// journal edited in the database is then named by --verify.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
    expect((JSON.parse(env.stdout) as { runId: string }[]).map((r) => r.runId)).toContain(runId);
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

  it("a run that waits for an approval is resumed by another process, and the operator's decision is audited", async () => {
    writeFileSync(
      join(dir, "big.jsonl"),
      [
        { caller: "classify_case", output: { severity: "normal", category: "refund", summary: "Refund", sentiment: "neutral", confidence: 0.9 } },
        { caller: "refund_advisor", output: { action: "refund", order_id: "S-6010", amount: 180, reason: "Returned" } },
        { caller: "draft_reply", output: { subject: "Refund", text: "Refunded." } },
      ]
        .map((l) => JSON.stringify(l))
        .join("\n"),
    );
    writeFileSync(join(dir, "big.json"), JSON.stringify({ request: { id: "C-9", email: "a@b.co", customer_name: "A", subject: "Refund", body: "Please refund", order_id: "S-6010" } }));
    const started = await awr(["run", "s/main.awr", "-i", "@big.json", "--models", "recorded:big.jsonl", "--store", store, "--json"], { cwd: dir });
    expect(started.code, started.stderr).toBe(0);
    const first = JSON.parse(started.stdout) as { runId: string; status: string };
    expect(first.status).toBe("suspended");
    const ok = await awr(["resume", first.runId, "--value", "true", "--by", "alice", "--store", store, "--json"], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: "completed", output: { refunded: 180 } });
    const audit = await awr(["audit", "--run", first.runId, "--kind", "operator", "--store", store, "--json"], { cwd: dir });
    expect(JSON.parse(audit.stdout)).toEqual([expect.objectContaining({ kind: "operator", hook: "resume", outcome: "approved", by: "alice" })]);
    const verify = await awr(["audit", "--verify", first.runId, "--store", store], { cwd: dir });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it("audit --verify checks the hash chains; an entry edited in the database is named, and the run is refused", async () => {
    const ok = await awr(["audit", "--verify", "--store", store], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`run ${runId}: OK`);
    expect(ok.stdout).toContain("2 runs verified: OK");

    await sql(`UPDATE "${schema}".journal SET at = at + 1 WHERE run_id = $1 AND seq = 2`, [runId]);
    const bad = await awr(["audit", "--verify", runId, "--store", store], { cwd: dir });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/journal entry 2 was edited/);
    const trace = await awr(["trace", runId, "--store", store], { cwd: dir });
    expect(trace.code).toBe(2);
    expect(trace.stderr).toMatch(new RegExp(`run ${runId}: journal entry 2 was edited`));
  });

  // Last: it adds a run to the store the tests above count.
  it("the resume hint after a waiting run does not repeat the store's password", async () => {
    const u = new URL(store);
    if (!u.username) u.username = "postgres";
    u.password = "s3cret-pw-7781"; // trust auth: never asked for, so any password connects
    const started = await awr(["run", "s/main.awr", "-i", "@big.json", "--models", "recorded:big.jsonl", "--store", u.toString()], { cwd: dir });
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain("resume with: awr resume ");
    expect(started.stdout + started.stderr).not.toContain("s3cret-pw-7781");
    expect(started.stdout).toContain("the store's password is not repeated here: give it in PGPASSWORD or AWR_STORE");
  });
});
