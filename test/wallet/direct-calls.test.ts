/**
 * Review: calling the singletons directly. The wallet implementation is a contract anyone can
 * call; it must accept no signature at all (its storage holds no image hash and its address is no
 * proxy's CREATE2 address). A proxy of the implementation made by another factory must be just
 * as dead. And the sessions module keys everything by its caller: someone who copies a wallet's
 * signed session batch from the mempool and hands it to the module directly spends only their
 * own namespace, and the wallet's batch still runs.
 */
import { encodeCallsPayload } from "../../lib/payload/packed-calls";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Hex } from "../../lib/hex";
import { leafHash } from "../../lib/configuration/leaves";
import { erc20TransferUpTo, explicitSession } from "../../lib/sessions";
import { contractCalls, deployArbor, keys, multisig, signCalls, signMessage, signUpdate } from "../helpers/arbor";
import { walletAddress } from "../../lib/wallet/address";
import { deploySessionsFixture, ownedConfiguration, send, signBatch, transferData, walletFor } from "../sessions/fixture";
import type { ArborFactory, ArborWallet } from "../../typechain-types";

const [attacker, sessionKey] = keys(2, "review-direct-calls");
const FAR = 4_000_000_000n;
const shop = "0x000000000000000000000000000000000000cafE";

describe("ArborWallet (review: the implementation and stray proxies)", () => {
  async function fixture() {
    const d = await deployArbor();
    const target = await ethers.deployContract("CallTarget");
    return { d, target, targetAddress: (await target.getAddress()) as Hex };
  }

  describe("execute", () => {
    it("rejects with ImageHashMismatch every signature made for the implementation's own address, and stores nothing", async () => {
      const { d, target, targetAddress } = await loadFixture(fixture);
      const implementation = d.implementation;
      const own = multisig([attacker], 1n);
      const calls = [{ target: targetAddress, data: target.interface.encodeFunctionData("record", ["0x"]) as Hex }];
      const signature = await signCalls(own, d.implementationAddress, [attacker], calls);
      await expect(implementation.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), signature))
        .to.be.revertedWithCustomError(implementation, "ImageHashMismatch")
        .withArgs(own.imageHash);
      const next = multisig([attacker], 1n, 1n);
      await expect(implementation.updateConfigurationWithSignature(next.root, 1n, 1n, await signUpdate(own, next, d.implementationAddress, [attacker], true)))
        .to.be.revertedWithCustomError(implementation, "ImageHashMismatch");
      await expect(implementation.updateConfiguration(next.root, 1n, 1n)).to.be.revertedWithCustomError(implementation, "OnlySelf");
      const message = ethers.id("review") as Hex;
      expect(await implementation.isValidSignature(message, await signMessage(own, d.implementationAddress, [attacker], message))).to.equal("0xffffffff");
      expect(await implementation.imageHash()).to.equal(ethers.ZeroHash);
      expect(await implementation.isValidImageHash(own.imageHash)).to.equal(false);
    });

    it("rejects with ImageHashMismatch the configuration a proxy was made with when another factory made it", async () => {
      const { d } = await loadFixture(fixture);
      const otherFactory = (await ethers.deployContract("ArborFactory")) as unknown as ArborFactory;
      const configuration = multisig([attacker], 1n);
      await (await otherFactory.deploy(d.implementationAddress, configuration.imageHash)).wait();
      const strayAddress = walletAddress({ factory: (await otherFactory.getAddress()) as Hex, implementation: d.implementationAddress, imageHash: configuration.imageHash });
      const stray = (await ethers.getContractAt("ArborWallet", strayAddress)) as unknown as ArborWallet;
      expect(await ethers.provider.getCode(strayAddress)).to.not.equal("0x");
      const signature = await signCalls(configuration, strayAddress, [attacker], []);
      await expect(stray.execute(encodeCallsPayload({ calls: [], space: 0n, nonce: 0n }), signature)).to.be.revertedWithCustomError(stray, "ImageHashMismatch").withArgs(configuration.imageHash);
      expect(await stray.isValidImageHash(configuration.imageHash)).to.equal(false);
    });
  });
});

describe("ArborSessions (review: direct callers)", () => {
  describe("validateSessionCalls", () => {
    it("records a copied batch's usage for the copier only, and the wallet's own batch still runs and counts", async () => {
      const f = await loadFixture(deploySessionsFixture);
      const session = explicitSession({ sessionSigner: sessionKey.address, chainId: 0n, deadline: FAR, grants: [erc20TransferUpTo(f.tokenAddress, 100n)] });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet, address } = await walletFor(f, configuration);
      await (await f.token.mint(address, 1_000n)).wait();
      const batch = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(shop, 70n) }], [{ session, key: sessionKey }]);

      // A watcher replays the batch's arguments straight into the module, from its own account.
      const [, watcher] = await ethers.getSigners();
      await (await f.sessions.connect(watcher).validateSessionCalls(contractCalls(batch.calls), batch.space, batch.digest, batch.signature)).wait();
      const sessionLeaf = leafHash(session.leaf);
      expect(await f.sessions.usage(watcher.address, sessionLeaf, 0, 1)).to.equal(70n);
      expect(await f.sessions.usage(address, sessionLeaf, 0, 1)).to.equal(0n);

      await (await send(wallet, batch)).wait();
      expect(await f.sessions.usage(address, sessionLeaf, 0, 1)).to.equal(70n);
      expect(await f.token.balanceOf(shop)).to.equal(70n);
    });
  });
});
