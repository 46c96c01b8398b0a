/**
 * The wallet reads its multiproof straight from calldata (WalletSignature.processPackedMultiProof)
 * instead of calling OpenZeppelin's MerkleProof.processMultiProof on memory arrays. These laws
 * pin it to OpenZeppelin's function on random inputs.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { bytes32, NUM_RUNS } from "../helpers/arbitraries";
import { getMultiProof, makeTree, treeRoot } from "../../lib/configuration/tree";
import type { Hex } from "../../lib/hex";

function pack(proof: string[], flags: boolean[]): string {
  return ethers.concat([ethers.toBeHex(proof.length, 1), ...proof, ...flags.map((f) => (f ? "0x01" : "0x00"))]);
}

/** The spec's well-formedness rule (lib/signature/ENCODING.md, step 3). */
function wellFormed(leafCount: number, flags: boolean[]): boolean {
  let taken = 0;
  let merges = 0;
  for (let j = 0; j < flags.length; j++) {
    if (flags[j]) merges++;
    taken += flags[j] ? 2 : 1;
    if (taken > leafCount + j) return false;
  }
  return merges === leafCount - 1;
}

describe("WalletSignature", () => {
  async function fixture() {
    return { harness: await ethers.deployContract("MultiProofHarness") };
  }

  describe("processPackedMultiProof", () => {
    it("law: equals OpenZeppelin's processMultiProof and the tree root for every valid multiproof", async () => {
      const { harness } = await loadFixture(fixture);
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(bytes32(), { minLength: 1, maxLength: 24 }),
          fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }),
          async (hashes, pick) => {
            const tree = makeTree(hashes);
            let indices = hashes.map((_, i) => i).filter((i) => pick[i]);
            if (indices.length === 0) indices = [0];
            const mp = getMultiProof(tree, indices);
            const ours = await harness.processPacked(pack(mp.proof, mp.proofFlags), mp.leaves);
            expect(ours).to.equal(await harness.processOpenZeppelin(mp.proof, mp.proofFlags, mp.leaves));
            expect(ours).to.equal(treeRoot(tree));
          },
        ),
        { numRuns: NUM_RUNS },
      );
    });

    it("law: reverts with MerkleProofInvalidMultiproof exactly when the flags are not well formed, and equals OpenZeppelin otherwise", async () => {
      const { harness } = await loadFixture(fixture);
      await fc.assert(
        fc.asyncProperty(
          fc.array(bytes32(), { minLength: 1, maxLength: 6 }),
          fc.array(bytes32(), { maxLength: 6 }),
          fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
          async (leaves, proof, flagBits) => {
            const sorted = [...leaves].sort() as Hex[];
            const flags = flagBits.slice(0, sorted.length + proof.length - 1);
            if (flags.length !== sorted.length + proof.length - 1) return;
            const packed = pack(proof, flags);
            if (wellFormed(sorted.length, flags)) {
              expect(await harness.processPacked(packed, sorted)).to.equal(
                await harness.processOpenZeppelin(proof, flags, sorted),
              );
            } else {
              await expect(harness.processPacked(packed, sorted)).to.be.revertedWithCustomError(
                harness,
                "MerkleProofInvalidMultiproof",
              );
            }
          },
        ),
        { numRuns: NUM_RUNS },
      );
    });
  });
});
