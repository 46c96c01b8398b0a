/**
 * test/vectors/tree-layout.json: the library reproduces every frozen tiered tree, and OpenZeppelin's
 * MerkleProof.sol (through test/contracts/MerkleProofHarness.sol on the Hardhat chain) accepts
 * every frozen proof.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import fs from "node:fs";
import { Configuration } from "../../../lib/configuration/configuration";
import { processProof, treeRoot } from "../../../lib/configuration/tree";
import { evaluateWalk, pruneToWalk, type WalkStep } from "../../../lib/configuration/tree-walk";
import type { Hex } from "../../../lib/hex";
import { buildTreeLayoutVectors, TREE_LAYOUT_FILE } from "../../vectors/generate-tree-layout";
import { flipBit } from "../../helpers/arbitraries";

interface Case {
  name: string;
  configuration: unknown;
  leafHashes: Hex[];
  tierRoots: Hex[];
  root: Hex;
  imageHash: Hex;
  proofs: { leafHash: Hex; tier: number; proof: Hex[] }[];
  walks: { proven: Hex[]; steps: WalkStep[] }[];
}

const vectors = JSON.parse(fs.readFileSync(TREE_LAYOUT_FILE, "utf8")) as { cases: Case[] };

describe("tree-layout vectors", () => {
  describe("tree-layout.json", () => {
    it("is exactly what the generator computes today (regenerate only for an intended layout change)", () => {
      expect(JSON.parse(JSON.stringify(buildTreeLayoutVectors()))).to.deep.equal(vectors);
    });

    it("reproduces tier roots, root, image hash, proofs and walks when loading each configuration", () => {
      for (const c of vectors.cases) {
        const config = Configuration.load(c.configuration);
        expect(config.leafHashes, c.name).to.deep.equal(c.leafHashes);
        expect(config.tierTrees.map(treeRoot), c.name).to.deep.equal(c.tierRoots);
        expect(config.root, c.name).to.equal(c.root);
        expect(config.imageHash, c.name).to.equal(c.imageHash);
        c.proofs.forEach((p, i) => {
          const leaf = config.leafByHash(p.leafHash)!;
          expect(config.tierOf(leaf), c.name).to.equal(p.tier);
          expect(config.proof(leaf), `${c.name} leaf ${i}`).to.deep.equal(p.proof);
          expect(processProof(p.leafHash, p.proof)).to.equal(c.root);
        });
        for (const w of c.walks) {
          expect(pruneToWalk(config, w.proven), c.name).to.deep.equal(w.steps);
          expect(evaluateWalk(w.steps), c.name).to.equal(c.root);
        }
      }
    });

    it("has the daily key's proof one hash long in the 16-leaf case", () => {
      const c = vectors.cases[0];
      expect(c.proofs.filter((p) => p.tier === 0).map((p) => p.proof.length)).to.deep.equal([1]);
      expect(c.walks[0].steps).to.have.length(3); // leaf, the tier-1 root, node
    });
  });

  describe("MerkleProofHarness (OpenZeppelin MerkleProof.sol)", () => {
    it("accepts every frozen proof and refuses it with one bit flipped", async () => {
      const harness = await ethers.deployContract("MerkleProofHarness");
      for (const c of vectors.cases) {
        for (const [i, p] of c.proofs.entries()) {
          expect(await harness.verify(p.proof, c.root, p.leafHash), `${c.name} leaf ${i}`).to.equal(true);
          expect(await harness.processProof(p.proof, p.leafHash)).to.equal(c.root);
          const bad = p.proof.map((h, j) => (j === i % p.proof.length ? flipBit(h, i * 7) : h));
          expect(await harness.verify(bad, c.root, p.leafHash)).to.equal(false);
        }
      }
    });

    it("accepts a multiproof of leaves of one tier of a tiered tree", async () => {
      const harness = await ethers.deployContract("MerkleProofHarness");
      for (const c of vectors.cases) {
        const config = Configuration.load(c.configuration);
        for (let tier = 0; tier < config.tierCount; tier++) {
          const inTier = c.proofs.filter((p) => p.tier === tier).map((p) => config.leafByHash(p.leafHash)!);
          const mp = config.multiProof(inTier.filter((_, i) => i % 2 === 0));
          expect(await harness.multiProofVerify(mp.proof, mp.proofFlags, c.root, mp.leafHashes), `${c.name} tier ${tier}`).to.equal(true);
        }
      }
    });
  });
});
