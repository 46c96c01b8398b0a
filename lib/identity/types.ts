/** Response shapes of the identity service (enclave-service/api/openapi.ts has the schemas). */

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

export interface SignedAttestation {
  attestation: {
    approvedSigner: string;
    identityType: string;
    issuerHash: string;
    audienceHash: string;
    applicationData: string;
    issuedAt: string;
    expiresAt: string;
  };
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
