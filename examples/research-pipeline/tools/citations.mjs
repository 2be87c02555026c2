// Citation indexing of the research-pipeline example: canonical URLs, one entry per citation id.
// Pure and deterministic.

const TRACKING = /^(utm_[a-z]+|gclid|fbclid|ref)$/i;

function canonicalUrl(url) {
  if (typeof url !== "string" || url === "") return undefined;
  try {
    const u = new URL(url);
    for (const key of [...u.searchParams.keys()]) if (TRACKING.test(key)) u.searchParams.delete(key);
    u.hash = "";
    return u.toString();
  } catch {
    return url;
  }
}

/** index_citations(citations) -> map<Citation>, keyed by citation id; the first entry of an id wins. */
export async function indexCitations({ citations }) {
  const out = {};
  for (const c of citations ?? []) {
    if (!c || typeof c.id !== "string" || c.id in out) continue;
    const url = canonicalUrl(c.url);
    out[c.id] = { ...c, ...(url === undefined ? {} : { url }) };
  }
  return out;
}
