import type { Queryable } from "./host-link";
import type { KeyPool } from "./key-pool";
import type { MonotonicState } from "./monotonic-state";
import { ServiceError } from "./service-error";
import type { IdentityType } from "./identity-id";

export const COMMITMENT_ID = /^[0-9a-f]{32}$/;
const TABLE = "auth_commitments";

/**
 * A started authentication, as sealed in `auth_commitments.sealed`. Every field the enclave acts on
 * is here, under the pool, bound to the row's id and ecosystem; the row's plain columns are copies
 * for lookups and operators and are never read back as truth.
 */
export interface Commitment {
  id: string;
  ecosystem: string;
  authKey: string;
  identityType: IdentityType;
  issuer: string;
  /** OTP: the destination's identity id; OIDC: set when completed. */
  identityId: string | null;
  audience: string;
  /** OTP: hex sha256 of the expected answer. */
  answerHash: string | null;
  /** OIDC: the PKCE verifier, state and nonce salt (dropped when consumed). */
  secret: { codeVerifier: string; state: string; nonceSalt: string } | null;
  attempts: number;
  maxAttempts: number;
  expiresAt: number;
  consumedAt: number | null;
  createdAt: number;
  /** Starts at 1, +1 on every write: what the rollback guard compares. */
  version: number;
}

/** What commitment storage needs from a request. */
export interface CommitmentStore {
  tx: Queryable;
  pool: KeyPool;
  guard: MonotonicState;
}

/** Stores a new commitment (version 1), sealed. */
export async function insertCommitment(s: CommitmentStore, c: Commitment): Promise<void> {
  const { cipherKeyId, sealed } = await s.pool.sealRow(s.tx, { table: TABLE, rowKey: c.id, scope: c.ecosystem }, c);
  await s.tx.query(
    `INSERT INTO auth_commitments (id, ecosystem, auth_key, version, expires_at_ms, cipher_key_id, sealed, created_at_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [c.id, c.ecosystem, c.authKey, c.version, c.expiresAt, cipherKeyId, sealed, c.createdAt],
  );
  s.guard.saw(TABLE, c.id, c.version, c.expiresAt);
}

/**
 * Stores the next version of a commitment (re-sealed under the active generation). The row stays
 * locked by {@link lockCommitment}, so versions never race.
 */
export async function updateCommitment(s: CommitmentStore, c: Commitment): Promise<Commitment> {
  const next = { ...c, version: c.version + 1 };
  const { cipherKeyId, sealed } = await s.pool.sealRow(s.tx, { table: TABLE, rowKey: c.id, scope: c.ecosystem }, next);
  await s.tx.query("UPDATE auth_commitments SET version = $2, cipher_key_id = $3, sealed = $4 WHERE id = $1", [c.id, next.version, cipherKeyId, sealed]);
  s.guard.saw(TABLE, c.id, next.version, c.expiresAt);
  return next;
}

/**
 * Loads a commitment for completion and locks its row, so parallel completions (and parallel
 * guesses) run one after another and each sees the attempts counted before it. Refuses, in this
 * order: unknown, forged (`row-forged`) or rolled back (`row-rolled-back`), started by another
 * auth key, already consumed, expired (also: started before this enclave process, whose
 * rollback guard then cannot vouch for its attempt counter), out of attempts.
 */
export async function lockCommitment(s: CommitmentStore, id: string, authKey: string, now: number): Promise<Commitment> {
  const r = await s.tx.query("SELECT id, ecosystem, cipher_key_id, sealed FROM auth_commitments WHERE id = $1 FOR UPDATE", [id]);
  if (r.rows.length === 0) throw new ServiceError("commitment-not-found", "no such commitment", { commitmentId: id });
  const row = r.rows[0];
  const { value: c } = await s.pool.openRow<Commitment>(s.tx, { table: TABLE, rowKey: id, scope: String(row.ecosystem), cipherKeyId: String(row.cipher_key_id) }, row.sealed);
  try {
    s.guard.check(TABLE, id, c.version);
  } catch (err) {
    s.pool.link.log({ event: "row-rolled-back", table: TABLE });
    throw err;
  }
  s.guard.saw(TABLE, id, c.version, c.expiresAt);
  if (c.authKey !== authKey) {
    // The fix for a gap in the reference design: a commitment only completes for the key that started it.
    throw new ServiceError("wrong-auth-key", "this commitment was started by another auth key", { commitmentId: id });
  }
  if (c.consumedAt !== null) throw new ServiceError("commitment-consumed", "this commitment was already used", { commitmentId: id });
  if (c.expiresAt <= now) {
    throw new ServiceError("commitment-expired", "this commitment has expired; start again", { commitmentId: id, expiredAt: c.expiresAt });
  }
  if (c.createdAt < s.guard.startedAt) {
    throw new ServiceError("commitment-expired", "this commitment was started before the enclave restarted; start again", {
      commitmentId: id,
      reason: "enclave-restarted",
    });
  }
  if (c.attempts >= c.maxAttempts) {
    throw new ServiceError("too-many-attempts", "no attempts left for this commitment; start again", { commitmentId: id, maxAttempts: c.maxAttempts });
  }
  return c;
}

/** Counts a failed attempt and refuses with `code`; the count is stored even though the request fails. */
export async function failAttempt(
  s: CommitmentStore,
  commitment: Commitment,
  code: "wrong-answer" | "state-mismatch" | "id-token-invalid",
  message: string,
  details: Record<string, unknown> = {},
): Promise<never> {
  const next = await updateCommitment(s, { ...commitment, attempts: commitment.attempts + 1 });
  throw new ServiceError(code, message, { ...details, commitmentId: commitment.id, attemptsLeft: next.maxAttempts - next.attempts }, true);
}
