// Escaping for the HTML report: every name, message and value a run carries is user content.

/** Text and attribute values (double- or single-quoted) in HTML and SVG. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
