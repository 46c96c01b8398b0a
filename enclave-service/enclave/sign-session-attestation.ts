import { IDENTITY_TYPE, hashAttestation, hashAudience, hashIssuer, signAttestation, type Attestation } from "../../lib/sessions/attestation";
import { loadSignerKey } from "./identity-signers";
import { readBinding, type Binding } from "./bind-identity";
import { requireApp, requireString, type RequestContext } from "./request-context";
import { ServiceError } from "./service-error";
import type { IdentityType } from "./identity-id";

const MAX_APPLICATION_DATA_BYTES = 4096;

/** The auth key's live binding (authenticated), or `not-authenticated` (none, expired or revoked). */
export async function requireBinding(ctx: RequestContext): Promise<Binding> {
  const b = await readBinding(ctx, ctx.authKey);
  if (b === undefined) throw new ServiceError("not-authenticated", "this auth key has not completed a login", { authKey: ctx.authKey });
  if (b.revokedAt !== null) {
    throw new ServiceError("not-authenticated", "this auth key's login was revoked; log in again", { authKey: ctx.authKey, revokedAt: b.revokedAt });
  }
  if (b.expiresAt <= ctx.now) {
    throw new ServiceError("not-authenticated", "this auth key's login has expired; log in again", { authKey: ctx.authKey, expiredAt: b.expiresAt });
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
  const issuedAt = Math.floor(ctx.now / 1000);
  // An attestation never outlives the login that vouches for it.
  const bindingLeft = Math.floor(binding.expiresAt / 1000) - issuedAt;
  if (lifetime > bindingLeft) {
    throw new ServiceError("lifetime-too-long", `lifetimeSeconds must be at most ${bindingLeft}: the login expires then`, {
      lifetimeSeconds: lifetime,
      max: bindingLeft,
      authKeyExpiresAt: binding.expiresAt,
    });
  }

  const type = binding.identityType as IdentityType;
  const attestation: Attestation = {
    approvedSigner,
    identityType: IDENTITY_TYPE[type],
    issuerHash: hashIssuer(binding.issuer),
    audienceHash: hashAudience(binding.audience),
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
  const { privateKey, address } = await loadSignerKey(ctx.tx, ctx.pool, binding.ecosystem, binding.identityId);
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

/** The auth key's login: identity, audience, signer (derived from the decrypted key), expiry. */
export async function describeIdentity(ctx: RequestContext) {
  const b = await requireBinding(ctx);
  const { privateKey, address } = await loadSignerKey(ctx.tx, ctx.pool, b.ecosystem, b.identityId);
  privateKey.fill(0);
  return {
    ecosystem: b.ecosystem,
    identity: { id: b.identityId, type: b.identityType, issuer: b.issuer },
    audience: b.audience,
    signer: address,
    authKeyExpiresAt: b.expiresAt,
  };
}
