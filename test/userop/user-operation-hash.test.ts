import { expect } from "chai";
import fc from "fast-check";
import { network } from "hardhat";
import { Wallet } from "ethers";
import { connectChain, type ChainConnection } from "../../lib/deploy/connect-chain";
import type { Hex } from "../../lib/hex";
import { InvalidArgumentError } from "../../lib/errors";
import { CANONICAL_ENTRY_POINT_V08, ENTRY_POINT_V08, deployEntryPoint, entryPointAt } from "../../lib/userop/entry-point";
import { packUserOperation } from "../../lib/userop/pack-user-operation";
import { toTuple } from "../../lib/userop/bundler";
import type { UserOperation } from "../../lib/userop/types";
import { userOperationHash } from "../../lib/userop/user-operation-hash";

const hex = (maxBytes: number) => fc.uint8Array({ maxLength: maxBytes }).map((b) => `0x${Buffer.from(b).toString("hex")}` as Hex);
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${Buffer.from(b).toString("hex")}` as Hex);
const uint = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });

const userOperation: fc.Arbitrary<UserOperation> = fc.record({
  sender: address,
  nonce: uint(256),
  factory: fc.option(address, { nil: undefined }),
  factoryData: hex(100),
  callData: hex(300),
  callGasLimit: uint(128),
  verificationGasLimit: uint(128),
  preVerificationGas: uint(256),
  maxFeePerGas: uint(128),
  maxPriorityFeePerGas: uint(128),
  paymaster: fc.option(address, { nil: undefined }),
  paymasterVerificationGasLimit: uint(128),
  paymasterPostOpGasLimit: uint(128),
  paymasterData: hex(100),
  signature: hex(200),
}).map((op) => ({
  ...op,
  factoryData: op.factory === undefined ? undefined : op.factoryData,
  ...(op.paymaster === undefined ? { paymasterVerificationGasLimit: undefined, paymasterPostOpGasLimit: undefined, paymasterData: undefined } : {}),
}));

describe("userop", () => {
  let chain: ChainConnection;
  before(async () => {
    chain = await connectChain({ label: "hardhat", provider: network.provider });
    const signer = await chain.provider.getSigner(0);
    await deployEntryPoint(chain, { address: await signer.getAddress(), signer, origin: "test" });
  });
  after(() => chain.close());

  describe("ENTRY_POINT_V08", () => {
    it("is the canonical v0.8 address when computed from the npm creation code, the proxy and the published salt", () => {
      expect(ENTRY_POINT_V08.address).to.equal(CANONICAL_ENTRY_POINT_V08);
    });
  });

  describe("deployEntryPoint", () => {
    it("leaves the EntryPoint's code at the canonical address and changes nothing when run again", async () => {
      const code = await chain.provider.getCode(CANONICAL_ENTRY_POINT_V08);
      expect(code.length).to.be.greaterThan(2);
      const signer = await chain.provider.getSigner(0);
      const before = await chain.provider.getTransactionCount(await signer.getAddress());
      await deployEntryPoint(chain, { address: await signer.getAddress(), signer, origin: "test" });
      expect(await chain.provider.getTransactionCount(await signer.getAddress())).to.equal(before);
      expect(await entryPointAt(chain.provider).getFunction("getPackedUserOpTypeHash").staticCall()).to.be.a("string");
    });
  });

  describe("userOperationHash", () => {
    it("equals EntryPoint.getUserOpHash when the operation is random (law: one hash, both sides)", async () => {
      const entryPoint = entryPointAt(chain.provider);
      await fc.assert(
        fc.asyncProperty(userOperation, async (op) => {
          const packed = packUserOperation(op);
          const onChain = await entryPoint.getFunction("getUserOpHash").staticCall(toTuple(packed));
          expect(userOperationHash(packed, { entryPoint: ENTRY_POINT_V08.address, chainId: chain.chainId })).to.equal(onChain);
        }),
        { numRuns: 60 },
      );
    });

    it("changes when any byte of the signed fields is flipped, and not when the signature changes", () => {
      fc.assert(
        fc.property(userOperation, fc.nat(), (op, pick) => {
          const packed = packUserOperation(op);
          const domain = { entryPoint: ENTRY_POINT_V08.address, chainId: 31337n };
          const base = userOperationHash(packed, domain);
          expect(userOperationHash({ ...packed, signature: "0x1234" }, domain)).to.equal(base);
          const field = (["initCode", "callData", "accountGasLimits", "gasFees", "paymasterAndData"] as const)[pick % 5];
          const value = packed[field];
          const flipped = value === "0x" ? ("0x00" as Hex) : (`${value.slice(0, -2)}${(parseInt(value.slice(-2), 16) ^ 1).toString(16).padStart(2, "0")}` as Hex);
          expect(userOperationHash({ ...packed, [field]: flipped }, domain)).to.not.equal(base);
          expect(userOperationHash(packed, { ...domain, chainId: 1n })).to.not.equal(base);
        }),
      );
    });
  });

  describe("packUserOperation", () => {
    const base: UserOperation = {
      sender: Wallet.createRandom().address as Hex,
      nonce: 0n,
      callData: "0x",
      callGasLimit: 1n,
      verificationGasLimit: 2n,
      preVerificationGas: 3n,
      maxFeePerGas: 4n,
      maxPriorityFeePerGas: 5n,
      signature: "0x",
    };

    it("puts verification gas and priority fee in the high 128 bits when both pairs are packed", () => {
      const packed = packUserOperation(base);
      expect(packed.accountGasLimits).to.equal(`0x${"2".padStart(32, "0")}${"1".padStart(32, "0")}`);
      expect(packed.gasFees).to.equal(`0x${"5".padStart(32, "0")}${"4".padStart(32, "0")}`);
      expect(packed.initCode).to.equal("0x");
      expect(packed.paymasterAndData).to.equal("0x");
    });

    it("lays out paymaster ‖ uint128 ‖ uint128 ‖ data when a paymaster is given", () => {
      const paymaster = Wallet.createRandom().address as Hex;
      const packed = packUserOperation({ ...base, paymaster, paymasterVerificationGasLimit: 7n, paymasterPostOpGasLimit: 8n, paymasterData: "0xabcd" });
      expect(packed.paymasterAndData).to.equal(`${paymaster.toLowerCase()}${"7".padStart(32, "0")}${"8".padStart(32, "0")}abcd`);
    });

    for (const [what, op, code, field] of [
      ["a gas limit above uint128", { callGasLimit: 1n << 128n }, "INTEGER_TOO_LARGE", "callGasLimit"],
      ["a negative fee", { maxFeePerGas: -1n }, "INTEGER_TOO_SMALL", "maxFeePerGas"],
      ["factory data without a factory", { factoryData: "0x01" }, "FACTORY_DATA_WITHOUT_FACTORY", "factoryData"],
      ["paymaster data without a paymaster", { paymasterData: "0x01" }, "PAYMASTER_FIELDS_WITHOUT_PAYMASTER", "paymaster"],
      ["call data that is not hex", { callData: "0xzz" }, "INVALID_HEX", "callData"],
      ["a sender that is not an address", { sender: "0x1234" }, "INVALID_ADDRESS", "sender"],
    ] as const) {
      it(`throws InvalidArgumentError naming the field when given ${what}`, () => {
        let caught: unknown;
        try {
          packUserOperation({ ...base, ...op } as UserOperation);
        } catch (e) {
          caught = e;
        }
        expect(caught).to.be.instanceOf(InvalidArgumentError);
        expect((caught as InvalidArgumentError).field).to.equal(field);
        expect((caught as InvalidArgumentError).code).to.equal(code);
      });
    }
  });
});
