/**
 * Review: the transient CHECKPOINT_SLOT. `updateConfiguration` (a self-call) requires a checkpoint
 * above the one in the slot, which `_authorise` and every update set. Transient storage lives for
 * the whole transaction, so the question is whether a self-call can ever compare against a stale
 * value (set earlier in the transaction, then overtaken by a re-entrant update), a foreign one
 * (another wallet's), or run at all where no owner signature set it (a session batch).
 * Every scenario here runs in one transaction through a relay contract.
 */
import { encodeCallsPayload } from "../../lib/payload/packed-calls";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Configuration } from "../../lib/configuration/configuration";
import type { Hex } from "../../lib/hex";
import { hashCalls } from "../../lib/payload/hash-calls";
import type { CallInput } from "../../lib/payload/types";
import { signPayload } from "../../lib/signature/sign-payload";
import { ecdsaSigner } from "../../lib/signature/signers";
import { anyCall, explicitSession } from "../../lib/sessions";
import { CHAIN_ID, contractCalls, deployArbor, deployWallet, keys, multisig, signCalls, signUpdate } from "../helpers/arbor";
import { deploySessionsFixture, ownedConfiguration, signBatch, walletFor } from "../sessions/fixture";
import type { ArborWallet, ReviewRelay } from "../../typechain-types";

const [owner, other, sessionKey] = keys(3, "review-checkpoint-slot");
const FAR = 4_000_000_000n;

function updateCall(wallet: ArborWallet, address: string, next: Configuration): CallInput {
  return { target: address, data: wallet.interface.encodeFunctionData("updateConfiguration", [next.root, next.threshold, next.checkpoint]) as Hex };
}

async function signedExecute(wallet: ArborWallet, configuration: Configuration, signer: { privateKey: string }, calls: CallInput[], space = 0n) {
  const address = (await wallet.getAddress()) as Hex;
  const nonce = await wallet.nonces(space);
  const digest = hashCalls({ calls, space, nonce }, { wallet: address, chainId: CHAIN_ID });
  const { signature } = await signPayload(configuration, digest, [ecdsaSigner(signer.privateKey as Hex)]);
  return wallet.interface.encodeFunctionData("execute", [encodeCallsPayload({ calls, space: space, nonce: nonce }), signature]);
}

describe("ArborWallet (review: transient checkpoint)", () => {
  async function fixture() {
    const d = await deployArbor();
    const relay = (await ethers.deployContract("ReviewRelay")) as unknown as ReviewRelay;
    return { d, relay, relayAddress: (await relay.getAddress()) as Hex };
  }

  describe("updateConfiguration", () => {
    it("requires a checkpoint above the one a re-entrant signed update installed earlier in the same batch", async () => {
      const { d, relay, relayAddress } = await loadFixture(fixture);
      const first = multisig([owner], 1n, 0n);
      const wallet = await deployWallet(d, first);
      const address = (await wallet.getAddress()) as Hex;
      const second = multisig([owner, other], 1n, 5n);
      const toSecond = await signUpdate(first, second, address, [owner]);
      const reenter = relay.interface.encodeFunctionData("run", [
        [address],
        [wallet.interface.encodeFunctionData("updateConfigurationWithSignature", [second.root, second.threshold, second.checkpoint, toSecond])],
      ]);
      // Signed by `first` (checkpoint 0): call 0 makes the relay re-enter and install `second`
      // (checkpoint 5); call 1 then asks for checkpoint 3, above 0 but below 5.
      const stale = multisig([other], 1n, 3n);
      const calls = [{ target: relayAddress, data: reenter as Hex }, updateCall(wallet, address, stale)];
      const inner = wallet.interface.encodeErrorResult("CheckpointNotIncreasing", [5n, 3n]);
      await expect(wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), await signCalls(first, address, [owner], calls)))
        .to.be.revertedWithCustomError(wallet, "CallFailed")
        .withArgs(1n, inner);

      const fresh = multisig([other], 1n, 6n);
      const callsAbove = [{ target: relayAddress, data: reenter as Hex }, updateCall(wallet, address, fresh)];
      await (await wallet.execute(encodeCallsPayload({ calls: callsAbove, space: 0n, nonce: 0n }), await signCalls(first, address, [owner], callsAbove))).wait();
      expect(await wallet.imageHash()).to.equal(fresh.imageHash);
    });

    it("compares a wallet's self-call with its own checkpoint when another wallet authorised a higher one earlier in the transaction", async () => {
      const { d, relay } = await loadFixture(fixture);
      const highConfig = multisig([owner], 1n, 10n);
      const high = await deployWallet(d, highConfig);
      const lowConfig = multisig([other], 1n, 0n);
      const low = await deployWallet(d, lowConfig);
      const lowAddress = (await low.getAddress()) as Hex;
      const next = multisig([other], 1n, 1n);
      await (
        await relay.run(
          [await high.getAddress(), lowAddress],
          [await signedExecute(high, highConfig, owner, []), await signedExecute(low, lowConfig, other, [updateCall(low, lowAddress, next)])],
        )
      ).wait();
      expect(await low.imageHash()).to.equal(next.imageHash);
    });

    it("refuses a session batch's call back into updateConfiguration when an owner batch ran earlier in the same transaction", async () => {
      const f = await loadFixture(deploySessionsFixture);
      const relay = (await ethers.deployContract("ReviewRelay")) as unknown as ReviewRelay;
      const relayAddress = (await relay.getAddress()) as Hex;
      const session = explicitSession({ sessionSigner: sessionKey.address, chainId: 0n, deadline: FAR, grants: [anyCall(relayAddress)] });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet, address } = await walletFor(f, configuration);
      const takeover = multisig([sessionKey], 1n, 1n);

      // Owner batch (sets the slot to checkpoint 0), then a session batch whose call makes the
      // relay call updateConfiguration on the wallet: the wallet is not the caller, so OnlySelf.
      const callBack = relay.interface.encodeFunctionData("run", [[address], [wallet.interface.encodeFunctionData("updateConfiguration", [takeover.root, 1n, 1n])]]);
      const batch = await signBatch(wallet, configuration, [{ target: relayAddress, data: callBack as Hex }], [{ session, key: sessionKey }]);
      const sessionExecute = wallet.interface.encodeFunctionData("execute", [encodeCallsPayload({ calls: batch.calls, space: batch.space, nonce: batch.nonce }), batch.signature]);
      const ownerExecute = await signedExecute(wallet, configuration, f.owner, [], 1n);

      const onlySelf = wallet.interface.encodeErrorResult("OnlySelf", [relayAddress]);
      await expect(relay.run([address, address], [ownerExecute, sessionExecute]))
        .to.be.revertedWithCustomError(wallet, "CallFailed")
        .withArgs(0n, onlySelf);
      // And directly: the session may not target the wallet at all.
      const direct = await signBatch(wallet, configuration, [updateCall(wallet, address, takeover)], [{ session, key: sessionKey }]);
      const directExecute = wallet.interface.encodeFunctionData("execute", [encodeCallsPayload({ calls: direct.calls, space: direct.space, nonce: direct.nonce }), direct.signature]);
      await expect(relay.run([address, address], [ownerExecute, directExecute])).to.be.revertedWithCustomError(f.sessions, "SessionSelfCall");
      expect(await wallet.isValidImageHash(configuration.imageHash)).to.equal(true);
    });
  });
});
