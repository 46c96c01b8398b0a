/**
 * Tiered configurations (lib/configuration/ENCODING.md, "The tree"): unit tests of the layout and
 * its refusals, then property tests over random configurations of every size and shape.
 */
import { expect } from "chai";
import fc from "fast-check";
import { concat, keccak256 } from "ethers";
import { Configuration, CONFIGURATION_FORMAT, CONFIGURATION_FORMAT_V1, type TieredLeaf } from "../../../lib/configuration/configuration";
import { diffConfigurations } from "../../../lib/configuration/diff";
import { leafHash, type Leaf } from "../../../lib/configuration/leaves";
import { processProof } from "../../../lib/configuration/tree";
import { evaluateWalk, pruneToWalk } from "../../../lib/configuration/tree-walk";
import type { Hex } from "../../../lib/hex";
import { flipBit, NUM_RUNS, tieredConfiguration } from "../../helpers/arbitraries";
import { expectError, testAddress } from "../../helpers/fixtures";

const params = { numRuns: NUM_RUNS };
const ZERO = `0x${"00".repeat(32)}`;
const signer = (i: number, tier?: number): TieredLeaf => ({ kind: "ecdsa-signer", signer: testAddress(i), weight: 1n, ...(tier === undefined ? {} : { tier }) });
const sortedPair = (a: string, b: string) => keccak256(a < b ? concat([a, b]) : concat([b, a]));

/** The spec's padded tree over a list of hashes, written out independently of the library. */
function paddedRoot(hashes: readonly string[]): string {
  let m = 1;
  while (m < hashes.length) m *= 2;
  let level = [...Array.from({ length: m - hashes.length }, () => ZERO), ...hashes.map((h) => h.toLowerCase()).sort()];
  while (level.length > 1) level = Array.from({ length: level.length / 2 }, (_, i) => sortedPair(level[2 * i], level[2 * i + 1]));
  return level[0];
}

/** The spec's tiered root: tier t's padded tree over its leaves plus tier t + 1's root. */
function tieredRoot(config: Configuration): string {
  const byTier: string[][] = [];
  config.tieredLeaves.forEach((l, i) => (byTier[l.tier] ??= []).push(config.leafHashes[i]));
  let deeper: string | undefined;
  for (let t = byTier.length - 1; t >= 0; t--) deeper = paddedRoot(deeper === undefined ? byTier[t] : [...byTier[t], deeper]);
  return deeper!;
}

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  let x = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe("Configuration tiers", () => {
  describe("of", () => {
    it("lays out one tier exactly as v1 when no leaf has a tier", () => {
      const leaves = [1, 2, 3, 4, 5].map((i) => signer(i));
      const plain = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves });
      const tierZero = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: leaves.map((l) => ({ ...l, tier: 0 })) });
      expect(plain.root).to.equal(paddedRoot(plain.leafHashes));
      expect(tierZero.imageHash).to.equal(plain.imageHash);
      expect(plain.tierCount).to.equal(1);
    });

    it("puts a lone tier-0 leaf at depth 1 when fifteen others sit at tier 1", () => {
      const daily = signer(0, 0);
      const cold = Array.from({ length: 15 }, (_, i) => signer(i + 1, 1));
      const config = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [...cold, daily] });
      const proof = config.proof(daily);
      expect(proof).to.have.length(1);
      expect(config.root).to.equal(tieredRoot(config));
      expect(config.verify(daily, proof)).to.equal(true);
      // A cold leaf pays for its tier (16 entries padded: 4 hashes) plus one for the hot leaf.
      expect(config.proof(cold[3])).to.have.length(5);
      expect(config.tierOf(cold[3])).to.equal(1);
      expect(config.tierOf(daily)).to.equal(0);
    });

    it("builds the spec's layout when the leaves sit in three tiers", () => {
      const leaves = [signer(1, 0), signer(2, 0), signer(3, 1), signer(4, 1), signer(5, 1), signer(6, 2), signer(7, 2)];
      const config = Configuration.of({ threshold: 2n, checkpoint: 3n, leaves });
      expect(config.tierCount).to.equal(3);
      expect(config.root).to.equal(tieredRoot(config));
      for (const { tier: _tier, ...l } of leaves) expect(processProof(leafHash(l as Leaf), config.proof(l as Leaf))).to.equal(config.root);
    });

    it("refuses a tier that is not an integer >= 0", () => {
      for (const tier of [-1, 1.5, NaN, "1", 2 ** 53]) {
        expectError(() => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1), { ...signer(2), tier } as unknown as TieredLeaf] }), "InvalidArgumentError", "INVALID_TIER", "leaves[1].tier");
      }
    });

    it("refuses a gap in the tiers and names the leaf below it", () => {
      const err = expectError(() => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1, 0), signer(2, 2), signer(3, 2)] }), "InvalidArgumentError", "TIER_GAP");
      expect(err.field).to.match(/^leaves\[[12]\]\.tier$/);
      expectError(() => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1, 1), signer(2, 1)] }), "InvalidArgumentError", "TIER_GAP");
      expectError(() => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1, 0), signer(2, 7), signer(3, 7)] }), "InvalidArgumentError", "TIER_GAP");
    });

    it("refuses a last tier of one leaf, which is the same tree as that leaf one tier up", () => {
      expectError(() => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1, 0), signer(2, 1)] }), "InvalidArgumentError", "LONE_LAST_TIER", "leaves[1].tier");
      const same = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1), signer(2)] });
      expect(same.root).to.equal(paddedRoot(same.leafHashes));
    });
  });

  describe("load", () => {
    it("reads v1 as one tier and refuses a tier in a v1 leaf", () => {
      const config = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1), signer(2), signer(3)] });
      const v1 = { ...config.dump(), format: CONFIGURATION_FORMAT_V1, leaves: config.dump().leaves.map(({ tier: _tier, ...l }) => l) };
      expect(Configuration.load(v1).imageHash).to.equal(config.imageHash);
      expectError(() => Configuration.load({ ...v1, leaves: [...v1.leaves.slice(1), { ...v1.leaves[0], tier: 0 }] }), "InvalidArgumentError", "UNKNOWN_LEAF_FIELD", "leaves[2].tier");
    });

    it("keeps tiers through dump when the configuration is tiered", () => {
      const config = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1, 0), signer(2, 1), signer(3, 1)] });
      const json = config.dump();
      expect(json.format).to.equal(CONFIGURATION_FORMAT);
      expect(json.leaves.map((l) => l.tier).sort()).to.deep.equal([0, 1, 1]);
      expect(Configuration.load(JSON.stringify(json)).tieredLeaves).to.deep.equal(config.tieredLeaves);
      expectError(() => Configuration.load({ ...json, leaves: json.leaves.map((l, i) => (i === 0 ? { ...l, tier: "1" } : l)) }), "InvalidArgumentError", "INVALID_TIER", "leaves[0].tier");
    });
  });

  describe("multiProof", () => {
    const leaves = [signer(1, 0), signer(2, 0), signer(3, 0), signer(4, 1), signer(5, 1), signer(6, 1)];
    const config = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves });

    it("verifies when every leaf sits in one deeper tier", () => {
      const mp = config.multiProof([leaves[3], leaves[5]]);
      expect(config.verifyMultiProof(mp)).to.equal(true);
    });

    it("refuses leaves from two tiers and names the first leaf of another tier", () => {
      expectError(() => config.multiProof([leaves[0], leaves[1], leaves[4]]), "InvalidArgumentError", "MULTIPROOF_ACROSS_TIERS", "leaves[2]");
    });
  });

  describe("update", () => {
    const base = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1, 0), signer(2, 1), signer(3, 1), signer(4, 1)] });

    it("keeps the replaced leaf's tier when the new leaf names none", () => {
      const next = base.replaceLeaf(signer(3), signer(9));
      expect(next.tierOf(signer(9))).to.equal(1);
      expect(next.root).to.equal(Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: next.tieredLeaves }).root);
      expect(next.root).to.equal(tieredRoot(next));
    });

    it("moves a leaf and reports the move in diff", () => {
      const next = base.moveLeaf(signer(2), 0);
      expect(next.tierOf(signer(2))).to.equal(0);
      const diff = diffConfigurations(base, next);
      expect(diff.added).to.deep.equal([]);
      expect(diff.removed).to.deep.equal([]);
      expect(diff.moved).to.deep.equal([{ leaf: signer(2), from: 1, to: 0 }]);
    });

    it("adds at the tier the leaf names", () => {
      expect(base.addLeaf(signer(7, 1)).tierOf(signer(7))).to.equal(1);
      expect(base.addLeaf(signer(7)).tierOf(signer(7))).to.equal(0);
    });

    it("refuses an update that leaves a lone last tier or a gap", () => {
      const two = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1, 0), signer(2, 1), signer(3, 1)] });
      expectError(() => two.removeLeaf(signer(2)), "InvalidArgumentError", "LONE_LAST_TIER");
      expectError(() => base.moveLeaf(signer(2), 3), "InvalidArgumentError", "TIER_GAP", "move[0].tier");
      expectError(() => base.moveLeaf(signer(2), -1), "InvalidArgumentError", "INVALID_TIER", "move[0].tier");
      expectError(() => base.update({ move: [{ leaf: signer(2), tier: 0 }], remove: [signer(2)] }), "InvalidArgumentError", "LEAF_NOT_FOUND", "move[0].leaf");
    });
  });

  describe("properties", () => {
    it("law: the root is the spec's tiered layout", () => {
      fc.assert(fc.property(tieredConfiguration(), (config) => {
          expect(config.root).to.equal(tieredRoot(config));
        }), params);
    });

    it("law: any leaf order gives one image hash", () => {
      fc.assert(
        fc.property(tieredConfiguration(), fc.integer(), (config, seed) => {
          const again = Configuration.of({ threshold: config.threshold, checkpoint: config.checkpoint, leaves: shuffle(config.tieredLeaves, seed) });
          expect(again.imageHash).to.equal(config.imageHash);
          expect(again.dump()).to.deep.equal(config.dump());
        }),
        params,
      );
    });

    it("law: every leaf's single proof verifies, and a flipped bit does not", () => {
      fc.assert(
        fc.property(tieredConfiguration(), fc.nat(), (config, bit) => {
          config.leaves.forEach((leaf, i) => {
            const proof = config.proof(leaf);
            expect(processProof(config.leafHashes[i], proof)).to.equal(config.root);
            if (proof.length > 0) expect(config.verify(leaf, proof.map((p, j) => (j === bit % proof.length ? flipBit(p, bit) : p)))).to.equal(false);
          });
        }),
        params,
      );
    });

    it("law: walks of random subsets evaluate to the root", () => {
      fc.assert(
        fc.property(tieredConfiguration(), fc.array(fc.boolean(), { minLength: 1, maxLength: 24 }), (config, mask) => {
          let proven = config.leafHashes.filter((_, i) => mask[i % mask.length]);
          if (proven.length === 0) proven = [config.leafHashes[config.leafHashes.length - 1]];
          const steps = pruneToWalk(config, proven);
          expect(evaluateWalk(steps)).to.equal(config.root);
          expect(steps.filter((s) => s.op === "leaf")).to.have.length(proven.length);
        }),
        params,
      );
    });

    it("law: load(dump(c)) is c, tiers included", () => {
      fc.assert(
        fc.property(tieredConfiguration(), (config) => {
          const back = Configuration.load(JSON.parse(JSON.stringify(config.dump())));
          expect(back.imageHash).to.equal(config.imageHash);
          expect(back.tieredLeaves).to.deep.equal(config.tieredLeaves);
        }),
        params,
      );
    });

    it("law: replacing one leaf in place gives the tree a full rebuild gives", () => {
      fc.assert(
        fc.property(tieredConfiguration(), fc.nat(), fc.nat(), (config, pick, salt) => {
          const from = config.leaves[pick % config.leaves.length];
          const to: Leaf = { kind: "recovery-key", signer: testAddress(10_000 + (salt % 1000)), timelock: BigInt(salt) };
          if (config.has(to) || (from.kind === "ecdsa-signer" || from.kind === "erc1271-signer")) return; // keep the threshold reachable
          const next = config.replaceLeaf(from, to);
          expect(next.root).to.equal(Configuration.of({ threshold: next.threshold, checkpoint: next.checkpoint, leaves: next.tieredLeaves }).root);
          expect(next.tierOf(to)).to.equal(config.tierOf(from));
        }),
        params,
      );
    });

    it("law: a multiproof of leaves of one tier verifies", () => {
      fc.assert(
        fc.property(tieredConfiguration(), fc.nat(), fc.array(fc.boolean(), { minLength: 1, maxLength: 24 }), (config, tierSeed, mask) => {
          const tier = tierSeed % config.tierCount;
          const inTier = config.tieredLeaves.filter((l) => l.tier === tier).map(({ tier: _t, ...l }) => l as Leaf);
          let chosen = inTier.filter((_, i) => mask[i % mask.length]);
          if (chosen.length === 0) chosen = [inTier[0]];
          expect(config.verifyMultiProof(config.multiProof(chosen))).to.equal(true);
        }),
        params,
      );
    });
  });
});
