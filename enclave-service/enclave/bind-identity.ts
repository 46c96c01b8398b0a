import { getOrCreateSigner } from "./identity-signers";
import type { RequestContext } from "./request-context";
import type { IdentityType } from "./identity-id";

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
 * Finishes a login in the completion transaction: consumes the commitment (exactly once, the row is
 * locked), creates the identity signer on first login, and binds the auth key to the identity
 * for the configured lifetime (a later login with the same auth key replaces the binding).
 */
export async function bindIdentity(
  ctx: RequestContext,
  commitment: Record<string, unknown>,
  identity: { id: string; type: IdentityType; issuer: string },
): Promise<LoginResult> {
  const ecosystem = String(commitment.ecosystem);
  const audience = String(commitment.audience);
  await ctx.tx.query(
    "UPDATE auth_commitments SET consumed_at_ms = $2, identity_id = $3, cipher_key_id = NULL, secret_ciphertext = NULL WHERE id = $1",
    [commitment.id, ctx.now, identity.id],
  );
  const { address, created } = await getOrCreateSigner(ctx.tx, ctx.pool, ecosystem, identity.id);
  const expiresAt = ctx.now + (ctx.config.authKeyLifetimeMs ?? 7 * 24 * 3600_000);
  await ctx.tx.query(
    `INSERT INTO auth_keys (auth_key, ecosystem, identity_id, identity_type, issuer, audience, expires_at_ms, created_at_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (auth_key) DO UPDATE SET ecosystem = EXCLUDED.ecosystem, identity_id = EXCLUDED.identity_id,
       identity_type = EXCLUDED.identity_type, issuer = EXCLUDED.issuer, audience = EXCLUDED.audience,
       expires_at_ms = EXCLUDED.expires_at_ms, created_at_ms = EXCLUDED.created_at_ms`,
    [ctx.authKey, ecosystem, identity.id, identity.type, identity.issuer, audience, expiresAt, ctx.now],
  );
  return { ecosystem, identity, audience, signer: address, signerCreated: created, authKeyExpiresAt: expiresAt };
}
