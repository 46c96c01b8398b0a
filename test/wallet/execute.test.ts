import { expect } from "chai";
import { encodeCallsPayload } from "../../lib/payload/packed-calls";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  CHAIN_ID,
  contractCalls,
  deployArbor,
  deployWallet,
  fund,
  keys,
  multisig,
  signCalls,
} from "../helpers/arbor";
import { rawConfiguration, rawSign } from "../helpers/raw-signature";
import { hashCalls } from "../../lib/payload/hash-calls";
import { ecdsaSigner } from "../../lib/signature/signers";
import { signPayload } from "../../lib/signature/sign-payload";
import type { CallInput } from "../../lib/payload/types";
import { PAYLOAD_TYPES } from "../../lib/payload/typed-data";
import { DOMAIN_NAME, DOMAIN_VERSION } from "../../lib/payload/domain";
import type { Hex } from "../../lib/hex";
import type { Leaf } from "../../lib/configuration/leaves";

const RECORD = new ethers.Interface(["function record(bytes)"]).encodeFunctionData("record", ["0x"]) as Hex;

/** EIP-712 digest of a batch built with ethers alone, for calls the library refuses to build. */
function rawCallsDigest(wallet: string, calls: object[], nonce = 0n, space = 0n): Hex {
  const { Call, Calls } = PAYLOAD_TYPES;
  return ethers.TypedDataEncoder.hash(
    { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId: CHAIN_ID, verifyingContract: wallet },
    { Calls: [...Calls], Call: [...Call] },
    { calls, space, nonce },
  ) as Hex;
}

describe("ArborWallet", () => {
  const [a, b, c, outsider] = keys(4);
  const configuration = multisig([a, b, c], 2n);

  async function fixture() {
    const d = await deployArbor();
    const wallet = await deployWallet(d, configuration);
    const address = (await wallet.getAddress()) as Hex;
    await fund(address, ethers.parseEther("10"));
    const target = await ethers.deployContract("CallTarget");
    const token = await ethers.deployContract("TestERC20");
    await (await token.mint(address, 1000n)).wait();
    return { d, wallet, address, target, token, targetAddress: (await target.getAddress()) as Hex };
  }

  async function run(
    wallet: Awaited<ReturnType<typeof fixture>>["wallet"],
    calls: CallInput[],
    signers = [a, b],
    nonce = 0n,
    space = 0n,
  ) {
    const address = await wallet.getAddress();
    const signature = await signCalls(configuration, address, signers, calls, nonce, space);
    return wallet.execute(encodeCallsPayload({ calls, space: BigInt(space), nonce: BigInt(nonce) }), signature);
  }

  describe("execute", () => {
    it("sends ETH and tokens in one batch when two of three signers sign", async () => {
      const { wallet, token } = await loadFixture(fixture);
      const recipient = ethers.Wallet.createRandom().address;
      const calls: CallInput[] = [
        { target: recipient, value: 12345n },
        { target: await token.getAddress(), data: token.interface.encodeFunctionData("transfer", [recipient, 7n]) },
      ];
      await expect(run(wallet, calls, [a, c])).to.emit(wallet, "Executed");
      expect(await ethers.provider.getBalance(recipient)).to.equal(12345n);
      expect(await token.balanceOf(recipient)).to.equal(7n);
      expect(await wallet.nonces(0)).to.equal(1n);
    });

    it("accepts EIP-2098 compact signatures", async () => {
      const { wallet, target, targetAddress } = await loadFixture(fixture);
      const calls: CallInput[] = [{ target: targetAddress, data: target.interface.encodeFunctionData("record", ["0x"]) }];
      const signers = [ecdsaSigner(a.privateKey as Hex, { compact: true }), ecdsaSigner(b.privateKey as Hex, { compact: true })];
      const signature = await signCalls(configuration, await wallet.getAddress(), signers, calls);
      await (await wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), signature)).wait();
      expect(await target.calls()).to.equal(1n);
    });

    it("reverts with ThresholdNotMet when one of three signs a 2-of-3 batch", async () => {
      const { wallet, targetAddress } = await loadFixture(fixture);
      const calls: CallInput[] = [{ target: targetAddress, data: RECORD }];
      const signature = await signCalls(configuration, await wallet.getAddress(), [a], calls, 0n, 0n, CHAIN_ID, {
        allowBelowThreshold: true,
      });
      await expect(wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), signature))
        .to.be.revertedWithCustomError(wallet, "ThresholdNotMet")
        .withArgs(1n, 2n);
    });

    it("reverts with ImageHashMismatch when an outsider's key signs in place of a signer", async () => {
      const { wallet, targetAddress, address } = await loadFixture(fixture);
      const calls: CallInput[] = [{ target: targetAddress, data: RECORD }];
      const digest = hashCalls({ calls, space: 0n, nonce: 0n }, { wallet: address, chainId: CHAIN_ID });
      // The outsider's signature recovers the outsider, whose leaf is not in the tree.
      const forged = rawConfiguration(
        [a, b, c].map((k): Leaf => ({ kind: "ecdsa-signer", signer: k.address as Hex, weight: 1n })),
        2n,
      );
      const signature = rawSign(forged, digest, [
        { leaf: forged.leaves[0], key: a },
        { leaf: forged.leaves[1], key: outsider },
      ]);
      await expect(wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), signature)).to.be.revertedWithCustomError(
        wallet,
        "ImageHashMismatch",
      );
    });
  });

  describe("execute nonces", () => {
    it("reverts with BadNonce when a batch is replayed", async () => {
      const { wallet, targetAddress, address } = await loadFixture(fixture);
      const calls: CallInput[] = [{ target: targetAddress, data: RECORD }];
      const signature = await signCalls(configuration, address, [a, b], calls, 0n);
      await (await wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), signature)).wait();
      await expect(wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), signature))
        .to.be.revertedWithCustomError(wallet, "BadNonce")
        .withArgs(0n, 0n, 1n);
    });

    it("keeps independent counters per nonce space", async () => {
      const { wallet, targetAddress } = await loadFixture(fixture);
      const calls: CallInput[] = [{ target: targetAddress, data: RECORD }];
      await (await run(wallet, calls, [a, b], 0n, 7n)).wait();
      await (await run(wallet, calls, [a, b], 0n, 0n)).wait();
      await (await run(wallet, calls, [a, b], 1n, 7n)).wait();
      expect(await wallet.nonces(7)).to.equal(2n);
      expect(await wallet.nonces(0)).to.equal(1n);
      await expect(run(wallet, calls, [a, b], 5n, 0n))
        .to.be.revertedWithCustomError(wallet, "BadNonce")
        .withArgs(0n, 5n, 1n);
    });

    it("reverts with ImageHashMismatch when the signed space differs from the executed one", async () => {
      const { wallet, targetAddress, address } = await loadFixture(fixture);
      const calls: CallInput[] = [{ target: targetAddress, data: RECORD }];
      const signature = await signCalls(configuration, address, [a, b], calls, 0n, 1n);
      await expect(wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), signature)).to.be.revertedWithCustomError(
        wallet,
        "ImageHashMismatch",
      );
    });
  });

  describe("execute replay", () => {
    it("reverts with ImageHashMismatch when a batch signed for another chain is sent", async () => {
      const { wallet, targetAddress, address } = await loadFixture(fixture);
      const calls: CallInput[] = [{ target: targetAddress, data: RECORD }];
      const signature = await signCalls(configuration, address, [a, b], calls, 0n, 0n, 1n);
      await expect(wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), signature)).to.be.revertedWithCustomError(
        wallet,
        "ImageHashMismatch",
      );
    });

    it("reverts with ImageHashMismatch when a batch signed for another wallet with the same signers is sent", async () => {
      const { d, wallet, targetAddress } = await loadFixture(fixture);
      const sibling = multisig([a, b, c], 2n, 1n); // same signers, another first configuration
      const other = await deployWallet(d, sibling);
      const calls: CallInput[] = [{ target: targetAddress, data: RECORD }];
      const signature = await signCalls(configuration, await other.getAddress(), [a, b], calls);
      await expect(wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), signature)).to.be.revertedWithCustomError(
        wallet,
        "ImageHashMismatch",
      );
    });

    it("reverts with ImageHashMismatch when the signature proves a sibling configuration", async () => {
      const { wallet, targetAddress, address } = await loadFixture(fixture);
      const sibling = multisig([a, b, c], 2n, 1n);
      const calls: CallInput[] = [{ target: targetAddress, data: RECORD }];
      const signature = await signCalls(sibling, address, [a, b], calls);
      await expect(wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), signature))
        .to.be.revertedWithCustomError(wallet, "ImageHashMismatch")
        .withArgs(sibling.imageHash);
    });
  });

  describe("execute failure modes", () => {
    it("reverts the whole batch with CallFailed carrying the callee's error when onFailure is revert", async () => {
      const { wallet, target, targetAddress } = await loadFixture(fixture);
      const calls: CallInput[] = [
        { target: targetAddress, data: target.interface.encodeFunctionData("record", ["0x01"]) },
        { target: targetAddress, data: target.interface.encodeFunctionData("refuse", [42]) },
      ];
      const inner = target.interface.encodeErrorResult("Refused", [42]);
      await expect(run(wallet, calls)).to.be.revertedWithCustomError(wallet, "CallFailed").withArgs(1n, inner);
      expect(await target.calls()).to.equal(0n);
      expect(await wallet.nonces(0)).to.equal(0n);
    });

    it("goes on after a failed call and emits CallIgnored when onFailure is ignore", async () => {
      const { wallet, target, targetAddress } = await loadFixture(fixture);
      const calls: CallInput[] = [
        { target: targetAddress, data: target.interface.encodeFunctionData("refuse", [1]), onFailure: "ignore" },
        { target: targetAddress, data: target.interface.encodeFunctionData("record", ["0x"]) },
      ];
      await expect(run(wallet, calls)).to.emit(wallet, "CallIgnored");
      expect(await target.calls()).to.equal(1n);
      expect(await wallet.nonces(0)).to.equal(1n);
    });

    it("stops the batch, keeps earlier effects and emits CallAborted when onFailure is abort", async () => {
      const { wallet, target, targetAddress } = await loadFixture(fixture);
      const record = target.interface.encodeFunctionData("record", ["0x"]);
      const calls: CallInput[] = [
        { target: targetAddress, data: record },
        { target: targetAddress, data: target.interface.encodeFunctionData("refuse", [2]), onFailure: "abort" },
        { target: targetAddress, data: record },
      ];
      await expect(run(wallet, calls)).to.emit(wallet, "CallAborted");
      expect(await target.calls()).to.equal(1n);
    });

    it("reverts with UnknownFailureMode when a signed call has an onFailure above 2", async () => {
      const { wallet, targetAddress, address } = await loadFixture(fixture);
      const call = { target: targetAddress, value: 0n, data: RECORD, gasLimit: 0n, delegateCall: false, onFailure: 3 };
      const digest = rawCallsDigest(address, [call]);
      const { signature } = await signPayload(configuration, digest, [ecdsaSigner(a.privateKey as Hex), ecdsaSigner(b.privateKey as Hex)]);
      // The library refuses to pack onFailure 3: the flags byte (payload byte 32) is set by hand.
      const payload = ethers.getBytes(encodeCallsPayload({ calls: [{ target: targetAddress, data: RECORD }], space: 0n, nonce: 0n }));
      payload[32] = 3 << 3;
      await expect(wallet.execute(payload, signature))
        .to.be.revertedWithCustomError(wallet, "UnknownFailureMode")
        .withArgs(0n, 3n);
    });

    it("reverts with ImageHashMismatch when a relayer changes a signed call", async () => {
      const { wallet, targetAddress, address } = await loadFixture(fixture);
      const calls: CallInput[] = [{ target: targetAddress, value: 1n }];
      const signature = await signCalls(configuration, address, [a, b], calls);
      const tampered = encodeCallsPayload({ calls: [{ target: targetAddress, value: 2n }], space: 0n, nonce: 0n });
      await expect(wallet.execute(tampered, signature)).to.be.revertedWithCustomError(wallet, "ImageHashMismatch");
    });
  });

  describe("execute delegate calls and gas", () => {
    it("runs a delegate call in the wallet's own storage", async () => {
      const { wallet, target, targetAddress, address } = await loadFixture(fixture);
      const calls: CallInput[] = [
        { target: targetAddress, data: target.interface.encodeFunctionData("writeContext", [99]), delegateCall: true },
      ];
      await (await run(wallet, calls)).wait();
      expect(BigInt(await ethers.provider.getStorage(address, 0xa7b0))).to.equal(99n);
      expect(BigInt(await ethers.provider.getStorage(targetAddress, 0xa7b0))).to.equal(0n);
    });

    it("reverts with DelegateCallWithValue when a signed delegate call carries value", async () => {
      const { wallet, targetAddress, address } = await loadFixture(fixture);
      // The library refuses to build such a call, so the batch is signed as raw typed data.
      const call = { target: targetAddress, value: 1n, data: "0x", gasLimit: 0n, delegateCall: true, onFailure: 0 };
      const digest = rawCallsDigest(address, [call]);
      const { signature } = await signPayload(configuration, digest, [ecdsaSigner(a.privateKey as Hex), ecdsaSigner(b.privateKey as Hex)]);
      // Packed as a call with value 1, then flagged as a delegate call by hand (flags byte 32, bit 2).
      const payload = ethers.getBytes(encodeCallsPayload({ calls: [{ target: targetAddress, value: 1n }], space: 0n, nonce: 0n }));
      payload[32] |= 0x04;
      await expect(wallet.execute(payload, signature))
        .to.be.revertedWithCustomError(wallet, "DelegateCallWithValue")
        .withArgs(0n);
    });

    it("reverts with NotEnoughGas when the relayer leaves less gas than a call's limit", async () => {
      const { wallet, target, targetAddress, address } = await loadFixture(fixture);
      const calls: CallInput[] = [
        {
          target: targetAddress,
          data: target.interface.encodeFunctionData("burn", [1]),
          gasLimit: 5_000_000n,
          onFailure: "ignore",
        },
      ];
      const signature = await signCalls(configuration, address, [a, b], calls);
      await expect(wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), signature, { gasLimit: 400_000 })).to.be.revertedWithCustomError(
        wallet,
        "NotEnoughGas",
      );
    });

    it("caps a call at its gas limit, so an ignored call that runs out of gas does not stop the batch", async () => {
      const { wallet, target, targetAddress } = await loadFixture(fixture);
      const calls: CallInput[] = [
        {
          target: targetAddress,
          data: target.interface.encodeFunctionData("burn", [10_000]),
          gasLimit: 50_000n,
          onFailure: "ignore",
        },
        { target: targetAddress, data: target.interface.encodeFunctionData("record", ["0x"]) },
      ];
      await expect(run(wallet, calls)).to.emit(wallet, "CallIgnored");
      expect(await target.calls()).to.equal(1n);
    });
  });
});
