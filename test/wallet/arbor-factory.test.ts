import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { addressOf, deployArbor, keys, multisig } from "../helpers/arbor";

describe("ArborFactory", () => {
  const [a, b, c] = keys(3);
  const configuration = multisig([a, b, c], 2n);

  describe("deploy", () => {
    it("creates the wallet at the address the library predicts when it does not exist", async () => {
      const d = await loadFixture(deployArbor);
      const predicted = addressOf(d, configuration);
      expect(await ethers.provider.getCode(predicted)).to.equal("0x");
      await expect(d.factory.deploy(d.implementationAddress, configuration.imageHash))
        .to.emit(d.factory, "WalletDeployed")
        .withArgs(predicted, d.implementationAddress, configuration.imageHash);
      expect(await ethers.provider.getCode(predicted)).to.not.equal("0x");
      expect(await d.factory.predict(d.implementationAddress, configuration.imageHash)).to.equal(predicted);
    });

    it("returns the existing wallet without reverting or emitting when it already exists", async () => {
      const d = await loadFixture(deployArbor);
      await (await d.factory.deploy(d.implementationAddress, configuration.imageHash)).wait();
      const again = d.factory.deploy(d.implementationAddress, configuration.imageHash);
      await expect(again).to.not.emit(d.factory, "WalletDeployed");
      expect(await d.factory.deploy.staticCall(d.implementationAddress, configuration.imageHash)).to.equal(
        addressOf(d, configuration),
      );
    });

    it("gives different addresses to different first configurations", async () => {
      const d = await loadFixture(deployArbor);
      const other = multisig([a, b, c], 3n);
      expect(addressOf(d, other)).to.not.equal(addressOf(d, configuration));
      expect(addressOf(d, configuration.bumpCheckpoint())).to.not.equal(addressOf(d, configuration));
    });

    it("reverts with ImplementationHasNoCode when the implementation is not a contract", async () => {
      const d = await loadFixture(deployArbor);
      await expect(d.factory.deploy(a.address, configuration.imageHash))
        .to.be.revertedWithCustomError(d.factory, "ImplementationHasNoCode")
        .withArgs(a.address);
    });
  });

  describe("deployAndCall", () => {
    it("bubbles the wallet's revert data in WalletCallFailed when the call fails", async () => {
      const d = await loadFixture(deployArbor);
      const wallet = await ethers.getContractAt("ArborWallet", addressOf(d, configuration));
      const data = wallet.interface.encodeFunctionData("updateConfiguration", [ethers.ZeroHash, 1, 1]);
      const inner = wallet.interface.encodeErrorResult("OnlySelf", [await d.factory.getAddress()]);
      await expect(d.factory.deployAndCall(d.implementationAddress, configuration.imageHash, data))
        .to.be.revertedWithCustomError(d.factory, "WalletCallFailed")
        .withArgs(addressOf(d, configuration), inner);
    });

    it("deploys the wallet and returns the call's result when the call succeeds", async () => {
      const d = await loadFixture(deployArbor);
      const wallet = await ethers.getContractAt("ArborWallet", addressOf(d, configuration));
      const data = wallet.interface.encodeFunctionData("nonces", [0]);
      const [deployed, result] = await d.factory.deployAndCall.staticCall(
        d.implementationAddress,
        configuration.imageHash,
        data,
      );
      expect(deployed).to.equal(addressOf(d, configuration));
      expect(BigInt(result)).to.equal(0n);
    });
  });
});
