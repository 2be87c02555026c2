// Messaging stub of the multi-agent-handoff example. Deterministic and offline: it does not
// deliver anything; it returns the message a real gateway would record.

/** send_reply(customer_id, channel, text) -> Message */
export async function sendReply({ customer_id, channel, text }) {
  if (typeof text !== "string" || text.trim() === "") throw new Error("empty reply");
  if (channel === "sms" && text.length > 1600) throw new Error("reply too long for SMS");
  return { role: "assistant", content: text, name: `Help desk (${channel}, ${customer_id})`, citations: [] };
}
