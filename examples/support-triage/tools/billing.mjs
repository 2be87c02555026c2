// Billing stub of the support-triage example. Deterministic and offline.
// The receipt id is derived from the request, so a retried or resumed call returns the same receipt
// (the tool is declared `idempotent: true`; the VM also passes a stable idempotency key).

/** refund_order(order_id, amount) -> RefundReceipt */
export async function refundOrder({ order_id, amount }) {
  if (typeof order_id !== "string" || order_id === "") throw new Error("order_id is required");
  if (!(typeof amount === "number" && amount > 0)) throw new Error("amount must be a positive number");
  const cents = Math.round(amount * 100);
  return { id: `RF-${order_id}-${cents}`, amount: cents / 100 };
}

/** void_refund(receipt_id) -> bool: true when the refund was voided (or already was). */
export async function voidRefund({ receipt_id }) {
  if (typeof receipt_id !== "string" || !receipt_id.startsWith("RF-")) {
    throw new Error(`unknown refund receipt: ${receipt_id}`);
  }
  return true;
}
