import { expect } from "chai";
import { id, TypedDataEncoder } from "ethers";
import {
  CALL_TYPE,
  CALLS_TYPEHASH,
  CONFIG_UPDATE_TYPEHASH,
  domainSeparator,
  EIP712_DOMAIN_TYPEHASH,
  MESSAGE_TYPEHASH,
} from "../../../lib/payload/domain";
import { hashCalls } from "../../../lib/payload/hash-calls";
import { hashConfigUpdate } from "../../../lib/payload/hash-config-update";
import { hashMessage } from "../../../lib/payload/hash-message";
import { PAYLOAD_TYPES, typedDataCalls, typedDataConfigUpdate, typedDataMessage } from "../../../lib/payload/typed-data";
import type { CallsPayload } from "../../../lib/payload/types";
import { MAX_UINT256 } from "../../../lib/hex";
import { expectError, testAddress, testWallet, word } from "../../helpers/fixtures";

const wallet = testAddress(10);
const context = { wallet, chainId: 31337n };

const calls: CallsPayload = {
  calls: [
    { target: testAddress(11), value: 5n, data: "0xa9059cbb00", gasLimit: 100_000n, delegateCall: false, onFailure: "ignore" },
    { target: testAddress(12) },
    { target: testAddress(13), data: "0x", delegateCall: true, onFailure: "abort" },
  ],
  space: 3n,
  nonce: MAX_UINT256,
};

describe("payload", () => {
  describe("type hashes", () => {
    it("are keccak256 of the type strings in ENCODING.md, as ethers encodes them", () => {
      expect(EIP712_DOMAIN_TYPEHASH).to.equal(id("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"));
      expect(CALLS_TYPEHASH).to.equal(id(TypedDataEncoder.from({ Calls: [...PAYLOAD_TYPES.Calls], Call: [...PAYLOAD_TYPES.Call] }).encodeType("Calls")));
      expect(CALLS_TYPEHASH).to.equal(id("Calls(Call[] calls,uint256 space,uint256 nonce)" + CALL_TYPE));
      expect(CONFIG_UPDATE_TYPEHASH).to.equal(id("ConfigUpdate(bytes32 root,uint256 threshold,uint256 checkpoint)"));
      expect(MESSAGE_TYPEHASH).to.equal(id("Message(bytes32 hash)"));
    });
  });

  describe("domainSeparator", () => {
    it("equals ethers' domain hash when chain id is 0 or 1", () => {
      for (const chainId of [0n, 1n]) {
        expect(domainSeparator({ wallet, chainId })).to.equal(
          TypedDataEncoder.hashDomain({ name: "Arbor Wallet", version: "1", chainId, verifyingContract: wallet }),
        );
      }
    });
  });

  describe("hashCalls", () => {
    it("equals ethers' TypedDataEncoder digest of typedDataCalls", () => {
      const td = typedDataCalls(calls, context);
      expect(hashCalls(calls, context)).to.equal(TypedDataEncoder.hash(td.domain, td.types, td.message));
      const empty = { calls: [], space: 0n, nonce: 0n };
      const te = typedDataCalls(empty, context);
      expect(hashCalls(empty, context)).to.equal(TypedDataEncoder.hash(te.domain, te.types, te.message));
    });

    it("gives a signature equal to ethers' signTypedData when the digest is signed directly", async () => {
      const signer = testWallet(1);
      const td = typedDataCalls(calls, context);
      const viaTypedData = await signer.signTypedData(td.domain, td.types, td.message);
      expect(signer.signingKey.sign(hashCalls(calls, context)).serialized).to.equal(viaTypedData);
    });

    it("changes when any field changes", () => {
      const base = hashCalls(calls, context);
      const variants: CallsPayload[] = [
        { ...calls, space: 4n },
        { ...calls, nonce: 0n },
        { ...calls, calls: calls.calls.slice(1) },
        { ...calls, calls: [{ ...calls.calls[0], onFailure: "revert" }, ...calls.calls.slice(1)] },
        { ...calls, calls: [{ ...calls.calls[0], gasLimit: 0n }, ...calls.calls.slice(1)] },
        { ...calls, calls: [{ ...calls.calls[0], data: "0xa9059cbb01" }, ...calls.calls.slice(1)] },
      ];
      for (const v of variants) expect(hashCalls(v, context)).to.not.equal(base);
      expect(hashCalls(calls, { ...context, chainId: 1n })).to.not.equal(base);
      expect(hashCalls(calls, { ...context, wallet: testAddress(14) })).to.not.equal(base);
    });

    it("names the offending field when the payload is invalid", () => {
      const bad = (c: object) => ({ ...calls, calls: [c] }) as unknown as CallsPayload;
      expectError(() => hashCalls(calls, { wallet, chainId: 0n }), "InvalidArgumentError", "CHAIN_ID_ZERO_NOT_ALLOWED", "chainId");
      expectError(() => hashCalls(calls, { wallet: "0x1", chainId: 1n }), "InvalidArgumentError", "INVALID_ADDRESS", "wallet");
      expectError(() => hashCalls(bad({ target: wallet, value: 1n, delegateCall: true }), context), "InvalidArgumentError", "DELEGATE_CALL_WITH_VALUE", "calls[0].value");
      expectError(() => hashCalls(bad({ target: wallet, onFailure: "retry" }), context), "InvalidArgumentError", "INVALID_ON_FAILURE", "calls[0].onFailure");
      expectError(() => hashCalls(bad({ target: wallet, data: "0x1" }), context), "InvalidArgumentError", "INVALID_HEX", "calls[0].data");
      expectError(() => hashCalls(bad({ target: wallet, gasLimit: -1n }), context), "InvalidArgumentError", "INTEGER_TOO_SMALL", "calls[0].gasLimit");
      expectError(() => hashCalls(bad({ target: wallet, delegateCall: "yes" }), context), "InvalidArgumentError", "INVALID_BOOLEAN", "calls[0].delegateCall");
      expectError(() => hashCalls(bad({ target: wallet, to: wallet }), context), "InvalidArgumentError", "UNKNOWN_FIELD", "calls[0].to");
      expectError(() => hashCalls(bad({ value: 1n }), context), "InvalidArgumentError", "INVALID_ADDRESS", "calls[0].target");
      expectError(() => hashCalls({ ...calls, nonce: MAX_UINT256 + 1n }, context), "InvalidArgumentError", "INTEGER_TOO_LARGE", "nonce");
      expectError(() => hashCalls({ calls: null } as never, context), "InvalidArgumentError", "INVALID_ARRAY", "calls");
    });
  });

  describe("hashConfigUpdate", () => {
    const update = { root: word("root"), threshold: 2n, checkpoint: 9n };

    it("equals ethers' digest of typedDataConfigUpdate when chain id is 0 or not", async () => {
      for (const chainId of [0n, 31337n]) {
        const td = typedDataConfigUpdate(update, { wallet, chainId });
        const digest = hashConfigUpdate(update, { wallet, chainId });
        expect(digest).to.equal(TypedDataEncoder.hash(td.domain, td.types, td.message));
        const signer = testWallet(2);
        expect(signer.signingKey.sign(digest).serialized).to.equal(await signer.signTypedData(td.domain, td.types, td.message));
      }
      expect(hashConfigUpdate(update, { wallet, chainId: 0n })).to.not.equal(hashConfigUpdate(update, { wallet, chainId: 1n }));
    });

    it("names the offending field when the payload is invalid", () => {
      expectError(() => hashConfigUpdate({ ...update, root: "0x00" }, context), "InvalidArgumentError", "INVALID_BYTES32", "root");
      expectError(() => hashConfigUpdate({ ...update, threshold: -2n }, context), "InvalidArgumentError", "INTEGER_TOO_SMALL", "threshold");
      expectError(() => hashConfigUpdate(update, { wallet, chainId: -1n }), "InvalidArgumentError", "INTEGER_TOO_SMALL", "chainId");
    });
  });

  describe("hashMessage", () => {
    it("equals ethers' digest of typedDataMessage", async () => {
      const hash = word("app message");
      const td = typedDataMessage(hash, context);
      expect(hashMessage(hash, context)).to.equal(TypedDataEncoder.hash(td.domain, td.types, td.message));
      const signer = testWallet(3);
      expect(signer.signingKey.sign(hashMessage(hash, context)).serialized).to.equal(await signer.signTypedData(td.domain, td.types, td.message));
    });

    it("throws InvalidArgumentError when chain id is 0 or the hash is malformed", () => {
      expectError(() => hashMessage(word("m"), { wallet, chainId: 0n }), "InvalidArgumentError", "CHAIN_ID_ZERO_NOT_ALLOWED", "chainId");
      expectError(() => hashMessage("0x1234", context), "InvalidArgumentError", "INVALID_BYTES32", "hash");
      expectError(() => typedDataMessage(word("m"), { wallet, chainId: 0n }), "InvalidArgumentError", "CHAIN_ID_ZERO_NOT_ALLOWED", "chainId");
    });
  });
});
