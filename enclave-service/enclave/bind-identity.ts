import { updateCommitment, type Commitment } from "./commitments";
import { getOrCreateSigner } from "./identity-signers";
import type { Queryable } from "./host-link";
import type { KeyPool } from "./key-pool";
import type { MonotonicState } from "./monotonic-state";
import type { RequestContext } from "./request-context";
import type { IdentityType } from "./identity-id";
import { ServiceError } from "./service-error";

const TABLE = "auth_keys";

/** What a completed login returns. */
export interface LoginResult {
  ecosystem: string;
  identity: { id: string; type: IdentityType; issuer: string };
  audience: string;
  /** The identity signer's address: put it in the wallet configuration as an `identity-signer` leaf. */
  signer: string;
  signerCreated: boolean;
  /** Unix ms until which this auth key is bound to the identity. */
  authKeyExpiresAt: number;
}

/**
 * An auth key's binding to an identity, as sealed in `auth_keys.sealed`: the values the enclave
 * acts on. The row's plain columns are copies for lookups and the foreign key.
 */
export interface Binding {
  authKey: string;
  ecosystem: string;
  identityId: string;
  identityType: IdentityType;
  issuer: string;
  audience: string;
  expiresAt: number;
  createdAt: number;
  revokedAt: number | null;
  /** +1 on every write (new login with the same key, revocation): what the rollback guard compares. */
  version: number;
}

interface BindingStore {
  tx: Queryable;
  pool: KeyPool;
  guard: MonotonicState;
}

/**
 * Reads an auth key's binding, authenticated, and re-seals it under the active generation when its
 * key is retiring. `undefined` when there is none.
 *
 * @throws CustodyError `row-forged` (not written by the enclave) | `row-rolled-back` (older than one this process used)
 */
export async function readBinding(s: BindingStore, authKey: string, forUpdate = false): Promise<Binding | undefined> {
  const r = await s.tx.query(
    `SELECT b.ecosystem, b.cipher_key_id, b.sealed, g.state AS generation_state FROM auth_keys b
       LEFT JOIN cipher_keys k ON k.id = b.cipher_key_id LEFT JOIN cipher_generations g ON g.generation = k.generation
      WHERE b.auth_key = $1${forUpdate ? " FOR UPDATE OF b" : ""}`,
    [authKey],
  );
  if (r.rows.length === 0) return undefined;
  const row = r.rows[0];
  const { value, stale } = await s.pool.openRow<Binding>(
    s.tx,
    { table: TABLE, rowKey: authKey, scope: String(row.ecosystem), cipherKeyId: String(row.cipher_key_id) },
    row.sealed,
    row.generation_state ?? undefined,
  );
  try {
    s.guard.check(TABLE, authKey, value.version);
  } catch (err) {
    s.pool.link.log({ event: "row-rolled-back", table: TABLE });
    throw err;
  }
  s.guard.saw(TABLE, authKey, value.version, value.expiresAt);
  if (stale) await writeBinding(s, value, value.version);
  return value;
}

/** Stores `binding` sealed, replacing any earlier binding of the same auth key. */
export async function writeBinding(s: BindingStore, binding: Binding, version: number): Promise<Binding> {
  const b = { ...binding, version };
  const { cipherKeyId, sealed } = await s.pool.sealRow(s.tx, { table: TABLE, rowKey: b.authKey, scope: b.ecosystem }, b);
  await s.tx.query(
    `INSERT INTO auth_keys (auth_key, ecosystem, identity_id, version, expires_at_ms, cipher_key_id, sealed, created_at_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (auth_key) DO UPDATE SET ecosystem = EXCLUDED.ecosystem, identity_id = EXCLUDED.identity_id, version = EXCLUDED.version,
       expires_at_ms = EXCLUDED.expires_at_ms, cipher_key_id = EXCLUDED.cipher_key_id, sealed = EXCLUDED.sealed, created_at_ms = EXCLUDED.created_at_ms`,
    [b.authKey, b.ecosystem, b.identityId, b.version, b.expiresAt, cipherKeyId, sealed, b.createdAt],
  );
  s.guard.saw(TABLE, b.authKey, b.version, b.expiresAt);
  return b;
}

/** The next version for an auth key's binding: above both the stored one and any this process saw. */
async function nextVersion(s: BindingStore, authKey: string): Promise<number> {
  const r = await s.tx.query("SELECT version FROM auth_keys WHERE auth_key = $1 FOR UPDATE", [authKey]);
  const stored = r.rows.length > 0 ? Number(r.rows[0].version) : 0;
  const known = Number(s.guard.known(TABLE, authKey) ?? 0n);
  return Math.max(stored, known) + 1;
}

/**
 * Finishes a login in the completion transaction: consumes the commitment (exactly once, the row is
 * locked), creates the identity signer on first login, and binds the auth key to the identity
 * for the configured lifetime (a later login with the same auth key replaces the binding).
 */
export async function bindIdentity(ctx: RequestContext, commitment: Commitment, identity: { id: string; type: IdentityType; issuer: string }): Promise<LoginResult> {
  const { ecosystem, audience } = commitment;
  await updateCommitment(ctx, { ...commitment, consumedAt: ctx.now, identityId: identity.id, secret: null });
  const { address, created } = await getOrCreateSigner(ctx.tx, ctx.pool, ecosystem, identity.id);
  const expiresAt = ctx.now + (ctx.config.authKeyLifetimeMs ?? 7 * 24 * 3600_000);
  const binding: Binding = {
    authKey: ctx.authKey,
    ecosystem,
    identityId: identity.id,
    identityType: identity.type,
    issuer: identity.issuer,
    audience,
    expiresAt,
    createdAt: ctx.now,
    revokedAt: null,
    version: 0,
  };
  await writeBinding(ctx, binding, await nextVersion(ctx, ctx.authKey));
  return { ecosystem, identity, audience, signer: address, signerCreated: created, authKeyExpiresAt: expiresAt };
}

/**
 * Revokes a binding: the requesting auth key's own, or (`target`) another auth key bound to the same
 * identity, so a user can cut off a lost device. The revocation is a new sealed version; the
 * rollback guard keeps a restored older version from working in this enclave process.
 *
 * @throws ServiceError not-authenticated (no live binding) | binding-not-found (no such binding of this identity)
 */
export async function revokeBinding(ctx: RequestContext, target: string | undefined): Promise<{ revoked: string; revokedAt: number }> {
  const own = await readBinding(ctx, ctx.authKey, true);
  if (own === undefined || own.revokedAt !== null || own.expiresAt <= ctx.now) {
    throw new ServiceError("not-authenticated", "this auth key has no live login to revoke with", { authKey: ctx.authKey });
  }
  const key = target ?? ctx.authKey;
  const victim = key === ctx.authKey ? own : await readBinding(ctx, key, true);
  if (victim === undefined || victim.ecosystem !== own.ecosystem || victim.identityId !== own.identityId) {
    throw new ServiceError("binding-not-found", "no binding of this identity for that auth key", { authKey: key });
  }
  if (victim.revokedAt === null) await writeBinding(ctx, { ...victim, revokedAt: ctx.now }, victim.version + 1);
  return { revoked: key, revokedAt: victim.revokedAt ?? ctx.now };
}
