// `awr audit` end to end: runs on a SQLite store through `awr run --principal`, then the audit log
// as a table, filtered, and exported as JSONL (checked against the store itself).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../vm/store/sqlite.js";
import type { AuditRecord } from "../../vm/types.js";
import { auditChanges } from "../../cli/commands/audit.js";
import { awr } from "../helpers/awr-cli.js";

let dir: string;
let db: string;
let okRun: string;
let deniedRun: string;

const PROGRAM = `
tool profile(id: string) -> string { impl: js("./tools.mjs#profile") tags: [crm.read] }
tool refund(amount: int) -> string { impl: js("./tools.mjs#refund") tags: [payments.write] }
graph g(id: string, amount: int) -> string {
  state { p: string?, r: string? }
  node a { run profile(id: id) -> p }
  node b { run refund(amount: amount) -> r }
  edge start -> a
  edge a -> b
  edge b -> end
  return p! + " / " + r!
}
policy privacy {
  after tool tagged crm.read { redact email, phone }
}
policy money {
  before tool tagged payments.write { deny when !("billing" in principal.roles) because "billing staff only" }
}
`;

const TOOLS = `
export async function profile({ id }) { return "customer " + id + " <ann@example.com>, +44 20 7946 0958"; }
export async function refund({ amount }) { return "refunded " + amount; }
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-audit-"));
  db = join(dir, "runs.db");
  writeFileSync(join(dir, "main.awr"), PROGRAM);
  writeFileSync(join(dir, "tools.mjs"), TOOLS);
  writeFileSync(join(dir, "billing.json"), JSON.stringify({ id: "alice", roles: ["billing"], attrs: {} }));
  const ok = await awr(["run", "main.awr", "--input", '{"id":"c-1","amount":40}', "--principal", "@billing.json", "--store", db, "--json"], { cwd: dir });
  expect(ok.code, ok.stderr).toBe(0);
  const okOut = JSON.parse(ok.stdout);
  expect(okOut.output).toBe("customer c-1 <[REDACTED:email]>, [REDACTED:phone] / refunded 40");
  okRun = okOut.runId;
  const denied = await awr(["run", "main.awr", "--input", '{"id":"c-2","amount":40}', "--principal", '{"id":"bob","roles":["support"],"attrs":{}}', "--store", db, "--json"], { cwd: dir });
  expect(denied.code).toBe(1);
  deniedRun = JSON.parse(denied.stdout).runId;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stored(): AuditRecord[] {
  const s = new SqliteStore(db);
  try {
    return s.audit();
  } finally {
    s.close();
  }
}

describe("awr audit", () => {
  it("--jsonl exports every record of the store, one JSON object per line, as stored", async () => {
    const r = await awr(["audit", "--store", db, "--jsonl"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as AuditRecord);
    expect(lines).toEqual(stored());
    const mine = lines.filter((a) => a.runId === okRun).map((a) => [a.kind, a.hook, a.target, a.policy, a.outcome, a.redacted ?? null]);
    expect(mine).toEqual([
      ["tool", "call", "profile", null, "ok", null],
      ["policy", "after tool", "profile", "privacy", "redact", [{ path: "$", kind: "email" }, { path: "$", kind: "phone" }]],
      ["policy", "before tool", "refund", "money", "allow", null],
      ["tool", "call", "refund", null, "ok", null],
    ]);
    for (const a of lines.filter((x) => x.runId === okRun)) expect(a.principal).toEqual({ id: "alice", roles: ["billing"], attrs: {} });
    // No value is stored in the log: the email address appears nowhere.
    expect(r.stdout).not.toContain("ann@example.com");
  });

  it("records the denial with the rule and the principal", async () => {
    const r = await awr(["audit", "--store", db, "--run", deniedRun, "--outcome", "deny", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const recs = JSON.parse(r.stdout) as AuditRecord[];
    expect(recs).toEqual([
      expect.objectContaining({ runId: deniedRun, hook: "before tool", target: "refund", policy: "money", rule: "policy:money/hook:0/rule:0", outcome: "deny", reason: "billing staff only", principal: { id: "bob", roles: ["support"], attrs: {} } }),
    ]);
  });

  it("prints a table by default, filtered by policy and time", async () => {
    const r = await awr(["audit", "--store", db, "--policy", "money", "--since", "1h"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^time\s+run\s+hook\s+target\s+policy\s+rule\s+outcome\s+details$/);
    expect(lines.some((l) => /before tool\s+refund\s+money\s+hook:0\/rule:0\s+deny\s+billing staff only/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe("2 records");
    const none = await awr(["audit", "--store", db, "--until", "2000-01-01"]);
    expect(none.stdout).toBe("no audit records\n");
  });

  it("names what a decision changed: redacted fields with their kind, transformed fields", () => {
    const base: AuditRecord = { runId: "r", step: "s", principal: null, kind: "policy", hook: "before tool", target: "t", policy: "p", rule: "policy:p/hook:0/rule:0", outcome: "redact", at: 0 };
    expect(auditChanges({ ...base, redacted: [{ path: "$.body", kind: "email" }] })).toBe("redacted $.body (email)");
    expect(auditChanges({ ...base, outcome: "transform", redacted: [{ path: "$.subject", kind: "transform" }, { path: "$.body", kind: "transform" }] })).toBe("transformed $.subject, $.body");
    expect(auditChanges({ ...base, outcome: "allow" })).toBe("");
  });

  it("rejects what it cannot read, with a clear message and exit 2", async () => {
    const bad = await awr(["audit", "--store", db, "--since", "yesterday"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday" is neither a date nor a duration');
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/);
    const outcome = await awr(["audit", "--store", db, "--outcome", "maybe"]);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain('unknown outcome "maybe"');
    const both = await awr(["audit", "--store", db, "--json", "--jsonl"]);
    expect(both.code).toBe(2);
    const missing = await awr(["audit", "--store", join(dir, "nope", "runs.db")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no run store at");
    expect(existsSync(join(dir, "nope"))).toBe(false);
  });

  it("awr run checks --principal; without one the run acts for anonymous", async () => {
    const bad = await awr(["run", "main.awr", "--input", '{"id":"c-3","amount":1}', "--principal", '{"id":"x","roles":"admin"}', "--store", db], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--principal: roles must be a list of strings");
    const anon = await awr(["run", "main.awr", "--input", '{"id":"c-4","amount":1}', "--store", db, "--json"], { cwd: dir });
    expect(anon.code).toBe(1);
    const runId = JSON.parse(anon.stdout).runId;
    const r = await awr(["audit", "--store", db, "--run", runId, "--kind", "policy", "--jsonl"]);
    const recs = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as AuditRecord);
    expect(recs.map((a) => [a.outcome, a.principal])).toContainEqual(["deny", { id: "anonymous", roles: [], attrs: {} }]);
  });
});
