import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployArbor, deployWallet, keys, multisig } from "../helpers/arbor";

describe("ArborWallet", () => {
  async function walletFixture() {
    const d = await deployArbor();
    const wallet = await deployWallet(d, multisig(keys(2), 1n));
    const [holder] = await ethers.getSigners();
    return { d, wallet, holder, address: await wallet.getAddress() };
  }

  describe("receive", () => {
    it("accepts plain ETH transfers", async () => {
      const { wallet, holder, address } = await loadFixture(walletFixture);
      await (await holder.sendTransaction({ to: address, value: 12345n })).wait();
      expect(await ethers.provider.getBalance(address)).to.equal(12345n);
      expect(wallet).to.exist;
    });
  });

  describe("onERC721Received", () => {
    it("accepts an ERC-721 safeTransferFrom", async () => {
      const { holder, address } = await loadFixture(walletFixture);
      const nft = await ethers.deployContract("TestERC721");
      await (await nft.mint(holder.address, 7)).wait();
      await (await nft["safeTransferFrom(address,address,uint256)"](holder.address, address, 7)).wait();
      expect(await nft.ownerOf(7)).to.equal(address);
    });
  });

  describe("onERC1155Received", () => {
    it("accepts single and batch ERC-1155 safe transfers", async () => {
      const { holder, address } = await loadFixture(walletFixture);
      const token = await ethers.deployContract("TestERC1155");
      await (await token.mint(holder.address, 1, 10)).wait();
      await (await token.mint(holder.address, 2, 20)).wait();
      await (await token.safeTransferFrom(holder.address, address, 1, 4, "0x")).wait();
      await (await token.safeBatchTransferFrom(holder.address, address, [1, 2], [6, 20], "0x")).wait();
      expect(await token.balanceOf(address, 1)).to.equal(10n);
      expect(await token.balanceOf(address, 2)).to.equal(20n);
    });
  });

  describe("supportsInterface", () => {
    it("reports ERC-165, ERC-1271, ERC-721 and ERC-1155 receivers and nothing else", async () => {
      const { wallet } = await loadFixture(walletFixture);
      expect(await wallet.supportsInterface("0x01ffc9a7")).to.equal(true); // ERC-165
      expect(await wallet.supportsInterface("0x1626ba7e")).to.equal(true); // ERC-1271
      expect(await wallet.supportsInterface("0x150b7a02")).to.equal(true); // ERC-721 receiver
      expect(await wallet.supportsInterface("0x4e2312e0")).to.equal(true); // ERC-1155 receiver
      expect(await wallet.supportsInterface("0xffffffff")).to.equal(false);
      expect(await wallet.supportsInterface("0x12345678")).to.equal(false);
    });
  });

  describe("updateConfiguration", () => {
    it("reverts with OnlySelf when called by anyone but the wallet", async () => {
      const { wallet, holder } = await loadFixture(walletFixture);
      await expect(wallet.updateConfiguration(ethers.ZeroHash, 1, 5))
        .to.be.revertedWithCustomError(wallet, "OnlySelf")
        .withArgs(holder.address);
    });
  });

  describe("eip712Domain", () => {
    it("describes the chain-bound domain signers sign under", async () => {
      const { wallet, address } = await loadFixture(walletFixture);
      const domain = await wallet.eip712Domain();
      expect(domain[0]).to.equal("0x0f");
      expect(domain[1]).to.equal("Arbor Wallet");
      expect(domain[2]).to.equal("1");
      expect(domain[3]).to.equal((await ethers.provider.getNetwork()).chainId);
      expect(domain[4]).to.equal(address);
    });
  });
});
