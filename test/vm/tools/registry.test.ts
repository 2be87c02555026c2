// The registry built from a compiled plan: every property a tool declares, including the sandbox
// (`allow`) and `concurrency`, and qualified names (MCP tools namespaced by server).
import { describe, expect, it } from "vitest";
import { toolRegistry } from "../../../vm/tools/index.js";
import { planOf } from "../helpers.js";

const source = `
type Receipt { id: string }
tool lookup(email: string) -> list<string> {
  description: "Orders of a customer"
  impl: js("./tools/crm.mjs#lookup")
  allow: { read: ["./data", "./more"], env: ["CRM_TOKEN"] }
  tags: [pii.read]
  timeout: 5s
  rate: 20/s
  concurrency: 3
}
tool refund(order_id: string, amount: float) -> Receipt {
  impl: http({ method: "POST", url: "https://pay.example.com/refunds/{order_id}", headers: { authorization: env("PAY_TOKEN") } })
  idempotent: true
  compensate: cancel(receipt_id: result.id)
}
tool cancel(receipt_id: string) -> bool { impl: mcp(payments, "cancel_refund") }
tool now() -> string { impl: builtin("std.time.now") }
`;

describe("tool registry", () => {
  const reg = toolRegistry(planOf(source));

  it("holds every tool with its contract, limits and durability", () => {
    expect([...reg.keys()].sort()).toEqual(["cancel", "lookup", "now", "refund"]);
    const lookup = reg.get("lookup")!;
    expect(lookup).toMatchObject({
      description: "Orders of a customer",
      tags: ["pii.read"],
      timeoutMs: 5000,
      rate: { count: 20, per_ms: 1000 },
      concurrency: 3,
      idempotent: false,
      allow: { read: ["./data", "./more"], write: [], env: ["CRM_TOKEN"] },
      qualifiedName: "./tools/crm.mjs#lookup",
    });
    expect(lookup.params).toMatchObject({ type: "object", properties: { email: { type: "string" } }, required: ["email"] });
    expect(reg.get("refund")).toMatchObject({ idempotent: true, concurrency: null, allow: null, compensate: { tool: "cancel" } });
  });

  it("namespaces MCP tools by server and names the other impls readably", () => {
    expect(reg.get("cancel")!.qualifiedName).toBe("payments.cancel_refund");
    expect(reg.get("refund")!.qualifiedName).toBe("POST https://pay.example.com/refunds/{order_id}");
    expect(reg.get("now")!.qualifiedName).toBe("std.time.now");
  });

  it("keeps secrets as holes in the plan", () => {
    const impl = reg.get("refund")!.impl;
    expect(impl).toMatchObject({ kind: "http", headers: { authorization: "{env:PAY_TOKEN}" } });
  });
});
