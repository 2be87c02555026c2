// The audit log in a SQLite store: every decision an execution makes is stored (append-only), a
// resumed run does not store the decisions of its replayed part twice, and queries filter.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../../vm/store/sqlite.js";
import { MODELS, harness } from "./helpers.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "awr-audit-log-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const SOURCE = `${MODELS}
tool lookup(q: string) -> string { impl: js("./t.mjs#lookup") tags: [crm.read] }
tool refund(amount: int) -> string { impl: js("./t.mjs#refund") tags: [payments.write] }
prompt draft(text: string) -> string { model: m user #"Draft a reply to {{ text }}"# }
graph g(q: string, amount: int) -> string {
  state { found: string?, reply: string?, done: string? }
  node a { run lookup(q: q) -> found }
  node b { run draft(text: found!) -> reply }
  node c { run refund(amount: amount) -> done }
  edge start -> a
  edge a -> b
  edge b -> c
  edge c -> end
  return reply! + " / " + done!
}
policy privacy {
  after tool tagged crm.read { redact email }
  before model { redact phone }
}
policy money {
  before tool refund {
    deny when input.amount > 1000 because "too much"
    approve when input.amount > 100 because "needs a lead"
  }
}
`;
const PRINCIPAL = { id: "carol", roles: ["support"], attrs: {} };
const strip = <T extends { at: number }>(xs: T[]) => xs.map(({ at: _at, ...rest }) => rest);

describe("the audit log in SQLite", () => {
  it("stores every decision and tool call of a run, and a resumed run adds only what is new", async () => {
    const store = new SqliteStore(join(dir, "runs.db"));
    try {
      const h = harness(SOURCE, { store, tool: (t, a) => (t === "lookup" ? `ann@example.com wrote about ${a["q"]}` : "ok"), model: () => ({ output: "call +44 20 7946 0958" }) });
      const r = await h.rt.start("g", { q: "late order", amount: 250 }, { principal: PRINCIPAL });
      expect(r.status).toBe("suspended");
      // Everything this execution decided is in the store, in order.
      const first = store.audit({ runId: r.runId });
      expect(strip(first)).toEqual(strip(r.observed.audit));
      expect(first.map((a) => [a.kind, a.hook, a.target, a.policy, a.outcome])).toEqual([
        ["tool", "call", "lookup", null, "ok"],
        ["policy", "after tool", "lookup", "privacy", "redact"],
        ["policy", "before model", "m", "privacy", "redact"],
        ["policy", "before tool", "refund", "money", "approve"],
      ]);
      expect(first[1]!.redacted).toEqual([{ path: "$", kind: "email" }]);
      // The model's request was built from the redacted tool result: no address reached it.
      expect(JSON.stringify(h.modelCalls)).not.toContain("ann@example.com");

      const done = await h.rt.resume(r.runId, { approved: true });
      expect(done.status).toBe("completed");
      const all = store.audit({ runId: r.runId });
      // The first execution's records are stored once; resume added the operator's answer, the
      // resumed execution the approval and the call.
      expect(strip(all.slice(0, first.length))).toEqual(strip(first));
      expect(all.slice(first.length).map((a) => [a.kind, a.hook, a.target, a.outcome, a.reason ?? null])).toEqual([
        ["operator", "resume", "approval", "approved", "needs a lead"],
        ["policy", "before tool", "refund", "approve", "needs a lead (approved)"],
        ["tool", "call", "refund", "ok", null],
      ]);
      // Queries filter by policy, outcome and kind.
      expect(store.audit({ runId: r.runId, policy: "money" }).map((a) => a.outcome)).toEqual(["approve", "approve"]);
      expect(store.audit({ runId: r.runId, kind: "tool" })).toHaveLength(2);
      expect(store.audit({ runId: r.runId, outcome: "redact" })).toHaveLength(2);
      // Append-only: the database refuses to change a record.
      const db = (store as unknown as { db: { prepare(s: string): { run(): unknown } } }).db;
      expect(db).toBeDefined();
      expect(() => db.prepare("UPDATE audit SET outcome = 'allow'").run()).toThrow(/append-only/);
    } finally {
      store.close();
    }
  });
});
