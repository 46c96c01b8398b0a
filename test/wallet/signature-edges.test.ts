/**
 * Review: the wallet signature parser at its edges (lib/signature/ENCODING.md, step 1), where the
 * assembly walk in WalletSignature._checkStructure does its own arithmetic: lengths near 2^24,
 * counts of 255, the word-by-word proof-flag scan across a 32-byte boundary, and bytes after the
 * last flag. Each case runs through the contract (SignatureHarness) and the library's decoder,
 * which must name the same error with the same arguments.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { decodeSignature } from "../../lib/signature/decode-signature";
import { SignatureError } from "../../lib/errors";
import type { Hex } from "../../lib/hex";
import type { SignatureHarness } from "../../typechain-types";

const STRUCT_HASH = ethers.id("review: signature edges") as Hex;

/** flags, threshold 1, checkpoint 0, partCount. */
function header(partCount: number, flags = 0): string {
  return ethers.concat([ethers.toBeHex(flags, 1), ethers.toBeHex(1n, 32), ethers.toBeHex(0n, 32), ethers.toBeHex(partCount, 1)]);
}

/** A pre-approved-digest part: one kind byte, no body. Structure checks need no cryptography. */
const PREAPPROVED = "0x04";

type Outcome = { name: string; args: string[] } | { ok: true };

describe("WalletSignature (review: parser edges)", () => {
  async function fixture() {
    return { harness: (await ethers.deployContract("SignatureHarness")) as unknown as SignatureHarness };
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

  function library(signature: string): Outcome {
    try {
      decodeSignature(signature, { allowChainIdZero: false });
      return { ok: true };
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
      return { name: error.code, args: error.args.map((a) => String(a)) };
    }
  }

  async function expectBoth(harness: SignatureHarness, signature: string, name: string, args: bigint[]) {
    const expected = { name, args: args.map(String) };
    expect(library(signature), "library").to.deep.equal(expected);
    expect(await contract(harness, signature), "contract").to.deep.equal(expected);
  }

  describe("recover", () => {
    it("rejects with SignatureTruncated at 66 + 56 + 2^24 - 1 when an ERC-1271 part claims 0xffffff signature bytes", async () => {
      const { harness } = await loadFixture(fixture);
      const part = ethers.concat(["0x03", ethers.toBeHex(0xc0ffee, 20), ethers.toBeHex(1n, 32), "0xffffff", "0x1234"]);
      const signature = ethers.concat([header(1), part, "0x00"]);
      await expectBoth(harness, signature, "SignatureTruncated", [66n + 56n + 0xffffffn, BigInt(ethers.dataLength(signature))]);
    });

    it("rejects with SignatureTruncated at the fourth part's kind byte when partCount is 255 and only three parts follow", async () => {
      const { harness } = await loadFixture(fixture);
      const signature = ethers.concat([header(255), PREAPPROVED, PREAPPROVED, PREAPPROVED]);
      await expectBoth(harness, signature, "SignatureTruncated", [70n, 69n]);
    });

    it("rejects with SignatureTruncated at the implied end when proofLength is 255 and no proof follows", async () => {
      const { harness } = await loadFixture(fixture);
      const signature = ethers.concat([header(1), PREAPPROVED, "0xff"]);
      // flags start after 255 words; 1 + 255 - 1 flags follow them.
      const end = 68n + 255n * 32n + 255n;
      await expectBoth(harness, signature, "SignatureTruncated", [end, 68n]);
    });

    it("rejects with InvalidProofFlag(32, 2) when the bad flag is the first byte of the scan's second word", async () => {
      const { harness } = await loadFixture(fixture);
      // One leaf and 33 proof hashes: 33 flags, so the scan reads a full word and then one byte.
      const flags = new Uint8Array(33);
      flags[32] = 2;
      const signature = ethers.concat([header(1), PREAPPROVED, ethers.toBeHex(33, 1), ...Array(33).fill(ethers.ZeroHash), flags]);
      await expectBoth(harness, signature, "InvalidProofFlag", [32n, 2n]);
    });

    it("rejects with InvalidProofFlag(31, 255) when the bad flag is the last byte of a full first word", async () => {
      const { harness } = await loadFixture(fixture);
      const flags = new Uint8Array(33);
      flags[31] = 0xff;
      const signature = ethers.concat([header(1), PREAPPROVED, ethers.toBeHex(33, 1), ...Array(33).fill(ethers.ZeroHash), flags]);
      await expectBoth(harness, signature, "InvalidProofFlag", [31n, 255n]);
    });

    it("rejects with SignatureTrailingBytes, not InvalidProofFlag, when a byte above 1 follows the last flag", async () => {
      const { harness } = await loadFixture(fixture);
      // Two parts and no proof: one flag (1), then a stray 0x07 inside the same calldata word.
      const signature = ethers.concat([header(2), PREAPPROVED, PREAPPROVED, "0x00", "0x01", "0x07"]);
      await expectBoth(harness, signature, "SignatureTrailingBytes", [70n, 71n]);
    });

    it("passes the structure walk and fails on the leaves when 255 pre-approved parts carry a 255-hash proof", async () => {
      const { harness } = await loadFixture(fixture);
      // The largest layout the format allows: 255 parts, 255 proof hashes, 509 flags.
      const flags = new Uint8Array(255 + 255 - 1);
      const signature = ethers.concat([header(255), ...Array(255).fill(PREAPPROVED), ethers.toBeHex(255, 1), ...Array(255).fill(ethers.ZeroHash), flags]);
      expect(library(signature)).to.deep.equal({ ok: true });
      // The second pre-approved part proves the same leaf as the first.
      const outcome = await contract(harness, signature);
      expect(outcome).to.have.property("name", "DuplicateLeaf");
      expect((outcome as { args: string[] }).args[0]).to.equal("1");
    });
  });
});
