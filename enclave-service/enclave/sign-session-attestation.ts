import { IDENTITY_TYPE, hashAttestation, hashAudience, hashIssuer, signAttestation, type Attestation } from "../../lib/sessions/attestation";
import { loadSignerKey } from "./identity-signers";
import { requireApp, requireString, type RequestContext } from "./request-context";
import { ServiceError } from "./service-error";
import type { IdentityType } from "./identity-id";

const MAX_APPLICATION_DATA_BYTES = 4096;

/** The auth key's live binding, or `not-authenticated`. */
export async function requireBinding(ctx: RequestContext): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await ctx.tx.query("SELECT * FROM auth_keys WHERE auth_key = $1", [ctx.authKey]);
  if (r.rows.length === 0) throw new ServiceError("not-authenticated", "this auth key has not completed a login", { authKey: ctx.authKey });
  const b = r.rows[0];
  if (Number(b.expires_at_ms) <= ctx.now) {
    throw new ServiceError("not-authenticated", "this auth key's login has expired; log in again", { authKey: ctx.authKey, expiredAt: Number(b.expires_at_ms) });
  }
  return b;
}

/**
 * Signs a session attestation (lib/sessions/ATTESTATION.md) with the identity signer of the auth
 * key's verified login. The caller picks only the session key, the application data and a lifetime;
 * identity type, issuer and audience come from the login, so an app cannot obtain an attestation
 * naming another app or another identity provider.
 */
export async function signSessionAttestation(ctx: RequestContext, body: Record<string, unknown>) {
  const binding = await requireBinding(ctx);
  // The audience comes from the login; the asking app must be one allowed that audience.
  requireApp(ctx, String(binding.ecosystem), String(binding.audience));
  const approvedSigner = requireString(body, "approvedSigner", { max: 42, pattern: /^0x[0-9a-fA-F]{40}$/ });
  if (/^0x0{40}$/.test(approvedSigner)) throw new ServiceError("invalid-request", "approvedSigner must not be the zero address", { field: "approvedSigner" });
  const applicationData = body.applicationData === undefined ? "0x" : requireString(body, "applicationData", { max: 2 + 2 * MAX_APPLICATION_DATA_BYTES, pattern: /^0x([0-9a-fA-F]{2})*$/ });
  const lifetime = body.lifetimeSeconds;
  const max = ctx.config.maxAttestationLifetimeSeconds ?? 7 * 24 * 3600;
  if (typeof lifetime !== "number" || !Number.isSafeInteger(lifetime) || lifetime <= 0) {
    throw new ServiceError("invalid-request", "lifetimeSeconds must be a positive integer", { field: "lifetimeSeconds" });
  }
  if (lifetime > max) throw new ServiceError("lifetime-too-long", `lifetimeSeconds must be at most ${max}`, { lifetimeSeconds: lifetime, max });

  const type = binding.identity_type as IdentityType;
  const issuedAt = Math.floor(ctx.now / 1000);
  const attestation: Attestation = {
    approvedSigner,
    identityType: IDENTITY_TYPE[type],
    issuerHash: hashIssuer(String(binding.issuer)),
    audienceHash: hashAudience(String(binding.audience)),
    applicationData: applicationData.toLowerCase(),
    issuedAt: BigInt(issuedAt),
    expiresAt: BigInt(issuedAt + lifetime),
  };
  let signature: string;
  try {
    // Checksum problems surface here as invalid-request, before any key is decrypted.
    hashAttestation(attestation);
  } catch (err) {
    throw new ServiceError("invalid-request", (err as Error).message, { field: (err as { field?: string }).field });
  }
  const { privateKey, address } = await loadSignerKey(ctx.tx, ctx.pool, String(binding.ecosystem), String(binding.identity_id));
  try {
    signature = signAttestation(attestation, privateKey);
  } finally {
    privateKey.fill(0);
  }
  return {
    attestation: { ...attestation, issuedAt: String(attestation.issuedAt), expiresAt: String(attestation.expiresAt) },
    attestationHash: hashAttestation(attestation),
    signature,
    signer: address,
    issuer: binding.issuer,
    audience: binding.audience,
  };
}

/** The auth key's login: identity, audience, signer, expiry. */
export async function describeIdentity(ctx: RequestContext) {
  const b = await requireBinding(ctx);
  const s = await ctx.tx.query("SELECT address FROM identity_signers WHERE ecosystem = $1 AND identity_id = $2", [b.ecosystem, b.identity_id]);
  return {
    ecosystem: b.ecosystem,
    identity: { id: b.identity_id, type: b.identity_type, issuer: b.issuer },
    audience: b.audience,
    signer: s.rows[0]?.address,
    authKeyExpiresAt: Number(b.expires_at_ms),
  };
}
