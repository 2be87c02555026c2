// The billing system of the multi-agent-handoff example, as a Model Context Protocol server on
// stdio (the official SDK's McpServer). awr starts it from ../mcp.json on the first call of an
// `mcp(billing, "...")` tool and stops it when the run stops. Deterministic and offline.
//
// Tools: list_invoices(customer_id, months) -> { invoices: [...] }, newest first.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const INVOICES = {
  "CU-20417": [
    { id: "INV-2503-20417", period: "2025-03", amount: { amount: 39.99, currency: "EUR" }, status: "open", paid_from: null },
    { id: "INV-2502-20417", period: "2025-02", amount: { amount: 39.99, currency: "EUR" }, status: "paid", paid_from: "SEPA direct debit from FR76 3000 6000 0112 3456 7890 189" },
    { id: "INV-2501-20417", period: "2025-01", amount: { amount: 52.49, currency: "EUR" }, status: "paid", paid_from: "SEPA direct debit from FR76 3000 6000 0112 3456 7890 189" },
  ],
  "CU-31008": [{ id: "INV-2503-31008", period: "2025-03", amount: { amount: 19.99, currency: "EUR" }, status: "paid", paid_from: "card ending 4417" }],
};

const server = new McpServer({ name: "billing", version: "1.0.0" });

server.registerTool(
  "list_invoices",
  {
    description: "A customer's invoices of the last months, newest first",
    inputSchema: { customer_id: z.string(), months: z.number().int().min(1).max(24) },
  },
  async ({ customer_id, months }) => {
    const invoices = (INVOICES[customer_id] ?? []).slice(0, months);
    // Text content: awr parses it as JSON because the declared result is not a string.
    return { content: [{ type: "text", text: JSON.stringify(invoices) }] };
  },
);

await server.connect(new StdioServerTransport());
