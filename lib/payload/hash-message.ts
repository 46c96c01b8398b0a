import { bytesToHex, normalizeBytes32, writeHex, type Hex } from "../hex";
import { keccak256 } from "../keccak";
import { checkContext, domainSeparator, MESSAGE_TYPEHASH, typedDataDigest } from "./domain";
import type { PayloadContext } from "./types";

/**
 * EIP-712 digest of `Message(hash)`: what the wallet's signers sign for an ERC-1271
 * `isValidSignature(hash, signature)` check. Wrapping the hash in the wallet's domain stops a
 * signature for one wallet from being replayed on another wallet with the same signers.
 *
 * @example
 * const digest = hashMessage(hashMessageOfApp, { wallet, chainId: 1n });
 */
export function hashMessage(hash: Hex | string, context: PayloadContext): Hex {
  checkContext(context, false);
  const words = new Uint8Array(64);
  writeHex(words, 0, MESSAGE_TYPEHASH);
  writeHex(words, 32, normalizeBytes32(hash, "hash"));
  return typedDataDigest(domainSeparator(context), bytesToHex(keccak256(words)));
}
