/**
 * keccak256 from @noble/hashes (audited, pure JS). Nothing here implements any part of the hash:
 * the pair hasher only reuses one noble hasher instance, because allocating a fresh sponge state
 * per call costs about 10% more per pair (bench/library.ts: 5.4 against 6.0 µs per 64-byte hash
 * on the shared 2-CPU machine, of which noble's keccak-f permutation alone is 4.9 µs).
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, compareWords, type Hex } from "./hex";

/**
 * keccak256 of some bytes.
 *
 * @example
 * bytesToHex(keccak256(new TextEncoder().encode("arbor.image-hash")))
 */
export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

/**
 * keccak256 of a UTF-8 string, as 0x hex: how every domain tag in the specs is derived.
 *
 * @example
 * keccak256Utf8("arbor.leaf.ecdsa-signer") // the ecdsa-signer tag
 */
export function keccak256Utf8(text: string): Hex {
  return bytesToHex(keccak_256(new TextEncoder().encode(text)));
}

const EMPTY = keccak_256.create();
const WORK = keccak_256.create();
const PAIR = new Uint8Array(64);
const DIGEST = new Uint8Array(32);

/**
 * Writes the sorted-pair hash `keccak256(min(a, b) ‖ max(a, b))` of two 32-byte words into `out`
 * at `outOffset` (OpenZeppelin `Hashes.commutativeKeccak256`). Inputs and output may live in the
 * same flat array; the output may overlap an input.
 */
export function hashPairInto(
  a: Uint8Array,
  aOffset: number,
  b: Uint8Array,
  bOffset: number,
  out: Uint8Array,
  outOffset: number,
): void {
  if (compareWords(a, aOffset, b, bOffset) <= 0) {
    PAIR.set(a.subarray(aOffset, aOffset + 32), 0);
    PAIR.set(b.subarray(bOffset, bOffset + 32), 32);
  } else {
    PAIR.set(b.subarray(bOffset, bOffset + 32), 0);
    PAIR.set(a.subarray(aOffset, aOffset + 32), 32);
  }
  // Reset WORK to the empty sponge instead of allocating a new one; noble's own HMAC does the same.
  EMPTY._cloneInto(WORK);
  WORK.update(PAIR);
  WORK.digestInto(DIGEST);
  out.set(DIGEST, outOffset);
}
