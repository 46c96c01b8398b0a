import { expect } from "chai";
import { concat, toBeHex } from "ethers";
import { decodeSignature } from "../../../lib/signature/decode-signature";
import { encodeSignature } from "../../../lib/signature/encode-signature";
import type { WalletSignature } from "../../../lib/signature/types";
import { expectError, testAddress, word } from "../../helpers/fixtures";

const sample: WalletSignature = {
  chainIdZero: true,
  threshold: 0x1234n,
  checkpoint: (1n << 64n) - 1n,
  walk: [
    { op: "part", part: { kind: "ecdsa", weight: 1n, r: word("r1"), s: word("s1"), v: 27 } },
    { op: "hash", hash: word("h1") },
    { op: "node" },
    { op: "part", part: { kind: "ecdsa-compact", weight: 2n, r: word("r2"), yParityAndS: word("vs2") } },
    { op: "part", part: { kind: "erc1271", signer: testAddress(1), weight: 255n, signature: "0xdeadbeef" } },
    { op: "part", part: { kind: "preapproved-digest" } },
    { op: "node" },
  ],
};

/** Header: flags, threshold (uint16), checkpoint (uint64). */
const header = (flags: number) => concat([toBeHex(flags, 1), "0x0001", "0x0000000000000000"]);

describe("signature codec", () => {
  describe("encodeSignature", () => {
    it("lays out every field as the spec says when given one step of each kind", () => {
      const expected = concat([
        "0x01", "0x1234", "0xffffffffffffffff",
        "0x02", "0x01", word("r1"), word("s1"), "0x1b",
        "0x01", word("h1"),
        "0x00",
        "0x03", "0x02", word("r2"), word("vs2"),
        "0x04", testAddress(1), "0xff", "0x000004", "0xdeadbeef",
        "0x05",
        "0x00",
      ]);
      expect(encodeSignature(sample)).to.equal(expected.toLowerCase());
    });

    it("names the offending field when a value does not fit the layout", () => {
      expectError(() => encodeSignature({ ...sample, threshold: 0n }), "InvalidArgumentError", "THRESHOLD_OUT_OF_RANGE", "threshold");
      expectError(() => encodeSignature({ ...sample, threshold: 65_536n }), "InvalidArgumentError", "THRESHOLD_OUT_OF_RANGE", "threshold");
      expectError(() => encodeSignature({ ...sample, checkpoint: 1n << 64n }), "InvalidArgumentError", "CHECKPOINT_OUT_OF_RANGE", "checkpoint");
      expectError(() => encodeSignature({ ...sample, checkpoint: -1n }), "InvalidArgumentError", "INTEGER_TOO_SMALL", "checkpoint");
      for (const weight of [0n, 256n]) {
        expectError(
          () => encodeSignature({ ...sample, walk: [{ op: "part", part: { kind: "ecdsa", weight, r: word("r"), s: word("s"), v: 27 } }] }),
          "InvalidArgumentError",
          "WEIGHT_OUT_OF_RANGE",
          "walk[0].part.weight",
        );
      }
      expectError(
        () => encodeSignature({ ...sample, walk: [{ op: "part", part: { kind: "ecdsa", weight: 1n, r: word("r"), s: word("s"), v: 256 } }] }),
        "InvalidArgumentError",
        "INVALID_V",
        "walk[0].part.v",
      );
      expectError(
        () => encodeSignature({ ...sample, walk: [{ op: "part", part: { kind: "erc1271", signer: "0x12", weight: 1n, signature: "0x" } }] }),
        "InvalidArgumentError",
        "INVALID_ADDRESS",
        "walk[0].part.signer",
      );
      expectError(() => encodeSignature({ ...sample, walk: [{ op: "part", part: { kind: "bls" } as never }] }), "InvalidArgumentError", "UNKNOWN_PART_KIND", "walk[0].part.kind");
      expectError(() => encodeSignature({ ...sample, walk: [{ op: "jump" } as never] }), "InvalidArgumentError", "UNKNOWN_STEP", "walk[0].op");
      expectError(() => encodeSignature({ ...sample, walk: [{ op: "hash", hash: "0x12" }] }), "InvalidArgumentError", "INVALID_BYTES32", "walk[0].hash");
    });
  });

  describe("decodeSignature", () => {
    it("returns the encoded fields when given the output of encodeSignature", () => {
      expect(decodeSignature(encodeSignature(sample))).to.deep.equal(sample);
      const minimal: WalletSignature = { chainIdZero: false, threshold: 1n, checkpoint: 0n, walk: [{ op: "part", part: { kind: "preapproved-digest" } }] };
      expect(decodeSignature(encodeSignature(minimal))).to.deep.equal(minimal);
    });

    it("throws SignatureTruncated(11, length) when the header is incomplete", () => {
      for (const sig of ["0x", "0x00", header(0).slice(0, -2)]) {
        const length = (sig.length - 2) / 2;
        const err = expectError(() => decodeSignature(sig), "SignatureError", "SignatureTruncated");
        expect(err.args).to.deep.equal([11n, BigInt(length)]);
      }
    });

    it("throws UnsupportedSignatureFlags when any bit but bit 0 is set, including the session bit", () => {
      for (const flags of [0x02, 0x03, 0x80, 0xff]) {
        const err = expectError(() => decodeSignature(header(flags)), "SignatureError", "UnsupportedSignatureFlags");
        expect(err.args).to.deep.equal([BigInt(flags)]);
      }
    });

    it("throws ChainIdZeroNotAllowed when bit 0 is set and the payload must be chain-bound", () => {
      const sig = encodeSignature(sample);
      expectError(() => decodeSignature(sig, { allowChainIdZero: false }), "SignatureError", "ChainIdZeroNotAllowed");
      expect(decodeSignature(sig, { allowChainIdZero: true }).chainIdZero).to.equal(true);
    });

    it("throws UnknownSignatureStep(offset, op) when an opcode is not in the table", () => {
      const err = expectError(() => decodeSignature(concat([header(0), "0x05", "0x06"])), "SignatureError", "UnknownSignatureStep");
      expect(err.args).to.deep.equal([12n, 6n]);
    });

    it("throws SignatureTruncated with the end of the step that runs past the end, at every cut", () => {
      const full = encodeSignature({ ...sample, chainIdZero: false });
      const bytes = (full.length - 2) / 2;
      const boundaries = new Set([11, 78, 111, 112, 178, 207, 208, 209]);
      for (let cut = 11; cut < bytes; cut++) {
        if (boundaries.has(cut)) {
          // A cut between two steps is a shorter, well-formed walk.
          decodeSignature(full.slice(0, 2 + 2 * cut));
          continue;
        }
        const err = expectError(() => decodeSignature(full.slice(0, 2 + 2 * cut)), "SignatureError", "SignatureTruncated");
        expect(Number(err.args![0])).to.be.greaterThan(cut);
        expect(err.args![1]).to.equal(BigInt(cut));
      }
    });
  });
});
