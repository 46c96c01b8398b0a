/**
 * Every error response of the identity service is JSON `{ code, message, details? }`. This table is
 * the one place that maps a code to its HTTP status; the OpenAPI document and README list it.
 */
export const ERROR_STATUS = {
  // The request itself
  "invalid-request": 400,
  "invalid-json": 400,
  "invalid-attestation-nonce": 400,
  "body-too-large": 413,
  "unsupported-media-type": 415,
  "not-found": 404,
  // Sealed exchanges (HPKE to the enclave's attested key)
  "sealed-request-invalid": 400,
  "sealed-key-unknown": 421,
  "method-not-allowed": 405,
  // Request signing
  "auth-required": 401,
  "invalid-auth-key": 401,
  "bad-signature": 401,
  "stale-timestamp": 401,
  "stale-nonce": 409,
  "rate-limited": 429,
  "destination-rate-limited": 429,
  // Configuration the request names
  "unknown-ecosystem": 400,
  "origin-not-allowed": 403,
  "origin-required": 400,
  "unknown-app": 403,
  "audience-not-allowed": 403,
  "unknown-provider": 400,
  "identity-type-disabled": 400,
  // Authentication
  "commitment-not-found": 404,
  "wrong-auth-key": 403,
  "commitment-expired": 410,
  "commitment-consumed": 409,
  "too-many-attempts": 429,
  "wrong-answer": 401,
  "state-mismatch": 400,
  "id-token-invalid": 401,
  "idp-unavailable": 502,
  "delivery-failed": 502,
  // Outbound connections (TLS ends in the enclave, the host relays bytes)
  "upstream-not-allowed": 502,
  "upstream-unavailable": 502,
  "upstream-tls-failed": 502,
  "not-authenticated": 401,
  "binding-not-found": 404,
  // Signing
  "lifetime-too-long": 400,
  // Custody
  "custody-unavailable": 503,
  /** A row that carries authority was not written by the enclave (inserted, altered, moved, or under a host-made key). */
  "row-forged": 500,
  /** An authentic row older than one this enclave process already used (put back by the host). */
  "row-rolled-back": 500,
  /** A pool key its key holders never sealed: introduced by the host; nothing is sealed under it. */
  "pool-key-forged": 500,
  // Operations
  "admin-unauthorized": 401,
  "internal-error": 500,
  /** Only the host sends this one (there is no enclave to attest it). */
  "enclave-unavailable": 503,
} as const;

export type ServiceErrorCode = keyof typeof ERROR_STATUS;

/**
 * A refusal with a documented code. `persist` marks the rare refusal whose bookkeeping must still
 * be stored (a wrong OTP answer counts an attempt); every other error rolls back everything.
 *
 * @example
 * throw new ServiceError("wrong-auth-key", "this commitment was started by another auth key", { commitmentId });
 */
export class ServiceError extends Error {
  override readonly name = "ServiceError" as const;
  readonly status: number;

  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly persist = false,
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}
