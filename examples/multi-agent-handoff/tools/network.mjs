// Network status stub of the multi-agent-handoff example. Deterministic and offline.

const REGION_OF = { "CU-20417": "Lyon", "CU-31008": "Berlin", "CU-40990": "Prague" };
const INCIDENTS = { Lyon: "Mobile data outage since 07:40, fix expected by 14:00 (calls and SMS unaffected)" };

/** service_status(customer_id) -> ServiceStatus */
export async function serviceStatus({ customer_id }) {
  const region = REGION_OF[customer_id] ?? "unknown";
  const incident = INCIDENTS[region] ?? null;
  return { region, degraded: incident !== null, incident };
}
