// CRM stub of the support-triage example. Deterministic and offline: the data lives here.

const ORDERS = [
  { email: "maria.lopez@example.com", id: "S-5521", placed_on: "2025-03-02", total: 64.9, status: "delivered" },
  { email: "maria.lopez@example.com", id: "S-4870", placed_on: "2025-01-18", total: 23.5, status: "delivered" },
  { email: "sam.okafor@example.com", id: "S-6010", placed_on: "2025-03-11", total: 180.0, status: "delivered" },
  { email: "li.wei@example.com", id: "S-7002", placed_on: "2025-02-20", total: 1450.0, status: "delivered" },
  { email: "noor@example.com", id: "S-8120", placed_on: "2025-03-14", total: 39.0, status: "processing" },
];

/** find_orders(email) -> list<OrderLine>, newest first. */
export async function findOrders({ email }) {
  const key = String(email ?? "").trim().toLowerCase();
  return ORDERS.filter((o) => o.email === key)
    .sort((a, b) => (a.placed_on < b.placed_on ? 1 : a.placed_on > b.placed_on ? -1 : 0))
    .map(({ email: _email, ...order }) => order);
}
