// MCP tools are namespaced by server: the events and audit records of their calls name
// `server.tool` next to the declared tool name (docs/tools.md § MCP, docs/observability.md § Events).
import { describe, expect, it } from "vitest";
import { harness } from "../../policy/helpers.js";
import { VmFailure } from "../../../vm/types.js";

const PROGRAM = `
type Invoice { id: string }
tool billing_history(customer_id: string) -> list<Invoice> { impl: mcp(billing, "list_invoices") }
tool refund(invoice: string) -> string { impl: mcp(billing, "refund") compensate: void_refund(id: result) }
tool void_refund(id: string) -> bool { impl: mcp(billing, "void") }
tool notify(text: string) -> bool { impl: js("./tools/notify.mjs#notify") }
policy audit_everything { before tool billing_history { allow } }
graph g(customer: string) -> int {
  state { invoices: list<Invoice> = [], refunded: string = "", sent: bool = false }
  node read { run billing_history(customer_id: customer) -> invoices }
  node pay { run refund(invoice: invoices[0].id) -> refunded }
  node tell { run notify(text: refunded) -> sent }
  edge start -> read
  edge read -> pay
  edge pay -> tell
  edge tell -> end
  return len(invoices)
}
`;

describe("MCP tool names in events and the audit log", () => {
  it("effect events carry qualifiedName server.tool; audit records of MCP calls say mcp server.tool", async () => {
    const h = harness(PROGRAM, {
      tool: (tool) => {
        if (tool === "billing_history") return [{ id: "INV-1" }];
        if (tool === "refund") return "RF-1";
        if (tool === "void_refund") return true;
        throw new VmFailure({ kind: "tool", message: "tool notify failed: mailer down", retryable: false });
      },
    });
    const r = await h.rt.start("g", { customer: "CU-1" });
    expect(r.status).toBe("failed");
    const effects = h.store.events(r.runId).flatMap((e) => (e.type === "effect.requested" || e.type === "effect.completed" ? [e] : []));
    const names = effects.map((e) => `${e.type} ${e.kind} ${e.name} ${e.qualifiedName ?? "-"}`);
    expect(names).toEqual([
      "effect.requested tool billing_history billing.list_invoices",
      "effect.completed tool billing_history billing.list_invoices",
      "effect.requested tool refund billing.refund",
      "effect.completed tool refund billing.refund",
      "effect.requested tool notify -",
      "effect.completed tool notify -",
      // The refund is undone when the run fails: a compensation of an MCP tool is namespaced too.
      "effect.requested compensation void_refund billing.void",
      "effect.completed compensation void_refund billing.void",
    ]);

    const tools = h.store.audit({ runId: r.runId, kind: "tool" }).map((a) => [a.target, a.hook, a.outcome, a.reason ?? null]);
    expect(tools).toEqual([
      ["billing_history", "call", "ok", "mcp billing.list_invoices"],
      ["refund", "call", "ok", "mcp billing.refund"],
      ["notify", "call", "failed", "tool: tool notify failed: mailer down"],
      ["void_refund", "compensate", "ok", "mcp billing.void"],
    ]);
    // Policy records keep the declared name (policies select on it).
    expect(h.store.audit({ runId: r.runId, kind: "policy" }).map((a) => a.target)).toEqual(["billing_history"]);
  });

  it("a failed MCP call's audit record names the server and tool before the failure", async () => {
    const h = harness(PROGRAM, {
      tool: () => {
        throw new VmFailure({ kind: "transport", message: "tool billing_history (mcp billing.list_invoices): connection closed", retryable: false });
      },
    });
    const r = await h.rt.start("g", { customer: "CU-1" });
    expect(r.status).toBe("failed");
    const [rec] = h.store.audit({ runId: r.runId, kind: "tool" });
    expect(rec).toMatchObject({
      target: "billing_history",
      outcome: "failed",
      reason: "mcp billing.list_invoices: transport: tool billing_history (mcp billing.list_invoices): connection closed",
    });
  });
});
