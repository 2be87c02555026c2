// Network status stub of the multi-agent-handoff example. Deterministic and offline.

const REGION_OF = { "CU-20417": "Lyon", "CU-31008": "Berlin", "CU-40990": "Prague" };
/** Incidents by region: still ongoing (degraded) or the last one, resolved. */
const INCIDENTS = {
  Lyon: { ongoing: false, text: "Resolved: mobile data outage from 24 March 06:10 to 26 March 09:30 (51 hours); calls and SMS were not affected" },
  Prague: { ongoing: true, text: "Degraded 5G in Prague 2 since 08:15, engineers on site; 4G unaffected" },
};

/** service_status(customer_id) -> ServiceStatus */
export async function serviceStatus({ customer_id }) {
  const region = REGION_OF[customer_id] ?? "unknown";
  const incident = INCIDENTS[region] ?? null;
  return { region, degraded: incident?.ongoing ?? false, incident: incident?.text ?? null };
}
