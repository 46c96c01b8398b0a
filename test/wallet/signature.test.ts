import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { CHAIN_ID, deployArbor, deployWallet, keys, multisig, signMessage, signUpdate } from "../helpers/arbor";
import { rawConfiguration, rawSign } from "../helpers/raw-signature";
import { Configuration } from "../../lib/configuration/configuration";
import { hashMessage } from "../../lib/payload/hash-message";
import { decodeSignature } from "../../lib/signature/decode-signature";
import { encodeSignature } from "../../lib/signature/encode-signature";
import { signPayload } from "../../lib/signature/sign-payload";
import { ecdsaSigner, erc1271Signer, preapprovedDigestSigner } from "../../lib/signature/signers";
import type { Leaf } from "../../lib/configuration/leaves";
import type { Hex } from "../../lib/hex";

const MAGIC = "0x1626ba7e";
const FAILURE = "0xffffffff";

describe("ArborWallet", () => {
  const [a, b, c, owner] = keys(4);
  const configuration = multisig([a, b, c], 2n);
  const message = ethers.id("hello arbor") as Hex;

  async function fixture() {
    const d = await deployArbor();
    const wallet = await deployWallet(d, configuration);
    return { d, wallet, address: (await wallet.getAddress()) as Hex };
  }

  describe("isValidSignature", () => {
    it("returns the ERC-1271 magic value when two of three signers sign Message(hash)", async () => {
      const { wallet, address } = await loadFixture(fixture);
      const signature = await signMessage(configuration, address, [a, b], message);
      expect(await wallet.isValidSignature(message, signature)).to.equal(MAGIC);
    });

    it("returns 0xffffffff instead of reverting when the signature is invalid", async () => {
      const { wallet, address } = await loadFixture(fixture);
      const low = await signMessage(configuration, address, [a], message, { allowBelowThreshold: true });
      expect(await wallet.isValidSignature(message, low)).to.equal(FAILURE);
      expect(await wallet.isValidSignature(message, "0x")).to.equal(FAILURE);
      expect(await wallet.isValidSignature(message, "0x1234")).to.equal(FAILURE);
      const valid = await signMessage(configuration, address, [a, b], message);
      expect(await wallet.isValidSignature(ethers.id("another message"), valid)).to.equal(FAILURE);
    });

    it("returns 0xffffffff for a message signature made for another wallet with the same signers", async () => {
      const { d, wallet } = await loadFixture(fixture);
      const sibling = await deployWallet(d, multisig([a, b, c], 2n, 1n));
      const signature = await signMessage(configuration, await sibling.getAddress(), [a, b], message);
      expect(await wallet.isValidSignature(message, signature)).to.equal(FAILURE);
    });

    it("accepts a contract signer (ERC-1271) and a nested Arbor wallet as signers", async () => {
      const { d } = await loadFixture(fixture);
      const ownedSigner = await ethers.deployContract("OwnedSigner", [owner.address]);
      const ownedAddress = (await ownedSigner.getAddress()) as Hex;
      const child = await deployWallet(d, multisig([c], 1n));
      const childAddress = (await child.getAddress()) as Hex;
      const parentConfig = Configuration.of({
        threshold: 2n,
        checkpoint: 0n,
        leaves: [
          { kind: "erc1271-signer", signer: ownedAddress, weight: 1n },
          { kind: "erc1271-signer", signer: childAddress, weight: 1n },
        ],
      });
      const parent = await deployWallet(d, parentConfig);
      const parentAddress = (await parent.getAddress()) as Hex;
      const signers = [
        erc1271Signer(ownedAddress, async (digest) => owner.signingKey.sign(digest).serialized),
        erc1271Signer(childAddress, async (digest) => signMessage(multisig([c], 1n), childAddress, [c], digest)),
      ];
      const digest = hashMessage(message, { wallet: parentAddress, chainId: CHAIN_ID });
      const { signature } = await signPayload(parentConfig, digest, signers);
      expect(await parent.isValidSignature(message, signature)).to.equal(MAGIC);
    });

    it("accepts a pre-approved digest leaf alone as the whole threshold", async () => {
      const { wallet, address } = await loadFixture(fixture);
      // A digest names the wallet, so a pre-approval can only be added once the address is known.
      const digest = hashMessage(message, { wallet: address, chainId: CHAIN_ID });
      const next = configuration.update({ add: [{ kind: "preapproved-digest", digest }], checkpoint: 1n });
      const update = await signUpdate(configuration, next, address, [a, b]);
      await (await wallet.updateConfigurationWithSignature(next.root, next.threshold, next.checkpoint, update)).wait();
      const { signature } = await signPayload(next, digest, [preapprovedDigestSigner()]);
      expect(await wallet.isValidSignature(message, signature)).to.equal(MAGIC);
      // It approves that digest only.
      const other = ethers.id("not approved") as Hex;
      expect(await wallet.isValidSignature(other, signature)).to.equal(FAILURE);
    });
  });

  describe("checkMessageSignature", () => {
    async function valid() {
      const { wallet, address } = await loadFixture(fixture);
      const signature = await signMessage(configuration, address, [a, b], message);
      return { wallet, signature, decoded: decodeSignature(signature) };
    }

    it("returns nothing for a valid signature", async () => {
      const { wallet, signature } = await valid();
      await wallet.checkMessageSignature(message, signature);
    });

    it("reverts with SignatureTruncated when bytes are missing", async () => {
      const { wallet, signature } = await valid();
      const length = ethers.dataLength(signature);
      // The last step is a node (one byte): cut inside the step before it, a 33-byte hash or a 67-byte part.
      const cut = ethers.dataSlice(signature, 0, length - 2);
      await expect(wallet.checkMessageSignature(message, cut)).to.be.revertedWithCustomError(wallet, "SignatureTruncated").withArgs(length - 1, length - 2);
      await expect(wallet.checkMessageSignature(message, "0x00")).to.be.revertedWithCustomError(wallet, "SignatureTruncated").withArgs(11n, 1n);
    });

    it("reverts with SignatureWalkUnbalanced or SignatureWalkPrunable when steps follow the root", async () => {
      const { wallet, signature } = await valid();
      await expect(wallet.checkMessageSignature(message, ethers.concat([signature, "0x01", ethers.id("x")])))
        .to.be.revertedWithCustomError(wallet, "SignatureWalkUnbalanced")
        .withArgs(2n);
      await expect(wallet.checkMessageSignature(message, ethers.concat([signature, "0x00"])))
        .to.be.revertedWithCustomError(wallet, "SignatureWalkUnderflow")
        .withArgs(ethers.dataLength(signature));
    });

    it("reverts with UnsupportedSignatureFlags, ChainIdZeroNotAllowed and EmptySignature on a bad header", async () => {
      const { wallet, signature } = await valid();
      const withFlags = (flags: number) => ethers.concat([ethers.toBeHex(flags, 1), ethers.dataSlice(signature, 1)]);
      await expect(wallet.checkMessageSignature(message, withFlags(0x80)))
        .to.be.revertedWithCustomError(wallet, "UnsupportedSignatureFlags")
        .withArgs(0x80);
      // Bit 1 (session) is only meaningful for execute: here it is an unsupported flag.
      await expect(wallet.checkMessageSignature(message, withFlags(0x02)))
        .to.be.revertedWithCustomError(wallet, "UnsupportedSignatureFlags")
        .withArgs(0x02);
      await expect(wallet.checkMessageSignature(message, withFlags(0x01))).to.be.revertedWithCustomError(wallet, "ChainIdZeroNotAllowed");
      // A header alone, and a walk of one pruned hash: no signing part.
      const header = ethers.dataSlice(signature, 0, 11);
      await expect(wallet.checkMessageSignature(message, header)).to.be.revertedWithCustomError(wallet, "EmptySignature");
      await expect(wallet.checkMessageSignature(message, ethers.concat([header, "0x01", ethers.ZeroHash]))).to.be.revertedWithCustomError(wallet, "EmptySignature");
    });

    it("reverts with UnknownSignatureStep(offset, op) on an unknown opcode", async () => {
      const { wallet, signature } = await valid();
      const bytes = ethers.getBytes(signature);
      bytes[11] = 0x09;
      await expect(wallet.checkMessageSignature(message, bytes)).to.be.revertedWithCustomError(wallet, "UnknownSignatureStep").withArgs(11n, 9n);
    });

    it("reverts with InvalidECDSASignature(offset) when s is high", async () => {
      const { wallet, decoded } = await valid();
      const n = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
      const index = decoded.walk.findIndex((step) => step.op === "part");
      const step = decoded.walk[index] as { op: "part"; part: { kind: "ecdsa"; weight: bigint; r: Hex; s: Hex; v: number } };
      const highS = { ...step.part, s: ethers.toBeHex(n - BigInt(step.part.s), 32) as Hex, v: step.part.v === 27 ? 28 : 27 };
      const walk = decoded.walk.map((x, i) => (i === index ? { op: "part" as const, part: highS } : x));
      const offset = ethers.dataLength(encodeSignature({ ...decoded, walk: walk.slice(0, index) }));
      await expect(wallet.checkMessageSignature(message, encodeSignature({ ...decoded, walk })))
        .to.be.revertedWithCustomError(wallet, "InvalidECDSASignature")
        .withArgs(offset);
    });

    it("reverts with SignatureWalkUnsorted only once the swapped walk proves the configuration", async () => {
      const { wallet, decoded } = await valid();
      // 2 of 3 over a 4-leaf tree: the walk's root node joins two subtrees; swap them.
      const starts: number[] = [];
      decoded.walk.slice(0, -1).forEach((step, i) => {
        if (step.op === "node") starts.splice(-2, 2, starts[starts.length - 2]);
        else starts.push(i);
      });
      const walk = [...decoded.walk.slice(starts[1], -1), ...decoded.walk.slice(0, starts[1]), { op: "node" as const }];
      const swapped = encodeSignature({ ...decoded, walk });
      await expect(wallet.checkMessageSignature(message, swapped)).to.be.revertedWithCustomError(wallet, "SignatureWalkUnsorted");
      await expect(wallet.checkMessageSignature(ethers.id("another message"), swapped)).to.be.revertedWithCustomError(wallet, "ImageHashMismatch");
    });

    it("reverts with DuplicateSigner when one key holds two leaves and signs for both", async () => {
      const { d } = await loadFixture(fixture);
      // The library refuses such a configuration; a raw one shows the contract refuses it too.
      const leaves: Leaf[] = [
        { kind: "ecdsa-signer", signer: a.address as Hex, weight: 1n },
        { kind: "ecdsa-signer", signer: a.address as Hex, weight: 2n },
        { kind: "ecdsa-signer", signer: b.address as Hex, weight: 1n },
      ];
      const raw = rawConfiguration(leaves, 3n);
      await (await d.factory.deploy(d.implementationAddress, raw.imageHash)).wait();
      const address = await d.factory.predict(d.implementationAddress, raw.imageHash);
      const wallet = await ethers.getContractAt("ArborWallet", address);
      const digest = hashMessage(message, { wallet: address, chainId: CHAIN_ID });
      const signature = rawSign(raw, digest, [
        { leaf: leaves[0], key: a },
        { leaf: leaves[1], key: a },
      ]);
      await expect(wallet.checkMessageSignature(message, signature)).to.be.revertedWithCustomError(wallet, "DuplicateSigner");
      expect(await wallet.isValidSignature(message, signature)).to.equal(FAILURE);
    });

    it("reverts with ImageHashMismatch when a pruned hash is altered", async () => {
      const { wallet, decoded } = await valid();
      const walk = decoded.walk.map((step) => (step.op === "hash" ? { op: "hash" as const, hash: ethers.toBeHex(BigInt(step.hash) ^ 1n, 32) as Hex } : step));
      await expect(wallet.checkMessageSignature(message, encodeSignature({ ...decoded, walk }))).to.be.revertedWithCustomError(wallet, "ImageHashMismatch");
    });

    it("reverts with ImageHashMismatch when a weight is raised to reach the threshold", async () => {
      const { wallet, address } = await loadFixture(fixture);
      const low = decodeSignature(await signMessage(configuration, address, [a], message, { allowBelowThreshold: true }));
      const walk = low.walk.map((step) => (step.op === "part" ? { op: "part" as const, part: { ...step.part, weight: 2n } } : step));
      await expect(wallet.checkMessageSignature(message, encodeSignature({ ...low, walk }))).to.be.revertedWithCustomError(wallet, "ImageHashMismatch");
    });
  });

  describe("checkMessageSignature with contract signers", () => {
    it("reverts with InvalidERC1271Signature naming the signer when it refuses", async () => {
      const { d } = await loadFixture(fixture);
      const ownedSigner = await ethers.deployContract("OwnedSigner", [owner.address]);
      const ownedAddress = (await ownedSigner.getAddress()) as Hex;
      const config = Configuration.of({
        threshold: 1n,
        checkpoint: 0n,
        leaves: [{ kind: "erc1271-signer", signer: ownedAddress, weight: 1n }],
      });
      const wallet = await deployWallet(d, config);
      const digest = hashMessage(message, { wallet: await wallet.getAddress(), chainId: CHAIN_ID });
      // Signed by the wrong key: the contract signer says no.
      const { decoded } = await signPayload(config, digest, [
        erc1271Signer(ownedAddress, async (x) => owner.signingKey.sign(x).serialized),
      ]);
      const wrong = a.signingKey.sign(digest).serialized as Hex;
      const walk = decoded.walk.map((step) => (step.op === "part" ? { op: "part" as const, part: { ...step.part, signature: wrong } } : step));
      // One leaf: the walk is that part alone, at byte 11.
      await expect(wallet.checkMessageSignature(message, encodeSignature({ ...decoded, walk })))
        .to.be.revertedWithCustomError(wallet, "InvalidERC1271Signature")
        .withArgs(11n, ownedAddress);
      expect(ecdsaSigner).to.exist;
    });
  });
});
