import type { Queryable } from "./host-link";
import { ServiceError } from "./service-error";

export const COMMITMENT_ID = /^[0-9a-f]{32}$/;

/**
 * Loads a commitment for completion and locks its row, so parallel completions (and parallel
 * guesses) run one after another and each sees the attempts counted before it. Refuses, in this
 * order: unknown, started by another auth key, already consumed, expired, out of attempts.
 */
export async function lockCommitment(tx: Queryable, id: string, authKey: string, now: number): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await tx.query("SELECT * FROM auth_commitments WHERE id = $1 FOR UPDATE", [id]);
  if (r.rows.length === 0) throw new ServiceError("commitment-not-found", "no such commitment", { commitmentId: id });
  const c = r.rows[0];
  if (c.auth_key !== authKey) {
    // The fix for a gap in the reference design: a commitment only completes for the key that started it.
    throw new ServiceError("wrong-auth-key", "this commitment was started by another auth key", { commitmentId: id });
  }
  if (c.consumed_at_ms !== null) throw new ServiceError("commitment-consumed", "this commitment was already used", { commitmentId: id });
  if (Number(c.expires_at_ms) <= now) {
    throw new ServiceError("commitment-expired", "this commitment has expired; start again", { commitmentId: id, expiredAt: Number(c.expires_at_ms) });
  }
  if (c.attempts >= c.max_attempts) {
    throw new ServiceError("too-many-attempts", "no attempts left for this commitment; start again", { commitmentId: id, maxAttempts: c.max_attempts });
  }
  return c;
}

/** Counts a failed attempt and refuses with `code`; the count is stored even though the request fails. */
export async function failAttempt(
  tx: Queryable,
  commitment: Record<string, unknown>,
  code: "wrong-answer" | "state-mismatch" | "id-token-invalid",
  message: string,
  details: Record<string, unknown> = {},
): Promise<never> {
  const r = await tx.query("UPDATE auth_commitments SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts, max_attempts", [commitment.id]);
  const left = Number(r.rows[0].max_attempts) - Number(r.rows[0].attempts);
  throw new ServiceError(code, message, { ...details, commitmentId: commitment.id, attemptsLeft: left }, true);
}
