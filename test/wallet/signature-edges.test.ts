/**
 * Review: the wallet signature walk at its edges (lib/signature/ENCODING.md, "Verification"):
 * lengths near 2^24, the 64-hash stack limit, long runs of pruned hashes and nodes, weights at
 * 255. Each case runs through the contract (SignatureHarness) and the library's verifier
 * (`recoverSignature`, the same single pass), which must name the same error with the same arguments.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { recoverSignature } from "../../lib/signature/recover-signature";
import { hashMessage } from "../../lib/payload/hash-message";
import { MESSAGE_TYPEHASH } from "../../lib/payload/domain";
import { SignatureError } from "../../lib/errors";
import type { Hex } from "../../lib/hex";
import type { SignatureHarness } from "../../typechain-types";

const MESSAGE = ethers.id("review: signature edges") as Hex;
const STRUCT_HASH = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], [MESSAGE_TYPEHASH, MESSAGE])) as Hex;

/** flags, threshold 1, checkpoint 0. */
const HEADER = ethers.concat(["0x00", "0x0001", "0x0000000000000000"]);
/** A pre-approved-digest part: one opcode byte, no body. Walk checks need no cryptography. */
const PREAPPROVED = "0x05";
const hashStep = (label: string) => ethers.concat(["0x01", ethers.id(label)]);

type Outcome = { name: string; args: string[] } | { ok: true };

describe("WalletSignature (review: walk edges)", () => {
  async function fixture() {
    const harness = (await ethers.deployContract("SignatureHarness")) as unknown as SignatureHarness;
    return { harness, digest: hashMessage(MESSAGE, { wallet: await harness.getAddress(), chainId: 31337n }) };
  }

  async function contract(harness: SignatureHarness, signature: string): Promise<Outcome> {
    try {
      await harness.recover(STRUCT_HASH, signature, false);
      return { ok: true };
    } catch (error) {
      const data = (error as { data?: string }).data;
      if (typeof data !== "string") throw error;
      const parsed = harness.interface.parseError(data);
      if (parsed === null) return { name: `unparsed ${data.slice(0, 10)}`, args: [] };
      return { name: parsed.name, args: parsed.args.map((a: unknown) => String(a)) };
    }
  }

  async function library(digest: Hex, signature: string): Promise<Outcome> {
    try {
      await recoverSignature(digest, signature);
      return { ok: true };
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
      return { name: error.code, args: error.args.map((a) => String(a)) };
    }
  }

  async function expectBoth(signature: string, name: string, args: bigint[]) {
    const { harness, digest } = await loadFixture(fixture);
    const expected = { name, args: args.map(String) };
    expect(await library(digest, signature), "library").to.deep.equal(expected);
    expect(await contract(harness, signature), "contract").to.deep.equal(expected);
  }

  describe("recover", () => {
    it("rejects with SignatureTruncated at 11 + 25 + 2^24 - 1 when an ERC-1271 part claims 0xffffff signature bytes", async () => {
      const part = ethers.concat(["0x04", ethers.ZeroAddress, "0x01", "0xffffff"]);
      await expectBoth(ethers.concat([HEADER, part]), "SignatureTruncated", [11n + 25n + 0xffffffn, 36n]);
    });

    it("rejects with SignatureTruncated at the end of a hash step cut one byte short", async () => {
      const signature = ethers.concat([HEADER, PREAPPROVED, hashStep("h")]);
      await expectBoth(ethers.dataSlice(signature, 0, ethers.dataLength(signature) - 1), "SignatureTruncated", [45n, 44n]);
    });

    it("rejects with SignatureWalkTooDeep at the 65th push and accepts 64 hashes before it", async () => {
      const hashes = Array.from({ length: 63 }, (_, i) => hashStep(`h${i}`));
      // 1 part + 63 hashes = 64 on the stack: unbalanced, but not too deep.
      await expectBoth(ethers.concat([HEADER, PREAPPROVED, ...hashes]), "SignatureWalkUnbalanced", [64n]);
      const offset = BigInt(ethers.dataLength(ethers.concat([HEADER, PREAPPROVED, ...hashes])));
      await expectBoth(ethers.concat([HEADER, PREAPPROVED, ...hashes, hashStep("one more")]), "SignatureWalkTooDeep", [offset]);
    });

    it("rejects with SignatureWalkPrunable at the node after two hashes, before it looks at the stack", async () => {
      const signature = ethers.concat([HEADER, hashStep("a"), hashStep("b"), "0x00"]);
      await expectBoth(signature, "SignatureWalkPrunable", [77n]);
    });

    it("rejects with SignatureWalkUnderflow at a node with one hash on the stack", async () => {
      await expectBoth(ethers.concat([HEADER, PREAPPROVED, "0x00"]), "SignatureWalkUnderflow", [12n]);
      await expectBoth(ethers.concat([HEADER, "0x00"]), "SignatureWalkUnderflow", [11n]);
    });

    it("accepts 255 pre-approved parts joined by 254 nodes and proves a root, like the library", async () => {
      const { harness, digest } = await loadFixture(fixture);
      // Every leaf is the same pre-approved digest leaf: equal children, a non-canonical walk
      // that the caller rejects (SignatureWalkUnsorted) once the image hash matches.
      const steps = [PREAPPROVED, ...Array.from({ length: 254 }, () => ethers.concat([PREAPPROVED, "0x00"]))];
      const signature = ethers.concat([HEADER, ...steps]);
      const recovered = await harness.recover(STRUCT_HASH, signature, false);
      const library = await recoverSignature(digest, signature);
      expect(recovered.imageHash).to.equal(library.imageHash);
      expect(recovered.unsortedAt).to.equal(library.unsorted!.offset);
    });

    it("rejects with UnknownSignatureStep for every opcode above 0x05", async () => {
      for (const op of [0x06, 0x7f, 0xff]) {
        await expectBoth(ethers.concat([HEADER, PREAPPROVED, ethers.toBeHex(op, 1)]), "UnknownSignatureStep", [12n, BigInt(op)]);
      }
    });
  });
});
