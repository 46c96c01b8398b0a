/**
 * Roots of all-zero subtrees, the constants that make padding a tree to a power of two almost free
 * (lib/configuration/ENCODING.md, "The tree"): Z0 = 0x00…00 (one padding leaf) and
 * Z(k+1) = hashPair(Zk, Zk). The padding leaves sort first, so they fill aligned blocks whose roots
 * are these constants; the tree core copies them instead of hashing zero pairs one by one.
 *
 * Computed lazily, once per height, and kept for the life of the process (height 256 is 8 KiB).
 */
import { InvalidArgumentError } from "../errors";
import { bytesToHex, type Hex } from "../hex";
import { hashPairInto } from "../keccak";

/** The largest height asked for: a tree over 2^256 leaves, far beyond anything an array holds. */
export const MAX_ZERO_SUBTREE_HEIGHT = 256;

// Word k (bytes [32k, 32k + 32)) is Zk. Starts with Z0 only; grows by doubling.
let roots = new Uint8Array(32);
let known = 1;

function checkHeight(height: number): void {
  if (!Number.isInteger(height) || height < 0 || height > MAX_ZERO_SUBTREE_HEIGHT) {
    throw new InvalidArgumentError("INVALID_HEIGHT", "height", `expected an integer in [0, ${MAX_ZERO_SUBTREE_HEIGHT}]`, {
      details: { height },
    });
  }
}

/**
 * Flat array holding Z0 … Z`height` (at least), word k at bytes [32k, 32k + 32). Read only: it is
 * shared. Used by the tree core, which copies from it.
 *
 * @example
 * const z = zeroSubtreeRoots(3);
 * z.subarray(64, 96) // Z2 = hashPair(Z1, Z1)
 */
export function zeroSubtreeRoots(height: number): Uint8Array {
  checkHeight(height);
  if (height >= known) {
    const grown = new Uint8Array(Math.min(MAX_ZERO_SUBTREE_HEIGHT + 1, Math.max(height + 1, 2 * known)) * 32);
    grown.set(roots.subarray(0, known * 32));
    for (let k = known; k < grown.length / 32; k++) hashPairInto(grown, (k - 1) * 32, grown, (k - 1) * 32, grown, k * 32);
    roots = grown;
    known = grown.length / 32;
  }
  return roots;
}

/**
 * The root of a perfect all-zero tree of the given height, as 0x hex (height 0: the zero leaf).
 *
 * @example
 * zeroSubtreeRoot(1) // keccak256(0x00…00 ‖ 0x00…00)
 */
export function zeroSubtreeRoot(height: number): Hex {
  return bytesToHex(zeroSubtreeRoots(height), height * 32, 32);
}
