// Internal research library stub of the research-pipeline example. Deterministic and offline:
// a tiny term-overlap search over documents embedded in this module.

const DOCS = [
  {
    id: "metrics_q4",
    title: "Q4 activation metrics",
    text: "Teams that connect a data source in their first week retain at 81% after 90 days; teams that do not retain at 38%. Small teams (1-10 seats) connect a data source in week one 44% of the time.",
    metadata: { kind: "metrics", quarter: "2024-Q4" },
  },
  {
    id: "exit_interviews_2024",
    title: "Exit interviews 2024",
    text: "Of 63 churned small teams interviewed, 27 named setup effort as the main reason, 14 named price, 9 a missing integration and 13 other reasons.",
    metadata: { kind: "interviews", year: "2024" },
  },
  {
    id: "pricing_redesign",
    title: "Pricing page redesign: launch review",
    text: "The redesigned pricing page launched in February. Sales-call bookings from the page fell 18% in the following six weeks while self-serve upgrades rose 11%.",
    metadata: { kind: "review" },
  },
  {
    id: "platform_review",
    title: "Platform review, March",
    text: "About 1,900 accounts call the public API at least once a week; 240 of them account for 80% of the requests.",
    metadata: { kind: "metrics" },
  },
];

const words = (s) => String(s).toLowerCase().match(/[a-z0-9]+/g) ?? [];

/** search_library(query, limit) -> list<Document>, best first (ties broken by id). */
export async function searchLibrary({ query, limit = 5 }) {
  const q = new Set(words(query).filter((w) => w.length > 2));
  return DOCS.map((d) => ({ d, score: words(`${d.title} ${d.text}`).filter((w) => q.has(w)).length }))
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score || (a.d.id < b.d.id ? -1 : 1))
    .slice(0, limit)
    .map(({ d }) => ({ ...d, metadata: { ...d.metadata } }));
}
