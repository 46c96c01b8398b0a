import { expect } from "chai";
import { ArborError, InvalidArgumentError, InvariantError, MultiProofError, SignatureError } from "../../lib/errors";
import { checkUint, hexToBytes, parseDecimal, readUint256, writeUint256, MAX_UINT256 } from "../../lib/hex";
import * as lib from "../../lib";
import { expectError } from "../helpers/fixtures";

describe("errors", () => {
  describe("InvalidArgumentError", () => {
    it("carries a literal name, a code, the field and details, and prefixes the message with the field", () => {
      const cause = new Error("inner");
      const err = new InvalidArgumentError("INTEGER_TOO_SMALL", "leaves[2].weight", "must be at least 1", { details: { value: 0n }, cause });
      expect(err).to.be.instanceOf(ArborError).and.instanceOf(Error);
      expect(err.name).to.equal("InvalidArgumentError");
      expect(err.code).to.equal("INTEGER_TOO_SMALL");
      expect(err.field).to.equal("leaves[2].weight");
      expect(err.details).to.deep.equal({ value: 0n });
      expect(err.cause).to.equal(cause);
      expect(err.message).to.equal("leaves[2].weight: must be at least 1");
    });
  });

  describe("InvariantError", () => {
    it("uses the INVARIANT_VIOLATED code", () => {
      const err = new InvariantError("stack not drained");
      expect(err.name).to.equal("InvariantError");
      expect(err.code).to.equal("INVARIANT_VIOLATED");
    });
  });

  describe("SignatureError", () => {
    it("carries the Solidity error name as code and its arguments", () => {
      const err = new SignatureError("SignatureTruncated", [10n, 5n], "need 10 bytes");
      expect(err.name).to.equal("SignatureError");
      expect(err.code).to.equal("SignatureTruncated");
      expect(err.args).to.deep.equal([10n, 5n]);
      expect(err.message).to.match(/^SignatureTruncated\(10, 5\)/);
    });
  });

  describe("MultiProofError", () => {
    it("is an ArborError with a literal name", () => {
      const err = new MultiProofError("Panic", "out of bounds");
      expect(err).to.be.instanceOf(ArborError);
      expect(err.name).to.equal("MultiProofError");
    });
  });
});

describe("hex", () => {
  describe("writeUint256", () => {
    it("round-trips through readUint256 when given 0, 1 and 2^256-1", () => {
      for (const v of [0n, 1n, 0x1234n << 100n, MAX_UINT256]) {
        const buf = new Uint8Array(40);
        writeUint256(buf, 8, v);
        expect(readUint256(buf, 8)).to.equal(v);
      }
    });
  });

  describe("hexToBytes", () => {
    it("throws INVALID_HEX when the hex is odd-length or unprefixed", () => {
      for (const bad of ["0x1", "12", "0xzz", 12]) expectError(() => hexToBytes(bad, "data"), "InvalidArgumentError", "INVALID_HEX", "data");
      expect(hexToBytes("0x", "data")).to.have.length(0);
    });
  });

  describe("checkUint", () => {
    it("throws when the value is not a bigint or out of range", () => {
      expectError(() => checkUint("1", "x"), "InvalidArgumentError", "INVALID_INTEGER", "x");
      expectError(() => checkUint(0n, "x", 1n), "InvalidArgumentError", "INTEGER_TOO_SMALL", "x");
      expectError(() => checkUint(5n, "x", 0n, 4n), "InvalidArgumentError", "INTEGER_TOO_LARGE", "x");
    });
  });

  describe("parseDecimal", () => {
    it("parses canonical decimals and rejects the rest", () => {
      expect(parseDecimal("0", "x")).to.equal(0n);
      expect(parseDecimal(MAX_UINT256.toString(), "x")).to.equal(MAX_UINT256);
      for (const bad of ["", "00", "+1", "1_000", 5]) expectError(() => parseDecimal(bad, "x"), "InvalidArgumentError", "INVALID_DECIMAL", "x");
    });
  });
});

describe("index", () => {
  it("re-exports the public API", () => {
    for (const name of ["Configuration", "makeTree", "leafHash", "imageHash", "walletAddress", "hashCalls", "hashConfigUpdate", "hashWalletMessage", "InvalidArgumentError", "checkChainId", "keccakReady"]) {
      expect(lib, name).to.have.property(name);
    }
  });

  it("exports no name that viem exports with another meaning", () => {
    // viem's keccak256 returns hex (ours bytes); viem's hashMessage is EIP-191 (ours Message(hash)).
    for (const name of ["keccak256", "hashMessage"]) expect(lib, name).not.to.have.property(name);
  });
});
