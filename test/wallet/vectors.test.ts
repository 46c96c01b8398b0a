/**
 * The frozen vectors of lib/configuration, lib/payload and lib/signature (test/vectors/configuration.json,
 * checked against the library in test/lib) checked against the contracts: a format change that
 * moves any of these bytes breaks here.
 */
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import vectors from "../vectors/configuration.json";
import { Configuration } from "../../lib/configuration/configuration";
import type { Leaf } from "../../lib/configuration/leaves";
import { ON_FAILURE_CODES } from "../../lib/payload/calls";
import type { OnFailure } from "../../lib/payload/types";

describe("frozen vectors", () => {
  async function fixture() {
    const hashes = await ethers.deployContract("ConfigurationHarness");
    const factory = await ethers.deployContract("ArborFactory");
    return { hashes, factory };
  }

  describe("ConfigurationHashes", () => {
    for (const v of vectors.configurations) {
      it(`reproduces leaf hashes and the image hash of "${v.name}"`, async () => {
        const { hashes } = await loadFixture(fixture);
        const configuration = Configuration.load(v.configuration);
        const onChain: string[] = [];
        for (const leaf of configuration.leaves as Leaf[]) {
          switch (leaf.kind) {
            case "ecdsa-signer":
              onChain.push(await hashes.ecdsaSignerLeaf(leaf.signer, leaf.weight));
              break;
            case "erc1271-signer":
              onChain.push(await hashes.erc1271SignerLeaf(leaf.signer, leaf.weight));
              break;
            case "passkey-signer":
              onChain.push(await hashes.passkeySignerLeaf(leaf.x, leaf.y, leaf.requireUserVerification, leaf.weight));
              break;
            case "session-permissions":
              onChain.push(await hashes.sessionPermissionsLeaf(leaf.sessionSigner, leaf.chainId, leaf.valueLimit, leaf.deadline, leaf.permissionsHash));
              break;
            case "identity-signer":
              onChain.push(await hashes.identitySignerLeaf(leaf.signer));
              break;
            case "recovery-key":
              onChain.push(await hashes.recoveryKeyLeaf(leaf.signer, leaf.timelock));
              break;
            case "guard":
              onChain.push(await hashes.guardLeaf(leaf.guard, leaf.weight));
              break;
            case "preapproved-digest":
              onChain.push(await hashes.preapprovedDigestLeaf(leaf.digest));
              break;
          }
        }
        expect(onChain).to.deep.equal(v.leafHashes);
        expect(await hashes.imageHash(v.root, BigInt(v.configuration.threshold), BigInt(v.configuration.checkpoint))).to.equal(v.imageHash);
      });
    }

    it("reproduces the tags and typehashes", async () => {
      const { hashes } = await loadFixture(fixture);
      const tags = await hashes.tags();
      expect(tags[8]).to.equal(vectors.tags.imageHash);
      expect(Object.values(vectors.tags.leaves)).to.deep.equal(tags.slice(0, 8));
      expect(await hashes.typehashes()).to.deep.equal([
        vectors.typehashes.domain,
        vectors.typehashes.call,
        vectors.typehashes.calls,
        vectors.typehashes.configUpdate,
        vectors.typehashes.message,
      ]);
    });
  });

  describe("PayloadHashes", () => {
    for (const [i, p] of vectors.payloads.entries()) {
      it(`reproduces payload ${i} (${p.kind}, chain ${p.chainId}): struct hash and digest`, async () => {
        const { hashes } = await loadFixture(fixture);
        let structHash: string;
        if (p.kind === "calls") {
          const input = p.input as { calls: { target: string; value: string; data: string; gasLimit: string; delegateCall: boolean; onFailure: string }[]; space: string; nonce: string };
          structHash = await hashes.hashCalls(
            input.calls.map((c) => ({ ...c, value: BigInt(c.value), gasLimit: BigInt(c.gasLimit), onFailure: ON_FAILURE_CODES[c.onFailure as OnFailure] })),
            BigInt(input.space),
            BigInt(input.nonce),
          );
          const [space, nonce, packedHash] = await hashes.hashPackedCalls((p as { packed: string }).packed);
          expect([space, nonce, packedHash]).to.deep.equal([BigInt(input.space), BigInt(input.nonce), structHash]);
        } else if (p.kind === "configUpdate") {
          const input = p.input as { root: string; threshold: string; checkpoint: string };
          structHash = await hashes.hashConfigUpdate(input.root, BigInt(input.threshold), BigInt(input.checkpoint));
        } else {
          structHash = await hashes.hashMessage((p.input as { hash: string }).hash);
        }
        // Message vectors freeze only the digest.
        if ("structHash" in p) expect(structHash).to.equal(p.structHash);
        expect(await hashes.digest(BigInt(p.chainId), p.wallet, structHash)).to.equal(p.digest);
      });
    }
  });

  describe("WalletSignature", () => {
    for (const s of vectors.signatures) {
      it(`accepts the frozen signature "${s.name}" and proves its image hash`, async () => {
        await loadFixture(fixture);
        const payload = vectors.payloads.find((p) => p.digest === s.digest) as { wallet: string; structHash: string };
        // Run the verifier at the vector's wallet address, where the digest was signed.
        const harness = await ethers.deployContract("SignatureHarness");
        await network.provider.send("hardhat_setCode", [payload.wallet, await ethers.provider.getCode(await harness.getAddress())]);
        const atWallet = await ethers.getContractAt("SignatureHarness", payload.wallet);
        const recovered = await atWallet.recover(payload.structHash, s.signature, s.allowChainIdZero);
        expect(recovered.imageHash).to.equal(s.imageHash);
        expect(recovered.digest).to.equal(s.digest);
      });
    }
  });

  describe("ArborFactory", () => {
    for (const v of vectors.configurations) {
      it(`predicts the frozen wallet address of "${v.name}"`, async () => {
        const { factory } = await loadFixture(fixture);
        // The vectors fix the factory's address: run the factory's code there.
        await network.provider.send("hardhat_setCode", [vectors.factory, await ethers.provider.getCode(await factory.getAddress())]);
        const atVectorAddress = await ethers.getContractAt("ArborFactory", vectors.factory);
        expect(await atVectorAddress.predict(vectors.implementation, v.imageHash)).to.equal(v.walletAddress);
      });
    }
  });
});
