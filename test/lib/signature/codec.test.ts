import { expect } from "chai";
import { concat, toBeHex, zeroPadValue } from "ethers";
import { decodeSignature } from "../../../lib/signature/decode-signature";
import { encodeSignature } from "../../../lib/signature/encode-signature";
import type { WalletSignature } from "../../../lib/signature/types";
import { MAX_UINT256, type Hex } from "../../../lib/hex";
import { expectError, testAddress, word } from "../../helpers/fixtures";

const u256 = (n: bigint) => zeroPadValue(toBeHex(n), 32);

const sample: WalletSignature = {
  chainIdZero: true,
  threshold: 3n,
  checkpoint: MAX_UINT256,
  parts: [
    { kind: "ecdsa", weight: 1n, r: word("r1"), s: word("s1"), v: 27 },
    { kind: "ecdsa-compact", weight: 2n, r: word("r2"), yParityAndS: word("vs2") },
    { kind: "erc1271", signer: testAddress(1), weight: 5n, signature: "0xdeadbeef" },
    { kind: "preapproved-digest" },
  ],
  proof: [word("p1"), word("p2")],
  proofFlags: [true, false, true, false, true],
};

/** Header: flags, threshold, checkpoint, partCount. */
const header = (flags: number, parts: number) => concat([toBeHex(flags, 1), u256(1n), u256(0n), toBeHex(parts, 1)]);

describe("signature codec", () => {
  describe("encodeSignature", () => {
    it("lays out every field as the spec says when given one part of each kind", () => {
      const expected = concat([
        "0x01", u256(3n), u256(MAX_UINT256), "0x04",
        "0x01", u256(1n), word("r1"), word("s1"), "0x1b",
        "0x02", u256(2n), word("r2"), word("vs2"),
        "0x03", testAddress(1), u256(5n), "0x000004", "0xdeadbeef",
        "0x04",
        "0x02", word("p1"), word("p2"),
        "0x0100010001",
      ]);
      expect(encodeSignature(sample)).to.equal(expected.toLowerCase());
    });

    it("names the offending field when the signature cannot be encoded", () => {
      expectError(() => encodeSignature({ ...sample, parts: [] }), "InvalidArgumentError", "INVALID_PART_COUNT", "parts");
      expectError(() => encodeSignature({ ...sample, proofFlags: [true] }), "InvalidArgumentError", "INVALID_PROOF_FLAGS", "proofFlags");
      expectError(() => encodeSignature({ ...sample, proof: Array(256).fill(word("p")) }), "InvalidArgumentError", "INVALID_PROOF_LENGTH", "proof");
      expectError(() => encodeSignature({ ...sample, threshold: -1n }), "InvalidArgumentError", "INTEGER_TOO_SMALL", "threshold");
      expectError(
        () => encodeSignature({ ...sample, parts: [{ kind: "ecdsa", weight: 1n, r: word("r"), s: word("s"), v: 256 }, ...sample.parts.slice(1)] }),
        "InvalidArgumentError",
        "INVALID_V",
        "parts[0].v",
      );
      expectError(
        () => encodeSignature({ ...sample, parts: [{ kind: "erc1271", signer: "0x12", weight: 1n, signature: "0x" }, ...sample.parts.slice(1)] }),
        "InvalidArgumentError",
        "INVALID_ADDRESS",
        "parts[0].signer",
      );
      expectError(
        () => encodeSignature({ ...sample, parts: [{ kind: "bls" } as never, ...sample.parts.slice(1)] }),
        "InvalidArgumentError",
        "UNKNOWN_PART_KIND",
        "parts[0].kind",
      );
      expectError(
        () => encodeSignature({ ...sample, proofFlags: [1, 0, 1, 0, 1] as never }),
        "InvalidArgumentError",
        "INVALID_PROOF_FLAGS",
        "proofFlags[0]",
      );
    });
  });

  describe("decodeSignature", () => {
    it("returns the encoded fields when given the output of encodeSignature", () => {
      expect(decodeSignature(encodeSignature(sample))).to.deep.equal(sample);
      const minimal: WalletSignature = { chainIdZero: false, threshold: 1n, checkpoint: 0n, parts: [{ kind: "preapproved-digest" }], proof: [], proofFlags: [] };
      expect(decodeSignature(encodeSignature(minimal))).to.deep.equal(minimal);
    });

    it("throws SignatureTruncated(66, length) when the header is incomplete", () => {
      for (const sig of ["0x", "0x00", header(0, 1).slice(0, -2)]) {
        const length = (sig.length - 2) / 2;
        const err = expectError(() => decodeSignature(sig), "SignatureError", "SignatureTruncated");
        expect(err.args).to.deep.equal([66n, BigInt(length)]);
      }
    });

    it("throws UnsupportedSignatureFlags when any bit but bit 0 is set, including the session bit", () => {
      for (const flags of [0x02, 0x03, 0x80, 0xff]) {
        const err = expectError(() => decodeSignature(header(flags, 1)), "SignatureError", "UnsupportedSignatureFlags");
        expect(err.args).to.deep.equal([BigInt(flags)]);
      }
    });

    it("throws ChainIdZeroNotAllowed when bit 0 is set and the payload must be chain-bound", () => {
      const sig = encodeSignature(sample);
      expectError(() => decodeSignature(sig, { allowChainIdZero: false }), "SignatureError", "ChainIdZeroNotAllowed");
      expect(decodeSignature(sig, { allowChainIdZero: true }).chainIdZero).to.equal(true);
    });

    it("throws EmptySignature when partCount is 0", () => {
      expectError(() => decodeSignature(concat([header(0, 0), "0x00"])), "SignatureError", "EmptySignature");
    });

    it("throws UnknownSignaturePart(index, kind) when a part kind is not in the table", () => {
      const err = expectError(() => decodeSignature(concat([header(0, 2), "0x04", "0x05"])), "SignatureError", "UnknownSignaturePart");
      expect(err.args).to.deep.equal([1n, 5n]);
      expectError(() => decodeSignature(concat([header(0, 1), "0x00"])), "SignatureError", "UnknownSignaturePart");
    });

    it("throws SignatureTruncated with the end of the field that runs past the end", () => {
      const full = encodeSignature(sample);
      const bytes = (full.length - 2) / 2;
      // Cut at every length: each cut must be reported as truncation, never as anything else.
      for (let cut = 66; cut < bytes; cut++) {
        const err = expectError(() => decodeSignature(full.slice(0, 2 + 2 * cut)), "SignatureError", "SignatureTruncated");
        expect(Number(err.args![0])).to.be.greaterThan(cut);
        expect(err.args![1]).to.equal(BigInt(cut));
      }
      // The ECDSA body ends at 66 + 1 + 97.
      const err = expectError(() => decodeSignature(concat([header(0, 1), "0x01", u256(1n)])), "SignatureError", "SignatureTruncated");
      expect(err.args).to.deep.equal([164n, 99n]);
      // An ERC-1271 length that claims more bytes than there are.
      const erc = concat([header(0, 1), "0x03", testAddress(1), u256(1n), "0xffffff", "0x00"]);
      expect(expectError(() => decodeSignature(erc), "SignatureError", "SignatureTruncated").args![0]).to.equal(BigInt(66 + 1 + 55 + 0xffffff));
    });

    it("throws InvalidProofFlag(index, value) when a flag byte is not 0 or 1", () => {
      const sig = concat([header(0, 2), "0x04", "0x04", "0x01", word("p"), "0x01", "0x02"]);
      const err = expectError(() => decodeSignature(sig), "SignatureError", "InvalidProofFlag");
      expect(err.args).to.deep.equal([1n, 2n]);
    });

    it("throws SignatureTrailingBytes(consumed, length) when bytes follow the last flag", () => {
      const sig = concat([encodeSignature(sample), "0x00"]);
      const length = (sig.length - 2) / 2;
      const err = expectError(() => decodeSignature(sig), "SignatureError", "SignatureTrailingBytes");
      expect(err.args).to.deep.equal([BigInt(length - 1), BigInt(length)]);
    });

    it("reports the first failed check in spec order when several checks fail", () => {
      // Bad flags and an unknown part: flags come first.
      expectError(() => decodeSignature(concat([header(0x02, 1), "0x09"])), "SignatureError", "UnsupportedSignatureFlags");
      // Chain id 0 not allowed and no parts: the chain id check comes first.
      expectError(() => decodeSignature(concat([header(0x01, 0)]), { allowChainIdZero: false }), "SignatureError", "ChainIdZeroNotAllowed");
      // A bad flag byte and trailing bytes: the flag comes first.
      expectError(() => decodeSignature(concat([header(0, 2), "0x04", "0x04", "0x00", "0x07", "0x00"])), "SignatureError", "InvalidProofFlag");
    });

    it("throws InvalidArgumentError when the input is not hex", () => {
      expectError(() => decodeSignature("0x0" as Hex), "InvalidArgumentError", "INVALID_HEX", "signature");
    });
  });
});
