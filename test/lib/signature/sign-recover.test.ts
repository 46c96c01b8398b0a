import { expect } from "chai";
import hre from "hardhat";
import type { BaseContract } from "ethers";
import { Configuration } from "../../../lib/configuration/configuration";
import { leafHash } from "../../../lib/configuration/leaves";
import { MAX_UINT256, type Hex } from "../../../lib/hex";
import { hashCalls } from "../../../lib/payload/hash-calls";
import { hashConfigUpdate } from "../../../lib/payload/hash-config-update";
import { typedDataCalls } from "../../../lib/payload/typed-data";
import { decodeSignature } from "../../../lib/signature/decode-signature";
import { encodeSignature } from "../../../lib/signature/encode-signature";
import { erc1271Checker } from "../../../lib/signature/erc1271";
import { recoverSignature } from "../../../lib/signature/recover-signature";
import { signPayload } from "../../../lib/signature/sign-payload";
import { ecdsaSigner, erc1271Signer, preapprovedDigestSigner, typedDataEcdsaSigner } from "../../../lib/signature/signers";
import type { SignaturePart, WalletSignature } from "../../../lib/signature/types";
import { checkSignature, verifySignature } from "../../../lib/signature/verify-signature";
import { deploy, REFERENCE_SOURCE } from "../../helpers/solidity";
import { expectError, expectRejection, testAddress, testKey, testWallet, word } from "../../helpers/fixtures";

const wallet = testAddress(20);
const payload = { calls: [{ target: testAddress(21), value: 1n }], space: 0n, nonce: 0n };
const digest = hashCalls(payload, { wallet, chainId: 31337n });
const preapproved = word("pre-approved digest");

/** ECDSA parts by test keys over `digest`, in ascending leaf-hash order as the wallet requires. */
function ecdsaParts(signers: [key: number, weight: bigint][]): SignaturePart[] {
  return signers
    .map(([key, weight]) => {
      const sig = testWallet(key).signingKey.sign(digest);
      const part: SignaturePart = { kind: "ecdsa", weight, r: sig.r as Hex, s: sig.s as Hex, v: sig.v };
      return { part, leaf: leafHash({ kind: "ecdsa-signer", signer: testAddress(key), weight }) };
    })
    .sort((a, b) => (a.leaf < b.leaf ? -1 : 1))
    .map((x) => x.part);
}

describe("signature", () => {
  let vault: string;
  let reverting: string;
  let config: Configuration;
  let opts: { isValidErc1271: ReturnType<typeof erc1271Checker> };
  const vaultOwner = testWallet(4);

  before(async function () {
    this.timeout(60_000);
    const [deployer] = await hre.ethers.getSigners();
    vault = await (await deploy(REFERENCE_SOURCE, "OwnedErc1271Signer", deployer, vaultOwner.address)).getAddress();
    reverting = await (await deploy(REFERENCE_SOURCE, "RevertingErc1271Signer", deployer)).getAddress();
    opts = { isValidErc1271: erc1271Checker(hre.ethers.provider) };
    config = Configuration.of({
      threshold: 3n,
      checkpoint: 5n,
      leaves: [
        { kind: "ecdsa-signer", signer: testAddress(1), weight: 1n },
        { kind: "ecdsa-signer", signer: testAddress(2), weight: 2n },
        { kind: "ecdsa-signer", signer: testAddress(3), weight: 1n },
        { kind: "erc1271-signer", signer: vault as Hex, weight: 2n },
        { kind: "preapproved-digest", digest: preapproved },
        { kind: "recovery-key", signer: testAddress(9), timelock: 3600n },
      ],
    });
  });

  const vaultSigner = () => erc1271Signer(vault, async (d) => vaultOwner.signingKey.sign(d).serialized as Hex);

  describe("signPayload", () => {
    it("produces a signature that recovers the configuration when two ECDSA signers reach the threshold", async () => {
      const signed = await signPayload(config, digest, [ecdsaSigner(testKey(2)), ecdsaSigner(testWallet(1))]);
      expect(signed.weight).to.equal(3n);
      expect(signed.leaves.map(leafHash)).to.deep.equal(signed.leaves.map(leafHash).slice().sort());
      const recovered = await recoverSignature(digest, signed.signature);
      expect(recovered.imageHash).to.equal(config.imageHash);
      expect(recovered.root).to.equal(config.root);
      expect(recovered.weight).to.equal(3n);
      expect(recovered.threshold).to.equal(3n);
      expect(recovered.checkpoint).to.equal(5n);
      expect(recovered.signers.map((s) => s.address).sort()).to.deep.equal([testAddress(1), testAddress(2)].sort());
      expect(await verifySignature(digest, signed.signature, config.imageHash)).to.equal(true);
    });

    it("mixes compact ECDSA, ERC-1271 and plain ECDSA parts", async () => {
      const signed = await signPayload(config, digest, [ecdsaSigner(testKey(3), { compact: true }), vaultSigner(), ecdsaSigner(testKey(1))]);
      expect(signed.decoded.parts.map((p) => p.kind).sort()).to.deep.equal(["ecdsa", "ecdsa-compact", "erc1271"]);
      const recovered = await checkSignature(digest, signed.signature, config.imageHash, opts);
      expect(recovered.weight).to.equal(4n);
    });

    it("lets a pre-approved digest stand alone for that digest only", async () => {
      const signed = await signPayload(config, preapproved, [preapprovedDigestSigner()]);
      const recovered = await checkSignature(preapproved, signed.signature, config.imageHash);
      expect(recovered.preapproved).to.equal(true);
      expect(recovered.weight).to.equal(0n);
      await expectRejection(signPayload(config, digest, [preapprovedDigestSigner()]), "InvalidArgumentError", "SIGNER_NOT_IN_CONFIGURATION");
      expect(await verifySignature(digest, signed.signature, config.imageHash)).to.equal(false);
    });

    it("sets flag bit 0 when asked for chain id 0, which only a configuration update may use", async () => {
      const next = config.bumpCheckpoint();
      const update = hashConfigUpdate({ root: next.root, threshold: next.threshold, checkpoint: next.checkpoint }, { wallet, chainId: 0n });
      const signed = await signPayload(config, update, [ecdsaSigner(testKey(1)), ecdsaSigner(testKey(2))], { chainIdZero: true });
      expect(signed.signature.slice(0, 4)).to.equal("0x01");
      await expectRejection(recoverSignature(update, signed.signature), "SignatureError", "ChainIdZeroNotAllowed");
      expect((await checkSignature(update, signed.signature, config.imageHash, { allowChainIdZero: true })).chainIdZero).to.equal(true);
    });

    it("signs through eth_signTypedData_v4 when given a JSON-RPC signer and its typed data", async () => {
      const [account] = await hre.ethers.getSigners();
      const own = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: account.address as Hex, weight: 1n }] });
      const context = { wallet, chainId: 31337n };
      const signer = await typedDataEcdsaSigner(account, typedDataCalls(payload, context));
      const signed = await signPayload(own, hashCalls(payload, context), [signer]);
      expect(await verifySignature(hashCalls(payload, context), signed.signature, own.imageHash)).to.equal(true);
      await expectRejection(signPayload(own, word("other"), [signer]), "InvalidArgumentError", "TYPED_DATA_MISMATCH");
    });

    it("names the problem when the signers cannot produce a valid signature", async () => {
      await expectRejection(signPayload(config, digest, [ecdsaSigner(testKey(7))]), "InvalidArgumentError", "SIGNER_NOT_IN_CONFIGURATION");
      await expectRejection(signPayload(config, digest, [ecdsaSigner(testKey(2)), ecdsaSigner(testKey(2), { compact: true })]), "InvalidArgumentError", "DUPLICATE_SIGNER");
      await expectRejection(signPayload(config, digest, [ecdsaSigner(testKey(1))]), "InvalidArgumentError", "THRESHOLD_NOT_MET");
      await expectRejection(signPayload(config, digest, []), "InvalidArgumentError", "NO_SIGNERS");
      await expectRejection(signPayload(config, "0x12", [ecdsaSigner(testKey(1))]), "InvalidArgumentError", "INVALID_BYTES32");
      // A signer that answers with another key's signature (or an EIP-191 one) is caught before encoding.
      const liar = { ...ecdsaSigner(testKey(1)), signDigest: async (d: Hex) => testWallet(3).signingKey.sign(d).serialized as Hex };
      await expectRejection(signPayload(config, digest, [liar, ecdsaSigner(testKey(2))]), "InvalidArgumentError", "INVALID_SIGNATURE");
      const personal = { ...ecdsaSigner(testKey(1)), signDigest: async (d: Hex) => (await testWallet(1).signMessage(d)) as Hex };
      await expectRejection(signPayload(config, digest, [personal, ecdsaSigner(testKey(2))]), "InvalidArgumentError", "INVALID_SIGNATURE");
      expectError(() => ecdsaSigner("0x00"), "InvalidArgumentError", "INVALID_BYTES32", "privateKey");
      expectError(() => ecdsaSigner(`0x${"00".repeat(32)}`), "InvalidArgumentError", "INVALID_PRIVATE_KEY", "privateKey");
      expectError(() => ecdsaSigner({} as never), "InvalidArgumentError", "UNSUPPORTED_SIGNER", "signer");
    });

    it("returns an under-threshold signature only when asked, and recovery rejects it with ThresholdNotMet", async () => {
      const signed = await signPayload(config, digest, [ecdsaSigner(testKey(1))], { allowBelowThreshold: true });
      const err = await expectRejection(recoverSignature(digest, signed.signature), "SignatureError", "ThresholdNotMet");
      expect(err.args).to.deep.equal([1n, 3n]);
    });
  });

  describe("recoverSignature", () => {
    async function valid(): Promise<WalletSignature> {
      return (await signPayload(config, digest, [ecdsaSigner(testKey(1)), ecdsaSigner(testKey(2)), vaultSigner()])).decoded;
    }

    it("throws InvalidECDSASignature(index) when v, r or s is unusable", async () => {
      const sig = await valid();
      const i = sig.parts.findIndex((p) => p.kind === "ecdsa");
      for (const patch of [{ v: 29 }, { v: 0 }, { r: `0x${"00".repeat(32)}` }, { s: `0x${"ff".repeat(32)}` }]) {
        const parts = sig.parts.map((p, k) => (k === i ? ({ ...p, ...patch } as SignaturePart) : p));
        const err = await expectRejection(recoverSignature(digest, encodeSignature({ ...sig, parts }), opts), "SignatureError", "InvalidECDSASignature");
        expect(err.args).to.deep.equal([BigInt(i)]);
      }
    });

    it("throws InvalidERC1271Signature(index, signer) when the contract refuses, reverts or has no code", async () => {
      const sig = await valid();
      const i = sig.parts.findIndex((p) => p.kind === "erc1271");
      const variants: Partial<SignaturePart>[] = [{ signature: "0x1234" } as never, { signer: reverting } as never, { signer: testAddress(30) } as never];
      for (const patch of variants) {
        const parts = sig.parts.map((p, k) => (k === i ? ({ ...p, ...patch } as SignaturePart) : p));
        const err = await expectRejection(recoverSignature(digest, encodeSignature({ ...sig, parts }), opts), "SignatureError", "InvalidERC1271Signature");
        expect(err.args![0]).to.equal(BigInt(i));
        expect(err.args![1]).to.equal((parts[i] as { signer: string }).signer);
      }
      await expectRejection(recoverSignature(digest, encodeSignature(sig)), "InvalidArgumentError", "ERC1271_CHECKER_REQUIRED");
    });

    it("accepts parts in any order and proves the same configuration when parts are reordered", async () => {
      const sig = await valid();
      const parts = [sig.parts[1], sig.parts[0], sig.parts[2]];
      const canonical = await recoverSignature(digest, encodeSignature(sig), opts);
      const reordered = await recoverSignature(digest, encodeSignature({ ...sig, parts }), opts);
      expect(reordered.imageHash).to.equal(canonical.imageHash);
      expect(reordered.weight).to.equal(canonical.weight);
    });

    it("throws DuplicateLeaf(index, leaf) when two parts prove the same leaf", async () => {
      const sig = await valid();
      const recovered = await recoverSignature(digest, encodeSignature(sig), opts);
      const parts = [sig.parts[0], sig.parts[1], sig.parts[0]];
      const err = await expectRejection(recoverSignature(digest, encodeSignature({ ...sig, parts }), opts), "SignatureError", "DuplicateLeaf");
      expect(err.args).to.deep.equal([2n, recovered.signers[0].leafHash]);
    });

    it("throws DuplicateSigner(index, signer) when one key signs twice with different weights", async () => {
      const sig: WalletSignature = { chainIdZero: false, threshold: 1n, checkpoint: 0n, parts: ecdsaParts([[1, 1n], [1, 7n]]), proof: [], proofFlags: [true] };
      const err = await expectRejection(recoverSignature(digest, encodeSignature(sig)), "SignatureError", "DuplicateSigner");
      expect(err.args).to.deep.equal([1n, testAddress(1)]);
    });

    it("throws WeightOverflow(index, total, weight) when the weights pass 2^256 - 1", async () => {
      const parts = ecdsaParts([[1, MAX_UINT256], [2, 1n]]);
      const sig: WalletSignature = { chainIdZero: false, threshold: 1n, checkpoint: 0n, parts, proof: [], proofFlags: [true] };
      const err = await expectRejection(recoverSignature(digest, encodeSignature(sig)), "SignatureError", "WeightOverflow");
      const [first, second] = parts.map((p) => (p as { weight: bigint }).weight);
      expect(err.args).to.deep.equal([1n, first, second]);
    });

    it("throws MerkleProofInvalidMultiproof whenever a proof flag is flipped", async () => {
      const sig = await valid();
      expect(sig.proofFlags.length).to.be.greaterThan(1);
      for (let j = 0; j < sig.proofFlags.length; j++) {
        const proofFlags = sig.proofFlags.map((f, k) => (k === j ? !f : f));
        await expectRejection(recoverSignature(digest, encodeSignature({ ...sig, proofFlags }), opts), "SignatureError", "MerkleProofInvalidMultiproof");
      }
    });

    it("throws MerkleProofInvalidMultiproof when the flags would make OpenZeppelin read unset or missing values", async () => {
      const parts = ecdsaParts([[1, 1n], [2, 2n]]);
      // 2 leaves + 1 proof hash = 2 flags; [true, true] merges twice and would read a hash not yet computed.
      const sig: WalletSignature = { chainIdZero: false, threshold: 1n, checkpoint: 0n, parts, proof: [word("p")], proofFlags: [true, true] };
      await expectRejection(recoverSignature(digest, encodeSignature(sig)), "SignatureError", "MerkleProofInvalidMultiproof");
      // [false, false] leaves one leaf unmerged and would read past the end of the proof.
      await expectRejection(recoverSignature(digest, encodeSignature({ ...sig, proofFlags: [false, false] })), "SignatureError", "MerkleProofInvalidMultiproof");
    });

    it("reports the first failing check in spec order", async () => {
      const sig = await valid();
      // A bad ECDSA part and bad flags: the part (step 2) comes before the multiproof (step 3).
      const i = sig.parts.findIndex((p) => p.kind === "ecdsa");
      const parts = sig.parts.map((p, k) => (k === i ? ({ ...p, v: 30 } as SignaturePart) : p));
      const proofFlags = sig.proofFlags.map((f) => !f);
      await expectRejection(recoverSignature(digest, encodeSignature({ ...sig, parts, proofFlags }), opts), "SignatureError", "InvalidECDSASignature");
      // Under the threshold and a broken multiproof: the multiproof (step 3) comes first.
      const one = (await signPayload(config, digest, [ecdsaSigner(testKey(1)), vaultSigner()], { allowBelowThreshold: true })).decoded;
      await expectRejection(recoverSignature(digest, encodeSignature({ ...one, threshold: 100n, proofFlags: one.proofFlags.map((f) => !f) }), opts), "SignatureError", "MerkleProofInvalidMultiproof");
    });
  });

  describe("checkSignature", () => {
    it("throws ImageHashMismatch(imageHash) when the signature proves another configuration", async () => {
      const signed = await signPayload(config, digest, [ecdsaSigner(testKey(1)), ecdsaSigner(testKey(2))]);
      const other = config.withThreshold(2n);
      const err = await expectRejection(checkSignature(digest, signed.signature, other.imageHash), "SignatureError", "ImageHashMismatch");
      expect(err.args).to.deep.equal([config.imageHash]);
      // A changed threshold in the signature proves another image hash too.
      const bumped = encodeSignature({ ...signed.decoded, threshold: 2n });
      expect(await verifySignature(digest, bumped, config.imageHash)).to.equal(false);
      expect((await recoverSignature(digest, bumped)).imageHash).to.equal(other.imageHash);
    });
  });

  describe("verifySignature", () => {
    it("returns false for another digest and throws for a malformed image hash", async () => {
      const signed = await signPayload(config, digest, [ecdsaSigner(testKey(1)), ecdsaSigner(testKey(2))]);
      expect(await verifySignature(word("another digest"), signed.signature, config.imageHash)).to.equal(false);
      await expectRejection(verifySignature(digest, signed.signature, "0x12"), "InvalidArgumentError", "INVALID_BYTES32");
      expect(decodeSignature(signed.signature).threshold).to.equal(3n);
    });
  });
});
