import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { otpAnswer } from "../../lib/identity/otp-answer";
import { bindIdentity, type LoginResult } from "./bind-identity";
import { COMMITMENT_ID, failAttempt, lockCommitment } from "./commitments";
import { identityId, normalizeEmail, normalizePhone } from "./identity-id";
import { requireApp, requireEcosystemAndAudience, requireString, type RequestContext } from "./request-context";
import { ServiceError } from "./service-error";

const CODE_DIGITS = 6;

/**
 * Starts an email or phone login: stores a commitment bound to the requesting auth key (only the
 * hash of the expected answer, never the code) and sends a random code to the destination. If
 * sending fails, nothing is stored.
 */
export async function initiateOtp(ctx: RequestContext, body: Record<string, unknown>, type: "email" | "phone") {
  const { ecosystem, audience } = requireEcosystemAndAudience(ctx.config, body);
  const app = requireApp(ctx, ecosystem, audience);
  const enabled = ctx.config.ecosystems[ecosystem].otp?.[type] ?? true;
  if (!enabled) throw new ServiceError("identity-type-disabled", `${type} login is off in ecosystem ${ecosystem}`, { ecosystem, type });
  const destination = type === "email" ? normalizeEmail(body.email) : normalizePhone(body.phone);
  if (destination === undefined) {
    throw new ServiceError("invalid-request", type === "email" ? "email must be one email address" : "phone must be an E.164 number such as +41791234567", {
      field: type,
    });
  }
  const ttlMs = ctx.config.otp?.ttlMs ?? 10 * 60_000;
  const maxAttempts = ctx.config.otp?.maxAttempts ?? 5;
  const id = randomBytes(16).toString("hex");
  const challenge = randomBytes(16).toString("hex");
  const code = String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, "0");
  const answerHash = createHash("sha256").update(otpAnswer(challenge, code), "utf8").digest();
  const expiresAt = ctx.now + ttlMs;
  await ctx.tx.query(
    `INSERT INTO auth_commitments (id, ecosystem, auth_key, identity_type, issuer, identity_id, audience, answer_hash, max_attempts, expires_at_ms, created_at_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [id, ecosystem, ctx.authKey, type, type, identityId(ecosystem, type, type, destination), audience, answerHash, maxAttempts, expiresAt, ctx.now],
  );
  const minutes = Math.round(ttlMs / 60_000);
  try {
    if (type === "email") {
      const mail = { to: destination, subject: "Your login code", text:
          `Your login code is ${code}. It expires in ${minutes} minutes.\n\n` +
          `It signs you in to ${app.name} (${app.origin}) for the audience ${audience}.\n\n` +
          `If you did not ask for it, or do not use ${app.name}, ignore this message.`,
      };
      // With an SMTP server configured the enclave speaks TLS to it itself; the dev outbox is the host's.
      if (ctx.config.smtp) await ctx.upstream.sendMail(ctx.config.smtp, mail);
      else await ctx.link.sendMail(mail.to, mail.subject, mail.text);
    } else {
      await ctx.link.sendSms(destination, `Your login code is ${code} for ${app.name} (expires in ${minutes} min).`);
    }
  } catch (err) {
    if (err instanceof ServiceError) throw err;
    throw new ServiceError("delivery-failed", `the ${type === "email" ? "email" : "SMS"} could not be sent`, {
      reason: (err as Error).message,
    });
  }
  return { commitmentId: id, identityType: type, challenge, expiresAt, maxAttempts };
}

/**
 * Completes an email or phone login. A wrong answer counts an attempt (stored even though the
 * request fails); the right one consumes the commitment and binds the auth key.
 */
export async function completeOtp(ctx: RequestContext, commitment: Record<string, unknown>, body: Record<string, unknown>): Promise<LoginResult> {
  const answer = requireString(body, "answer", { max: 64, pattern: /^[0-9a-f]{64}$/ });
  const given = createHash("sha256").update(answer, "utf8").digest();
  const expected = Buffer.from(commitment.answer_hash as Uint8Array);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    await failAttempt(ctx.tx, commitment, "wrong-answer", "the answer does not match the code sent");
  }
  const type = commitment.identity_type as "email" | "phone";
  return bindIdentity(ctx, commitment, { id: String(commitment.identity_id), type, issuer: type });
}

/** Completes any commitment: locks it, then dispatches on its type. */
export async function completeLogin(ctx: RequestContext, body: Record<string, unknown>, oidcComplete: (ctx: RequestContext, c: Record<string, unknown>, b: Record<string, unknown>) => Promise<LoginResult>) {
  const id = requireString(body, "commitmentId", { max: 32, pattern: COMMITMENT_ID });
  const commitment = await lockCommitment(ctx.tx, id, ctx.authKey, ctx.now);
  return commitment.identity_type === "oidc" ? oidcComplete(ctx, commitment, body) : completeOtp(ctx, commitment, body);
}
