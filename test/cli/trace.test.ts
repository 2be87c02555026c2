// awr trace end to end: run the README example offline into a SQLite store, then read its timeline
// in the terminal, as JSON and as an HTML page; user mistakes are one line and exit 2.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, awr } from "../helpers/awr-cli.js";

let dir: string;
let completed: string;
let failed: string;
const store = () => join(dir, "runs.db");

async function runExample(recordings: string): Promise<{ runId: string; status: string }> {
  const r = await awr(["run", "s/main.awr", "-i", "@s/input.json", "--models", `recorded:${recordings}`, "--store", store(), "--json"], { cwd: dir });
  expect(r.stderr).not.toMatch(/internal error/);
  return JSON.parse(r.stdout) as { runId: string; status: string };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-trace-"));
  cpSync(join(ROOT, "examples", "support-triage"), join(dir, "s"), { recursive: true });
  // Without an answer for draft_reply the run fails at `respond` (both models of the chain fail)
  // and the refund is compensated.
  writeFileSync(join(dir, "s", "broken.jsonl"), readFileSync(join(dir, "s", "recorded.jsonl"), "utf8").split("\n").slice(0, 2).join("\n"));
  const ok = await runExample("s/recorded.jsonl");
  expect(ok.status).toBe("completed");
  completed = ok.runId;
  const bad = await runExample("s/broken.jsonl");
  expect(bad.status).toBe("failed");
  failed = bad.runId;
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("awr trace", () => {
  it("prints the timeline of a run from its stored events: steps, calls, tokens, cost, totals", async () => {
    const r = await awr(["trace", completed, "--store", store()], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    // durations read "412 ms" or, on a loaded machine, "1.0 s"
    const D = String.raw`(?:\d+ ms|\d+\.\d s)`;
    expect(lines[0]).toMatch(new RegExp(`^run ${completed} {2}graph support_case {2}completed {2}${D}$`));
    expect(lines[1]).toContain("timeline from the stored events");
    expect(r.stdout).toMatch(new RegExp(String.raw`^ *\+${D} +${D} {2}✓ classify$`, "m"));
    expect(r.stdout).toMatch(new RegExp(String.raw`^ *\+${D} +${D} {4}✓ prompt classify_case → support_mini +412\/48 +0\.000091$`, "m"));
    expect(r.stdout).toMatch(/✓ agent refund_advisor → support_large +655\/61 +0\.002247$/m);
    expect(r.stdout).toMatch(/✓ tool refund_order$/m);
    for (const node of ["fetch_orders", "decide", "refund", "respond", "notify"]) expect(r.stdout).toMatch(new RegExp(`✓ ${node}$`, "m"));
    expect(lines.at(-1)).toBe("6 steps · 3 model calls · 3 tool calls · tokens 1597 in / 181 out · cost 0.002461 USD");
    expect(r.stdout).not.toMatch(/\x1b\[/); // NO_COLOR (set by the helper) and not a terminal
    expect(r.stdout).not.toContain("|"); // no terminal width: no bars
  });

  it("draws bars to the width of COLUMNS", async () => {
    const r = await awr(["trace", completed, "--store", store()], { cwd: dir, env: { COLUMNS: "120" } });
    const rows = r.stdout.split("\n").filter((l) => /^ *\+\d/.test(l));
    expect(rows.length).toBeGreaterThan(10);
    for (const l of rows) {
      expect(l).toMatch(/\|[ █│]+\|$/);
      expect(l.length).toBeLessThan(120);
    }
    expect(rows.some((l) => l.includes("█"))).toBe(true);
  });

  it("shows what failed, retries and fallbacks, and the compensation", async () => {
    const r = await awr(["trace", failed, "--store", store()], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/graph support_case {2}failed/);
    expect(r.stdout).toMatch(/^error: transport: no recorded response for prompt draft_reply .* \(step graph:support_case\/node:respond#0\)$/m);
    expect(r.stdout).toMatch(/✗ respond$/m);
    expect(r.stdout).toMatch(/✗ prompt draft_reply → support_mini {2}\(transport: no recorded response/);
    expect(r.stdout).toMatch(/✗ prompt draft_reply → support_large/);
    expect(r.stdout).toContain("↪ fallback support_mini → support_large");
    expect(r.stdout).toMatch(/✓ undo void_refund$/m);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toMatch(/^5 steps · 4 model calls \(2 failed\) · 3 tool calls · /);
  });

  it("prints JSON: rows, node outcomes, totals and the audit records", async () => {
    const r = await awr(["trace", failed, "--store", store(), "--json"], { cwd: dir });
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout) as {
      runId: string;
      source: string;
      nodes: Record<string, string>;
      totals: { modelCalls: number; failedModelCalls: number; costUsd: number };
      rows: { type: string; label: string; status: string }[];
      audit: { kind: string; target: string; outcome: string }[];
    };
    expect(t).toMatchObject({ runId: failed, source: "events" });
    expect(t.nodes).toEqual({ classify: "ok", fetch_orders: "ok", decide: "ok", refund: "ok", respond: "failed", escalate: "not_run", notify: "not_run" });
    expect(t.totals).toMatchObject({ modelCalls: 4, failedModelCalls: 2 });
    expect(t.rows.filter((x) => x.type === "step").map((x) => x.label)).toEqual(["classify", "fetch_orders", "decide", "refund", "respond"]);
    expect(t.audit.some((a) => a.kind === "tool" && a.target === "refund_order")).toBe(true);
  });

  it("writes one self-contained HTML page with the graph, timeline, totals and audit records", async () => {
    const out = join(dir, "report.html");
    const r = await awr(["trace", failed, "--store", store(), "--html", "report.html"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^wrote report\\.html \\(\\d+ KB\\): run ${failed}, failed\\n$`));
    const html = readFileSync(out, "utf8");
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    const nodes = Object.fromEntries([...html.matchAll(/<g class="node step outcome-(\w+)" data-node="(\w+)"/g)].map((m) => [m[2], m[1]]));
    expect(nodes).toEqual({ classify: "ok", fetch_orders: "ok", decide: "ok", refund: "ok", respond: "failed", escalate: "not_run", notify: "not_run" });
    expect(html.match(/<tr class="tl-row /g)!.length).toBeGreaterThan(10);
    expect(html).toMatch(/id="total-model-calls"><div class="v">4<\/div><div class="k">model calls, 2 failed</);
    expect(html).toMatch(/<tr class="audit-row /);
    expect(html).not.toMatch(/<[^>]*\s(src|href)\s*=/i);
  });

  it("user mistakes are one line and exit 2", async () => {
    const [unknown, noId, noStore, badOut, help] = await Promise.all([
      awr(["trace", "no-such-run", "--store", store()], { cwd: dir }),
      awr(["trace", "--store", store()], { cwd: dir }),
      awr(["trace", completed, "--store", "nowhere.db"], { cwd: dir }),
      awr(["trace", completed, "--store", store(), "--html", "no/such/dir/x.html"], { cwd: dir }),
      awr(["trace", "--help"]),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: no run no-such-run in \S+\nhint: list the runs of a store with "awr runs \[--store PATH\]"\n$/);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toMatch(/^error: missing run id/);
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toMatch(/^error: no run store at nowhere\.db/);
    expect(existsSync(join(dir, "nowhere.db"))).toBe(false); // a read-only command creates no store
    expect(badOut.code).toBe(2);
    expect(badOut.stderr).toMatch(/^error: cannot write no\/such\/dir\/x\.html: ENOENT/);
    expect(help.stdout).toMatch(/^Show the timeline of one run/);
    expect(help.stdout).toContain("--html <file>");
  });
});
