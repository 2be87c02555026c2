// Publishing stub of the research-pipeline example (the company wiki and its subscriptions).
// Deterministic and offline: ids are derived from the content.

import { createHash } from "node:crypto";

const SUBSCRIBERS = { internal: 120, customers: 2400, public: 0 };

/** publish_report(title, markdown, audience) -> Publication */
export async function publishReport({ title, markdown, audience }) {
  if (!title || !markdown) throw new Error("a report needs a title and a body");
  const id = `rep-${createHash("sha256").update(`${audience}\n${title}\n${markdown}`).digest("hex").slice(0, 8)}`;
  return { id, url: `https://wiki.example.com/research/${id}` };
}

/** unpublish_report(report_id) -> bool */
export async function unpublishReport({ report_id }) {
  return typeof report_id === "string" && report_id.startsWith("rep-");
}

/** notify_subscribers(report_id, audience) -> int (how many subscribers were notified) */
export async function notifySubscribers({ report_id, audience }) {
  if (!String(report_id ?? "").startsWith("rep-")) throw new Error(`unknown report: ${report_id}`);
  return SUBSCRIBERS[audience] ?? 0;
}
