import { expect } from "chai";
import { AbiCoder, id, keccak256 } from "ethers";
import {
  LEAF_KINDS,
  LEAF_TAGS,
  leafFields,
  leafFromJson,
  leafHash,
  leafToJson,
  normalizeLeaf,
  type Leaf,
} from "../../../lib/configuration/leaves";
import { encodePermissions, permissionsHash, PERMISSIONS_ABI_TYPE } from "../../../lib/configuration/permissions";
import { MAX_UINT256 } from "../../../lib/hex";
import { expectError, oneOfEachKind, testAddress, word } from "../../helpers/fixtures";

/** The reference encoding: ethers' AbiCoder over (bytes32 tag, fields...). */
function referenceLeafHash(leaf: Leaf): string {
  const fields = leafFields(leaf.kind);
  const values = leaf as unknown as Record<string, unknown>;
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["bytes32", ...fields.map(([, type]) => type)],
      [id(`arbor.leaf.${leaf.kind}`), ...fields.map(([name]) => values[name])],
    ),
  );
}

describe("leaves", () => {
  describe("LEAF_TAGS", () => {
    it("is keccak256 of the spec's tag string for every kind", () => {
      expect(Object.keys(LEAF_TAGS)).to.have.members([...LEAF_KINDS]);
      for (const kind of LEAF_KINDS) expect(LEAF_TAGS[kind]).to.equal(id(`arbor.leaf.${kind}`));
    });
  });

  describe("leafHash", () => {
    it("equals keccak256(abi.encode(tag, fields)) when given a leaf of each kind", () => {
      for (const leaf of oneOfEachKind()) expect(leafHash(leaf)).to.equal(referenceLeafHash(leaf));
    });

    it("encodes extreme values as the ABI does when numbers are 0, 1 or 2^256-1", () => {
      const leaves: Leaf[] = [
        { kind: "ecdsa-signer", signer: "0x0000000000000000000000000000000000000000", weight: MAX_UINT256 },
        { kind: "passkey-signer", x: `0x${"ff".repeat(32)}`, y: `0x${"00".repeat(32)}`, requireUserVerification: false, weight: 1n },
        { kind: "session-permissions", sessionSigner: testAddress(9), chainId: 0n, valueLimit: MAX_UINT256, deadline: 0n, permissionsHash: word("p") },
        { kind: "recovery-key", signer: "0xffffffffffffffffffffffffffffffffffffffff", timelock: 0n },
      ];
      for (const leaf of leaves) expect(leafHash(leaf)).to.equal(referenceLeafHash(leaf));
    });

    it("gives different hashes when two kinds carry the same field values", () => {
      const signer = testAddress(1);
      const a = leafHash({ kind: "ecdsa-signer", signer, weight: 1n });
      const b = leafHash({ kind: "erc1271-signer", signer, weight: 1n });
      const c = leafHash({ kind: "guard", guard: signer, weight: 1n });
      expect(new Set([a, b, c]).size).to.equal(3);
    });

    it("is the same when the address is given in lowercase or checksummed", () => {
      const signer = testAddress(1);
      expect(leafHash({ kind: "identity-signer", signer: signer.toLowerCase() as `0x${string}` })).to.equal(
        leafHash({ kind: "identity-signer", signer }),
      );
    });

    it("throws InvalidArgumentError when the leaf is invalid", () => {
      expectError(() => leafHash({ kind: "ecdsa-signer", signer: testAddress(1), weight: 0n }), "InvalidArgumentError", "INTEGER_TOO_SMALL", "leaf.weight");
    });
  });

  describe("normalizeLeaf", () => {
    it("checksums addresses and lowercases bytes32 when given other casings", () => {
      const leaf = normalizeLeaf({ kind: "preapproved-digest", digest: `0x${"AB".repeat(32)}` }, "l");
      expect(leaf).to.deep.equal({ kind: "preapproved-digest", digest: `0x${"ab".repeat(32)}` });
      const signer = normalizeLeaf({ kind: "identity-signer", signer: testAddress(2).toLowerCase() }, "l");
      expect(signer).to.deep.equal({ kind: "identity-signer", signer: testAddress(2) });
    });

    it("names the offending field when a value is wrong", () => {
      const signer = testAddress(1);
      const cases: [unknown, string, string][] = [
        [null, "INVALID_LEAF", "leaves[2]"],
        [[], "INVALID_LEAF", "leaves[2]"],
        [{ kind: "owner", signer }, "UNKNOWN_LEAF_KIND", "leaves[2].kind"],
        [{ signer, weight: 1n }, "UNKNOWN_LEAF_KIND", "leaves[2].kind"],
        [{ kind: "ecdsa-signer", signer }, "MISSING_LEAF_FIELD", "leaves[2].weight"],
        [{ kind: "ecdsa-signer", signer, weight: 1n, extra: 1 }, "UNKNOWN_LEAF_FIELD", "leaves[2].extra"],
        [{ kind: "ecdsa-signer", signer, weight: 0n }, "INTEGER_TOO_SMALL", "leaves[2].weight"],
        [{ kind: "guard", guard: signer, weight: MAX_UINT256 + 1n }, "INTEGER_TOO_LARGE", "leaves[2].weight"],
        [{ kind: "ecdsa-signer", signer, weight: 1 }, "INVALID_INTEGER", "leaves[2].weight"],
        [{ kind: "recovery-key", signer, timelock: -1n }, "INTEGER_TOO_SMALL", "leaves[2].timelock"],
        [{ kind: "ecdsa-signer", signer: "0x1234", weight: 1n }, "INVALID_ADDRESS", "leaves[2].signer"],
        [{ kind: "ecdsa-signer", signer: signer + "00", weight: 1n }, "INVALID_ADDRESS", "leaves[2].signer"],
        [{ kind: "passkey-signer", x: "0x12", y: word("y"), requireUserVerification: true, weight: 1n }, "INVALID_BYTES32", "leaves[2].x"],
        [{ kind: "passkey-signer", x: word("x"), y: word("y"), requireUserVerification: 1, weight: 1n }, "INVALID_BOOLEAN", "leaves[2].requireUserVerification"],
        [{ kind: "preapproved-digest", digest: "0x" + "zz".repeat(32) }, "INVALID_BYTES32", "leaves[2].digest"],
      ];
      for (const [value, code, field] of cases) expectError(() => normalizeLeaf(value, "leaves[2]"), "InvalidArgumentError", code, field);
    });

    it("rejects a mixed-case address whose EIP-55 checksum is wrong", () => {
      const signer = testAddress(1);
      // Flip the case of the first letter in the address: the checksum no longer matches.
      const i = [...signer].findIndex((ch, k) => k > 1 && /[a-fA-F]/.test(ch));
      const flipped = signer.slice(0, i) + (signer[i] === signer[i].toLowerCase() ? signer[i].toUpperCase() : signer[i].toLowerCase()) + signer.slice(i + 1);
      expectError(() => normalizeLeaf({ kind: "identity-signer", signer: flipped }, "leaf"), "InvalidArgumentError", "INVALID_ADDRESS_CHECKSUM", "leaf.signer");
    });
  });

  describe("leafFromJson", () => {
    it("reads every kind back when given the output of leafToJson", () => {
      for (const leaf of oneOfEachKind()) expect(leafFromJson(JSON.parse(JSON.stringify(leafToJson(leaf))))).to.deep.equal(leaf);
    });

    it("rejects numbers that are not canonical decimal strings", () => {
      const signer = testAddress(1);
      for (const weight of [1, "01", "-1", "1e3", " 1", "0x1", "1.0", ""]) {
        expectError(() => leafFromJson({ kind: "guard", guard: signer, weight }, "leaves[0]"), "InvalidArgumentError", "INVALID_DECIMAL", "leaves[0].weight");
      }
      expectError(() => leafFromJson({ kind: "guard", guard: signer, weight: "0" }, "leaves[0]"), "InvalidArgumentError", "INTEGER_TOO_SMALL", "leaves[0].weight");
      expectError(
        () => leafFromJson({ kind: "guard", guard: signer, weight: (MAX_UINT256 + 1n).toString() }, "leaves[0]"),
        "InvalidArgumentError",
        "INTEGER_TOO_LARGE",
        "leaves[0].weight",
      );
    });
  });

  describe("leafToJson", () => {
    it("writes numbers as decimal strings when given bigints", () => {
      expect(leafToJson({ kind: "recovery-key", signer: testAddress(1), timelock: 86400n })).to.deep.equal({
        kind: "recovery-key",
        signer: testAddress(1),
        timelock: "86400",
      });
    });
  });
});

describe("permissions", () => {
  const target = testAddress(7);
  const rule = { operation: 2 as const, cumulative: true, offset: 4n, mask: word("mask"), value: word("value") };

  describe("permissionsHash", () => {
    it("hashes abi.encode(Permission[]) word by word when given one permission with one rule", () => {
      // Written out by hand from the ABI spec: offset to the array, its length, offset to the
      // tuple, the tuple's head (target, offset to rules), rules length, the rule's five words.
      const w = (n: bigint | number) => BigInt(n).toString(16).padStart(64, "0");
      const expected =
        "0x" +
        w(0x20) + w(1) + w(0x20) +
        target.slice(2).toLowerCase().padStart(64, "0") + w(0x40) +
        w(1) + w(2) + w(1) + w(4) + rule.mask.slice(2) + rule.value.slice(2);
      expect(encodePermissions([{ target, rules: [rule] }])).to.equal(expected);
      expect(permissionsHash([{ target, rules: [rule] }])).to.equal(keccak256(expected));
    });

    it("matches the AbiCoder encoding when given several permissions", () => {
      const perms = [
        { target, rules: [rule, { ...rule, operation: 0 as const, cumulative: false }] },
        { target: testAddress(8), rules: [] },
      ];
      const ref = AbiCoder.defaultAbiCoder().encode(
        [PERMISSIONS_ABI_TYPE],
        [perms.map((p) => [p.target, p.rules.map((r) => [r.operation, r.cumulative, r.offset, r.mask, r.value])])],
      );
      expect(permissionsHash(perms)).to.equal(keccak256(ref));
      expect(permissionsHash([])).to.equal(keccak256(AbiCoder.defaultAbiCoder().encode([PERMISSIONS_ABI_TYPE], [[]])));
    });

    it("names the offending field when a rule is invalid", () => {
      expectError(() => permissionsHash([{ target, rules: [{ ...rule, operation: 6 as never }] }]), "InvalidArgumentError", "INVALID_RULE_OPERATION", "permissions[0].rules[0].operation");
      expectError(() => permissionsHash([{ target, rules: [{ ...rule, mask: "0x00" as `0x${string}` }] }]), "InvalidArgumentError", "INVALID_BYTES32", "permissions[0].rules[0].mask");
      expectError(() => permissionsHash([{ target: "0x00" as `0x${string}`, rules: [] }]), "InvalidArgumentError", "INVALID_ADDRESS", "permissions[0].target");
      expectError(() => permissionsHash([{ target, rules: [{ ...rule, offset: -1n }] }]), "InvalidArgumentError", "INTEGER_TOO_SMALL", "permissions[0].rules[0].offset");
      expectError(() => permissionsHash("x" as never), "InvalidArgumentError", "INVALID_ARRAY", "permissions");
    });

    it("refuses a length rule with a cumulative flag, an offset or a mask, naming that field", () => {
      const length = { operation: 4 as const, cumulative: false, offset: 0n, mask: `0x${"00".repeat(32)}` as `0x${string}`, value: rule.value };
      expect(permissionsHash([{ target, rules: [length, { ...length, operation: 5 }] }])).to.match(/^0x[0-9a-f]{64}$/);
      expectError(() => permissionsHash([{ target, rules: [{ ...length, cumulative: true }] }]), "InvalidArgumentError", "INVALID_LENGTH_RULE", "permissions[0].rules[0].cumulative");
      expectError(() => permissionsHash([{ target, rules: [{ ...length, offset: 4n }] }]), "InvalidArgumentError", "INVALID_LENGTH_RULE", "permissions[0].rules[0].offset");
      expectError(() => permissionsHash([{ target, rules: [length, { ...length, operation: 5, mask: `0x${"ff".repeat(32)}` }] }]), "InvalidArgumentError", "INVALID_LENGTH_RULE", "permissions[0].rules[1].mask");
    });
  });
});
