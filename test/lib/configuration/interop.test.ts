/**
 * Interop: from the same leaf hashes, padded as lib/configuration/ENCODING.md ("The tree") says,
 * OpenZeppelin's @openzeppelin/merkle-tree and merkletreejs against our tree core, and
 * OpenZeppelin's Solidity MerkleProof (on a Hardhat chain) against our processProof /
 * processMultiProof, including how malformed multiproofs fail.
 *
 * The padding is written out here from the spec (sort, then zero words up to a power of two), not
 * taken from the library, so a library that padded wrongly would fail these tests.
 *
 * merkletreejs 0.6.0 findings (see ENCODING.md, "Interop notes"):
 * - over the padded leaves, its default layout ({ sortPairs, sortLeaves }) gives our root and
 *   every real leaf's proof; multiproofs asked for by leaf VALUE (getMultiProof(leaves) then
 *   getProofFlags(leaves, proof)) are ours exactly; `complete: true` changes nothing (m is a
 *   power of two);
 * - multiproofs asked for by INDEX are another format (generalized indices, for its own
 *   verifyMultiProof), and its isUnevenTree() tests whether the depth, not the leaf count, is a
 *   power of two, so for 8, 32, 64, 128 … leaves they fail even its own verifyMultiProof;
 * - without the padding its default layout promotes odd nodes and the root differs from ours.
 */
import { expect } from "chai";
import hre from "hardhat";
import { randomBytes } from "node:crypto";
import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";
import { MerkleTree } from "merkletreejs";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { id, type BaseContract } from "ethers";
import { getMultiProof, getProof, makeTree, processMultiProof, treeLeaf, treeRoot, type MerkleTree as ArborTree, type MultiProof } from "../../../lib/configuration/tree";
import type { Hex } from "../../../lib/hex";
import { Configuration, type TieredLeaf } from "../../../lib/configuration/configuration";
import type { Leaf } from "../../../lib/configuration/leaves";
import { validTiers } from "../../helpers/arbitraries";
import { deploy, REFERENCE_SOURCE } from "../../helpers/solidity";

const RUNS = process.env.CI ? 120 : 20;
const ZERO = `0x${"00".repeat(32)}` as Hex;
const INVALID_MULTIPROOF_SELECTOR = id("MerkleProofInvalidMultiproof()").slice(0, 10);
// Panic(uint256) with code 0x32: array index out of bounds.
const PANIC_OUT_OF_BOUNDS = id("Panic(uint256)").slice(0, 10) + "32".padStart(64, "0");
const randomHash = (): Hex => `0x${randomBytes(32).toString("hex")}`;
const randomHashes = (n: number): Hex[] => Array.from({ length: n }, randomHash);
const randomSize = (max: number) => 1 + Math.floor(Math.random() * max);
const randomSubset = (n: number) => [...Array(n).keys()].filter(() => Math.random() < 0.35);
const keccakBuffer = (data: Buffer) => Buffer.from(keccak_256(data));
const hex = (b: Buffer) => `0x${b.toString("hex")}`;
const toBuffer = (h: string) => Buffer.from(h.slice(2), "hex");

/** The spec's padding: the hashes ascending, preceded by zero words up to the next power of two. */
function padded(hashes: readonly Hex[]): Hex[] {
  let m = 1;
  while (m < hashes.length) m *= 2;
  return [...Array.from({ length: m - hashes.length }, () => ZERO), ...hashes.slice().sort()];
}

/** Sizes 1..40 (every one, as the lead checked), then random sizes up to 300, then 256 and 257. */
function sizes(): number[] {
  return [...Array.from({ length: 40 }, (_, i) => i + 1), ...Array.from({ length: RUNS }, () => randomSize(300)), 256, 257];
}

/** merkletreejs's default layout over the padded leaves, as the spec's interop notes advise. */
function merkletreejsOf(paddedLeaves: readonly Hex[], complete = false): MerkleTree {
  return new MerkleTree(paddedLeaves.map(toBuffer), keccakBuffer, { sortPairs: true, sortLeaves: true, complete });
}

/**
 * merkletreejs's multiproof for OpenZeppelin's verifier: both calls by leaf value. Its
 * getMultiProof warns on every call unless `complete` is set, which changes nothing for a
 * power-of-two tree; the warning is silenced for the call only.
 */
function merkletreejsMultiProof(mt: MerkleTree, leaves: readonly Hex[]): { proof: Hex[]; proofFlags: boolean[] } {
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    // getMultiProof sorts the array it is given in place: hand it a copy.
    const proof = mt.getMultiProof(leaves.map(toBuffer)).map(hex) as Hex[];
    return { proof, proofFlags: mt.getProofFlags(leaves.map(toBuffer), proof.map(toBuffer)) };
  } finally {
    console.warn = warn;
  }
}

/** Leaves whose proofs a test checks: all of a small tree, a sample (smallest and largest included) of a big one. */
function checkedLeaves(tree: ArborTree, all = 64): number[] {
  const n = tree.leafCount;
  return n <= all ? [...Array(n).keys()] : [0, n - 1, ...Array.from({ length: 22 }, () => Math.floor(Math.random() * n))];
}

describe("tree interop", () => {
  describe("@openzeppelin/merkle-tree SimpleMerkleTree over the padded leaves", () => {
    it("gives our root, proofs and multiproofs when given every size 1..40 and random sizes up to 300", () => {
      for (const n of sizes()) {
        const hashes = randomHashes(n);
        const ours = makeTree(hashes);
        const oz = SimpleMerkleTree.of(padded(hashes));
        expect(oz.root, `n=${n}`).to.equal(treeRoot(ours));
        for (let k = 0; k < n; k++) expect(getProof(ours, k), `n=${n} k=${k}`).to.deep.equal(oz.getProof(treeLeaf(ours, k)));
        const subset = randomSubset(n);
        const mp = getMultiProof(ours, subset);
        const ref = oz.getMultiProof(subset.map((k) => treeLeaf(ours, k)));
        expect(mp, `n=${n}`).to.deep.equal({ leaves: ref.leaves, proof: ref.proof, proofFlags: ref.proofFlags });
        expect(SimpleMerkleTree.verifyMultiProof(treeRoot(ours), mp)).to.equal(true);
      }
    });

    it("gives our root and sampled proofs when given large trees (1,025 and 4,097 leaves)", function () {
      this.timeout(60_000);
      for (const n of [1_025, 4_097]) {
        const hashes = randomHashes(n);
        const ours = makeTree(hashes);
        const oz = SimpleMerkleTree.of(padded(hashes));
        expect(oz.root, `n=${n}`).to.equal(treeRoot(ours));
        for (const k of checkedLeaves(ours, 0).slice(0, 8)) expect(getProof(ours, k)).to.deep.equal(oz.getProof(treeLeaf(ours, k)));
        const subset = [0, 1, ...Array.from({ length: 10 }, () => 2 + Math.floor(Math.random() * (n - 2)))].filter((k, i, all) => all.indexOf(k) === i);
        const ref = oz.getMultiProof(subset.map((k) => treeLeaf(ours, k)));
        expect(getMultiProof(ours, subset)).to.deep.equal({ leaves: ref.leaves, proof: ref.proof, proofFlags: ref.proofFlags });
      }
    });
  });

  describe("merkletreejs default layout (sortPairs, sortLeaves) over the padded leaves", () => {
    it("gives our root and every real leaf's getHexProof when given every size 1..40 and random sizes up to 300", () => {
      for (const n of sizes()) {
        const hashes = randomHashes(n);
        const ours = makeTree(hashes);
        const mt = merkletreejsOf(padded(hashes));
        expect(mt.getHexRoot(), `n=${n}`).to.equal(treeRoot(ours));
        for (let k = 0; k < n; k++) expect(mt.getHexProof(toBuffer(treeLeaf(ours, k))), `n=${n} k=${k}`).to.deep.equal(getProof(ours, k));
      }
    });

    it("gives our multiproofs when asked by leaf value (getMultiProof, then getProofFlags)", () => {
      let compared = 0;
      for (const n of sizes()) {
        const hashes = randomHashes(n);
        const ours = makeTree(hashes);
        const mt = merkletreejsOf(padded(hashes));
        // The smallest real leaf is always included when padding exists: its proof carries zero words.
        const subset = [...new Set([0, ...randomSubset(n)])];
        const mp = getMultiProof(ours, subset);
        expect(merkletreejsMultiProof(mt, mp.leaves), `n=${n} subset=${subset}`).to.deep.equal({ proof: mp.proof, proofFlags: mp.proofFlags });
        // Its verifier reads hashes[flags - 1]: with no flag (a one-leaf multiproof) it throws.
        if (mp.proofFlags.length > 0) {
          expect(mt.verifyMultiProofWithFlags(mt.getRoot(), mp.leaves.map(toBuffer), mp.proof.map(toBuffer), mp.proofFlags)).to.equal(true);
        }
        compared++;
      }
      expect(compared).to.be.greaterThan(40);
    });

    it("gives our root and sampled proofs when given large trees (4,097 and 20,000 leaves; 70,000 in CI)", function () {
      this.timeout(60_000);
      for (const n of [4_097, process.env.CI ? 70_000 : 20_000]) {
        const hashes = randomHashes(n);
        const ours = makeTree(hashes);
        const mt = merkletreejsOf(padded(hashes));
        expect(mt.getHexRoot(), `n=${n}`).to.equal(treeRoot(ours));
        for (const k of checkedLeaves(ours, 0)) expect(mt.getHexProof(toBuffer(treeLeaf(ours, k)))).to.deep.equal(getProof(ours, k));
      }
    });

    it("builds the same tree with complete: true (m is a power of two, so complete changes nothing)", () => {
      for (const n of [1, 3, 5, 12, 33, 100]) {
        const hashes = randomHashes(n);
        const ours = makeTree(hashes);
        const mt = merkletreejsOf(padded(hashes), true);
        expect(mt.getHexRoot(), `n=${n}`).to.equal(treeRoot(ours));
        for (let k = 0; k < n; k++) expect(mt.getHexProof(toBuffer(treeLeaf(ours, k)))).to.deep.equal(getProof(ours, k));
      }
    });

    it("returns another multiproof format when asked by index, failing even its own verifyMultiProof for 8 leaves (why we ask by value)", () => {
      const warn = console.warn;
      console.warn = () => undefined;
      try {
        const results: Record<number, boolean> = {};
        for (const m of [4, 8, 16]) {
          const mt = merkletreejsOf(padded(randomHashes(m)));
          const indices = [0, 2, 3];
          const proof = mt.getMultiProof(indices);
          results[m] = mt.verifyMultiProof(mt.getRoot(), indices, indices.map((i) => mt.getLeaf(i)), m, proof);
        }
        // merkletreejs 0.6.0's isUnevenTree() asks whether the depth (2, 3, 4) is a power of two.
        expect(results).to.deep.equal({ 4: true, 8: false, 16: true });
      } finally {
        console.warn = warn;
      }
    });
  });

  describe("merkletreejs default layout without the padding", () => {
    it("gives another root when the leaf count is not a power of two (why the spec pads)", () => {
      for (const n of [3, 5, 9, 17, 33, 100, 300]) {
        const hashes = randomHashes(n);
        expect(merkletreejsOf(hashes.slice().sort()).getHexRoot(), `n=${n}`).to.not.equal(treeRoot(makeTree(hashes)));
      }
    });
  });


  describe("tiered trees (a tree shaped by use)", () => {
    const tieredSignerLeaves = (n: number, tiers: number[]): TieredLeaf[] =>
      Array.from({ length: n }, (_, i) => ({ kind: "ecdsa-signer", signer: `0x${randomBytes(20).toString("hex")}` as Hex, weight: 1n, tier: tiers[i] }));
    /** Random tiered configurations: 2 to 40 leaves over 1 to 4 tiers (with a hot tier of one leaf among them). */
    function randomTiered(): Configuration[] {
      const out: Configuration[] = [];
      for (let run = 0; run < RUNS + 10; run++) {
        const n = 2 + Math.floor(Math.random() * 39);
        const tiers = validTiers(Array.from({ length: n }, () => (run % 3 === 0 ? 0 : Math.floor(Math.random() * 4))), n);
        if (run % 4 === 1 && n >= 3) tiers.fill(1).splice(0, 1, 0); // one hot leaf, every other leaf in tier 1
        out.push(Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: tieredSignerLeaves(n, tiers) }));
      }
      return out;
    }
    /** The entries of tier t: its leaf hashes plus the root of tier t + 1 (none for the last tier). */
    const tierEntries = (config: Configuration, t: number): Hex[] => [
      ...config.leafHashes.filter((_, i) => config.tieredLeaves[i].tier === t),
      ...(t + 1 < config.tierCount ? [treeRoot(config.tierTrees[t + 1])] : []),
    ];

    it("reproduces each tier's own subtree with SimpleMerkleTree and merkletreejs over that tier's padded entries", () => {
      for (const config of randomTiered()) {
        for (let t = 0; t < config.tierCount; t++) {
          const entries = padded(tierEntries(config, t));
          expect(SimpleMerkleTree.of(entries).root).to.equal(treeRoot(config.tierTrees[t]));
          expect(merkletreejsOf(entries).getHexRoot()).to.equal(treeRoot(config.tierTrees[t]));
        }
        // Tier 0's subtree is the whole tree: its root is the configuration root.
        expect(SimpleMerkleTree.of(padded(tierEntries(config, 0))).root).to.equal(config.root);
      }
    });

    it("does not reproduce a tiered tree from its leaves alone: neither library builds it from the leaf list", () => {
      let differ = 0;
      for (const config of randomTiered().filter((c) => c.tierCount > 1)) {
        const all = padded(config.leafHashes);
        expect(SimpleMerkleTree.of(all).root).to.not.equal(config.root);
        expect(merkletreejsOf(all).getHexRoot()).to.not.equal(config.root);
        differ++;
      }
      expect(differ).to.be.greaterThan(0);
    });

    it("verifies every leaf's single proof with SimpleMerkleTree.verify and merkletreejs verify when the tree is tiered", () => {
      for (const config of randomTiered()) {
        config.leaves.forEach((leaf, i) => {
          const proof = config.proof(leaf);
          const hash = config.leafHashes[i];
          expect(SimpleMerkleTree.verify(config.root, hash, proof)).to.equal(true);
          expect(MerkleTree.verify(proof.map(toBuffer), toBuffer(hash), toBuffer(config.root), keccakBuffer, { sortPairs: true })).to.equal(true);
          expect(SimpleMerkleTree.verify(config.root, hash, proof.slice(1))).to.equal(proof.length === 0);
        });
      }
    });

    it("verifies a multiproof with SimpleMerkleTree.verifyMultiProof when its leaves share a tier", () => {
      for (const config of randomTiered()) {
        const t = config.tierCount - 1;
        const inTier = config.tieredLeaves.filter((l) => l.tier === t).map(({ tier: _tier, ...leaf }) => leaf as Leaf);
        const mp = config.multiProof(inTier.filter(() => Math.random() < 0.5).concat(inTier.slice(0, 1)).filter((l, i, a) => a.indexOf(l) === i));
        expect(SimpleMerkleTree.verifyMultiProof(config.root, { leaves: mp.leafHashes, proof: mp.proof, proofFlags: mp.proofFlags })).to.equal(true);
      }
    });
  });

  describe("OpenZeppelin MerkleProof.sol", () => {
    let oz: BaseContract & Record<string, (...args: unknown[]) => Promise<string>>;

    before(async function () {
      this.timeout(60_000);
      const [deployer] = await hre.ethers.getSigners();
      oz = (await deploy(REFERENCE_SOURCE, "OzReference", deployer)) as typeof oz;
    });

    /** OZ's answer as a root, "MerkleProofInvalidMultiproof" or "Panic". */
    async function onChain(mp: MultiProof): Promise<string> {
      try {
        return await oz.processMultiProof(mp.proof, mp.proofFlags, mp.leaves);
      } catch (err) {
        const e = err as { data?: string; message: string };
        if (e.data === INVALID_MULTIPROOF_SELECTOR) return "MerkleProofInvalidMultiproof";
        if (e.data === PANIC_OUT_OF_BOUNDS) return "Panic";
        throw err;
      }
    }
    function offChain(mp: MultiProof): string {
      try {
        return processMultiProof(mp);
      } catch (err) {
        return (err as { code: string }).code;
      }
    }

    it("agrees with processProof and processMultiProof on valid proofs of padded trees", async () => {
      for (let run = 0; run < 8; run++) {
        const n = run < 2 ? [3, 5][run] : randomSize(60);
        const tree = makeTree(randomHashes(n));
        // The smallest leaf's proof starts with a zero word whenever n is not a power of two.
        for (const k of [0, Math.floor(Math.random() * n)]) {
          expect(await oz.processProof(getProof(tree, k), treeLeaf(tree, k))).to.equal(treeRoot(tree));
        }
        const mp = getMultiProof(tree, [...new Set([0, ...randomSubset(n)])]);
        expect(await onChain(mp)).to.equal(treeRoot(tree));
        expect(offChain(mp)).to.equal(treeRoot(tree));
      }
    });

    it("agrees on a multiproof of every leaf, whose proof holds only padding", async () => {
      for (const n of [1, 5, 13, 31]) {
        const tree = makeTree(randomHashes(n));
        const mp = getMultiProof(tree, [...Array(n).keys()]);
        // Z0 = 0, Z(k+1) = keccak(Zk ‖ Zk), computed here with noble directly.
        const zeros: Hex[] = [ZERO];
        for (let k = 1; k < 6; k++) zeros.push(hex(keccakBuffer(Buffer.concat([toBuffer(zeros[k - 1]), toBuffer(zeros[k - 1])]))) as Hex);
        expect(mp.proof.every((h) => zeros.includes(h)), `n=${n}`).to.equal(true);
        expect(mp.proof.length > 0).to.equal(n > 1);
        expect(await onChain(mp), `n=${n}`).to.equal(treeRoot(tree));
        expect(offChain(mp)).to.equal(treeRoot(tree));
      }
    });

    it("fails the same way on random malformed multiproofs", async () => {
      const seen = new Set<string>();
      for (let run = 0; run < 60; run++) {
        const leaves = randomHashes(Math.floor(Math.random() * 4));
        const proof = randomHashes(Math.floor(Math.random() * 4));
        // Usually the right flag count, sometimes not; random flag values.
        const flagCount = Math.max(0, leaves.length + proof.length - 1 + (run % 5 === 0 ? 1 : 0));
        const proofFlags = Array.from({ length: flagCount }, () => Math.random() < 0.5);
        if (leaves.length + proof.length === 0) continue;
        const mp = { leaves, proof, proofFlags };
        const expected = await onChain(mp);
        seen.add(expected.startsWith("0x") ? "root" : expected);
        expect(offChain(mp), JSON.stringify({ n: leaves.length, p: proof.length, proofFlags })).to.equal(expected);
      }
      expect([...seen]).to.include.members(["root", "MerkleProofInvalidMultiproof", "Panic"]);
    });
  });
});
