/**
 * The Merkle core, as lib/configuration/ENCODING.md ("The tree") specifies: the n leaf hashes
 * sorted ascending, padded with zero words up to m = the next power of two (the zeros sort first),
 * and laid out as OpenZeppelin's `SimpleMerkleTree` lays out those m leaves, with sorted-pair
 * keccak inner nodes. m being a power of two, the tree is perfect, which is the one layout that
 * OpenZeppelin's merkle-tree, merkletreejs's default mode and `MerkleProof` all share.
 *
 * Pure functions over a {@link MerkleTree} value; `Configuration` is the friendly layer on top.
 * Node i lives at bytes [32i, 32i + 32) of `nodes` (2m - 1 words); the padded leaf at sorted
 * position p is node `2m - 2 - p`, so the real leaf at sorted position k (0 = smallest real hash)
 * is node `m + n - 2 - k` and the zero leaves are nodes `m + n - 1 .. 2m - 2`. Indices in this
 * API are always positions among the n real leaves: a padding leaf is never proved.
 */
import { InvalidArgumentError, InvariantError, MultiProofError } from "../errors";
import { bytesToHex, compareWords, normalizeBytes32, writeHex, type Hex } from "../hex";
import { hashPairInto } from "../keccak";
import { zeroSubtreeRoots } from "./zero-subtrees";

/**
 * A built tree. `nodes` holds 2m - 1 words of 32 bytes, m = {@link paddedLeafCount}(leafCount),
 * padding included; `leafCount` counts the real leaves only. Treat it as read-only unless you own it.
 */
export interface MerkleTree {
  readonly nodes: Uint8Array;
  readonly leafCount: number;
}

/** An OpenZeppelin multiproof: leaves in ascending hash order, proof hashes, and flags. */
export interface MultiProof {
  leaves: Hex[];
  proof: Hex[];
  proofFlags: boolean[];
}

/** Input leaf hashes: 0x hex strings, 32-byte arrays, or one flat array of n * 32 bytes. */
export type LeafHashesInput = readonly (Hex | string | Uint8Array)[] | Uint8Array;

// A 53-bit double holds a 32-bit prefix and a 21-bit index exactly, which lets the native numeric
// sort order up to 2^21 leaves by their first 4 bytes without a comparator callback or BigInt.
const PACKED_INDEX_BITS = 21;
const PACKED_INDEX_LIMIT = 1 << PACKED_INDEX_BITS;
// The padded tree's 2m - 1 words must fit one typed array (at most 2^32 bytes in Node 20): m <= 2^26.
const MAX_LEAVES = 2 ** 26;

function flattenLeaves(leaves: LeafHashesInput): Uint8Array {
  if (leaves instanceof Uint8Array) {
    if (leaves.length === 0 || leaves.length % 32 !== 0) {
      throw new InvalidArgumentError("INVALID_LEAVES", "leaves", "flat leaf array must hold a positive multiple of 32 bytes", {
        details: { length: leaves.length },
      });
    }
    return leaves;
  }
  if (leaves.length === 0) {
    throw new InvalidArgumentError("EMPTY_TREE", "leaves", "a tree needs at least one leaf");
  }
  const flat = Buffer.alloc(leaves.length * 32);
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i];
    if (leaf instanceof Uint8Array) {
      if (leaf.length !== 32) {
        throw new InvalidArgumentError("INVALID_BYTES32", `leaves[${i}]`, "expected 32 bytes", { details: { length: leaf.length } });
      }
      flat.set(leaf, i * 32);
    } else {
      // Decode straight into the flat array. Node's hex decoder stops at the first character that
      // is not a hex digit, so 32 bytes written means 64 valid digits: the check a regex would
      // make, at a third of its cost on 100k leaves. Anything else gets the full check and error.
      const valid =
        typeof leaf === "string" && leaf.length === 66 && leaf.charCodeAt(0) === 48 && leaf.charCodeAt(1) === 120 && flat.write(leaf.slice(2), i * 32, 32, "hex") === 32;
      if (!valid) {
        normalizeBytes32(leaf, `leaves[${i}]`);
        throw new InvariantError("a leaf passed normalizeBytes32 but did not decode to 32 bytes", { details: { index: i } });
      }
    }
  }
  return new Uint8Array(flat.buffer, flat.byteOffset, flat.length);
}

function prefix32(flat: Uint8Array, offset: number): number {
  return ((flat[offset] << 24) | (flat[offset + 1] << 16) | (flat[offset + 2] << 8) | flat[offset + 3]) >>> 0;
}

/** Positions of the leaves in ascending hash order. */
function sortedOrder(flat: Uint8Array, n: number): Uint32Array {
  const order = new Uint32Array(n);
  if (n < PACKED_INDEX_LIMIT) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = prefix32(flat, i * 32) * PACKED_INDEX_LIMIT + i;
    keys.sort();
    for (let i = 0; i < n; i++) order[i] = keys[i] % PACKED_INDEX_LIMIT;
    // Leaves sharing a 4-byte prefix are now in input order; put each such run in full hash order.
    let start = 0;
    for (let i = 1; i <= n; i++) {
      if (i === n || prefix32(flat, order[i] * 32) !== prefix32(flat, order[start] * 32)) {
        if (i - start > 1) {
          const run = Array.from(order.subarray(start, i)).sort((x, y) => compareWords(flat, x * 32, flat, y * 32));
          order.set(run, start);
        }
        start = i;
      }
    }
  } else {
    const all = Array.from({ length: n }, (_, i) => i).sort((x, y) => compareWords(flat, x * 32, flat, y * 32));
    order.set(all);
  }
  return order;
}

/**
 * Number of leaves a tree over `leafCount` real leaves is built on: the smallest power of two at
 * least `leafCount` (1 for one leaf). The difference is made up with zero leaves.
 *
 * @example
 * paddedLeafCount(5) // 8
 */
export function paddedLeafCount(leafCount: number): number {
  if (!Number.isInteger(leafCount) || leafCount < 1 || leafCount > MAX_LEAVES) {
    throw new InvalidArgumentError("INVALID_LEAF_COUNT", "leafCount", `expected an integer in [1, ${MAX_LEAVES}]`, {
      details: { leafCount },
    });
  }
  let m = 1;
  while (m < leafCount) m *= 2;
  return m;
}

function isZeroWord(bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 32; i++) if (bytes[offset + i] !== 0) return false;
  return true;
}

/**
 * Builds the tree: sorts the leaf hashes ascending, pads with zero leaves up to a power of two,
 * places them, hashes the inner nodes. Equal leaf hashes are allowed here (as in OpenZeppelin);
 * `Configuration` forbids them. A zero leaf hash is refused (`ZERO_LEAF`): it could not be told
 * apart from padding, and no keccak256 output is zero in practice.
 *
 * @example
 * const tree = makeTree([leafA, leafB, leafC]); // built over [0x00…00, a, b, c] (sorted)
 * treeRoot(tree) // 0x...
 */
export function makeTree(leaves: LeafHashesInput): MerkleTree {
  const flat = flattenLeaves(leaves);
  const n = flat.length / 32;
  if (n > MAX_LEAVES) {
    throw new InvalidArgumentError("TOO_MANY_LEAVES", "leaves", `at most ${MAX_LEAVES} leaves fit one tree`, { details: { leafCount: n } });
  }
  const m = paddedLeafCount(n);
  const nodes = new Uint8Array((2 * m - 1) * 32);
  const order = sortedOrder(flat, n);
  if (isZeroWord(flat, order[0] * 32)) {
    throw new InvalidArgumentError("ZERO_LEAF", `leaves[${order[0]}]`, "a leaf hash must not be zero (zero words pad the tree)", {
      details: { index: order[0] },
    });
  }
  // Real leaves fill nodes m - 1 .. m + n - 2 (largest first); the zero leaves after them need
  // no writing: the array starts zeroed.
  for (let k = 0; k < n; k++) {
    const src = order[k] * 32;
    nodes.set(flat.subarray(src, src + 32), (m + n - 2 - k) * 32);
  }
  hashLevels(nodes, n, m);
  return { nodes, leafCount: n };
}

/**
 * Hashes every inner node, one level at a time from the leaves up. At the level whose subtrees
 * hold `span` leaves, node j of the level (j = 0 leftmost) covers padded leaves j·span ..
 * (j+1)·span - 1 counted from node m - 1, so the first ceil(n / span) nodes hold a real leaf and
 * the rest cover zero leaves only: their value is the constant Z(height), copied, not hashed.
 * The zero work is therefore about one copy per padding leaf, against n - 1 + log2(m) hashes.
 */
function hashLevels(nodes: Uint8Array, n: number, m: number): void {
  let height = 0;
  while (1 << height < m) height++;
  const zeros = zeroSubtreeRoots(height);
  for (let level = height - 1, span = 2; level >= 0; level--, span *= 2) {
    const first = 2 ** level - 1;
    const live = Math.ceil(n / span);
    const zero = zeros.subarray((height - level) * 32, (height - level) * 32 + 32);
    for (let i = first + 2 ** level - 1; i >= first + live; i--) nodes.set(zero, i * 32);
    for (let i = first + live - 1; i >= first; i--) hashPairInto(nodes, (2 * i + 1) * 32, nodes, (2 * i + 2) * 32, nodes, i * 32);
  }
}

/**
 * The root of a tree, as 0x hex.
 *
 * @example
 * treeRoot(makeTree([leaf])) === leaf // a one-leaf tree's root is the leaf
 */
export function treeRoot(tree: MerkleTree): Hex {
  return bytesToHex(tree.nodes, 0, 32);
}

/** Node index of the real leaf at sorted position 0 (the smallest real leaf). */
function firstLeafNode(tree: MerkleTree): number {
  return paddedLeafCount(tree.leafCount) + tree.leafCount - 2;
}

/** Node index of the real leaf at sorted position `leafIndex`. */
function nodeIndexOfLeaf(tree: MerkleTree, leafIndex: number, field = "leafIndex"): number {
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= tree.leafCount) {
    throw new InvalidArgumentError("LEAF_INDEX_OUT_OF_RANGE", field, `expected an integer in [0, ${tree.leafCount - 1}]`, {
      details: { leafIndex, leafCount: tree.leafCount },
    });
  }
  return firstLeafNode(tree) - leafIndex;
}

/**
 * The leaf hash at sorted position `leafIndex` (0 = smallest).
 *
 * @example
 * treeLeaf(tree, 0) // the smallest leaf hash
 */
export function treeLeaf(tree: MerkleTree, leafIndex: number): Hex {
  return bytesToHex(tree.nodes, nodeIndexOfLeaf(tree, leafIndex) * 32, 32);
}

/**
 * All real leaf hashes in ascending order (no padding).
 *
 * @example
 * treeLeaves(makeTree([b, a])) // [a, b] when a < b
 */
export function treeLeaves(tree: MerkleTree): Hex[] {
  const out: Hex[] = [];
  const first = firstLeafNode(tree);
  for (let k = 0; k < tree.leafCount; k++) out.push(bytesToHex(tree.nodes, (first - k) * 32, 32));
  return out;
}

/**
 * The m leaves the tree is built over, ascending: m - n zero words, then the real leaves. Hand
 * these to another library to get the same root and proofs (`SimpleMerkleTree.of(padded)`, or
 * merkletreejs with `{ sortPairs: true, sortLeaves: true }`).
 *
 * @example
 * treePaddedLeaves(makeTree([a, b, c])) // [0x00…00, a, b, c] when a < b < c
 */
export function treePaddedLeaves(tree: MerkleTree): Hex[] {
  const zero = `0x${"00".repeat(32)}` as Hex;
  const padding = paddedLeafCount(tree.leafCount) - tree.leafCount;
  return [...Array.from({ length: padding }, () => zero), ...treeLeaves(tree)];
}

/**
 * Sorted position of a leaf hash, found by binary search, or -1 when the tree does not hold it.
 *
 * @example
 * findLeaf(tree, leafA) // 0..n-1
 */
export function findLeaf(tree: MerkleTree, leaf: Hex | string): number {
  const key = new Uint8Array(32);
  writeHex(key, 0, normalizeBytes32(leaf, "leaf"));
  const first = firstLeafNode(tree);
  let lo = 0;
  let hi = tree.leafCount - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareWords(tree.nodes, (first - mid) * 32, key, 0);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * Proof for the leaf at sorted position `leafIndex`: sibling hashes from the leaf up, as
 * OpenZeppelin `MerkleProof.verify` expects.
 *
 * @example
 * const proof = getProof(tree, findLeaf(tree, leafA));
 * processProof(leafA, proof) === treeRoot(tree)
 */
export function getProof(tree: MerkleTree, leafIndex: number): Hex[] {
  let i = nodeIndexOfLeaf(tree, leafIndex);
  const proof: Hex[] = [];
  while (i > 0) {
    // Siblings share a parent: odd indices are left children, their sibling is on the right.
    const sibling = i % 2 === 1 ? i + 1 : i - 1;
    proof.push(bytesToHex(tree.nodes, sibling * 32, 32));
    i = (i - 1) >> 1;
  }
  return proof;
}

/**
 * Multiproof for the leaves at the given sorted positions (any order, no repeats), in
 * OpenZeppelin's format: `leaves` ascending by hash, then `proof` and `proofFlags` for
 * `MerkleProof.multiProofVerify`. An empty selection gives `{leaves: [], proof: [root], proofFlags: []}`.
 *
 * @example
 * const mp = getMultiProof(tree, [0, 2]);
 * processMultiProof(mp) === treeRoot(tree)
 */
export function getMultiProof(tree: MerkleTree, leafIndices: readonly number[]): MultiProof {
  const nodeIndices = leafIndices.map((k, j) => nodeIndexOfLeaf(tree, k, `leafIndices[${j}]`));
  nodeIndices.sort((a, b) => b - a);
  for (let j = 1; j < nodeIndices.length; j++) {
    if (nodeIndices[j] === nodeIndices[j - 1]) {
      const leafIndex = firstLeafNode(tree) - nodeIndices[j];
      throw new InvalidArgumentError("DUPLICATE_LEAF_INDEX", "leafIndices", `leaf index ${leafIndex} is requested twice`, {
        details: { leafIndex },
      });
    }
  }
  // A FIFO of node indices to climb from, deepest (largest index) first, as OpenZeppelin's
  // reference implementation does; a head pointer instead of shift() keeps it linear.
  const queue = nodeIndices.slice();
  let head = 0;
  const proof: Hex[] = [];
  const proofFlags: boolean[] = [];
  while (head < queue.length && queue[head] > 0) {
    const j = queue[head++];
    const sibling = j % 2 === 1 ? j + 1 : j - 1;
    if (head < queue.length && queue[head] === sibling) {
      proofFlags.push(true);
      head++;
    } else {
      proofFlags.push(false);
      proof.push(bytesToHex(tree.nodes, sibling * 32, 32));
    }
    queue.push((j - 1) >> 1);
  }
  if (nodeIndices.length === 0) proof.push(treeRoot(tree));
  return {
    leaves: nodeIndices.map((i) => bytesToHex(tree.nodes, i * 32, 32)),
    proof,
    proofFlags,
  };
}

function wordsOf(values: readonly unknown[], field: string): Uint8Array {
  if (!Array.isArray(values)) {
    throw new InvalidArgumentError("INVALID_ARRAY", field, "expected an array of bytes32 hex strings");
  }
  const out = new Uint8Array(values.length * 32);
  values.forEach((v, i) => writeHex(out, i * 32, normalizeBytes32(v, `${field}[${i}]`)));
  return out;
}

/**
 * The root a single proof leads to (OpenZeppelin `MerkleProof.processProof`).
 *
 * @example
 * processProof(leaf, getProof(tree, findLeaf(tree, leaf))) === treeRoot(tree)
 */
export function processProof(leaf: Hex | string, proof: readonly (Hex | string)[]): Hex {
  const acc = wordsOf([leaf], "leaf");
  const words = wordsOf(proof, "proof");
  for (let i = 0; i < proof.length; i++) hashPairInto(acc, 0, words, i * 32, acc, 0);
  return bytesToHex(acc, 0, 32);
}

/**
 * The root a multiproof leads to, computed step for step as OpenZeppelin
 * `MerkleProof.processMultiProof` (v5) does, including how it fails: a count mismatch or unused
 * proof hashes throw `MultiProofError("MerkleProofInvalidMultiproof")`, reading past the end of
 * the proof or of the hash queue throws `MultiProofError("Panic")` (Solidity panic 0x32), and a
 * read of a queue slot not yet computed yields zero, as Solidity's zeroed memory does.
 *
 * @example
 * processMultiProof(getMultiProof(tree, [0, 1])) === treeRoot(tree)
 */
export function processMultiProof(multiProof: MultiProof): Hex {
  const { leaves, proof, proofFlags } = multiProof;
  const leafWords = wordsOf(leaves, "leaves");
  const proofWords = wordsOf(proof, "proof");
  if (!Array.isArray(proofFlags) || proofFlags.some((f) => typeof f !== "boolean")) {
    throw new InvalidArgumentError("INVALID_PROOF_FLAGS", "proofFlags", "expected an array of booleans");
  }
  const leavesLen = leaves.length;
  const proofLen = proof.length;
  const flagsLen = proofFlags.length;
  if (leavesLen + proofLen !== flagsLen + 1) {
    throw new MultiProofError("MerkleProofInvalidMultiproof", "leaves + proof must equal proofFlags + 1", {
      details: { leavesLen, proofLen, flagsLen },
    });
  }
  if (flagsLen === 0) return leavesLen > 0 ? bytesToHex(leafWords, 0, 32) : bytesToHex(proofWords, 0, 32);

  const hashes = new Uint8Array(flagsLen * 32);
  let leafPos = 0;
  let hashPos = 0;
  let proofPos = 0;
  const next = (): [Uint8Array, number] => {
    if (leafPos < leavesLen) return [leafWords, 32 * leafPos++];
    if (hashPos >= flagsLen) throw new MultiProofError("Panic", "hash queue read out of bounds (panic 0x32)", { details: { panicCode: 0x32 } });
    return [hashes, 32 * hashPos++];
  };
  for (let i = 0; i < flagsLen; i++) {
    const [a, aOffset] = next();
    let b: Uint8Array;
    let bOffset: number;
    if (proofFlags[i]) {
      [b, bOffset] = next();
    } else {
      if (proofPos >= proofLen) throw new MultiProofError("Panic", "proof read out of bounds (panic 0x32)", { details: { panicCode: 0x32 } });
      b = proofWords;
      bOffset = 32 * proofPos++;
    }
    hashPairInto(a, aOffset, b, bOffset, hashes, i * 32);
  }
  if (proofPos !== proofLen) {
    throw new MultiProofError("MerkleProofInvalidMultiproof", "not every proof hash was used", {
      details: { used: proofPos, proofLen },
    });
  }
  return bytesToHex(hashes, (flagsLen - 1) * 32, 32);
}

/**
 * Whether `proof` proves `leaf` under `root` (OpenZeppelin `MerkleProof.verify`).
 *
 * @example
 * verifyProof(treeRoot(tree), leaf, getProof(tree, findLeaf(tree, leaf))) // true
 */
export function verifyProof(root: Hex | string, leaf: Hex | string, proof: readonly (Hex | string)[]): boolean {
  return processProof(leaf, proof) === normalizeBytes32(root, "root");
}

/**
 * Whether a multiproof proves its leaves under `root` (OpenZeppelin `MerkleProof.multiProofVerify`).
 * A malformed multiproof throws {@link MultiProofError}, as the Solidity function reverts.
 *
 * @example
 * verifyMultiProof(treeRoot(tree), getMultiProof(tree, [0, 3])) // true
 */
export function verifyMultiProof(root: Hex | string, multiProof: MultiProof): boolean {
  return processMultiProof(multiProof) === normalizeBytes32(root, "root");
}

/**
 * Replaces the leaf at sorted position `leafIndex` with `newLeaf`, mutating `tree.nodes`, and
 * returns the new leaf's sorted position. The leaves between the old and the new position shift
 * by one slot; only the ancestors of the moved slots are rehashed, so a leaf that keeps its
 * position costs one path (log2(m) hashes) and a move costs about the distance moved plus one
 * path. Throws `InvalidArgumentError` (and changes nothing) for a bad index, a malformed or a
 * zero `newLeaf`.
 *
 * Use {@link replaceLeaf} unless you own the tree and need the speed.
 *
 * @example
 * const newIndex = replaceLeafInPlace(tree, 3, newLeafHash);
 */
export function replaceLeafInPlace(tree: MerkleTree, leafIndex: number, newLeaf: Hex | string | Uint8Array): number {
  const n = tree.leafCount;
  const { nodes } = tree;
  const oldNode = nodeIndexOfLeaf(tree, leafIndex);
  const word = newLeaf instanceof Uint8Array ? newLeaf : wordsOf([newLeaf], "newLeaf");
  if (word.length !== 32) throw new InvalidArgumentError("INVALID_BYTES32", "newLeaf", "expected 32 bytes");
  if (isZeroWord(word, 0)) throw new InvalidArgumentError("ZERO_LEAF", "newLeaf", "a leaf hash must not be zero (zero words pad the tree)");

  // New sorted position: the leaves other than the replaced one stay in order, so count how many
  // of them are smaller, by binary search over positions with the old slot skipped.
  const first = firstLeafNode(tree);
  const leafAt = (k: number): number => (first - (k < leafIndex ? k : k + 1)) * 32;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareWords(nodes, leafAt(mid), word, 0) < 0) lo = mid + 1;
    else hi = mid;
  }
  const newIndex = lo;
  const newNode = first - newIndex;

  // Shift the leaves between the two slots by one node, then write the new leaf. Real leaves
  // stay inside nodes m - 1 .. m + n - 2; the padding never moves.
  if (newNode < oldNode) nodes.copyWithin((newNode + 1) * 32, newNode * 32, oldNode * 32);
  else if (newNode > oldNode) nodes.copyWithin(oldNode * 32, (oldNode + 1) * 32, (newNode + 1) * 32);
  nodes.set(word, newNode * 32);

  // Rehash the ancestors of the dirty slots [a, b] level by level. Every leaf sits at the same
  // depth (the tree is perfect) and the parents of a contiguous range form a contiguous range, so
  // each level's range is rehashed once, after its children. None of these ancestors covers only
  // padding, so the zero-subtree constants stay untouched.
  let a = Math.min(oldNode, newNode);
  let b = Math.max(oldNode, newNode);
  while (b > 0) {
    a = (a - 1) >> 1;
    b = (b - 1) >> 1;
    for (let p = b; p >= a; p--) hashPairInto(nodes, (2 * p + 1) * 32, nodes, (2 * p + 2) * 32, nodes, p * 32);
  }
  return newIndex;
}

/**
 * Copy of `tree` with the leaf at sorted position `leafIndex` replaced by `newLeaf`.
 *
 * @example
 * const { tree: updated, leafIndex } = replaceLeaf(tree, 0, newLeafHash);
 */
export function replaceLeaf(
  tree: MerkleTree,
  leafIndex: number,
  newLeaf: Hex | string | Uint8Array,
): { tree: MerkleTree; leafIndex: number } {
  const copy: MerkleTree = { nodes: tree.nodes.slice(), leafCount: tree.leafCount };
  const newIndex = replaceLeafInPlace(copy, leafIndex, newLeaf);
  return { tree: copy, leafIndex: newIndex };
}
