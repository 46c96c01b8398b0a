/**
 * Client side of the identity service: auth keys, request signing, OTP answers, and a typed
 * client that verifies every response's attestation. Service docs: enclave-service/README.md.
 */
export { IdentityClient, type IdentityClientOptions, type AttestationPolicy, type VerifiedResponse } from "./identity-client";
export { IdentityClientError } from "./identity-client-error";
export { type AuthKey, secp256k1AuthKey, p256AuthKey } from "./auth-key";
export { otpAnswer } from "./otp-answer";
export { AUTH_HEADERS, DEFAULT_SERVICE_NAME, REQUEST_SIGNING_TAG, canonicalRequest, parseAuthKeyId, verifyRequestSignature, type SignedRequestFields } from "./request-signing";
export type { IdentityType, InitiateResponse, IdentityRef, LoginResult, IdentityInfo, SignedAttestation, WireAttestation, ServiceErrorBody } from "./types";
