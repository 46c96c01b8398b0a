import type { AttestationErrorCode } from "./errors";

/** Name of one step of `verifyAttestationDocument`. */
export type AttestationCheck = "decode" | "algorithm" | "root" | "chain" | "validity" | "signature" | "pcrs" | "nonce" | "user-data";

/** One step: its name, the error codes it can fail with, what it establishes. */
export interface AttestationCheckInfo {
  check: AttestationCheck;
  codes: readonly AttestationErrorCode[];
  description: string;
}

/**
 * The checks of `verifyAttestationDocument`, in the order they run. The first failure throws and
 * nothing after it runs, so every check before the failing one has passed.
 *
 * @example
 * const failed = ATTESTATION_CHECKS.findIndex((c) => c.codes.includes(err.code));
 * const passed = ATTESTATION_CHECKS.slice(0, failed).map((c) => c.check);
 */
export const ATTESTATION_CHECKS: readonly AttestationCheckInfo[] = [
  { check: "decode", codes: ["malformed"], description: "COSE_Sign1 CBOR structure, payload fields and certificates parse" },
  { check: "algorithm", codes: ["unsupported-algorithm"], description: "protected header is ES384 {1: -35}, digest is SHA384, signing key is P-384" },
  { check: "root", codes: ["local-root-in-production", "root-not-allowed-in-production", "root-not-pinned"], description: "cabundle[0] is byte for byte a pinned root (only AWS's in production)" },
  { check: "chain", codes: ["certificate-chain"], description: "issuer/subject linkage, signatures, CA basic constraints, path length, key usage" },
  { check: "validity", codes: ["certificate-expired", "certificate-not-yet-valid"], description: "every certificate is valid at the verification time" },
  { check: "signature", codes: ["cose-signature"], description: "ES384 signature over Sig_structure verifies with the leaf key" },
  { check: "pcrs", codes: ["pcr-mismatch"], description: "PCRs equal the expected values (and PCR0 is not all zeros when debug mode is refused)" },
  { check: "nonce", codes: ["nonce-mismatch"], description: "nonce equals the expected nonce" },
  { check: "user-data", codes: ["user-data-mismatch"], description: "user_data equals the expected user data" },
];
