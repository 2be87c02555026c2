// CRM stub of the multi-agent-handoff example. Deterministic and offline.

import { createHash } from "node:crypto";

const CUSTOMERS = {
  "CU-20417": { id: "CU-20417", name: "Camille Martin", plan: "Unlimited 5G", email: "camille.martin@example.com", phone: "+33 6 12 34 56 78", since: "2019-06-01" },
  "CU-31008": { id: "CU-31008", name: "Jo Bauer", plan: "Smart 20 GB", email: "jo.bauer@example.com", phone: "+49 151 2345 6789", since: "2022-11-15" },
  "CU-40990": { id: "CU-40990", name: "Alex Novak", plan: "Prepaid", email: "alex.novak@example.com", phone: "+420 601 234 567", since: "2024-08-30" },
};

/** customer_profile(customer_id) -> CustomerProfile */
export async function customerProfile({ customer_id }) {
  const c = CUSTOMERS[customer_id];
  if (!c) throw new Error(`unknown customer: ${customer_id}`);
  return { ...c };
}

/** open_case(customer_id, specialty, summary, opened_at) -> CaseRef; the id is derived from the inputs. */
export async function openCase({ customer_id, specialty, summary, opened_at }) {
  const digest = createHash("sha256").update(`${customer_id}\n${specialty}\n${summary}\n${opened_at}`).digest("hex");
  return { id: `CASE-${parseInt(digest.slice(0, 8), 16) % 100000}`, opened_at };
}

/** close_case(case_id, reason) -> bool */
export async function closeCase({ case_id, reason }) {
  if (!String(case_id ?? "").startsWith("CASE-")) throw new Error(`unknown case: ${case_id}`);
  return typeof reason === "string";
}
