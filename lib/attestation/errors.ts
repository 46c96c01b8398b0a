/**
 * The one error class of lib/attestation. Its `code` names the first check that failed, so a
 * caller (the identity service, the CLI, a wallet front-end) can act on it without parsing text.
 */

/**
 * Stable codes, one per check of `verifyAttestationDocument` (in the order they run, see
 * README.md "Checks"), plus `invalid-argument` for a caller's mistake.
 */
export type AttestationErrorCode =
  /** The caller passed an unusable value (bad option, bad key, unreadable code bundle). */
  | "invalid-argument"
  /** Not a COSE_Sign1 Nitro document: bad CBOR, wrong shape, a field of the wrong type or size. */
  | "malformed"
  /** Protected header is not exactly {1: -35} (ES384), digest is not "SHA384", or the leaf key is not P-384. */
  | "unsupported-algorithm"
  /** Production mode was given, or met, the Arbor LOCAL root. */
  | "local-root-in-production"
  /** Production mode was given a root that is not the AWS Nitro root. */
  | "root-not-allowed-in-production"
  /** The document's root (cabundle[0]) is not byte-for-byte one of the pinned roots. */
  | "root-not-pinned"
  /** Issuer/subject linkage, a certificate signature, CA basic constraints, path length or key usage failed. */
  | "certificate-chain"
  /** A certificate's notAfter is before the verification time. */
  | "certificate-expired"
  /** A certificate's notBefore is after the verification time. */
  | "certificate-not-yet-valid"
  /** The ES384 signature over the Sig_structure does not verify with the leaf certificate's key. */
  | "cose-signature"
  /** A PCR differs from the expected value, is missing, or PCR0 is all zeros under a debug-rejecting policy. */
  | "pcr-mismatch"
  /** The document's nonce is not the expected nonce. */
  | "nonce-mismatch"
  /** The document's user_data is not the expected user data. */
  | "user-data-mismatch";

/**
 * Thrown by every function of lib/attestation. Verification fails closed: the first failed check
 * throws, nothing after it runs, and `code` names it.
 *
 * @example
 * try {
 *   verifyAttestationDocument(bytes, { roots: [AWS_NITRO_ROOT_PEM], at: new Date("2024-11-30T17:00:00Z") });
 * } catch (err) {
 *   if (err instanceof AttestationError && err.code === "certificate-expired") console.log(err.details.notAfter);
 * }
 */
export class AttestationError extends Error {
  override readonly name = "AttestationError" as const;
  /** The first check that failed (see {@link AttestationErrorCode}). */
  readonly code: AttestationErrorCode;
  /** Values that explain the failure: which PCR, which certificate and its window, expected vs actual. */
  readonly details: Record<string, unknown>;

  constructor(code: AttestationErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }
}
