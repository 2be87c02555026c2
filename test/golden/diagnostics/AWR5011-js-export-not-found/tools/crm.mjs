export async function lookupOrders({ email }) {
  return [{ id: `o-${email}`, total: 10 }];
}
export { lookupOrders as findOrders };
export * from "./audit.mjs";
