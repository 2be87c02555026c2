// awr cost end to end: two offline runs of the README example (one completes, one fails at its
// last model call) in a SQLite store, reported by model, agent, tool, run and graph, over time ranges.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, awr } from "../helpers/awr-cli.js";
import { timeArg as parseTimeArg } from "../../cli/runs.js";

let dir: string;
let completed: string;
let failed: string;
const store = () => join(dir, "runs.db");
const cost = (...args: string[]) => awr(["cost", "--store", store(), ...args], { cwd: dir });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-cost-"));
  cpSync(join(ROOT, "examples", "support-triage"), join(dir, "s"), { recursive: true });
  writeFileSync(join(dir, "s", "broken.jsonl"), readFileSync(join(dir, "s", "recorded.jsonl"), "utf8").split("\n").slice(0, 2).join("\n"));
  const run = async (rec: string) =>
    JSON.parse((await awr(["run", "s/main.awr", "-i", "@s/input.json", "--models", `recorded:${rec}`, "--store", store(), "--json"], { cwd: dir })).stdout) as { runId: string; status: string };
  const a = await run("s/recorded.jsonl");
  const b = await run("s/broken.jsonl");
  expect([a.status, b.status]).toEqual(["completed", "failed"]);
  completed = a.runId;
  failed = b.runId;
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The example's prices (USD per million tokens): support_mini 0.15 / 0.60, support_large 2.5 / 10.
const MINI = (412 * 0.15 + 48 * 0.6) / 1e6 + (530 * 0.15 + 72 * 0.6) / 1e6; // classify + draft_reply
const LARGE = (655 * 2.5 + 61 * 10) / 1e6; // refund_advisor

describe("awr cost", () => {
  it("reports by model (the default): calls, failed calls, tokens and the cost frozen at call time", async () => {
    const r = await cost();
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("cost by model, the beginning .. now: 2 runs");
    expect(lines[1]).toMatch(/^model +model calls +failed +input tok +output tok +cost USD$/);
    // support_large: two advisor calls and the failed fallback of draft_reply; support_mini: two
    // classify calls, one draft_reply, one failed draft_reply.
    expect(lines[2]).toMatch(new RegExp(`^support_large +3 +1 +1310 +122 +${(2 * LARGE).toFixed(6)}$`));
    expect(lines[3]).toMatch(new RegExp(`^support_mini +4 +1 +1354 +168 +${(MINI + (412 * 0.15 + 48 * 0.6) / 1e6).toFixed(6)}$`));
    expect(lines[4]).toMatch(/^total +7 +2 +2664 +290 +0\.004799$/);
    expect(r.stdout).toContain("tool calls: 6 (0 failed)");
    expect(r.stdout).toMatch(/failed calls: 2\n {2}✗ \S+ {2}model draft_reply \(support_mini\) {2}transport: no recorded response/);
  });

  it("reports by agent, tool, run and graph", async () => {
    const [agent, tool, run, graph] = await Promise.all([cost("--by", "agent"), cost("--by", "tool"), cost("--by", "run"), cost("--by", "graph", "--json")]);
    expect(agent.stdout).toMatch(/^refund_advisor +agent +2 +0 +1310 +122 +0\.004495$/m);
    expect(agent.stdout).toMatch(/^draft_reply +prompt +3 +2 +530 +72 +0\.000123$/m);
    expect(agent.stdout).toMatch(/^classify_case +prompt +2 +0 +824 +96 +0\.000181$/m);
    expect(tool.stdout).toMatch(/^find_orders +tool +2 +0$/m);
    expect(tool.stdout).toMatch(/^refund_order +tool +2 +0$/m);
    expect(tool.stdout).toMatch(/^send_email +tool +1 +0$/m);
    expect(tool.stdout).toMatch(/^void_refund +compensation +1 +0$/m); // the failed run's undo
    expect(tool.stdout).toContain("model calls: 7 (2 failed), 2664/290 tokens, 0.004799 USD");
    expect(run.stdout).toMatch(new RegExp(`^${completed} +support_case +3 +0 +1597 +181 +${(MINI + LARGE).toFixed(6)} +3 +0$`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^${failed} +support_case +4 +2 +1067 +109 +0\\.002338 +3 +0$`, "m"));
    const g = JSON.parse(graph.stdout) as { by: string; runs: number; rows: { key: string; runs: number; modelCalls: number; failedModelCalls: number; toolCalls: number; costUsd: number }[]; failed: unknown[] };
    expect(g).toMatchObject({ by: "graph", runs: 2, rows: [{ key: "support_case", runs: 2, modelCalls: 7, failedModelCalls: 2, toolCalls: 6 }] });
    expect(g.rows[0]!.costUsd).toBeCloseTo(0.004799, 6);
    expect(g.failed).toHaveLength(2);
  });

  it("takes a time range and a single run", async () => {
    const [recent, past, future, one] = await Promise.all([
      cost("--since", "1h", "--by", "run"),
      cost("--until", "2000-01-01"),
      cost("--since", "2999-01-01T00:00:00Z"),
      cost("--run", completed, "--by", "model", "--json"),
    ]);
    expect(recent.stdout).toMatch(/: 2 runs\n/);
    expect(past.code).toBe(0);
    expect(past.stdout).toBe("cost by model, the beginning .. 2000-01-01T00:00:00.000Z: 0 runs\nno calls in this range\n");
    expect(future.stdout).toContain("no calls in this range");
    const r = JSON.parse(one.stdout) as { runs: number; total: { modelCalls: number; failedModelCalls: number; costUsd: number } };
    expect(r.runs).toBe(1);
    expect(r.total).toMatchObject({ modelCalls: 3, failedModelCalls: 0 });
    expect(r.total.costUsd).toBeCloseTo(MINI + LARGE, 9);
  });

  it("user mistakes are one line and exit 2", async () => {
    const [by, since, order, run, noStore, help, main] = await Promise.all([
      cost("--by", "colour"),
      cost("--since", "yesterday"),
      cost("--since", "2026-01-02", "--until", "2026-01-01"),
      cost("--run", "nope"),
      awr(["cost", "--store", "missing.db"], { cwd: dir }),
      awr(["cost", "--help"]),
      awr(["--help"]),
    ]);
    expect(by.code).toBe(2);
    expect(by.stderr).toBe('error: --by "colour" is not a grouping\nhint: use one of run, graph, agent, tool, model\n');
    expect(since.code).toBe(2);
    expect(since.stderr).toMatch(/^error: --since "yesterday" is neither a date nor a duration\nhint: use a date/);
    expect(order.stderr).toMatch(/^error: --since is after --until/);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: no run nope in \S+\.db\n/);
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toMatch(/^error: no run store at missing\.db/);
    expect(existsSync(join(dir, "missing.db"))).toBe(false);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--by <group> +run \| graph \| agent \| tool \| model/);
    expect(main.stdout).toMatch(/^ {2}trace +Show a run's timeline, or write it as an HTML report$/m);
    expect(main.stdout).toMatch(/^ {2}cost +Report tokens, cost and calls by run, graph, agent, tool or model$/m);
  });
});

describe("--since / --until values", () => {
  const now = Date.UTC(2026, 10, 24, 12, 0, 0);
  it("are dates or durations back from now", () => {
    expect(parseTimeArg("2026-11-01", "--since", now)).toBe(Date.UTC(2026, 10, 1));
    expect(parseTimeArg("2026-11-01T09:30:00Z", "--since", now)).toBe(Date.UTC(2026, 10, 1, 9, 30));
    expect(parseTimeArg("30m", "--since", now)).toBe(now - 30 * 60_000);
    expect(parseTimeArg("24h", "--since", now)).toBe(now - 86_400_000);
    expect(parseTimeArg("7d", "--since", now)).toBe(now - 7 * 86_400_000);
    expect(parseTimeArg("2w", "--since", now)).toBe(now - 14 * 86_400_000);
    expect(parseTimeArg("1.5h", "--since", now)).toBe(now - 5_400_000);
    for (const bad of ["", "soon", "7 days", "-1h", "2026-13-45", "12"]) expect(() => parseTimeArg(bad, "--since", now)).toThrow(/neither a date nor a duration/);
  });
});
