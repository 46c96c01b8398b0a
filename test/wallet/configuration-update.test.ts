import { expect } from "chai";
import { encodeCallsPayload } from "../../lib/payload/packed-calls";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  addressOf,
  contractCalls,
  deployArbor,
  deployWallet,
  ecdsaLeaf,
  keys,
  multisig,
  signCalls,
  signUpdate,
} from "../helpers/arbor";
import type { CallInput } from "../../lib/payload/types";
import type { Hex } from "../../lib/hex";

describe("ArborWallet", () => {
  const [a, b, c, d4] = keys(4);
  const first = multisig([a, b, c], 2n);
  // Replace c by d4 and move to checkpoint 1.
  const second = first.update({ replace: [{ from: ecdsaLeaf(c), to: ecdsaLeaf(d4) }], checkpoint: 1n });

  async function fixture() {
    const deployment = await deployArbor();
    const wallet = await deployWallet(deployment, first);
    const target = await ethers.deployContract("CallTarget");
    return { deployment, wallet, address: (await wallet.getAddress()) as Hex, target };
  }

  function updateCall(address: Hex, root: string, threshold: bigint, checkpoint: bigint): CallInput {
    const data = new ethers.Interface(["function updateConfiguration(bytes32,uint256,uint256)"]).encodeFunctionData(
      "updateConfiguration",
      [root, threshold, checkpoint],
    );
    return { target: address, data };
  }

  describe("updateConfigurationWithSignature", () => {
    it("moves the wallet to the new configuration and keeps its address", async () => {
      const { deployment, wallet, address } = await loadFixture(fixture);
      const signature = await signUpdate(first, second, address, [a, b]);
      await expect(wallet.updateConfigurationWithSignature(second.root, second.threshold, second.checkpoint, signature))
        .to.emit(wallet, "ConfigurationUpdated")
        .withArgs(second.imageHash, second.root, second.threshold, second.checkpoint);
      expect(await wallet.imageHash()).to.equal(second.imageHash);
      expect(await wallet.isValidImageHash(second.imageHash)).to.equal(true);
      expect(await wallet.isValidImageHash(first.imageHash)).to.equal(false);
      expect(addressOf(deployment, first)).to.equal(address);
    });

    it("applies an update signed with chain id 0", async () => {
      const { wallet, address } = await loadFixture(fixture);
      const signature = await signUpdate(first, second, address, [a, c], true);
      await (await wallet.updateConfigurationWithSignature(second.root, second.threshold, second.checkpoint, signature)).wait();
      expect(await wallet.imageHash()).to.equal(second.imageHash);
    });

    it("lets the new signers act and refuses the removed one", async () => {
      const { wallet, address, target } = await loadFixture(fixture);
      await (
        await wallet.updateConfigurationWithSignature(
          second.root,
          second.threshold,
          second.checkpoint,
          await signUpdate(first, second, address, [a, b]),
        )
      ).wait();
      const calls: CallInput[] = [{ target: await target.getAddress(), data: target.interface.encodeFunctionData("record", ["0x"]) }];
      await (await wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), await signCalls(second, address, [a, d4], calls))).wait();
      expect(await target.calls()).to.equal(1n);
      const stale = await signCalls(first, address, [a, c], calls, 1n);
      await expect(wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 1n }), stale))
        .to.be.revertedWithCustomError(wallet, "ImageHashMismatch")
        .withArgs(first.imageHash);
    });

    it("reverts with ImageHashMismatch when an old update is replayed after a later one", async () => {
      const { wallet, address } = await loadFixture(fixture);
      const toSecond = await signUpdate(first, second, address, [a, b], true);
      await (await wallet.updateConfigurationWithSignature(second.root, second.threshold, second.checkpoint, toSecond)).wait();
      const third = second.withThreshold(3n).withCheckpoint(2n);
      await (
        await wallet.updateConfigurationWithSignature(
          third.root,
          third.threshold,
          third.checkpoint,
          await signUpdate(second, third, address, [a, b]),
        )
      ).wait();
      await expect(wallet.updateConfigurationWithSignature(second.root, second.threshold, second.checkpoint, toSecond))
        .to.be.revertedWithCustomError(wallet, "ImageHashMismatch")
        .withArgs(first.imageHash);
    });

    it("reverts with CheckpointNotIncreasing when the new checkpoint is not above the signing one", async () => {
      const { wallet, address } = await loadFixture(fixture);
      const sameCheckpoint = first.withThreshold(3n); // checkpoint stays 0
      const signature = await signUpdate(first, sameCheckpoint, address, [a, b]);
      await expect(
        wallet.updateConfigurationWithSignature(sameCheckpoint.root, 3n, 0n, signature),
      )
        .to.be.revertedWithCustomError(wallet, "CheckpointNotIncreasing")
        .withArgs(0n, 0n);
    });

    it("reverts with ZeroThreshold when the new threshold is zero", async () => {
      const { wallet, address } = await loadFixture(fixture);
      const signature = await signUpdate(first, { ...second, root: second.root, threshold: 0n, checkpoint: 1n } as never, address, [a, b]);
      await expect(wallet.updateConfigurationWithSignature(second.root, 0n, 1n, signature)).to.be.revertedWithCustomError(
        wallet,
        "ZeroThreshold",
      );
    });

    it("reverts with ImageHashMismatch when the relayer changes the new configuration", async () => {
      const { wallet, address } = await loadFixture(fixture);
      const signature = await signUpdate(first, second, address, [a, b]);
      await expect(
        wallet.updateConfigurationWithSignature(second.root, 1n, second.checkpoint, signature),
      ).to.be.revertedWithCustomError(wallet, "ImageHashMismatch");
    });
  });

  describe("updateConfiguration", () => {
    it("moves the wallet to a new configuration through a self-call in a signed batch", async () => {
      const { wallet, address } = await loadFixture(fixture);
      const calls = [updateCall(address, second.root, second.threshold, second.checkpoint)];
      await expect(wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), await signCalls(first, address, [b, c], calls)))
        .to.emit(wallet, "ConfigurationUpdated")
        .withArgs(second.imageHash, second.root, second.threshold, second.checkpoint);
      expect(await wallet.imageHash()).to.equal(second.imageHash);
    });

    it("checks each self-call against the configuration the previous one installed", async () => {
      const { wallet, address } = await loadFixture(fixture);
      const third = second.withCheckpoint(5n);
      const calls = [
        updateCall(address, third.root, third.threshold, third.checkpoint),
        updateCall(address, second.root, second.threshold, second.checkpoint),
      ];
      const inner = wallet.interface.encodeErrorResult("CheckpointNotIncreasing", [5n, 1n]);
      await expect(wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), await signCalls(first, address, [a, b], calls)))
        .to.be.revertedWithCustomError(wallet, "CallFailed")
        .withArgs(1n, inner);
    });

    it("reverts with CallFailed(CheckpointNotIncreasing) when a self-call lowers the checkpoint", async () => {
      const { deployment } = await loadFixture(fixture);
      const later = multisig([a, b, c], 2n, 9n);
      const wallet = await deployWallet(deployment, later);
      const address = (await wallet.getAddress()) as Hex;
      const calls = [updateCall(address, second.root, second.threshold, 3n)];
      const inner = wallet.interface.encodeErrorResult("CheckpointNotIncreasing", [9n, 3n]);
      await expect(wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), await signCalls(later, address, [a, b], calls)))
        .to.be.revertedWithCustomError(wallet, "CallFailed")
        .withArgs(0n, inner);
    });
  });
});
