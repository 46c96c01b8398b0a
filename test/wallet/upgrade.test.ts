import { CANONICAL_ENTRY_POINT_V08 } from "../../lib/userop/entry-point";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployArbor, deployWallet, fund, keys, multisig, signCalls } from "../helpers/arbor";
import { encodeCallsPayload } from "../../lib/payload/packed-calls";
import type { CallInput } from "../../lib/payload/types";
import { WALLET_IMPLEMENTATION_SLOT } from "../../lib/wallet/address";
import type { Hex } from "../../lib/hex";
import { hashUpgrade, UPGRADE_NONCE_SPACE } from "../../lib/payload/hash-upgrade";
import { DOMAIN_NAME, DOMAIN_VERSION } from "../../lib/payload/domain";
import { signPayload } from "../../lib/signature/sign-payload";
import { ecdsaSigner } from "../../lib/signature/signers";
import { CHAIN_ID } from "../helpers/arbor";

describe("ArborWallet", () => {
  const [a, b, c, stranger] = keys(4, "upgrade");
  const configuration = multisig([a, b, c], 2n);

  async function fixture() {
    const d = await deployArbor();
    const wallet = await deployWallet(d, configuration);
    const address = (await wallet.getAddress()) as Hex;
    const upgraded = await ethers.deployContract("UpgradedWallet", [d.factoryAddress, d.sessionsAddress, CANONICAL_ENTRY_POINT_V08]);
    const otherLayout = await ethers.deployContract("OtherLayoutWallet");
    await fund(address, ethers.parseEther("2"));
    return { d, wallet, address, upgraded, upgradedAddress: (await upgraded.getAddress()) as Hex, otherLayoutAddress: (await otherLayout.getAddress()) as Hex };
  }

  async function run(address: Hex, calls: CallInput[], nonce: bigint, space = 0n) {
    const wallet = await ethers.getContractAt("ArborWallet", address);
    const signature = await signCalls(configuration, address, [a, b], calls, nonce, space);
    return wallet.execute(encodeCallsPayload({ calls, space, nonce }), signature);
  }

  const upgradeCall = (address: Hex, implementation: string, wallet: { interface: { encodeFunctionData(name: string, args: unknown[]): string } }): CallInput => ({
    target: address,
    data: wallet.interface.encodeFunctionData("upgradeTo", [implementation]) as Hex,
  });

  describe("upgradeTo", () => {
    it("moves a funded wallet to a second implementation, keeping address, balance, nonces and image hash, when a signed batch self-calls it", async () => {
      const { d, wallet, address, upgradedAddress } = await loadFixture(fixture);
      // Nonces in two spaces before the upgrade.
      await (await run(address, [], 0n)).wait();
      await (await run(address, [], 0n, 7n)).wait();
      const balance = await ethers.provider.getBalance(address);
      const code = await ethers.provider.getCode(address);

      await expect(run(address, [upgradeCall(address, upgradedAddress, wallet)], 1n)).to.emit(wallet, "Upgraded").withArgs(upgradedAddress);

      const after = await ethers.getContractAt("UpgradedWallet", address);
      expect(await after.version()).to.equal(2n);
      expect(await after.implementation()).to.equal(upgradedAddress);
      expect(await ethers.provider.getCode(address)).to.equal(code);
      expect(await ethers.provider.getBalance(address)).to.equal(balance);
      expect(await after.nonces(0)).to.equal(2n);
      expect(await after.nonces(7)).to.equal(1n);
      // Still on its first configuration: the upgrade stored that image hash, which the new
      // implementation (another address, so another CREATE2 check) now reads.
      expect(await after.imageHash()).to.equal(configuration.imageHash);
      expect(await after.isValidImageHash(configuration.imageHash)).to.equal(true);
      // The proxy reads the implementation from the top 160 bits of the ERC-7201 slot.
      const slot = BigInt(await ethers.provider.getStorage(address, WALLET_IMPLEMENTATION_SLOT));
      expect(ethers.getAddress(ethers.toBeHex(slot >> 96n, 20))).to.equal(upgradedAddress);
      // And it goes on signing and paying through the new implementation.
      const recipient = ethers.Wallet.createRandom().address;
      await (await run(address, [{ target: recipient as Hex, value: 5n }], 2n)).wait();
      expect(await ethers.provider.getBalance(recipient)).to.equal(5n);
      expect(d.implementationAddress).to.not.equal(upgradedAddress);
    });

    it("reverts with OnlySelf when anyone but the wallet calls it", async () => {
      const { wallet, upgradedAddress } = await loadFixture(fixture);
      const [relayer] = await ethers.getSigners();
      await expect(wallet.connect(relayer).upgradeTo(upgradedAddress)).to.be.revertedWithCustomError(wallet, "OnlySelf").withArgs(relayer.address);
      const outsider = new ethers.Wallet(stranger.privateKey, ethers.provider);
      await fund(outsider.address, ethers.parseEther("1"));
      await expect(wallet.connect(outsider).upgradeTo(upgradedAddress)).to.be.revertedWithCustomError(wallet, "OnlySelf").withArgs(outsider.address);
      expect(await wallet.implementation()).to.not.equal(upgradedAddress);
    });

    it("refuses an implementation with another storage layout (StorageLayoutMismatch) and an address without code (ImplementationHasNoCode)", async () => {
      const { wallet, address, otherLayoutAddress, d } = await loadFixture(fixture);
      const otherLayout = wallet.interface.encodeErrorResult("StorageLayoutMismatch", [otherLayoutAddress, ethers.id("someone.else.storage-layout")]);
      await expect(run(address, [upgradeCall(address, otherLayoutAddress, wallet)], 0n)).to.be.revertedWithCustomError(wallet, "CallFailed").withArgs(0n, otherLayout);
      const empty = ethers.Wallet.createRandom().address;
      const noCode = wallet.interface.encodeErrorResult("ImplementationHasNoCode", [empty]);
      await expect(run(address, [upgradeCall(address, empty, wallet)], 0n)).to.be.revertedWithCustomError(wallet, "CallFailed").withArgs(0n, noCode);
      // A contract that declares no layout at all (the factory) reads as layout zero.
      const none = wallet.interface.encodeErrorResult("StorageLayoutMismatch", [d.factoryAddress, ethers.ZeroHash]);
      await expect(run(address, [upgradeCall(address, d.factoryAddress, wallet)], 0n)).to.be.revertedWithCustomError(wallet, "CallFailed").withArgs(0n, none);
      expect(await wallet.implementation()).to.equal(d.implementationAddress);
    });
  });
  /** Signs `Upgrade(implementation, nonce)` for `address` with `signers` (chain id 0 when `everyChain`). */
  async function signUpgrade(address: Hex, implementation: string, nonce: bigint, signers = [a, b], everyChain = false): Promise<Hex> {
    const digest = hashUpgrade({ implementation, nonce }, { wallet: address, chainId: everyChain ? 0n : CHAIN_ID });
    return (await signPayload(configuration, digest, signers.map((k) => ecdsaSigner(k.privateKey as Hex)), { chainIdZero: everyChain })).signature;
  }

  describe("hashUpgrade", () => {
    it("equals ethers' EIP-712 digest of Upgrade(address implementation,uint256 nonce)", () => {
      const wallet = ethers.Wallet.createRandom().address as Hex;
      const implementation = ethers.Wallet.createRandom().address;
      for (const chainId of [0n, CHAIN_ID]) {
        const expected = ethers.TypedDataEncoder.hash(
          { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract: wallet },
          { Upgrade: [{ name: "implementation", type: "address" }, { name: "nonce", type: "uint256" }] },
          { implementation, nonce: 7n },
        );
        expect(hashUpgrade({ implementation, nonce: 7n }, { wallet, chainId })).to.equal(expected);
      }
    });
  });

  describe("upgradeToWithSignature", () => {
    it("moves the wallet when its configuration signed Upgrade(implementation, nonce) for every chain, and counts the upgrade", async () => {
      const { wallet, address, upgradedAddress } = await loadFixture(fixture);
      expect(await wallet.nonces(UPGRADE_NONCE_SPACE)).to.equal(0n);
      const signature = await signUpgrade(address, upgradedAddress, 0n, [a, b], true);
      const [relayer] = await ethers.getSigners();
      await expect(wallet.connect(relayer).upgradeToWithSignature(upgradedAddress, signature)).to.emit(wallet, "Upgraded").withArgs(upgradedAddress);
      const after = await ethers.getContractAt("UpgradedWallet", address);
      expect(await after.version()).to.equal(2n);
      expect(await after.nonces(UPGRADE_NONCE_SPACE)).to.equal(1n);
      expect(await after.nonces(0)).to.equal(0n);
      expect(await after.isValidImageHash(configuration.imageHash)).to.equal(true);
    });

    it("refuses a replay with ImageHashMismatch, even after the wallet came back to the same implementation and configuration", async () => {
      const { wallet, address, upgradedAddress, d } = await loadFixture(fixture);
      const first = await signUpgrade(address, upgradedAddress, 0n);
      await (await wallet.upgradeToWithSignature(upgradedAddress, first)).wait();
      await expect(wallet.upgradeToWithSignature(upgradedAddress, first)).to.be.revertedWithCustomError(wallet, "ImageHashMismatch");
      await (await wallet.upgradeToWithSignature(d.implementationAddress, await signUpgrade(address, d.implementationAddress, 1n))).wait();
      expect(await wallet.implementation()).to.equal(d.implementationAddress);
      // Same implementation and configuration as when `first` was signed: its nonce is gone.
      await expect(wallet.upgradeToWithSignature(upgradedAddress, first)).to.be.revertedWithCustomError(wallet, "ImageHashMismatch");
      expect(await wallet.nonces(UPGRADE_NONCE_SPACE)).to.equal(2n);
    });

    it("refuses a signature by keys outside the configuration, under the threshold, for another implementation or with chain id 0 against a chain-bound digest", async () => {
      const { wallet, address, upgradedAddress, otherLayoutAddress } = await loadFixture(fixture);
      await expect(wallet.upgradeToWithSignature(upgradedAddress, await signUpgrade(address, otherLayoutAddress, 0n))).to.be.revertedWithCustomError(wallet, "ImageHashMismatch");
      const digest = hashUpgrade({ implementation: upgradedAddress, nonce: 0n }, { wallet: address, chainId: CHAIN_ID });
      const one = (await signPayload(configuration, digest, [ecdsaSigner(a.privateKey as Hex)], { allowBelowThreshold: true })).signature;
      await expect(wallet.upgradeToWithSignature(upgradedAddress, one)).to.be.revertedWithCustomError(wallet, "ThresholdNotMet").withArgs(1n, 2n);
      const strangers = multisig([stranger, b, c], 2n);
      const foreign = (await signPayload(strangers, digest, [stranger, b].map((k) => ecdsaSigner(k.privateKey as Hex)))).signature;
      await expect(wallet.upgradeToWithSignature(upgradedAddress, foreign)).to.be.revertedWithCustomError(wallet, "ImageHashMismatch");
      // Flag bit 0 over the chain-bound digest: the wallet recomputes with chain id 0, so no match.
      const flagged = (await signPayload(configuration, digest, [a, b].map((k) => ecdsaSigner(k.privateKey as Hex)), { chainIdZero: true })).signature;
      await expect(wallet.upgradeToWithSignature(upgradedAddress, flagged)).to.be.revertedWithCustomError(wallet, "ImageHashMismatch");
      expect(await wallet.nonces(UPGRADE_NONCE_SPACE)).to.equal(0n);
    });

    it("refuses an implementation with another storage layout (StorageLayoutMismatch) and an address without code (ImplementationHasNoCode), counting nothing", async () => {
      const { wallet, address, otherLayoutAddress, d } = await loadFixture(fixture);
      await expect(wallet.upgradeToWithSignature(otherLayoutAddress, await signUpgrade(address, otherLayoutAddress, 0n)))
        .to.be.revertedWithCustomError(wallet, "StorageLayoutMismatch")
        .withArgs(otherLayoutAddress, ethers.id("someone.else.storage-layout"));
      const empty = ethers.Wallet.createRandom().address;
      await expect(wallet.upgradeToWithSignature(empty, await signUpgrade(address, empty, 0n))).to.be.revertedWithCustomError(wallet, "ImplementationHasNoCode").withArgs(empty);
      expect(await wallet.implementation()).to.equal(d.implementationAddress);
      expect(await wallet.nonces(UPGRADE_NONCE_SPACE)).to.equal(0n);
    });
  });
});
