// Mailer stub of the support-triage example. Deterministic and offline: it does not send
// anything, it returns the message id a real mailer would, derived from the message itself.

import { createHash } from "node:crypto";

/** send_email(to, subject, body) -> string (message id) */
export async function sendEmail({ to, subject, body }) {
  if (!String(to ?? "").includes("@")) throw new Error(`not an email address: ${to}`);
  const digest = createHash("sha256").update(`${to}\n${subject}\n${body}`).digest("hex");
  return `msg-${digest.slice(0, 6)}`;
}
