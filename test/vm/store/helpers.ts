// Shared fixtures for the run store tests: temp dirs, records and journal entries.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord, JournalEntry, RunRecord, SessionEntry, VmEvent } from "../../../vm/types.js";

export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "awr-store-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function run(runId: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    runId,
    graph: "triage",
    planHash: "ab".repeat(32),
    input: { ticket: { id: 7, text: "printer on fire" }, tags: ["urgent"] },
    principal: { user: "ada", roles: ["agent"] },
    status: "running",
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    ...over,
  };
}

export function intent(key: string, value: JournalEntry["value"] = { q: key }, over: Partial<JournalEntry> = {}): JournalEntry {
  return { key, step: key.split("#")[0]!, kind: "tool", phase: "intent", hash: `h-${key}`, at: 1_700_000_000_100, value, ...over };
}

export function outcome(key: string, value: JournalEntry["value"] = { ok: key }, over: Partial<JournalEntry> = {}): JournalEntry {
  return { key, step: key.split("#")[0]!, kind: "tool", phase: "outcome", hash: `h-${key}`, at: 1_700_000_000_200, value, ...over };
}

export function auditRecord(runId: string, over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    runId,
    step: "triage/lookup#0",
    principal: { id: "ada", roles: ["agent"] },
    kind: "policy",
    hook: "before tool",
    target: "lookup",
    policy: "pii",
    rule: "redact-email",
    outcome: "allow",
    at: 1_700_000_000_300,
    ...over,
  };
}

export function event(runId: string, step: string, at = 1_700_000_000_400): VmEvent {
  return { type: "step.started", runId, step, node: step.split("#")[0]!, at };
}

export function message(runId: string, content: string, over: Partial<SessionEntry> = {}): SessionEntry {
  return { runId, agent: "helper", role: "user", content, at: 1_700_000_000_500, ...over };
}
