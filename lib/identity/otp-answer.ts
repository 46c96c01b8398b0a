import { createHash } from "node:crypto";

/**
 * The answer a client sends to complete an OTP login: it binds the code the user received to the
 * challenge the service returned to this client, so a code read from the mail alone (without the
 * challenge) is useless, and the service never stores the code itself.
 *
 *     answer = hex(sha256(utf8("arbor.otp.v1\n" + challenge + "\n" + code)))
 *
 * @example
 * const answer = otpAnswer(initiated.challenge, "123456");
 */
export function otpAnswer(challenge: string, code: string): string {
  return createHash("sha256").update(`arbor.otp.v1\n${challenge}\n${code.trim()}`, "utf8").digest("hex");
}
