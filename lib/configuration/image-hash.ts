/**
 * The image hash: what a wallet stores (or derives its address from) instead of its whole
 * configuration. lib/configuration/ENCODING.md, "Image hash":
 *
 *     imageHash = keccak256(abi.encode(IMAGE_HASH_TAG, root, threshold, checkpoint))
 */
import { bytesToHex, checkUint, normalizeBytes32, writeHex, writeUint256, type Hex } from "../hex";
import { keccak256, keccak256Utf8 } from "../keccak";

/** `keccak256("arbor.image-hash")`. */
export const IMAGE_HASH_TAG: Hex = keccak256Utf8("arbor.image-hash");

/**
 * Image hash of a configuration root, threshold and checkpoint.
 *
 * @example
 * imageHash(configuration.root, 2n, 1n) === configuration.imageHash // for threshold 2, checkpoint 1
 */
export function imageHash(root: Hex | string, threshold: bigint, checkpoint: bigint): Hex {
  const words = new Uint8Array(128);
  writeHex(words, 0, IMAGE_HASH_TAG);
  writeHex(words, 32, normalizeBytes32(root, "root"));
  writeUint256(words, 64, checkUint(threshold, "threshold"));
  writeUint256(words, 96, checkUint(checkpoint, "checkpoint"));
  return bytesToHex(keccak256(words));
}
