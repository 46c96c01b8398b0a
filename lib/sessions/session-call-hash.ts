/**
 * What a session key signs for one call of a batch (lib/sessions/ENCODING.md, "Call signatures"):
 *
 *     sessionCallHash = keccak256(abi.encode(keccak256("arbor.session-call.v1"), digest, callIndex))
 *
 * `digest` is the batch's EIP-712 digest (lib/payload), which binds the wallet, the chain, the
 * nonce and every call in order; the index binds the signature to one position in the batch.
 */
import { checkUint, bytesToHex, normalizeBytes32, writeHex, writeUint256, type Hex } from "../hex";
import { keccak256, keccak256Utf8 } from "../keccak";

/** `keccak256("arbor.session-call.v1")`. */
export const SESSION_CALL_TAG: Hex = keccak256Utf8("arbor.session-call.v1");

/**
 * The hash a session key signs for call `callIndex` of the batch whose digest is `digest`.
 *
 * @example
 * const digest = hashCalls({ calls, space: 0n, nonce: 0n }, { wallet, chainId: 1n });
 * sessionCallHash(digest, 0)
 */
export function sessionCallHash(digest: Hex | string, callIndex: number | bigint): Hex {
  const words = new Uint8Array(96);
  writeHex(words, 0, SESSION_CALL_TAG);
  writeHex(words, 32, normalizeBytes32(digest, "digest"));
  writeUint256(words, 64, checkUint(BigInt(callIndex), "callIndex"));
  return bytesToHex(keccak256(words));
}
