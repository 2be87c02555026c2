// Billing stub of the multi-agent-handoff example (credits). Deterministic and offline. Invoices
// come from the billing system's MCP server, ../mcp/billing-server.mjs.

/** apply_credit(customer_id, credit, case_id) -> CreditReceipt; same request, same receipt. */
export async function applyCredit({ customer_id, credit, case_id }) {
  if (!(credit && credit.amount > 0)) throw new Error("credit must be a positive amount");
  const cents = Math.round(credit.amount * 100);
  return { id: `CR-${customer_id}-${case_id}-${cents}`, credit: { amount: cents / 100, currency: credit.currency } };
}

/** reverse_credit(receipt_id) -> bool */
export async function reverseCredit({ receipt_id }) {
  if (!String(receipt_id ?? "").startsWith("CR-")) throw new Error(`unknown credit: ${receipt_id}`);
  return true;
}
