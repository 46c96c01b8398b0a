/**
 * The nonce space of a whole session batch: the space of the key that signs call 0
 * (lib/sessions/ENCODING.md, "Nonce spaces").
 */
import { InvalidArgumentError } from "../errors";
import { normalizeAddress } from "../hex";
import type { SessionCallSigner } from "./sign-session-calls";

/**
 * The nonce space a batch with these signers (one per call, in call order) must run in: the space
 * of the key that signs call 0, which is the explicit session's `sessionSigner` or the attested
 * session's `approvedSigner` (the key the contracts check the call's signature against).
 * Throws {@link InvalidArgumentError} when there is no first signer (`SIGNER_COUNT_MISMATCH`) or
 * it is not a signer (`INVALID_SIGNER`).
 *
 * @example
 * const signers = [{ session, key: sessionKey }];
 * const space = sessionBatchSpace(signers); // === sessionNonceSpace(session.leaf.sessionSigner)
 * const nonce = await wallet.nonces(space);
 */
export function sessionBatchSpace(signers: readonly SessionCallSigner[]): bigint {
  if (!Array.isArray(signers) || signers.length === 0) {
    throw new InvalidArgumentError("SIGNER_COUNT_MISMATCH", "signers", "a session batch needs at least one signer");
  }
  const first: unknown = signers[0];
  if (typeof first === "object" && first !== null) {
    if ("session" in first) {
      const session = (first as { session?: { leaf?: { sessionSigner?: unknown } } }).session;
      // sessionNonceSpace, with the field named where the caller put it.
      return BigInt(normalizeAddress(session?.leaf?.sessionSigner, "signers[0].session.leaf.sessionSigner"));
    }
    if ("attestation" in first) {
      const attestation = (first as { attestation?: { approvedSigner?: unknown } }).attestation;
      return BigInt(normalizeAddress(attestation?.approvedSigner, "signers[0].attestation.approvedSigner"));
    }
  }
  throw new InvalidArgumentError("INVALID_SIGNER", "signers[0]", "expected {session, key} or {attestation, attestationSignature, key}");
}
