// Deterministic, offline stubs of the shop's order and payment systems.

const ORDERS = {
  "A-1001": { id: "A-1001", total: 64.9, status: "delivered" },
  "A-1002": { id: "A-1002", total: 180, status: "delivered" },
};

/** lookup_order(order_id) -> Order */
export async function lookupOrder({ order_id }) {
  const order = ORDERS[order_id];
  if (!order) throw new Error(`no such order: ${order_id}`);
  return order;
}

/** issue_refund(order_id, amount) -> string: the same id for the same refund (idempotent). */
export async function issueRefund({ order_id, amount }) {
  return `RF-${order_id}-${Math.round(amount * 100)}`;
}
