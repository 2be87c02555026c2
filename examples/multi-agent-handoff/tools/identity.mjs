// Identity stub of the multi-agent-handoff example. Deterministic and offline: the "code" of a
// challenge is derived from its id, so the stub can check it without storing anything.
// (A real implementation sends an SMS or email and keeps the code server-side.)

import { createHash } from "node:crypto";

const codeFor = (challengeId) => String(parseInt(createHash("sha256").update(challengeId).digest("hex").slice(0, 8), 16) % 1000000).padStart(6, "0");

/** send_otp(customer_id, channel) -> OtpChallenge */
export async function sendOtp({ customer_id, channel }) {
  return { id: `OTP-${customer_id}-${channel}`, expires_in_s: 300 };
}

/** check_otp(challenge_id, code) -> IdentityCheck */
export async function checkOtp({ challenge_id, code }) {
  return { verified: String(code) === codeFor(String(challenge_id)), method: "otp" };
}
