/**
 * An error from the identity client: either the service answered with an error response
 * (`code` is the service's code, `status` its HTTP status), or the client refused what it got.
 *
 * Client-side codes: `attestation-missing`, `attestation-invalid` (`details.attestationCode` has
 * lib/attestation's code), `invalid-response`, `invalid-auth-key`, `network-error`.
 *
 * @example
 * catch (e) { if (e instanceof IdentityClientError && e.code === "too-many-attempts") ... }
 */
export class IdentityClientError extends Error {
  override readonly name = "IdentityClientError" as const;
  readonly code: string;
  readonly status?: number;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, status?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.status = status;
    this.details = details;
  }
}
