/**
 * Review: the assembly at the largest inputs the format allows. The packed multiproof keeps its
 * queue of computed hashes in memory past the free pointer; with 255 leaves and up to 255 proof
 * hashes that queue holds up to 509 words, far past anything the smaller random tests reach. And
 * the part walk sorts leaves by insertion: 255 parts in descending leaf order is its worst case.
 */
import { encodeCallsPayload } from "../../lib/payload/packed-calls";
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { getMultiProof, makeTree, treeRoot } from "../../lib/configuration/tree";
import { decodeSignature } from "../../lib/signature/decode-signature";
import { encodeSignature } from "../../lib/signature/encode-signature";
import type { Hex } from "../../lib/hex";
import { contractCalls, deployArbor, deployWallet, keys, multisig, signCalls } from "../helpers/arbor";

function pack(proof: string[], flags: boolean[]): string {
  return ethers.concat([ethers.toBeHex(proof.length, 1), ...proof, ...flags.map((f) => (f ? "0x01" : "0x00"))]);
}

describe("WalletSignature (review: largest inputs)", () => {
  describe("processPackedMultiProof", () => {
    it("law: equals OpenZeppelin's processMultiProof and the root for multiproofs of up to 255 leaves and 255 proof hashes", async () => {
      const harness = await ethers.deployContract("MultiProofHarness");
      let largest = { leaves: 0, proof: 0 };
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 256, max: 700 }), fc.integer({ min: 100, max: 255 }), fc.integer(), async (n, k, seed) => {
          const hashes = Array.from({ length: n }, (_, i) => ethers.id(`leaf ${seed} ${i}`) as Hex);
          const tree = makeTree(hashes);
          // k distinct leaves spread over the tree (a stride walk from a seeded start).
          const picked = new Set<number>();
          for (let i = 0; picked.size < k; i++) picked.add((Math.abs(seed) + i * 7919) % n);
          const mp = getMultiProof(tree, [...picked]);
          fc.pre(mp.proof.length <= 255);
          if (mp.leaves.length + mp.proof.length > largest.leaves + largest.proof) largest = { leaves: mp.leaves.length, proof: mp.proof.length };
          const packed = pack(mp.proof, mp.proofFlags);
          const ours = await harness.processPacked(packed, mp.leaves);
          expect(ours).to.equal(treeRoot(tree));
          expect(ours).to.equal(await harness.processOpenZeppelin(mp.proof, mp.proofFlags, mp.leaves));
          // The same multiproof with its last flag flipped is malformed, or proves another root.
          const flipped = [...mp.proofFlags];
          flipped[flipped.length - 1] = !flipped[flipped.length - 1];
          const outcome = await harness.processPacked(pack(mp.proof, flipped), mp.leaves).catch((e: Error) => e);
          if (outcome instanceof Error) expect(outcome.message).to.contain("MerkleProofInvalidMultiproof");
          else expect(outcome).to.not.equal(treeRoot(tree));
        }),
        { numRuns: 12 },
      );
      // The runs must reach the sizes this test is about.
      expect(largest.leaves + largest.proof, `largest case: ${largest.leaves} leaves, ${largest.proof} proof hashes`).to.be.greaterThan(300);
    });
  });
});

const signers = keys(255, "review-scale");
const configuration = multisig(signers, 255n);

async function largeWallet() {
  const d = await deployArbor();
  const wallet = await deployWallet(d, configuration);
  return { wallet, address: (await wallet.getAddress()) as Hex };
}

describe("ArborWallet (review: largest inputs)", () => {
  describe("execute", () => {
    it("runs a batch signed by 255 of 255 signers, whose walk has a part per leaf and no pruned hash", async () => {
      const { wallet, address } = await loadFixture(largeWallet);
      const signature = await signCalls(configuration, address, signers, []);
      const decoded = decodeSignature(signature);
      expect(decoded.walk.filter((step) => step.op === "part")).to.have.length(255);
      // 255 leaves pad to 256: the one zero leaf is the only pruned hash.
      expect(decoded.walk.filter((step) => step.op === "hash")).to.have.length(1);
      const receipt = (await (await wallet.execute(encodeCallsPayload({ calls: [], space: 0n, nonce: 0n }), signature, { gasLimit: 25_000_000n })).wait())!;
      expect(receipt.status).to.equal(1);
      expect(await wallet.nonces(0)).to.equal(1n);
      expect(encodeSignature).to.be.a("function");
    });
  });
});
