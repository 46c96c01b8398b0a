/**
 * `sessionCallHash`, the hash a session key signs for one call ("arbor.session-call.v2"): it
 * equals the module's `explicitSessionCallHash` / `attestedSessionCallHash` and an independent
 * ethers AbiCoder encoding on random inputs, changes with every field of the grant, stays pinned
 * by frozen vectors, and refuses bad arguments by name.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { InvalidArgumentError } from "../../lib/errors";
import type { Hex } from "../../lib/hex";
import { SESSION_CALL_TAG, sessionCallHash, type SessionCallGrant } from "../../lib/sessions";
import type { ArborSessions } from "../../typechain-types";

const RUNS = Number(process.env.SESSIONS_PROPERTY_RUNS ?? (process.env.CI ? 500 : 100));
const MAX_UINT256 = (1n << 256n) - 1n;
const coder = ethers.AbiCoder.defaultAbiCoder();

const arbWord = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => ethers.hexlify(b) as Hex);
const arbUint = fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: MAX_UINT256 }), fc.constant(MAX_UINT256));

function expectInvalid(fn: () => unknown, code: string, field: string) {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).code).to.equal(code);
    expect((error as InvalidArgumentError).field).to.equal(field);
    return;
  }
  expect.fail(`expected InvalidArgumentError ${code} on ${field}`);
}

describe("sessionCallHash", () => {
  let sessions: ArborSessions;

  before(async () => {
    sessions = (await ethers.deployContract("ArborSessions")) as unknown as ArborSessions;
  });

  describe("agreement with ArborSessions", () => {
    it("equals explicitSessionCallHash and abi.encode(tag, digest, callIndex, sessionLeaf, permissionIndex) when given random words (law: one encoding)", async () => {
      await fc.assert(
        fc.asyncProperty(arbWord, arbUint, arbWord, arbUint, async (digest, callIndex, sessionLeaf, permissionIndex) => {
          const library = sessionCallHash(digest, callIndex, { kind: "explicit", sessionLeaf, permissionIndex });
          const independent = ethers.keccak256(
            coder.encode(["bytes32", "bytes32", "uint256", "bytes32", "uint256"], [ethers.id("arbor.session-call.v2"), digest, callIndex, sessionLeaf, permissionIndex]),
          );
          expect(library).to.equal(independent);
          expect(await sessions.explicitSessionCallHash(digest, callIndex, sessionLeaf, permissionIndex)).to.equal(library);
        }),
        { numRuns: RUNS },
      );
    });

    it("equals attestedSessionCallHash and abi.encode(tag, digest, callIndex, attestationHash) when given random words (law: one encoding)", async () => {
      await fc.assert(
        fc.asyncProperty(arbWord, arbUint, arbWord, async (digest, callIndex, attestationHash) => {
          const library = sessionCallHash(digest, callIndex, { kind: "attested", attestationHash });
          const independent = ethers.keccak256(
            coder.encode(["bytes32", "bytes32", "uint256", "bytes32"], [ethers.id("arbor.session-call.v2"), digest, callIndex, attestationHash]),
          );
          expect(library).to.equal(independent);
          expect(await sessions.attestedSessionCallHash(digest, callIndex, attestationHash)).to.equal(library);
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe("binding", () => {
    it("changes when any one of digest, call index, leaf, permission index or attestation changes (law: nothing of the grant is unsigned)", () => {
      fc.assert(
        fc.property(arbWord, fc.nat(254), arbWord, fc.nat(254), fc.nat(4), (digest, callIndex, grantWord, permissionIndex, field) => {
          const base: SessionCallGrant = { kind: "explicit", sessionLeaf: grantWord, permissionIndex };
          const flipped = (hex: Hex): Hex => `${hex.slice(0, -1)}${(parseInt(hex.slice(-1), 16) ^ 1).toString(16)}` as Hex;
          const variants: [Hex, number, SessionCallGrant][] = [
            [flipped(digest), callIndex, base],
            [digest, callIndex + 1, base],
            [digest, callIndex, { ...base, sessionLeaf: flipped(grantWord) }],
            [digest, callIndex, { ...base, permissionIndex: permissionIndex + 1 }],
            // The same word as an attestation hash: the explicit and attested forms never coincide.
            [digest, callIndex, { kind: "attested", attestationHash: grantWord }],
          ];
          const [d, i, g] = variants[field];
          expect(sessionCallHash(d, i, g)).to.not.equal(sessionCallHash(digest, callIndex, base));
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe("frozen vectors", () => {
    it("returns the v2 hashes recorded when the format was fixed when given the frozen inputs", async () => {
      expect(SESSION_CALL_TAG).to.equal("0x769d91c0c0f1e786dacbdad5e5a4260f1c44d3fd9aae2c139bc647f01a64a25a");
      const digest = ethers.id("frozen/digest");
      const explicit = "0xf1fe6fac899a8773c67553af5cd353951075695225d8c19fddb4d1a2d141eaa3";
      const attested = "0xbe60c7410a50ed47d8a70db90249408ad2c886e951ee289e06b0ace091f6beb4";
      expect(sessionCallHash(digest, 2, { kind: "explicit", sessionLeaf: ethers.id("frozen/leaf"), permissionIndex: 1 })).to.equal(explicit);
      expect(sessionCallHash(digest, 2n, { kind: "attested", attestationHash: ethers.id("frozen/attestation") })).to.equal(attested);
      expect(await sessions.explicitSessionCallHash(digest, 2, ethers.id("frozen/leaf"), 1)).to.equal(explicit);
      expect(await sessions.attestedSessionCallHash(digest, 2, ethers.id("frozen/attestation"))).to.equal(attested);
    });
  });

  describe("bad arguments", () => {
    const digest = ethers.ZeroHash;
    const leaf = ethers.id("leaf");

    it("throws INVALID_GRANT when the grant is missing or of an unknown kind", () => {
      expectInvalid(() => sessionCallHash(digest, 0, undefined as never), "INVALID_GRANT", "grant");
      expectInvalid(() => sessionCallHash(digest, 0, { kind: "implicit", attestationHash: leaf } as never), "INVALID_GRANT", "grant");
    });

    it("throws naming the field when the call index is negative, fractional, too large or not a number", () => {
      const grant: SessionCallGrant = { kind: "explicit", sessionLeaf: leaf, permissionIndex: 0 };
      expectInvalid(() => sessionCallHash(digest, -1, grant), "INTEGER_TOO_SMALL", "callIndex");
      expectInvalid(() => sessionCallHash(digest, 1.5, grant), "INVALID_INTEGER", "callIndex");
      expectInvalid(() => sessionCallHash(digest, MAX_UINT256 + 1n, grant), "INTEGER_TOO_LARGE", "callIndex");
      expectInvalid(() => sessionCallHash(digest, "0" as never, grant), "INVALID_INTEGER", "callIndex");
    });

    it("throws naming the field when the digest, the leaf, the permission index or the attestation hash is bad", () => {
      const bad = (fn: () => unknown, field: string) => {
        try {
          fn();
        } catch (error) {
          expect(error).to.be.instanceOf(InvalidArgumentError);
          expect((error as InvalidArgumentError).field).to.equal(field);
          return;
        }
        expect.fail(`expected InvalidArgumentError on ${field}`);
      };
      bad(() => sessionCallHash("0x1234", 0, { kind: "explicit", sessionLeaf: leaf, permissionIndex: 0 }), "digest");
      bad(() => sessionCallHash(digest, 0, { kind: "explicit", sessionLeaf: "0xzz", permissionIndex: 0 }), "grant.sessionLeaf");
      expectInvalid(() => sessionCallHash(digest, 0, { kind: "explicit", sessionLeaf: leaf, permissionIndex: -1 }), "INTEGER_TOO_SMALL", "grant.permissionIndex");
      expectInvalid(() => sessionCallHash(digest, 0, { kind: "explicit", sessionLeaf: leaf, permissionIndex: undefined as never }), "INVALID_INTEGER", "grant.permissionIndex");
      bad(() => sessionCallHash(digest, 0, { kind: "attested", attestationHash: `0x${"00".repeat(33)}` }), "grant.attestationHash");
    });
  });
});
