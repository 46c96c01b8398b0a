import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { otpAnswer } from "../../lib/identity/otp-answer";
import { bindIdentity, type LoginResult } from "./bind-identity";
import { COMMITMENT_ID, failAttempt, insertCommitment, lockCommitment, type Commitment } from "./commitments";
import { identityId, normalizeEmail, normalizePhone } from "./identity-id";
import { requireApp, requireEcosystemAndAudience, requireString, type RequestContext } from "./request-context";
import { ServiceError } from "./service-error";
import { takeDestinationBudget } from "./destination-limiter";

const CODE_DIGITS = 6;

/** A login code that went out, waiting to be stored as a commitment ({@link storeOtpCommitment}). */
export interface SentOtp {
  id: string;
  type: "email" | "phone";
  ecosystem: string;
  audience: string;
  identityId: string;
  challenge: string;
  /** Hex sha256 of the expected answer (the code itself is never kept). */
  answerHash: string;
  maxAttempts: number;
  expiresAt: number;
}

/**
 * First half of an email or phone login, run outside any database transaction (finding 7: a slow
 * SMTP server must not hold the database for anyone else): checks the request, takes one unit of
 * the destination's budget (shared by every instance), makes the code and sends it. Only the hash
 * of the expected answer is kept. If sending fails, nothing is stored but the budget unit.
 *
 * @throws ServiceError invalid-request | unknown-ecosystem | origin-not-allowed | identity-type-disabled | destination-rate-limited | delivery-failed
 */
export async function sendOtp(ctx: RequestContext, body: Record<string, unknown>, type: "email" | "phone"): Promise<SentOtp> {
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
  const destinationId = identityId(ecosystem, type, type, destination);
  await takeDestinationBudget(ctx.tx, destinationId, ctx.now, ctx.config.otp?.perDestination);
  const id = randomBytes(16).toString("hex");
  const challenge = randomBytes(16).toString("hex");
  const code = String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, "0");
  const answerHash = createHash("sha256").update(otpAnswer(challenge, code), "utf8").digest();
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
  return { id, type, ecosystem, audience, identityId: destinationId, challenge, answerHash: answerHash.toString("hex"), maxAttempts, expiresAt: ctx.now + ttlMs };
}

/**
 * Second half, in the request's transaction: stores the commitment bound to the requesting auth
 * key. Its expiry runs from the request's start, before the code was sent.
 */
export async function storeOtpCommitment(ctx: RequestContext, sent: SentOtp) {
  await insertCommitment(ctx, {
    id: sent.id,
    ecosystem: sent.ecosystem,
    authKey: ctx.authKey,
    identityType: sent.type,
    issuer: sent.type,
    identityId: sent.identityId,
    audience: sent.audience,
    answerHash: sent.answerHash,
    secret: null,
    attempts: 0,
    maxAttempts: sent.maxAttempts,
    expiresAt: sent.expiresAt,
    consumedAt: null,
    createdAt: ctx.now,
    version: 1,
  });
  return { commitmentId: sent.id, identityType: sent.type, challenge: sent.challenge, expiresAt: sent.expiresAt, maxAttempts: sent.maxAttempts };
}

/**
 * Completes an email or phone login. A wrong answer counts an attempt (stored even though the
 * request fails); the right one consumes the commitment and binds the auth key.
 */
export async function completeOtp(ctx: RequestContext, commitment: Commitment, body: Record<string, unknown>): Promise<LoginResult> {
  const answer = requireString(body, "answer", { max: 64, pattern: /^[0-9a-f]{64}$/ });
  const given = createHash("sha256").update(answer, "utf8").digest();
  const expected = Buffer.from(commitment.answerHash ?? "", "hex");
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    await failAttempt(ctx, commitment, "wrong-answer", "the answer does not match the code sent");
  }
  const type = commitment.identityType as "email" | "phone";
  return bindIdentity(ctx, commitment, { id: String(commitment.identityId), type, issuer: type });
}

/** Completes any commitment: locks it, then dispatches on its type. */
export async function completeLogin(ctx: RequestContext, body: Record<string, unknown>, oidcComplete: (ctx: RequestContext, c: Commitment, b: Record<string, unknown>) => Promise<LoginResult>) {
  const id = requireString(body, "commitmentId", { max: 32, pattern: COMMITMENT_ID });
  const commitment = await lockCommitment(ctx, id, ctx.authKey, ctx.now);
  return commitment.identityType === "oidc" ? oidcComplete(ctx, commitment, body) : completeOtp(ctx, commitment, body);
}
