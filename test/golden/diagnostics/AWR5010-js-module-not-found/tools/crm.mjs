export async function lookupOrders({ email }) {
  return [{ id: `o-${email}`, total: 10 }];
}
