/**
 * What a session key signs for one call of a batch (lib/sessions/ENCODING.md, "Call signatures"):
 *
 *     SESSION_CALL_TAG = keccak256("arbor.session-call.v2")
 *     explicit: keccak256(abi.encode(SESSION_CALL_TAG, digest, callIndex, sessionLeaf, permissionIndex))
 *     attested: keccak256(abi.encode(SESSION_CALL_TAG, digest, callIndex, attestationHash))
 *
 * `digest` is the batch's EIP-712 digest (lib/payload), which binds the wallet, the chain, the
 * nonce and every call in order; the index binds the signature to one position in the batch; the
 * grant (a session leaf's hash and one of its permissions, or an attestation's hash) binds it to
 * the authorisation the key chose, so a relayer cannot charge the call to another grant of the
 * same key (review finding F3).
 */
import { InvalidArgumentError } from "../errors";
import { checkUint, bytesToHex, normalizeBytes32, writeHex, writeUint256, type Hex } from "../hex";
import { keccak256, keccak256Utf8 } from "../keccak";

/** `keccak256("arbor.session-call.v2")`. */
export const SESSION_CALL_TAG: Hex = keccak256Utf8("arbor.session-call.v2");

/**
 * The grant a call is signed under: permission `permissionIndex` of the explicit session whose
 * leaf hash is `sessionLeaf`, or the attestation whose `attestationHash` (ATTESTATION.md) is given.
 */
export type SessionCallGrant =
  | { kind: "explicit"; sessionLeaf: Hex | string; permissionIndex: number | bigint }
  | { kind: "attested"; attestationHash: Hex | string };

/**
 * The hash a session key signs for call `callIndex` of the batch whose digest is `digest`, under
 * `grant`. The same as `ArborSessions.explicitSessionCallHash` / `attestedSessionCallHash`.
 * Throws {@link InvalidArgumentError} for a grant of another kind (`INVALID_GRANT`) or a value out
 * of range (the hex helpers' codes, naming the field).
 *
 * @example
 * const digest = hashCalls({ calls, space, nonce }, { wallet, chainId: 1n });
 * sessionCallHash(digest, 0, { kind: "explicit", sessionLeaf: leafHash(session.leaf), permissionIndex: 0 })
 * sessionCallHash(digest, 1, { kind: "attested", attestationHash: hashAttestation(attestation) })
 */
export function sessionCallHash(digest: Hex | string, callIndex: number | bigint, grant: SessionCallGrant): Hex {
  const normalizedDigest = normalizeBytes32(digest, "digest");
  const index = checkUint(toBigInt(callIndex, "callIndex"), "callIndex");
  if (typeof grant !== "object" || grant === null || (grant.kind !== "explicit" && grant.kind !== "attested")) {
    throw new InvalidArgumentError("INVALID_GRANT", "grant", 'expected {kind: "explicit", sessionLeaf, permissionIndex} or {kind: "attested", attestationHash}');
  }
  // Explicit: five words; attested: four. The lengths differ, so the two forms never share a preimage.
  const words = new Uint8Array(grant.kind === "explicit" ? 160 : 128);
  writeHex(words, 0, SESSION_CALL_TAG);
  writeHex(words, 32, normalizedDigest);
  writeUint256(words, 64, index);
  if (grant.kind === "explicit") {
    writeHex(words, 96, normalizeBytes32(grant.sessionLeaf, "grant.sessionLeaf"));
    writeUint256(words, 128, checkUint(toBigInt(grant.permissionIndex, "grant.permissionIndex"), "grant.permissionIndex"));
  } else {
    writeHex(words, 96, normalizeBytes32(grant.attestationHash, "grant.attestationHash"));
  }
  return bytesToHex(keccak256(words));
}

/** BigInt() of a safe integer or a bigint; anything else is the caller's mistake, named. */
function toBigInt(value: unknown, field: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  throw new InvalidArgumentError("INVALID_INTEGER", field, "expected a safe integer or a bigint", { details: { value } });
}
