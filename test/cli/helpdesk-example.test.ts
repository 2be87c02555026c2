// examples/multi-agent-handoff run end to end through the CLI, offline, as its README does: recorded
// model turns drive the agents' real tool loop (two parallel tool calls, a handoff, a policy denial
// the specialist recovers from, an MCP tool of the example's stdio server), two durable waits are
// answered with `awr resume`, and a follow-up run in the same session sees the first conversation.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, awr } from "../helpers/awr-cli.js";
import { openStore } from "../../vm/store/index.js";
import type { AuditRecord, JournalEntry, VmEvent } from "../../vm/types.js";

const EX = "examples/multi-agent-handoff";
const MCP_SERVER = join(ROOT, EX, "mcp", "billing-server.mjs");
const SESSION = "conv-CU-20417";
const PRINCIPAL = '{"id": "desk-bot", "roles": ["support.agent"]}';

let dir: string;
let store: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "awr-helpdesk-"));
  store = join(dir, "runs.db");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  runId: string;
  status: string;
  output?: Record<string, unknown>;
  error?: unknown;
  pending?: { id: string; kind: string; reason: string }[];
}

async function json<T>(args: string[]): Promise<T> {
  const r = await awr([...args, "--store", store, "--json"]);
  expect(r.code, `awr ${args.join(" ")}\n${r.stdout}${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as T;
}

const run = (input: string, recorded: string) =>
  json<Outcome>(["run", `${EX}/main.awr`, "-g", "helpdesk", "--input", `@${EX}/${input}`, "--models", `recorded:${EX}/${recorded}`, "--session", SESSION, "--principal", PRINCIPAL]);

/** Processes (Linux: /proc) whose command line names `file`. */
function processesRunning(file: string): number[] {
  if (!existsSync("/proc")) return [];
  const pids: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, "utf8").includes(file)) pids.push(Number(d));
    } catch {
      // the process is gone
    }
  }
  return pids;
}

function storedEvents(runId: string): VmEvent[] {
  const s = openStore(store);
  try {
    return s.events(runId);
  } finally {
    s.close();
  }
}

describe("examples/multi-agent-handoff, offline through the CLI", () => {
  it("runs a recorded conversation end to end, waits twice, and continues the session in a second run", async () => {
    // 1. The run: the concierge calls two tools at once, hands off to the billing specialist, which
    //    is denied 24 months of invoices, asks for 3 (the MCP server), and proposes a credit. The
    //    identity check waits for the one-time code.
    const first = await run("input.json", "recorded.jsonl");
    expect(first).toMatchObject({ status: "suspended", pending: [{ kind: "event", reason: "identity.otp_submitted" }] });
    const runId = first.runId;
    // The MCP server was started for billing_history and stopped with the run.
    expect(processesRunning(MCP_SERVER)).toEqual([]);

    // 2. The code (the identity stub derives it from the challenge id) → the credit waits for a team lead.
    const coded = await json<Outcome>(["resume", runId, "--value", '{"challenge_id": "OTP-CU-20417-chat", "code": "528828"}']);
    expect(coded).toMatchObject({ runId, status: "suspended", pending: [{ kind: "approval", reason: "a team lead approves every account credit" }] });

    // 3. The approval → the credit is granted and the reply sent.
    const done = await json<Outcome>(["resume", runId, "--value", "true", "--by", "lead.moreau"]);
    expect(done).toMatchObject({ runId, status: "completed", output: { specialty: "billing", verified: true } });
    expect(done.output!["reply"]).toContain("outage credit of one day's plan price for each of the 3 started days: 4.00 EUR");
    expect(done.output!["credit_id"]).toMatch(/^CR-CU-20417-CASE-\d+-400$/);
    expect(done.output!["case_id"]).toMatch(/^CASE-\d+$/);

    // The tool calls the agents made, from the run's journal (intents name the tool and its arguments).
    const shown = await json<{ journal: JournalEntry[] }>(["runs", "show", runId]);
    const intake = "graph:helpdesk/node:intake/stmt:0#0/";
    const calls = shown.journal
      .filter((e) => e.phase === "intent" && e.kind === "tool" && e.key.startsWith(intake))
      .map((e) => `${e.key.slice(intake.length)} ${JSON.stringify(e.value)}`);
    expect(calls).toEqual([
      'turn0/call0 {"tool":"customer_profile","args":{"customer_id":"CU-20417"}}',
      'turn0/call1 {"tool":"service_status","args":{"customer_id":"CU-20417"}}',
      // turn2's billing_history(months: 24) was denied by the policy: no call; the specialist asked again.
      'turn3/call0 {"tool":"billing_history","args":{"customer_id":"CU-20417","months":3}}',
    ]);
    // What the models were sent: the profile's contact data and the invoices' IBANs are redacted, and
    // the specialist saw the denial as the call's result.
    const lastTurn = shown.journal.find((e) => e.phase === "intent" && e.key === `${intake}turn4/desk_expert@0`);
    const messages = (lastTurn!.value as { messages: { role: string; content: string }[] }).messages;
    const toolResults = messages.filter((m) => m.role === "tool").map((m) => m.content);
    expect(toolResults[0]).toContain('"email":"[REDACTED:email]"');
    expect(toolResults[0]).toContain('"phone":"[REDACTED:phone]"');
    expect(toolResults[2]).toBe("Transferred to billing_specialist.");
    expect(toolResults[3]).toMatch(/^error \(policy\): before tool billing_history: denied by desk_guardrails .*more than 12 months of invoices need a billing manager$/);
    expect(toolResults[4]).toContain("SEPA direct debit from [REDACTED:iban]");
    expect(JSON.stringify(messages)).not.toMatch(/FR76|camille\.martin@|\+33 6/);
    // The specialist's system prompt holds the help_center context, assembled from the example's kb/
    // (vector search over the articles, keyword search over the macros).
    expect(messages[0]!.content).toMatch(/^You are Billing specialist\./);
    expect(messages[0]!.content).toContain("Context (help_center):\n");
    expect(messages[0]!.content).toContain("[articles: kb/billing.md#0]\n# Billing questions");
    expect(messages[0]!.content).toMatch(/\[macros: kb\/macros\.jsonl:\d+\]\nq: /);

    // The events: the two calls of turn 0 ran in parallel, the handoff, the MCP call namespaced server.tool.
    const events = storedEvents(runId);
    const at = (type: string, key: string) => events.findIndex((e) => e.type === type && "key" in e && e.key === key);
    const [req0, req1, done0, done1] = [at("effect.requested", `${intake}turn0/call0`), at("effect.requested", `${intake}turn0/call1`), at("effect.completed", `${intake}turn0/call0`), at("effect.completed", `${intake}turn0/call1`)];
    expect(Math.max(req0, req1)).toBeLessThan(Math.min(done0, done1));
    expect(events.filter((e) => e.type === "handoff")).toEqual([expect.objectContaining({ from: "concierge", to: "billing_specialist", key: `${intake}turn1` })]);
    const mcp = events.filter((e) => e.type === "effect.completed" && e.kind === "tool" && e.name === "billing_history" && !e.replayed);
    expect(mcp).toEqual([expect.objectContaining({ ok: true, qualifiedName: "billing.list_invoices", key: `${intake}turn3/call0` })]);
    const trace = await json<{ rows: { label: string }[] }>(["trace", runId]);
    expect(trace.rows.map((r) => r.label)).toContain("⇄ handoff concierge → billing_specialist");

    // The audit log: every tool call once (also across the two resumes), the MCP call namespaced,
    // the deny, the approval, the redactions, all for the run's principal.
    const audit = await json<AuditRecord[]>(["audit", "--run", runId]);
    expect(audit.every((a) => (a.principal as { id: string }).id === "desk-bot")).toBe(true);
    expect(audit.filter((a) => a.kind === "tool").map((a) => `${a.target} ${a.outcome}${a.reason ? ` ${a.reason}` : ""}`)).toEqual([
      expect.stringMatching(/^(customer_profile|service_status) ok$/),
      expect.stringMatching(/^(customer_profile|service_status) ok$/),
      "billing_history ok mcp billing.list_invoices",
      "time_now ok",
      "open_case ok",
      "send_otp ok",
      "check_otp ok",
      "apply_credit ok",
      "send_reply ok",
    ]);
    const decisions = audit.filter((a) => a.kind === "policy" && a.outcome !== "allow" && a.hook !== "after model" && a.hook !== "after output");
    expect(decisions.map((a) => [a.hook, a.target, a.policy, a.outcome, a.reason ?? null, a.redacted ?? null])).toEqual([
      ["after tool", "customer_profile", "pii_tool_redaction", "redact", null, [{ path: "$.email", kind: "email" }, { path: "$.phone", kind: "phone" }]],
      ["before tool", "billing_history", "desk_guardrails", "deny", "more than 12 months of invoices need a billing manager", null],
      ["after tool", "billing_history", "desk_guardrails", "redact", null, [{ path: "$[1].paid_from", kind: "iban" }, { path: "$[2].paid_from", kind: "iban" }]],
      ["before tool", "apply_credit", "desk_guardrails", "approve", "a team lead approves every account credit (waiting for approval)", null],
      ["before tool", "apply_credit", "desk_guardrails", "approve", "a team lead approves every account credit (approved)", null],
      // The transform ran (the reply was already trimmed and short, so it changed no field).
      ["before tool", "send_reply", "desk_guardrails", "transform", "replies go out trimmed and at most 1,200 characters long", []],
      ["before tool", "send_reply", "desk_guardrails", "redact", null, []],
    ]);

    // The replay re-executes the run from its journal alone and takes the same path.
    const replay = await awr(["replay", runId, "--store", store]);
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);
    expect(replay.stdout).toBe(`run ${runId}: replay reproduced it (completed)\n`);

    // 4. A follow-up in the same session: the concierge's recorded answer only applies when the
    //    request carries the first conversation (it matches on "4.00 EUR" from the specialist's answer).
    const second = await run("followup.json", "followup.jsonl");
    expect(second).toMatchObject({ status: "completed", output: { specialty: "general", verified: false, credit_id: null } });
    expect(second.output!["reply"]).toBe(
      "Your 4.00 EUR outage credit appears on your next invoice, issued on 1 April. And yes, the outage is over: mobile data in Lyon has worked normally since 26 March at 09:30.",
    );
    const followup = await json<{ journal: JournalEntry[] }>(["runs", "show", second.runId]);
    const history = followup.journal.find((e) => e.phase === "outcome" && e.key === `${intake}session`)!.value as { runId: string; agent: string; role: string }[];
    expect(new Set(history.map((h) => h.runId))).toEqual(new Set([runId]));
    expect(new Set(history.map((h) => h.agent))).toEqual(new Set(["concierge", "billing_specialist"]));
    expect(history.map((h) => h.role)).toEqual(["user", "assistant", "tool", "tool", "assistant", "tool", "user", "assistant", "tool", "assistant", "tool", "assistant"]);
    // Without the session the follow-up's recorded turns do not apply.
    const alone = await awr(["run", `${EX}/main.awr`, "-g", "helpdesk", "-i", `@${EX}/followup.json`, "--models", `recorded:${EX}/followup.jsonl`, "--store", "memory:"]);
    expect(alone.code).toBe(1);
    expect(alone.stdout).toMatch(/^error: transport: no recorded response for prompt concierge in .*followup\.jsonl matches the request/m);
    const again = await awr(["replay", second.runId, "--store", store]);
    expect(again.stdout).toBe(`run ${second.runId}: replay reproduced it (completed)\n`);
    expect(processesRunning(MCP_SERVER)).toEqual([]);
  });
});
