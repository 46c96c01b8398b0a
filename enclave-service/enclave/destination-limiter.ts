import type { Queryable } from "./host-link";
import { ServiceError } from "./service-error";

/** Default: 10 codes per destination per hour. */
export const DEFAULT_DESTINATION_LIMIT = { max: 10, windowMs: 3_600_000 } as const;

/**
 * Counts one login code sent to a destination (an email address or phone number, named by its
 * identity id, so the table holds no address) and refuses once `max` were sent in the current
 * fixed window. The count lives in the shared database and is taken with one atomic statement, so
 * every enclave+host pair on that database sees the same budget (finding 9): without it, new auth
 * keys could start unbounded commitments for one address and guess codes at the service's full rate.
 *
 * Counted when the code is about to be sent, before the login's transaction: a start that fails
 * afterwards (delivery, a lost nonce race) still used its share of the budget, which is the safe
 * direction for a limit on guesses.
 *
 * @throws ServiceError destination-rate-limited, with details.retryAfterMs (also sent as Retry-After)
 *
 * @example
 * await takeDestinationBudget(link, identityId, Date.now(), { max: 10, windowMs: 3_600_000 });
 */
export async function takeDestinationBudget(
  db: Queryable,
  destinationId: string,
  now: number,
  limit: { max: number; windowMs: number } = DEFAULT_DESTINATION_LIMIT,
): Promise<{ count: number; windowEndsAt: number }> {
  const windowStart = now - (now % limit.windowMs);
  const windowEndsAt = windowStart + limit.windowMs;
  // The WHERE on the conflict branch makes check-and-count one step: at the limit, no row is returned.
  const r = await db.query(
    `INSERT INTO login_destination_counts (destination_id, window_start_ms, sent) VALUES ($1, $2, 1)
     ON CONFLICT (destination_id, window_start_ms) DO UPDATE SET sent = login_destination_counts.sent + 1
       WHERE login_destination_counts.sent < $3
     RETURNING sent`,
    [destinationId, windowStart, limit.max],
  );
  if (r.rows.length === 0) {
    throw new ServiceError("destination-rate-limited", `at most ${limit.max} login codes per destination per ${Math.round(limit.windowMs / 60_000)} minutes`, {
      max: limit.max,
      windowMs: limit.windowMs,
      retryAfterMs: windowEndsAt - now,
    });
  }
  // Old windows are dead weight; one bounded delete per new window keeps the table small.
  if (Number(r.rows[0].sent) === 1) {
    await db.query("DELETE FROM login_destination_counts WHERE destination_id = $1 AND window_start_ms < $2", [destinationId, windowStart]);
  }
  return { count: Number(r.rows[0].sent), windowEndsAt };
}
