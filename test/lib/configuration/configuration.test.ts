import { expect } from "chai";
import { AbiCoder, id, keccak256 } from "ethers";
import { Configuration, CONFIGURATION_FORMAT } from "../../../lib/configuration/configuration";
import { diffConfigurations } from "../../../lib/configuration/diff";
import { IMAGE_HASH_TAG, imageHash } from "../../../lib/configuration/image-hash";
import { leafHash, type Leaf } from "../../../lib/configuration/leaves";
import { makeTree, treeRoot } from "../../../lib/configuration/tree";
import { MAX_UINT256 } from "../../../lib/hex";
import { expectError, oneOfEachKind, testAddress, word } from "../../helpers/fixtures";

const signer = (i: number, weight = 1n): Leaf => ({ kind: "ecdsa-signer", signer: testAddress(i), weight });

function sample(): Configuration {
  return Configuration.of({ threshold: 3n, checkpoint: 7n, leaves: oneOfEachKind() });
}

describe("image-hash", () => {
  describe("imageHash", () => {
    it("equals keccak256(abi.encode(IMAGE_HASH_TAG, root, threshold, checkpoint))", () => {
      expect(IMAGE_HASH_TAG).to.equal(id("arbor.image-hash"));
      const root = word("root");
      const expected = keccak256(
        AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32", "uint256", "uint256"], [id("arbor.image-hash"), root, 2n, MAX_UINT256]),
      );
      expect(imageHash(root, 2n, MAX_UINT256)).to.equal(expected);
    });

    it("throws InvalidArgumentError when a value does not fit", () => {
      expectError(() => imageHash("0x12", 1n, 0n), "InvalidArgumentError", "INVALID_BYTES32", "root");
      expectError(() => imageHash(word("r"), -1n, 0n), "InvalidArgumentError", "INTEGER_TOO_SMALL", "threshold");
      expectError(() => imageHash(word("r"), 1n, MAX_UINT256 + 1n), "InvalidArgumentError", "INTEGER_TOO_LARGE", "checkpoint");
    });
  });
});

describe("Configuration", () => {
  describe("of", () => {
    it("builds the tree over the leaf hashes and binds root, threshold and checkpoint", () => {
      const leaves = oneOfEachKind();
      const config = Configuration.of({ threshold: 3n, checkpoint: 7n, leaves });
      const hashes = leaves.map(leafHash);
      expect(config.leafHashes).to.deep.equal(hashes.slice().sort());
      expect(config.root).to.equal(treeRoot(makeTree(hashes)));
      expect(config.imageHash).to.equal(imageHash(config.root, 3n, 7n));
      expect(config.totalWeight).to.equal(5n);
      expect(config.leaves.map(leafHash)).to.deep.equal(config.leafHashes);
    });

    it("gives the same image hash when the leaves come in another order", () => {
      const leaves = oneOfEachKind();
      const a = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves });
      const b = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: leaves.slice().reverse() });
      expect(b.imageHash).to.equal(a.imageHash);
    });

    it("names the offending field when the configuration breaks a rule", () => {
      const leaves = [signer(1), signer(2)];
      expectError(() => Configuration.of({ threshold: 0n, checkpoint: 0n, leaves }), "InvalidArgumentError", "THRESHOLD_TOO_LOW", "threshold");
      expectError(() => Configuration.of({ threshold: 3n, checkpoint: 0n, leaves }), "InvalidArgumentError", "THRESHOLD_UNREACHABLE", "threshold");
      expectError(() => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [] }), "InvalidArgumentError", "EMPTY_CONFIGURATION", "leaves");
      expectError(() => Configuration.of({ threshold: 1n, checkpoint: -1n, leaves }), "InvalidArgumentError", "INTEGER_TOO_SMALL", "checkpoint");
      expectError(() => Configuration.of({ threshold: 1 as never, checkpoint: 0n, leaves }), "InvalidArgumentError", "INVALID_INTEGER", "threshold");
      expectError(() => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: "x" as never }), "InvalidArgumentError", "INVALID_ARRAY", "leaves");
      expectError(() => Configuration.of(null as never), "InvalidArgumentError", "INVALID_CONFIGURATION", "");
      const dup = expectError(
        () => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1), signer(2), signer(1)] }),
        "InvalidArgumentError",
        "DUPLICATE_LEAF",
        "leaves[2]",
      );
      expect(dup.message).to.contain("leaves[0]");
      expectError(
        () => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1), signer(2), signer(1, 5n)] }),
        "InvalidArgumentError",
        "DUPLICATE_SIGNER",
        "leaves[2]",
      );
      expectError(
        () => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1), { kind: "guard", guard: testAddress(1), weight: 1n }] }),
        "InvalidArgumentError",
        "DUPLICATE_SIGNER",
        "leaves[1]",
      );
      expectError(
        () => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1), { kind: "ecdsa-signer", signer: "0x12", weight: 1n } as never] }),
        "InvalidArgumentError",
        "INVALID_ADDRESS",
        "leaves[1].signer",
      );
    });

    it("allows the same address in a signer leaf and a non-weighted leaf", () => {
      const config = Configuration.of({
        threshold: 1n,
        checkpoint: 0n,
        leaves: [signer(1), { kind: "recovery-key", signer: testAddress(1), timelock: 1n }, { kind: "identity-signer", signer: testAddress(1) }],
      });
      expect(config.leaves).to.have.length(3);
    });

    it("counts passkey weight in the total but not towards the threshold when it checks reachability", () => {
      const passkey: Leaf = { kind: "passkey-signer", x: word("x"), y: word("y"), requireUserVerification: false, weight: 4n };
      const digest: Leaf = { kind: "preapproved-digest", digest: word("d") };
      const config = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1), passkey, digest] });
      expect(config.totalWeight).to.equal(5n);
      expect(config.signableWeight).to.equal(1n);
      const err = expectError(() => Configuration.of({ threshold: 5n, checkpoint: 0n, leaves: [signer(1), passkey, digest] }), "InvalidArgumentError", "THRESHOLD_UNREACHABLE", "threshold");
      expect((err as unknown as { details: Record<string, unknown> }).details).to.deep.include({ threshold: 5n, signableWeight: 1n, totalWeight: 5n });
    });

    it("refuses a threshold only passkeys and guards could reach when no signable leaf has the weight", () => {
      const passkey: Leaf = { kind: "passkey-signer", x: word("x"), y: word("y"), requireUserVerification: true, weight: 2n };
      const guard: Leaf = { kind: "guard", guard: testAddress(900), weight: 3n };
      expectError(() => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [passkey, guard] }), "InvalidArgumentError", "THRESHOLD_UNREACHABLE", "threshold");
      expectError(() => Configuration.of({ threshold: 2n, checkpoint: 0n, leaves: [signer(1), passkey, guard] }), "InvalidArgumentError", "THRESHOLD_UNREACHABLE", "threshold");
      const erc1271: Leaf = { kind: "erc1271-signer", signer: testAddress(901), weight: 1n };
      expect(Configuration.of({ threshold: 2n, checkpoint: 0n, leaves: [signer(1), erc1271, passkey, guard] }).signableWeight).to.equal(2n);
    });

    it("refuses a threshold when only a pre-approved digest could reach it", () => {
      const digest: Leaf = { kind: "preapproved-digest", digest: word("d") };
      expectError(() => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [digest] }), "InvalidArgumentError", "THRESHOLD_UNREACHABLE", "threshold");
    });

    it("refuses a weight, threshold or checkpoint outside the compact widths", () => {
      expectError(() => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1, 256n)] }), "InvalidArgumentError", "INTEGER_TOO_LARGE", "leaves[0].weight");
      expectError(() => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(2), { kind: "guard", guard: testAddress(902), weight: 1000n }] }), "InvalidArgumentError", "INTEGER_TOO_LARGE", "leaves[1].weight");
      expectError(() => Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [signer(1, 0n)] }), "InvalidArgumentError", "INTEGER_TOO_SMALL", "leaves[0].weight");
      expectError(() => Configuration.of({ threshold: 65_536n, checkpoint: 0n, leaves: [signer(1)] }), "InvalidArgumentError", "INTEGER_TOO_LARGE", "threshold");
      expectError(() => Configuration.of({ threshold: 1n, checkpoint: 2n ** 64n, leaves: [signer(1)] }), "InvalidArgumentError", "INTEGER_TOO_LARGE", "checkpoint");
      const top = Configuration.of({
        threshold: 65_535n,
        checkpoint: 2n ** 64n - 1n,
        leaves: Array.from({ length: 257 }, (_, i) => signer(i + 1, 255n)),
      });
      expect(top.threshold).to.equal(65_535n);
      expectError(() => top.bumpCheckpoint(), "InvalidArgumentError", "INTEGER_TOO_LARGE", "checkpoint");
      expectError(() => top.update({ threshold: 65_536n }), "InvalidArgumentError", "INTEGER_TOO_LARGE", "threshold");
      expectError(() => Configuration.load({ ...top.dump(), checkpoint: (2n ** 64n).toString() }), "InvalidArgumentError", "INTEGER_TOO_LARGE", "checkpoint");
    });
  });

  describe("dump", () => {
    it("writes the versioned format with decimal strings and sorted leaves", () => {
      const config = sample();
      const json = config.dump();
      expect(json.format).to.equal(CONFIGURATION_FORMAT);
      expect(json.threshold).to.equal("3");
      expect(json.checkpoint).to.equal("7");
      expect(json.leaves.map((l) => l.kind)).to.deep.equal(config.leaves.map((l) => l.kind));
      expect(JSON.parse(JSON.stringify(config))).to.deep.equal(json);
    });
  });

  describe("load", () => {
    it("reads back the same configuration when given its dump, as an object or a string", () => {
      const config = sample();
      expect(Configuration.load(config.dump()).imageHash).to.equal(config.imageHash);
      expect(Configuration.load(JSON.stringify(config.dump())).leaves).to.deep.equal(config.leaves);
    });

    it("names the offending field when the JSON is invalid", () => {
      const good = sample().dump();
      const cases: [unknown, string, string][] = [
        ["{not json", "INVALID_JSON", ""],
        [[], "INVALID_CONFIGURATION", ""],
        [{ ...good, format: "arbor-configuration-v3" }, "UNSUPPORTED_FORMAT", "format"],
        [{ ...good, format: undefined }, "UNSUPPORTED_FORMAT", "format"],
        [{ ...good, extra: 1 }, "UNKNOWN_FIELD", "extra"],
        [{ ...good, threshold: 3 }, "INVALID_DECIMAL", "threshold"],
        [{ ...good, checkpoint: "-1" }, "INVALID_DECIMAL", "checkpoint"],
        [{ ...good, threshold: "0" }, "THRESHOLD_TOO_LOW", "threshold"],
        [{ ...good, leaves: {} }, "INVALID_ARRAY", "leaves"],
        [{ ...good, leaves: [] }, "EMPTY_CONFIGURATION", "leaves"],
        [{ ...good, leaves: good.leaves.map((l, i) => (i === 3 ? { ...l, kind: "nope" } : l)) }, "UNKNOWN_LEAF_KIND", "leaves[3].kind"],
        [{ ...good, leaves: [...good.leaves, good.leaves[1]] }, "DUPLICATE_LEAF", "leaves[8]"],
      ];
      for (const [json, code, field] of cases) expectError(() => Configuration.load(json), "InvalidArgumentError", code, field);
      // Break the address field of whichever leaf sits at index 3.
      const leaves = good.leaves.map((l) => ({ ...l }));
      const key = Object.keys(leaves[3]).find((k) => k !== "kind")!;
      leaves[3][key] = "0xnothex";
      expect(() => Configuration.load({ ...good, leaves })).to.throw(`leaves[3].${key}`);
    });
  });

  describe("proof", () => {
    it("returns a proof that verifies for every leaf", () => {
      const config = sample();
      for (const leaf of config.leaves) {
        const proof = config.proof(leaf);
        expect(config.verify(leaf, proof)).to.equal(true);
        expect(Configuration.verify(config.root, leaf, proof)).to.equal(true);
      }
    });

    it("throws LEAF_NOT_FOUND when the leaf is not in the configuration", () => {
      expectError(() => sample().proof(signer(99)), "InvalidArgumentError", "LEAF_NOT_FOUND", "leaf");
    });
  });

  describe("verify", () => {
    it("returns false when the proof is for another leaf or the weight differs", () => {
      const config = sample();
      const [a, b] = config.leaves;
      expect(config.verify(b, config.proof(a))).to.equal(false);
      const ecdsa = config.leaves.find((l) => l.kind === "ecdsa-signer")!;
      expect(config.verify({ ...ecdsa, weight: 3n } as Leaf, config.proof(ecdsa))).to.equal(false);
    });
  });

  describe("multiProof", () => {
    it("returns leaves in ascending hash order and a multiproof that verifies", () => {
      const config = sample();
      const chosen = [config.leaves[6], config.leaves[1], config.leaves[4]];
      const mp = config.multiProof(chosen);
      expect(mp.leaves).to.deep.equal([config.leaves[1], config.leaves[4], config.leaves[6]]);
      expect(mp.leafHashes).to.deep.equal([1, 4, 6].map((k) => config.leafHashes[k]));
      expect(config.verifyMultiProof(mp)).to.equal(true);
      expect(config.verifyMultiProof({ ...mp, leaves: [mp.leaves[0], mp.leaves[1], config.leaves[7]] })).to.equal(false);
    });

    it("throws InvalidArgumentError when a leaf repeats or is missing", () => {
      const config = sample();
      expectError(() => config.multiProof([config.leaves[0], config.leaves[0]]), "InvalidArgumentError", "DUPLICATE_LEAF", "leaves[1]");
      expectError(() => config.multiProof([config.leaves[0], signer(42)]), "InvalidArgumentError", "LEAF_NOT_FOUND", "leaves[1]");
    });
  });

  describe("update", () => {
    it("applies remove, replace, add, threshold and checkpoint together", () => {
      const config = Configuration.of({ threshold: 2n, checkpoint: 1n, leaves: [signer(1), signer(2), signer(3)] });
      const next = config.update({ remove: [signer(1)], replace: [{ from: signer(2), to: signer(2, 3n) }], add: [signer(4)], threshold: 4n, checkpoint: 2n });
      const expected = Configuration.of({ threshold: 4n, checkpoint: 2n, leaves: [signer(2, 3n), signer(3), signer(4)] });
      expect(next.imageHash).to.equal(expected.imageHash);
      expect(config.leaves).to.have.length(3);
    });

    it("reuses the tree when only threshold or checkpoint change", () => {
      const config = sample();
      expect(config.withThreshold(2n).root).to.equal(config.root);
      expect(config.withThreshold(2n).imageHash).to.equal(imageHash(config.root, 2n, 7n));
      expect(config.withCheckpoint(9n).checkpoint).to.equal(9n);
      expect(config.bumpCheckpoint().checkpoint).to.equal(8n);
    });

    it("gives the same result as building from scratch when one leaf is replaced", () => {
      const config = sample();
      for (const from of config.leaves) {
        const to: Leaf = { kind: "preapproved-digest", digest: word(`new ${leafHash(from)}`) };
        const fresh = Configuration.of({ threshold: 1n, checkpoint: 7n, leaves: [...config.leaves.filter((l) => leafHash(l) !== leafHash(from)), to] });
        expect(config.withThreshold(1n).replaceLeaf(from, to).imageHash).to.equal(fresh.imageHash);
      }
    });

    it("names the offending field and changes nothing when the update is invalid", () => {
      const config = Configuration.of({ threshold: 2n, checkpoint: 1n, leaves: [signer(1), signer(2)] });
      const before = config.dump();
      expectError(() => config.removeLeaf(signer(3)), "InvalidArgumentError", "LEAF_NOT_FOUND", "remove[0]");
      expectError(() => config.update({ remove: [signer(1), signer(1)] }), "InvalidArgumentError", "LEAF_NOT_FOUND", "remove[1]");
      expectError(() => config.removeLeaf(signer(1)), "InvalidArgumentError", "THRESHOLD_UNREACHABLE", "threshold");
      expectError(() => config.addLeaf(signer(2)), "InvalidArgumentError", "DUPLICATE_LEAF", "add[0]");
      expectError(() => config.addLeaf(signer(2, 2n)), "InvalidArgumentError", "DUPLICATE_SIGNER", "add[0]");
      expectError(() => config.addLeaf({ kind: "guard", guard: "0x1" } as never), "InvalidArgumentError", "INVALID_ADDRESS", "add[0].guard");
      expectError(() => config.replaceLeaf(signer(3), signer(4)), "InvalidArgumentError", "LEAF_NOT_FOUND", "replace[0].from");
      expectError(() => config.replaceLeaf(signer(1), signer(2)), "InvalidArgumentError", "DUPLICATE_LEAF", "replace[0].to");
      expectError(() => config.withThreshold(0n), "InvalidArgumentError", "THRESHOLD_TOO_LOW", "threshold");
      expectError(() => config.withCheckpoint(MAX_UINT256 + 1n), "InvalidArgumentError", "INTEGER_TOO_LARGE", "checkpoint");
      expectError(() => config.withCheckpoint(MAX_UINT256).bumpCheckpoint(), "InvalidArgumentError", "INTEGER_TOO_LARGE", "checkpoint");
      expect(config.dump()).to.deep.equal(before);
    });
  });

  describe("leafByHash", () => {
    it("returns the leaf when present and undefined when not", () => {
      const config = sample();
      expect(config.leafByHash(config.leafHashes[3])).to.deep.equal(config.leaves[3]);
      expect(config.leafByHash(word("absent"))).to.equal(undefined);
      expect(config.has(config.leaves[0])).to.equal(true);
      expect(config.has(signer(77))).to.equal(false);
    });
  });
});

describe("diff", () => {
  describe("diffConfigurations", () => {
    it("lists added and removed leaves and changed numbers", () => {
      const a = Configuration.of({ threshold: 2n, checkpoint: 1n, leaves: [signer(1), signer(2), signer(3)] });
      const b = a.update({ remove: [signer(1)], add: [signer(4)], replace: [{ from: signer(2), to: signer(2, 2n) }], threshold: 3n, checkpoint: 2n });
      const diff = diffConfigurations(a, b);
      expect(diff.added.map(leafHash).sort()).to.deep.equal([signer(4), signer(2, 2n)].map(leafHash).sort());
      expect(diff.removed.map(leafHash).sort()).to.deep.equal([signer(1), signer(2)].map(leafHash).sort());
      expect(diff.threshold).to.deep.equal({ from: 2n, to: 3n });
      expect(diff.checkpoint).to.deep.equal({ from: 1n, to: 2n });
    });

    it("returns empty lists and no number changes when given the same configuration", () => {
      const a = sample();
      expect(diffConfigurations(a, Configuration.load(a.dump()))).to.deep.equal({ added: [], removed: [], moved: [] });
    });
  });
});
