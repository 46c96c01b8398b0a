/** Response shapes of the identity service (enclave-service/api/openapi.ts has the schemas). */
import type { Attestation } from "../sessions/attestation";

export type IdentityType = "email" | "phone" | "oidc";

export interface InitiateResponse {
  commitmentId: string;
  identityType: IdentityType;
  /** OTP only. */
  challenge?: string;
  /** OIDC only: where to send the user. */
  authorizationUrl?: string;
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  expiresAt: number;
  maxAttempts: number;
}

export interface IdentityRef {
  id: string;
  type: IdentityType;
  issuer: string;
}

export interface LoginResult {
  ecosystem: string;
  identity: IdentityRef;
  audience: string;
  signer: string;
  signerCreated: boolean;
  authKeyExpiresAt: number;
}

export interface IdentityInfo {
  ecosystem: string;
  identity: IdentityRef;
  audience: string;
  signer: string;
  authKeyExpiresAt: number;
}

/** A session attestation as the service sends it (times as decimal strings, JSON). */
export interface WireAttestation {
  approvedSigner: string;
  identityType: string;
  issuerHash: string;
  audienceHash: string;
  applicationData: string;
  issuedAt: string;
  expiresAt: string;
}

/** What `IdentityClient.signAttestation` returns: the attestation in lib/sessions' form, ready for `signSessionCalls`. */
export interface SignedAttestation {
  attestation: Attestation;
  attestationHash: string;
  signature: string;
  signer: string;
  issuer: string;
  audience: string;
}

/** An error response body. */
export interface ServiceErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}
