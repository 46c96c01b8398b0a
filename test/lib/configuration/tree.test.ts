import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";
import { concat, keccak256 } from "ethers";
import {
  findLeaf,
  getMultiProof,
  getProof,
  makeTree,
  paddedLeafCount,
  processMultiProof,
  processProof,
  replaceLeaf,
  replaceLeafInPlace,
  treeLeaf,
  treeLeaves,
  treePaddedLeaves,
  treeRoot,
  verifyMultiProof,
  verifyProof,
} from "../../../lib/configuration/tree";
import { zeroSubtreeRoot, zeroSubtreeRoots } from "../../../lib/configuration/zero-subtrees";
import type { Hex } from "../../../lib/hex";
import { expectError, word } from "../../helpers/fixtures";

const ZERO = `0x${"00".repeat(32)}` as Hex;
const randomHash = (): Hex => `0x${randomBytes(32).toString("hex")}`;
const randomHashes = (n: number): Hex[] => Array.from({ length: n }, randomHash);
const sortedPair = (a: string, b: string) => keccak256(a < b ? concat([a, b]) : concat([b, a]));

/** The spec's padding, written out independently of the library: sort, then zeros up to a power of two. */
function padded(hashes: readonly string[]): Hex[] {
  let m = 1;
  while (m < hashes.length) m *= 2;
  return [...Array.from({ length: m - hashes.length }, () => ZERO), ...hashes.map((h) => h.toLowerCase() as Hex).sort()];
}

/** Root by hashing every pair of the padded list, level by level, zero pairs included. */
function naiveRoot(hashes: readonly string[]): string {
  let level: string[] = padded(hashes);
  while (level.length > 1) level = Array.from({ length: level.length / 2 }, (_, i) => sortedPair(level[2 * i], level[2 * i + 1]));
  return level[0];
}

describe("tree", () => {
  describe("makeTree", () => {
    it("returns the leaf itself as root when given one leaf", () => {
      const leaf = word("only");
      expect(treeRoot(makeTree([leaf]))).to.equal(leaf);
    });

    it("pads with one zero leaf and hashes sorted pairs as the spec says when given three leaves", () => {
      const [a, b, c] = [word("a"), word("b"), word("c")].sort();
      // n = 3, m = 4: sorted padded leaves [0, a, b, c], pairs (0, a) and (b, c).
      const expected = sortedPair(sortedPair(ZERO, a), sortedPair(b, c));
      const tree = makeTree([c, a, b]);
      expect(treeRoot(tree)).to.equal(expected);
      expect(treeLeaves(tree)).to.deep.equal([a, b, c]);
      expect(tree.nodes.length).to.equal(7 * 32);
    });

    it("equals hashing every zero pair one by one when given 1 to 70 leaves (the zero-subtree shortcut changes nothing)", () => {
      for (let n = 1; n <= 70; n++) {
        const hashes = randomHashes(n);
        expect(treeRoot(makeTree(hashes)), `n=${n}`).to.equal(naiveRoot(hashes));
      }
    });

    it("gives OpenZeppelin's SimpleMerkleTree root over the padded leaves when given 1 to 40 leaves", () => {
      for (let n = 1; n <= 40; n++) {
        const hashes = randomHashes(n);
        expect(treeRoot(makeTree(hashes))).to.equal(SimpleMerkleTree.of(padded(hashes)).root);
      }
    });

    it("does not pad when the leaf count is a power of two", () => {
      for (const n of [1, 2, 4, 8, 16]) {
        const hashes = randomHashes(n);
        expect(treeRoot(makeTree(hashes))).to.equal(SimpleMerkleTree.of(hashes).root);
      }
    });

    it("gives the same root when the leaves come in another order", () => {
      const hashes = randomHashes(33);
      const reversed = hashes.slice().reverse();
      expect(treeRoot(makeTree(reversed))).to.equal(treeRoot(makeTree(hashes)));
    });

    it("sorts by the full 256-bit value when leaves share their first four bytes", () => {
      const prefix = "0xdeadbeef";
      const hashes = Array.from({ length: 25 }, () => `${prefix}${randomBytes(28).toString("hex")}` as Hex);
      hashes.push(...randomHashes(10));
      const tree = makeTree(hashes);
      const leaves = treeLeaves(tree);
      expect(leaves).to.deep.equal(hashes.map((h) => h.toLowerCase()).sort());
      expect(treeRoot(tree)).to.equal(SimpleMerkleTree.of(padded(hashes)).root);
    });

    it("accepts 32-byte arrays and one flat array when given the same leaves", () => {
      const hashes = randomHashes(5);
      const bytes = hashes.map((h) => Buffer.from(h.slice(2), "hex"));
      const flat = new Uint8Array(Buffer.concat(bytes));
      const root = treeRoot(makeTree(hashes));
      expect(treeRoot(makeTree(bytes))).to.equal(root);
      expect(treeRoot(makeTree(flat))).to.equal(root);
    });

    it("keeps equal leaves side by side when given duplicates, as OpenZeppelin does", () => {
      const [a, b] = randomHashes(2);
      expect(treeRoot(makeTree([a, b, a]))).to.equal(SimpleMerkleTree.of(padded([a, b, a])).root);
    });

    it("throws ZERO_LEAF naming the input position when a leaf hash is zero", () => {
      const err = expectError(() => makeTree([word("a"), word("b"), ZERO]), "InvalidArgumentError", "ZERO_LEAF", "leaves[2]");
      expect((err as unknown as { details: { index: number } }).details.index).to.equal(2);
      expectError(() => makeTree([ZERO]), "InvalidArgumentError", "ZERO_LEAF", "leaves[0]");
      expectError(() => makeTree(new Uint8Array(64)), "InvalidArgumentError", "ZERO_LEAF", "leaves[0]");
    });

    it("throws InvalidArgumentError when given no leaf or malformed leaves", () => {
      expectError(() => makeTree([]), "InvalidArgumentError", "EMPTY_TREE", "leaves");
      expectError(() => makeTree(new Uint8Array(0)), "InvalidArgumentError", "INVALID_LEAVES", "leaves");
      expectError(() => makeTree(new Uint8Array(33)), "InvalidArgumentError", "INVALID_LEAVES", "leaves");
      expectError(() => makeTree([word("a"), "0x1234"]), "InvalidArgumentError", "INVALID_BYTES32", "leaves[1]");
      // Bad digits anywhere, a capital X, no prefix, not a string: the fast decoder must refuse them all.
      for (const bad of [`0x${"ab".repeat(31)}zz`, `0x${"a".repeat(63)}g`, `0x${"a".repeat(20)} ${"a".repeat(43)}`, `0X${"ab".repeat(32)}`, `${"ab".repeat(33)}`, 42]) {
        expectError(() => makeTree([word("a"), bad as Hex]), "InvalidArgumentError", "INVALID_BYTES32", "leaves[1]");
      }
      expect(treeLeaves(makeTree([`0x${"AB".repeat(32)}`]))).to.deep.equal([`0x${"ab".repeat(32)}`]);
      expectError(() => makeTree([word("a"), new Uint8Array(31)]), "InvalidArgumentError", "INVALID_BYTES32", "leaves[1]");
    });
  });

  describe("paddedLeafCount", () => {
    it("returns the smallest power of two at least the leaf count", () => {
      const expected: [number, number][] = [[1, 1], [2, 2], [3, 4], [4, 4], [5, 8], [8, 8], [9, 16], [1000, 1024], [100_000, 131_072], [2 ** 26, 2 ** 26]];
      for (const [n, m] of expected) expect(paddedLeafCount(n), `n=${n}`).to.equal(m);
    });

    it("throws INVALID_LEAF_COUNT when the count is not a positive integer or too large for one array", () => {
      for (const bad of [0, -1, 1.5, NaN, 2 ** 26 + 1]) expectError(() => paddedLeafCount(bad), "InvalidArgumentError", "INVALID_LEAF_COUNT", "leafCount");
    });
  });

  describe("treePaddedLeaves", () => {
    it("returns the zero words then the real leaves ascending when the count is not a power of two", () => {
      const hashes = randomHashes(5);
      expect(treePaddedLeaves(makeTree(hashes))).to.deep.equal(padded(hashes));
      expect(treePaddedLeaves(makeTree(hashes))).to.have.length(8);
    });
  });

  describe("zeroSubtreeRoot", () => {
    it("returns the zero word at height 0 and keccak of two zero subtrees above", () => {
      expect(zeroSubtreeRoot(0)).to.equal(ZERO);
      expect(zeroSubtreeRoot(1)).to.equal(keccak256(new Uint8Array(64)));
      for (let k = 1; k <= 40; k++) expect(zeroSubtreeRoot(k)).to.equal(sortedPair(zeroSubtreeRoot(k - 1), zeroSubtreeRoot(k - 1)));
      expect(zeroSubtreeRoots(256).length).to.be.at.least(257 * 32);
      expect(zeroSubtreeRoot(256)).to.equal(sortedPair(zeroSubtreeRoot(255), zeroSubtreeRoot(255)));
    });

    it("throws INVALID_HEIGHT when the height is not an integer in [0, 256]", () => {
      for (const bad of [-1, 257, 2.5, NaN]) expectError(() => zeroSubtreeRoot(bad), "InvalidArgumentError", "INVALID_HEIGHT", "height");
    });
  });

  describe("findLeaf", () => {
    it("returns the sorted position when the leaf is present and -1 when it is not", () => {
      const hashes = randomHashes(17);
      const tree = makeTree(hashes);
      const sorted = hashes.slice().sort();
      sorted.forEach((h, k) => expect(findLeaf(tree, h)).to.equal(k));
      expect(findLeaf(tree, randomHash())).to.equal(-1);
    });

    it("returns -1 when asked for the zero word of the padding", () => {
      expect(findLeaf(makeTree(randomHashes(5)), ZERO)).to.equal(-1);
    });

    it("throws InvalidArgumentError when the leaf is not 32 bytes", () => {
      expectError(() => findLeaf(makeTree([word("a")]), "0x00"), "InvalidArgumentError", "INVALID_BYTES32", "leaf");
    });
  });

  describe("getProof", () => {
    it("returns OpenZeppelin's proof over the padded leaves for every real leaf when given 1 to 20 leaves", () => {
      for (let n = 1; n <= 20; n++) {
        const hashes = randomHashes(n);
        const tree = makeTree(hashes);
        const oz = SimpleMerkleTree.of(padded(hashes));
        for (let k = 0; k < n; k++) expect(getProof(tree, k)).to.deep.equal(oz.getProof(treeLeaf(tree, k)));
      }
    });

    it("returns log2(m) siblings for every leaf, the smallest leaf's first one a zero word, when padding is needed", () => {
      const tree = makeTree(randomHashes(5));
      for (let k = 0; k < 5; k++) expect(getProof(tree, k)).to.have.length(3);
      // Sorted padded leaves [0, 0, 0, l0, l1, l2, l3, l4]: l0 pairs with the third zero, and the
      // zero pair next to it is Z1.
      expect(getProof(tree, 0).slice(0, 2)).to.deep.equal([ZERO, zeroSubtreeRoot(1)]);
    });

    it("throws InvalidArgumentError when the index is out of range or not an integer", () => {
      const tree = makeTree(randomHashes(4));
      for (const bad of [-1, 4, 1.5, NaN]) expectError(() => getProof(tree, bad), "InvalidArgumentError", "LEAF_INDEX_OUT_OF_RANGE", "leafIndex");
    });
  });

  describe("processProof", () => {
    it("returns the root when given a leaf and its proof", () => {
      const tree = makeTree(randomHashes(9));
      for (let k = 0; k < 9; k++) expect(processProof(treeLeaf(tree, k), getProof(tree, k))).to.equal(treeRoot(tree));
    });

    it("throws InvalidArgumentError when a proof element is malformed", () => {
      expectError(() => processProof(word("a"), [word("b"), "0xabc"]), "InvalidArgumentError", "INVALID_BYTES32", "proof[1]");
      expectError(() => processProof("0x", []), "InvalidArgumentError", "INVALID_BYTES32", "leaf[0]");
    });
  });

  describe("verifyProof", () => {
    it("returns false when the proof belongs to another leaf", () => {
      const tree = makeTree(randomHashes(8));
      expect(verifyProof(treeRoot(tree), treeLeaf(tree, 0), getProof(tree, 0))).to.equal(true);
      expect(verifyProof(treeRoot(tree), treeLeaf(tree, 1), getProof(tree, 0))).to.equal(false);
      expect(verifyProof(treeRoot(tree), treeLeaf(tree, 0), getProof(tree, 0).slice(1))).to.equal(false);
    });
  });

  describe("getMultiProof", () => {
    it("returns OpenZeppelin's multiproof over the padded leaves when given random subsets", () => {
      for (let n = 1; n <= 24; n++) {
        const hashes = randomHashes(n);
        const tree = makeTree(hashes);
        const oz = SimpleMerkleTree.of(padded(hashes));
        const indices = [...Array(n).keys()].filter(() => Math.random() < 0.5);
        const mp = getMultiProof(tree, indices.slice().reverse());
        const ref = oz.getMultiProof(indices.map((k) => treeLeaf(tree, k)));
        expect(mp).to.deep.equal({ leaves: ref.leaves, proof: ref.proof, proofFlags: ref.proofFlags });
        expect(processMultiProof(mp)).to.equal(treeRoot(tree));
      }
    });

    it("returns the leaves in ascending hash order whatever order the indices come in", () => {
      const tree = makeTree(randomHashes(10));
      const mp = getMultiProof(tree, [7, 2, 9, 0]);
      expect(mp.leaves).to.deep.equal([0, 2, 7, 9].map((k) => treeLeaf(tree, k)));
    });

    it("returns the root as the only proof element when given no index", () => {
      const tree = makeTree(randomHashes(5));
      expect(getMultiProof(tree, [])).to.deep.equal({ leaves: [], proof: [treeRoot(tree)], proofFlags: [] });
    });

    it("throws InvalidArgumentError when an index repeats or is out of range", () => {
      const tree = makeTree(randomHashes(5));
      expectError(() => getMultiProof(tree, [1, 3, 1]), "InvalidArgumentError", "DUPLICATE_LEAF_INDEX", "leafIndices");
      expectError(() => getMultiProof(tree, [1, 5]), "InvalidArgumentError", "LEAF_INDEX_OUT_OF_RANGE", "leafIndices[1]");
    });
  });

  describe("processMultiProof", () => {
    const tree = makeTree(randomHashes(6));

    it("returns the single leaf when given one leaf, no proof and no flag", () => {
      const leaf = word("x");
      expect(processMultiProof({ leaves: [leaf], proof: [], proofFlags: [] })).to.equal(leaf);
    });

    it("throws MerkleProofInvalidMultiproof when leaves + proof != flags + 1", () => {
      const mp = getMultiProof(tree, [0, 3]);
      expectError(() => processMultiProof({ ...mp, proofFlags: [...mp.proofFlags, true] }), "MultiProofError", "MerkleProofInvalidMultiproof");
      expectError(() => processMultiProof({ ...mp, proof: mp.proof.slice(1) }), "MultiProofError", "MerkleProofInvalidMultiproof");
      expectError(() => processMultiProof({ leaves: [], proof: [], proofFlags: [] }), "MultiProofError", "MerkleProofInvalidMultiproof");
    });

    it("throws MerkleProofInvalidMultiproof when a proof hash is left unused", () => {
      // One leaf, two proof hashes, two flags, one of them "merge": the merges read queue slots
      // that are not computed yet (zero, as in Solidity memory) and one proof hash stays unused.
      const [a, c, d] = randomHashes(3);
      expectError(() => processMultiProof({ leaves: [a], proof: [c, d], proofFlags: [true, false] }), "MultiProofError", "MerkleProofInvalidMultiproof");
    });

    it("throws Panic when the flags read past the end of the proof", () => {
      const [a, b, c] = randomHashes(3);
      expectError(() => processMultiProof({ leaves: [a, b, c], proof: [], proofFlags: [false, true] }), "MultiProofError", "Panic");
    });

    it("throws InvalidArgumentError when a flag is not a boolean or a hash is malformed", () => {
      const mp = getMultiProof(tree, [1, 2]);
      expectError(() => processMultiProof({ ...mp, proofFlags: mp.proofFlags.map(() => 1 as never) }), "InvalidArgumentError", "INVALID_PROOF_FLAGS", "proofFlags");
      expectError(() => processMultiProof({ ...mp, leaves: [mp.leaves[0], "0x00" as Hex] }), "InvalidArgumentError", "INVALID_BYTES32", "leaves[1]");
    });
  });

  describe("verifyMultiProof", () => {
    it("returns true for the right root and false for another one", () => {
      const tree = makeTree(randomHashes(12));
      const mp = getMultiProof(tree, [0, 5, 11]);
      expect(verifyMultiProof(treeRoot(tree), mp)).to.equal(true);
      expect(verifyMultiProof(randomHash(), mp)).to.equal(false);
    });
  });

  describe("replaceLeafInPlace", () => {
    it("gives the same nodes as a rebuild when a random leaf is replaced, for 1 to 70 leaves", () => {
      for (let n = 1; n <= 70; n++) {
        const tree = makeTree(randomHashes(n));
        const k = Math.floor(Math.random() * n);
        const replacement = randomHash();
        const leaves = treeLeaves(tree);
        leaves[k] = replacement;
        const newIndex = replaceLeafInPlace(tree, k, replacement);
        expect(Buffer.from(tree.nodes).equals(Buffer.from(makeTree(leaves).nodes)), `n=${n} k=${k}`).to.equal(true);
        expect(treeLeaf(tree, newIndex)).to.equal(replacement);
      }
    });

    it("keeps the position when the new leaf sorts between the same neighbours", () => {
      const tree = makeTree([word("1"), word("2"), word("3"), word("4"), word("5")]);
      const old = treeLeaf(tree, 2);
      const nudged = (old.slice(0, 65) + (old[65] === "0" ? "1" : "0")) as Hex;
      const leaves = treeLeaves(tree);
      leaves[2] = nudged;
      expect(replaceLeafInPlace(tree, 2, nudged)).to.equal(2);
      expect(treeRoot(tree)).to.equal(treeRoot(makeTree(leaves)));
    });

    it("changes nothing when the new leaf is malformed, zero, or the index is out of range", () => {
      const tree = makeTree(randomHashes(7));
      const before = Buffer.from(tree.nodes);
      expectError(() => replaceLeafInPlace(tree, 1, ZERO), "InvalidArgumentError", "ZERO_LEAF", "newLeaf");
      expectError(() => replaceLeafInPlace(tree, 1, new Uint8Array(32)), "InvalidArgumentError", "ZERO_LEAF", "newLeaf");
      expectError(() => replaceLeafInPlace(tree, 1, "0x12"), "InvalidArgumentError", "INVALID_BYTES32", "newLeaf[0]");
      expectError(() => replaceLeafInPlace(tree, 7, randomHash()), "InvalidArgumentError", "LEAF_INDEX_OUT_OF_RANGE", "leafIndex");
      expectError(() => replaceLeafInPlace(tree, 0, new Uint8Array(31)), "InvalidArgumentError", "INVALID_BYTES32", "newLeaf");
      expect(Buffer.from(tree.nodes).equals(before)).to.equal(true);
    });
  });

  describe("replaceLeaf", () => {
    it("returns an updated copy and leaves the original tree unchanged", () => {
      const tree = makeTree(randomHashes(9));
      const before = Buffer.from(tree.nodes);
      const replacement = randomHash();
      const { tree: updated, leafIndex } = replaceLeaf(tree, 4, replacement);
      expect(Buffer.from(tree.nodes).equals(before)).to.equal(true);
      expect(treeLeaf(updated, leafIndex)).to.equal(replacement);
      expect(findLeaf(updated, treeLeaf(tree, 4))).to.equal(-1);
    });
  });
});
