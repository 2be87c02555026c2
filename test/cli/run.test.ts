// awr test / run / resume / runs / replay end to end, as a user runs them.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, awr } from "../helpers/awr-cli.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "awr-run-"));
  cpSync(join(ROOT, "examples", "support-triage"), join(dir, "support"), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("awr test", () => {
  it("every example's test blocks pass; the last line counts them", async () => {
    const r = await awr(["test", "examples", "test/fixtures/design"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const last = r.stdout.trimEnd().split("\n").pop();
    expect(last).toMatch(/^(\d+) passed, 0 failed$/);
    expect(Number(last!.split(" ")[0])).toBeGreaterThanOrEqual(18);
  });

  it("a failing expectation names its place and what it saw, and exits 1", async () => {
    const file = join(dir, "failing.awr");
    writeFileSync(
      file,
      `graph g(x: int) -> int {
  state { y: int = 0 }
  node n { set y = x * 2 }
  edge start -> n
  edge n -> end
  return y
}
test doubles { run g(x: 2) expect output == 5 }
`,
    );
    const r = await awr(["test", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("✗ doubles");
    expect(r.stdout).toMatch(/failing\.awr:8:\d+: expect output == 5 — output is 4, 5 is 5/);
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("0 passed, 1 failed");
  });
});

describe("awr run, runs, replay, resume", () => {
  const store = () => join(dir, "runs.db");

  it("runs the README example offline and prints DESIGN's JSON shape", async () => {
    const r = await awr(
      ["run", "support/main.awr", "--input", "@support/input.json", "--models", "recorded:support/recorded.jsonl", "--store", store(), "--json"],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { runId: string; status: string; output: { refunded: number } };
    expect(Object.keys(out)).toEqual(["runId", "status", "output"]);
    expect(out).toMatchObject({ status: "completed", output: { refunded: 64.9, receipt_id: "RF-S-5521-6490" } });

    const list = await awr(["runs", "--store", store()], { cwd: dir });
    expect(list.stdout).toContain(`${out.runId}  completed`);
    const show = await awr(["runs", "show", out.runId, "--store", store()], { cwd: dir });
    // 7 effects, intent + outcome each: classify, fetch_orders, the decide agent's context
    // assembly (support_kb, from the example's kb/ files) and its one turn, refund, respond, notify.
    expect(show.stdout).toMatch(/journal \(14 entries\)/);
    expect(show.stdout).toMatch(/intent +agent +graph:support_case\/node:decide\/stmt:0#0\/context0/);

    const replay = await awr(["replay", out.runId, "--store", store()], { cwd: dir });
    expect(replay.code, replay.stdout).toBe(0);
    expect(replay.stdout).toContain("replay reproduced it");
  });

  it("replay against an edited plan names the step that changed", async () => {
    const first = JSON.parse(
      (await awr(["run", "support/main.awr", "-i", "@support/input.json", "--models", "recorded:support/recorded.jsonl", "--store", store(), "--json"], { cwd: dir })).stdout,
    ) as { runId: string };
    cpSync(join(dir, "support"), join(dir, "edited"), { recursive: true });
    const main = join(dir, "edited", "main.awr");
    const { readFileSync } = await import("node:fs");
    writeFileSync(main, readFileSync(main, "utf8").replace("Classify the customer's message", "Classify this customer's message"));
    const r = await awr(["replay", first.runId, "--store", store(), "--plan", main], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/step graph:support_case\/node:classify\/stmt:0#0\/support_mini@0 \(prompt classify_case\) asked for something else/);
  });

  it("a waiting run is resumed from another process with the answer", async () => {
    const input = join(dir, "big.json");
    writeFileSync(input, JSON.stringify({ request: { id: "C-9", email: "a@b.co", customer_name: "A", subject: "Refund", body: "Please refund", order_id: "S-6010" } }));
    const rec = join(dir, "big.jsonl");
    writeFileSync(
      rec,
      [
        { caller: "classify_case", output: { severity: "normal", category: "refund", summary: "Refund", sentiment: "neutral", confidence: 0.9 } },
        { caller: "refund_advisor", output: { action: "refund", order_id: "S-6010", amount: 180, reason: "Returned" } },
        { caller: "draft_reply", output: { subject: "Refund", text: "Refunded." } },
      ]
        .map((l) => JSON.stringify(l))
        .join("\n"),
    );
    const started = await awr(["run", "support/main.awr", "-i", `@${input}`, "--models", `recorded:${rec}`, "--store", store(), "--json"], { cwd: dir });
    expect(started.code, started.stderr).toBe(0);
    const s = JSON.parse(started.stdout) as { runId: string; status: string; pending: { id: string; kind: string }[] };
    expect(s.status).toBe("suspended");
    expect(s.pending).toEqual([expect.objectContaining({ kind: "approval" })]);
    const resumed = await awr(
      ["resume", s.runId, "--interrupt", s.pending[0]!.id, "--value", "true", "--store", store(), "--models", `recorded:${rec}`, "--json"],
      { cwd: dir },
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ runId: s.runId, status: "completed", output: { refunded: 180 } });
  });

  it("user mistakes are one line and exit 2", async () => {
    const noInput = await awr(["run", "support/main.awr", "--store", "memory:"], { cwd: dir });
    expect(noInput.code).toBe(2);
    expect(noInput.stderr).toMatch(/^error: missing --input/);
    const badJson = await awr(["run", "support/main.awr", "-i", "{nope", "--store", "memory:"], { cwd: dir });
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/^error: --input is not valid JSON/);
    const badTimeout = await awr(["run", "support/main.awr", "-i", "{}", "--timeout", "soon", "--store", "memory:"], { cwd: dir });
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toMatch(/^error: --timeout "soon" is not a duration/);
    const emptySession = await awr(["run", "support/main.awr", "-i", "{}", "--session", " ", "--store", "memory:"], { cwd: dir });
    expect(emptySession.code).toBe(2);
    expect(emptySession.stderr).toMatch(/^error: --session needs an id/);
    const unknown = await awr(["resume", "no-such-run", "--store", store()], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: no run no-such-run in .*runs\.db\n/);
    const garbage = join(dir, "garbage.db");
    writeFileSync(garbage, "this is not a database".repeat(100));
    const bad = await awr(["runs", "--store", garbage], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: the run store at .*garbage\.db is not a valid database/);
  });
});

describe("examples/embedding", () => {
  it("service.mjs runs a compiled plan through awr/vm", async () => {
    const plan = join(dir, "support.awrp");
    expect((await awr(["build", "examples/support-triage/main.awr", "-o", plan])).code).toBe(0);
    const { spawnSync } = await import("node:child_process");
    const r = spawnSync(process.execPath, [join(ROOT, "examples", "embedding", "service.mjs"), plan], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "completed", output: { receipt_id: "RF-S-5521-6490" } });
    expect(r.stderr).toContain("step classify: ok");
  });
});
