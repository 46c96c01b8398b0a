import { expect } from "chai";
import { ethers } from "hardhat";
import { Wallet as EthersWallet } from "ethers";
import { Configuration, type TieredLeaf } from "../../lib/configuration/configuration";
import type { Hex } from "../../lib/hex";
import { encodeCallsPayload } from "../../lib/payload/packed-calls";
import { hashCalls } from "../../lib/payload/hash-calls";
import { decodeSignature } from "../../lib/signature/decode-signature";
import { recoverSignature } from "../../lib/signature/recover-signature";
import { signPayload } from "../../lib/signature/sign-payload";
import { ecdsaSigner } from "../../lib/signature/signers";
import { realisticLeaves } from "../../bench/realistic-configuration";
import { CHAIN_ID, deployArbor, deployWallet, fund } from "../helpers/arbor";

describe("signPayload", () => {
  describe("signPayload over a tiered configuration", () => {
    const devices = Array.from({ length: 6 }, (_, i) => new EthersWallet(ethers.id(`tiered-signing/device/${i}`)));
    const daily = devices[0];
    // The daily key alone in tier 0; the other 15 leaves one tier deeper.
    const leaves: TieredLeaf[] = realisticLeaves(devices).map((leaf) =>
      leaf.kind === "ecdsa-signer" && leaf.signer === daily.address ? leaf : { ...leaf, tier: 1 },
    );
    const configuration = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves });

    it("signs an ERC-20 transfer that executes on chain when the daily key alone sits in tier 0", async () => {
      const d = await deployArbor();
      const wallet = await deployWallet(d, configuration);
      const address = (await wallet.getAddress()) as Hex;
      await fund(address, ethers.parseEther("1"));
      const token = await ethers.deployContract("TestERC20");
      await (await token.mint(address, 100n)).wait();
      const recipient = ethers.getAddress(ethers.id("tiered-signing/recipient").slice(0, 42));
      const calls = [{ target: (await token.getAddress()) as Hex, value: 0n, data: token.interface.encodeFunctionData("transfer", [recipient, 7n]) as Hex }];
      const digest = hashCalls({ calls, space: 0n, nonce: 0n }, { wallet: address, chainId: CHAIN_ID });
      const { signature, decoded } = await signPayload(configuration, digest, [ecdsaSigner(daily.privateKey as Hex)]);

      // Tier 0's tree holds the daily key and tier 1's root: the walk is one part, one hash, one node.
      expect(decoded.walk.map((step) => step.op).sort()).to.deep.equal(["hash", "node", "part"]);

      const recovered = await recoverSignature(digest, signature);
      expect(recovered.imageHash).to.equal(configuration.imageHash);
      expect(recovered.signers.map((s) => s.leaf)).to.deep.equal([{ kind: "ecdsa-signer", signer: daily.address, weight: 1n }]);
      expect(decodeSignature(signature)).to.deep.equal(decoded);

      await (await wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: 0n }), signature)).wait();
      expect(await token.balanceOf(recipient)).to.equal(7n);
      expect(await token.balanceOf(address)).to.equal(93n);
    });

    it("signs with a tier-1 device key through tier 0's entry for the deeper tier", async () => {
      const digest = hashCalls({ calls: [{ target: daily.address as Hex, value: 1n }], space: 0n, nonce: 0n }, { wallet: daily.address as Hex, chainId: CHAIN_ID });
      const { signature, decoded } = await signPayload(configuration, digest, [ecdsaSigner(devices[3].privateKey as Hex)]);
      expect(decoded.walk.length).to.be.greaterThan(3);
      const recovered = await recoverSignature(digest, signature);
      expect(recovered.imageHash).to.equal(configuration.imageHash);
    });
  });
});
