// Billing stub of the multi-agent-handoff example. Deterministic and offline.

const INVOICES = {
  "CU-20417": [
    { id: "INV-2503-20417", period: "2025-03", amount: { amount: 39.99, currency: "EUR" }, status: "open" },
    { id: "INV-2502-20417", period: "2025-02", amount: { amount: 39.99, currency: "EUR" }, status: "paid" },
    { id: "INV-2501-20417", period: "2025-01", amount: { amount: 52.49, currency: "EUR" }, status: "paid" },
  ],
  "CU-31008": [{ id: "INV-2503-31008", period: "2025-03", amount: { amount: 19.99, currency: "EUR" }, status: "paid" }],
};

/** billing_history(customer_id, months) -> list<Invoice>, newest first */
export async function billingHistory({ customer_id, months = 6 }) {
  return (INVOICES[customer_id] ?? []).slice(0, months).map((i) => ({ ...i, amount: { ...i.amount } }));
}

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
