import { expect } from "chai";
import fc from "fast-check";
import { Configuration } from "../../../lib/configuration/configuration";
import type { Leaf } from "../../../lib/configuration/leaves";
import { treeRoot } from "../../../lib/configuration/tree";
import { evaluateWalk, pruneToWalk, type WalkStep } from "../../../lib/configuration/tree-walk";
import type { Hex } from "../../../lib/hex";
import { configuration, flipBit, NUM_RUNS } from "../../helpers/arbitraries";
import { expectError, word } from "../../helpers/fixtures";

const params = { numRuns: NUM_RUNS };
const signer = (i: number): Leaf => ({ kind: "ecdsa-signer", signer: `0x${(i + 1).toString(16).padStart(40, "0")}` as Hex, weight: 1n });
const configOf = (n: number): Configuration => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: Array.from({ length: n }, (_, i) => signer(i)) });
/** The root a walk gives, or the code of the canonical-order refusal a changed hash may cause instead. */
function rootOrRefusal(evaluate: () => Hex): string {
  try {
    return evaluate();
  } catch (err) {
    expect((err as { code: string }).code).to.equal("WALK_NOT_CANONICAL");
    return "WALK_NOT_CANONICAL";
  }
}
const count = (steps: WalkStep[], op: WalkStep["op"]) => steps.filter((s) => s.op === op).length;

describe("tree-walk", () => {
  describe("pruneToWalk", () => {
    it("evaluates to the root when random subsets of random configurations are proven", () => {
      fc.assert(
        fc.property(configuration(), fc.array(fc.boolean(), { minLength: 1, maxLength: 24 }), (config, mask) => {
          let proven = config.leafHashes.filter((_, i) => mask[i % mask.length]);
          if (proven.length === 0) proven = [config.leafHashes[0]];
          const steps = pruneToWalk(config, proven.slice().reverse());
          expect(evaluateWalk(steps)).to.equal(config.root);
          expect(steps.filter((s) => s.op === "leaf").map((s) => (s as { hash: Hex }).hash).sort()).to.deep.equal(proven.slice().sort());
          // Post-order over a binary tree: one node step per pair of pushed hashes.
          expect(count(steps, "node")).to.equal(count(steps, "leaf") + count(steps, "hash") - 1);
        }),
        params,
      );
    });

    it("is one leaf step when the tree has one leaf", () => {
      const config = configOf(1);
      const steps = pruneToWalk(config, [config.leafHashes[0]]);
      expect(steps).to.deep.equal([{ op: "leaf", hash: config.leafHashes[0] }]);
      expect(evaluateWalk(steps)).to.equal(config.root);
    });

    it("has no hash step when every leaf of a power-of-two tree is proven", () => {
      for (const n of [2, 4, 8, 16]) {
        const config = configOf(n);
        const steps = pruneToWalk(config, config.leafHashes);
        expect(count(steps, "hash")).to.equal(0);
        expect(count(steps, "leaf")).to.equal(n);
        expect(evaluateWalk(steps)).to.equal(config.root);
      }
    });

    it("hashes only the zero padding when every leaf of a padded tree is proven", () => {
      const config = configOf(5); // padded to 8: three zero leaves, as Z0 and Z1 subtree roots
      const steps = pruneToWalk(config, config.leafHashes);
      expect(count(steps, "leaf")).to.equal(5);
      expect(count(steps, "hash")).to.equal(2);
      expect(evaluateWalk(steps)).to.equal(config.root);
    });

    it("proves one leaf with one hash per level when one leaf of a perfect tree is proven", () => {
      const config = configOf(16);
      const steps = pruneToWalk(config, [config.leafHashes[7]]);
      expect(count(steps, "hash")).to.equal(4);
      expect(count(steps, "node")).to.equal(4);
      expect(evaluateWalk(steps)).to.equal(config.root);
    });

    it("puts the smaller child hash first when it emits a node", () => {
      const config = configOf(9);
      const steps = pruneToWalk(config, [config.leafHashes[2], config.leafHashes[8]]);
      // evaluateWalk refuses a non-canonical order, so evaluating is the check.
      expect(evaluateWalk(steps)).to.equal(config.root);
    });

    it("gives the same walk when the proven hashes come in another order", () => {
      const config = configOf(11);
      const proven = [config.leafHashes[1], config.leafHashes[4], config.leafHashes[10]];
      expect(pruneToWalk(config, proven)).to.deep.equal(pruneToWalk(config, proven.slice().reverse()));
    });

    it("emits a deeper tier as one hash step when it holds no proven leaf", () => {
      const leaves = [signer(0), ...[1, 2, 3, 4, 5].map((i) => ({ ...signer(i), tier: 1 }))];
      const config = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves });
      const hot = config.leafHashes[config.tieredLeaves.findIndex((l) => l.tier === 0)];
      const steps = pruneToWalk(config, [hot]);
      const deeper = treeRoot(config.tierTrees[1]);
      expect(steps).to.deep.equal(hot < deeper ? [{ op: "leaf", hash: hot }, { op: "hash", hash: deeper }, { op: "node" }] : [{ op: "hash", hash: deeper }, { op: "leaf", hash: hot }, { op: "node" }]);
      expect(evaluateWalk(steps)).to.equal(config.root);
    });

    it("walks into a deeper tier when it proves a leaf there", () => {
      const leaves = [signer(0), ...[1, 2, 3, 4, 5].map((i) => ({ ...signer(i), tier: 1 }))];
      const config = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves });
      const cold = config.leafHashes.filter((_, i) => config.tieredLeaves[i].tier === 1);
      const steps = pruneToWalk(config, [cold[0], cold[4]]);
      expect(steps.some((s) => s.op === "hash" && s.hash === treeRoot(config.tierTrees[1]))).to.equal(false);
      expect(evaluateWalk(steps)).to.equal(config.root);
    });

    it("refuses when a hash is the root of a deeper tier", () => {
      const leaves = [signer(0), ...[1, 2, 3].map((i) => ({ ...signer(i), tier: 1 }))];
      const config = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves });
      expectError(() => pruneToWalk(config, [treeRoot(config.tierTrees[1])]), "InvalidArgumentError", "LEAF_NOT_FOUND", "proven[0]");
    });

    it("refuses when the list is empty", () => {
      expectError(() => pruneToWalk(configOf(3), []), "InvalidArgumentError", "EMPTY_PROVEN_LEAVES", "proven");
    });

    it("refuses when a hash is not a leaf of the configuration", () => {
      const config = configOf(3);
      expectError(() => pruneToWalk(config, [config.leafHashes[0], word("99")]), "InvalidArgumentError", "LEAF_NOT_FOUND", "proven[1]");
    });

    it("refuses when a hash is the zero padding or the root", () => {
      const config = configOf(3);
      expectError(() => pruneToWalk(config, [`0x${"00".repeat(32)}` as Hex]), "InvalidArgumentError", "LEAF_NOT_FOUND", "proven[0]");
      expectError(() => pruneToWalk(config, [config.root]), "InvalidArgumentError", "LEAF_NOT_FOUND", "proven[0]");
    });

    it("refuses when a hash is given twice", () => {
      const config = configOf(4);
      const h = config.leafHashes[2];
      expectError(() => pruneToWalk(config, [h, config.leafHashes[0], h.toUpperCase().replace("0X", "0x") as Hex]), "InvalidArgumentError", "DUPLICATE_LEAF", "proven[2]");
    });

    it("refuses when a hash is malformed", () => {
      expectError(() => pruneToWalk(configOf(2), ["0x1234" as Hex]), "InvalidArgumentError", "INVALID_BYTES32", "proven[0]");
    });
  });

  describe("evaluateWalk", () => {
    const config = configOf(6);
    const steps = pruneToWalk(config, [config.leafHashes[0], config.leafHashes[3]]);

    it("pushes what the leaf callback computes when given one", () => {
      const seen: number[] = [];
      expect(evaluateWalk(steps, (h, i) => (seen.push(i), h))).to.equal(config.root);
      expect(seen).to.deep.equal([0, 1]);
      expect(rootOrRefusal(() => evaluateWalk(steps, (h, i) => (i === 1 ? flipBit(h, 3) : h)))).to.not.equal(config.root);
    });

    it("changes the result when any bit of a hash step flips", () => {
      steps.forEach((s, i) => {
        if (s.op !== "hash") return;
        const bad = steps.map((t, j) => (j === i ? { op: "hash" as const, hash: flipBit(s.hash, 100) } : t));
        expect(rootOrRefusal(() => evaluateWalk(bad))).to.not.equal(config.root);
      });
    });

    it("refuses when the walk is empty", () => {
      expectError(() => evaluateWalk([]), "InvalidArgumentError", "EMPTY_WALK", "steps");
    });

    it("refuses when a node step finds fewer than two hashes", () => {
      expectError(() => evaluateWalk([{ op: "hash", hash: word("1") }, { op: "node" }]), "InvalidArgumentError", "WALK_STACK_UNDERFLOW", "steps[1]");
    });

    it("refuses when more than one hash is left", () => {
      expectError(() => evaluateWalk([{ op: "hash", hash: word("1") }, { op: "hash", hash: word("2") }]), "InvalidArgumentError", "WALK_UNBALANCED", "steps");
    });

    it("refuses when the larger child comes first", () => {
      const [small, large] = [word("1"), word("2")].sort();
      expect(evaluateWalk([{ op: "hash", hash: small }, { op: "hash", hash: large }, { op: "node" }])).to.be.a("string");
      expectError(() => evaluateWalk([{ op: "hash", hash: large }, { op: "hash", hash: small }, { op: "node" }]), "InvalidArgumentError", "WALK_NOT_CANONICAL", "steps[2]");
    });

    it("refuses when a step has an unknown op", () => {
      expectError(() => evaluateWalk([{ op: "push" } as unknown as WalkStep]), "InvalidArgumentError", "INVALID_WALK_STEP", "steps[0].op");
    });
  });
});
