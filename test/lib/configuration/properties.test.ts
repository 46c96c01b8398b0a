/**
 * Property tests of the configuration tree. Each `it` names the law it checks.
 */
import { expect } from "chai";
import fc from "fast-check";
import { Configuration } from "../../../lib/configuration/configuration";
import { diffConfigurations } from "../../../lib/configuration/diff";
import { leafHash, type Leaf } from "../../../lib/configuration/leaves";
import { getMultiProof, makeTree, processMultiProof, processProof, replaceLeafInPlace, treeLeaves, treeRoot, verifyProof } from "../../../lib/configuration/tree";
import { InvalidArgumentError } from "../../../lib/errors";
import { bytes32, configuration, dedupe, flipBit, leaf, NUM_RUNS } from "../../helpers/arbitraries";

const params = { numRuns: NUM_RUNS };
const pick = <T>(items: readonly T[], seed: number): T => items[seed % items.length];
const subsetOf = <T>(items: readonly T[], mask: boolean[]): T[] => items.filter((_, i) => mask[i % mask.length]);
// A leaf hash is never zero (zero words are the tree's padding, and the core refuses them).
const leafHashArb = () => bytes32().filter((h) => !/^0x0{64}$/.test(h));

describe("configuration properties", () => {
  it("law: every leaf of a configuration is provable", () => {
    fc.assert(
      fc.property(configuration(), (config) => {
        for (const l of config.leaves) expect(config.verify(l, config.proof(l))).to.equal(true);
      }),
      params,
    );
  });

  it("law: every subset of leaves is provable with one multiproof", () => {
    fc.assert(
      fc.property(configuration(), fc.array(fc.boolean(), { minLength: 1, maxLength: 24 }), (config, mask) => {
        const chosen = subsetOf(config.leaves, mask);
        if (chosen.length === 0) return;
        const mp = config.multiProof(chosen);
        expect(config.verifyMultiProof(mp)).to.equal(true);
        expect(mp.leafHashes).to.deep.equal(chosen.map(leafHash).sort());
      }),
      params,
    );
  });

  it("law: flipping any bit of a proof, a leaf or the root is rejected", () => {
    fc.assert(
      fc.property(configuration(), fc.nat(), fc.nat(), fc.nat(), (config, leafSeed, elementSeed, bit) => {
        const hash = pick(config.leafHashes, leafSeed);
        const l = config.leafByHash(hash)!;
        const proof = config.proof(l);
        if (proof.length > 0) {
          const j = elementSeed % proof.length;
          const bad = proof.map((p, k) => (k === j ? flipBit(p, bit) : p));
          expect(config.verify(l, bad)).to.equal(false);
        }
        expect(verifyProof(config.root, flipBit(hash, bit), proof)).to.equal(false);
        expect(verifyProof(flipBit(config.root, bit), hash, proof)).to.equal(false);
      }),
      params,
    );
  });

  it("law: flipping any bit or flag of a multiproof is rejected", () => {
    fc.assert(
      fc.property(configuration(), fc.array(fc.boolean(), { minLength: 1 }), fc.nat(), fc.nat(), (config, mask, seed, bit) => {
        const chosen = subsetOf(config.leaves, mask);
        if (chosen.length === 0) return;
        const mp = config.multiProof(chosen);
        const base = { leaves: mp.leafHashes, proof: mp.proof, proofFlags: mp.proofFlags };
        const variants = [
          { ...base, leaves: base.leaves.map((h, k) => (k === seed % base.leaves.length ? flipBit(h, bit) : h)) },
          ...(base.proof.length > 0 ? [{ ...base, proof: base.proof.map((h, k) => (k === seed % base.proof.length ? flipBit(h, bit) : h)) }] : []),
          ...(base.proofFlags.length > 0 ? [{ ...base, proofFlags: base.proofFlags.map((f, k) => (k === seed % base.proofFlags.length ? !f : f)) }] : []),
        ];
        for (const v of variants) {
          let root: string | undefined;
          try {
            root = processMultiProof(v);
          } catch {
            root = undefined; // a malformed multiproof is rejected by throwing, as OpenZeppelin reverts
          }
          expect(root).to.not.equal(config.root);
        }
      }),
      params,
    );
  });

  it("law: leaf order never changes the root or the image hash", () => {
    fc.assert(
      fc.property(configuration(), fc.array(fc.nat(), { minLength: 24, maxLength: 24 }), (config, keys) => {
        const shuffled = config.leaves
          .map((l, i) => ({ l, key: keys[i % keys.length] * 100 + i }))
          .sort((a, b) => a.key - b.key)
          .map((x) => x.l);
        const again = Configuration.of({ threshold: config.threshold, checkpoint: config.checkpoint, leaves: shuffled });
        expect(again.root).to.equal(config.root);
        expect(again.imageHash).to.equal(config.imageHash);
        expect(treeRoot(makeTree(config.leafHashes.slice().reverse()))).to.equal(config.root);
      }),
      params,
    );
  });

  it("law: an update changes exactly what it asks for, and nothing when it is invalid", () => {
    fc.assert(
      fc.property(
        configuration(),
        fc.array(fc.boolean(), { minLength: 1 }),
        fc.array(fc.boolean(), { minLength: 1 }),
        fc.array(leaf(), { maxLength: 4 }),
        fc.array(leaf(), { maxLength: 3 }),
        fc.option(fc.bigInt({ min: 1n, max: 50n })),
        fc.option(fc.bigInt({ min: 0n, max: 1n << 64n })),
        (config, removeMask, replaceMask, additions, replacements, threshold, checkpoint) => {
          const before = JSON.stringify(config.dump());
          const current = config.leaves;
          const remove = subsetOf(current, removeMask).slice(0, current.length - 1);
          const kept = current.filter((l) => !remove.includes(l));
          const replaceFrom = subsetOf(kept, replaceMask).slice(0, replacements.length);
          const replace = replaceFrom.map((from, i) => ({ from, to: replacements[i] }));
          const add = additions;
          const expectedLeaves = [...kept.filter((l) => !replaceFrom.includes(l)), ...replace.map((r) => r.to), ...add];
          const changes = {
            remove,
            replace,
            add,
            ...(threshold === null ? {} : { threshold }),
            ...(checkpoint === null ? {} : { checkpoint }),
          };
          let expected: Configuration | InvalidArgumentError;
          try {
            expected = Configuration.of({ threshold: threshold ?? config.threshold, checkpoint: checkpoint ?? config.checkpoint, leaves: expectedLeaves });
          } catch (err) {
            expected = err as InvalidArgumentError;
          }
          let actual: Configuration | InvalidArgumentError;
          try {
            actual = config.update(changes);
          } catch (err) {
            actual = err as InvalidArgumentError;
          }
          if (expected instanceof InvalidArgumentError) {
            expect(actual).to.be.instanceOf(InvalidArgumentError);
            expect((actual as InvalidArgumentError).code).to.equal(expected.code);
          } else {
            expect(actual).to.be.instanceOf(Configuration);
            const next = actual as Configuration;
            expect(next.imageHash).to.equal(expected.imageHash);
            const diff = diffConfigurations(config, next);
            const hashes = (ls: Leaf[]) => ls.map(leafHash).sort();
            const removed = new Set(hashes([...remove, ...replaceFrom]));
            const added = new Set(hashes([...replace.map((r) => r.to), ...add]));
            expect(hashes(diff.removed)).to.deep.equal([...removed].filter((h) => !added.has(h)).sort());
            expect(hashes(diff.added)).to.deep.equal([...added].filter((h) => !removed.has(h)).sort());
            expect(diff.threshold === undefined).to.equal(next.threshold === config.threshold);
            expect(diff.checkpoint === undefined).to.equal(next.checkpoint === config.checkpoint);
            for (const l of next.leaves) expect(next.verify(l, next.proof(l))).to.equal(true);
          }
          expect(JSON.stringify(config.dump())).to.equal(before);
        },
      ),
      params,
    );
  });

  it("law: a one-leaf replacement in the tree core equals a rebuild", () => {
    fc.assert(
      fc.property(fc.array(leafHashArb(), { minLength: 1, maxLength: 300 }), fc.nat(), leafHashArb(), (hashes, seed, replacement) => {
        const tree = makeTree(hashes);
        const k = seed % hashes.length;
        const leaves = treeLeaves(tree);
        leaves[k] = replacement;
        const newIndex = replaceLeafInPlace(tree, k, replacement);
        expect(Buffer.from(tree.nodes).equals(Buffer.from(makeTree(leaves).nodes))).to.equal(true);
        expect(processProof(replacement, getMultiProof(tree, [newIndex]).proof)).to.equal(treeRoot(tree));
      }),
      params,
    );
  });

  it("law: load(dump(c)) is c", () => {
    fc.assert(
      fc.property(configuration(), (config) => {
        const json = JSON.parse(JSON.stringify(config.dump()));
        const loaded = Configuration.load(json);
        expect(loaded.imageHash).to.equal(config.imageHash);
        expect(loaded.dump()).to.deep.equal(config.dump());
      }),
      params,
    );
  });

  it("law: a configuration never holds two leaves with the same hash or signer", () => {
    fc.assert(
      fc.property(configuration(), fc.nat(), (config, seed) => {
        const l = pick(config.leaves, seed);
        expect(() => config.addLeaf(l)).to.throw(InvalidArgumentError);
        expect(dedupe(config.leaves)).to.have.length(config.leaves.length);
      }),
      params,
    );
  });
});
