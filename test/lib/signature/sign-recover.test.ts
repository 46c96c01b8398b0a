import { expect } from "chai";
import hre from "hardhat";
import type { BaseContract } from "ethers";
import { Configuration } from "../../../lib/configuration/configuration";
import { leafHash } from "../../../lib/configuration/leaves";
import type { Hex } from "../../../lib/hex";
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

/** Where the second child of the root node (the walk's last step) starts. */
function secondChildStart(walk: WalletSignature["walk"]): number {
  const starts: number[] = [];
  walk.slice(0, -1).forEach((step, i) => {
    if (step.op === "node") starts.splice(-2, 2, starts[starts.length - 2]);
    else starts.push(i);
  });
  return starts[1];
}

/** The signing parts of a walk, in walk order. */
function partsOf(signature: WalletSignature): SignaturePart[] {
  return signature.walk.flatMap((step) => (step.op === "part" ? [step.part] : []));
}

/** The walk with the `k`-th part patched. */
function patchPart(signature: WalletSignature, k: number, patch: (part: SignaturePart) => SignaturePart): WalletSignature {
  let seen = -1;
  return { ...signature, walk: signature.walk.map((step) => (step.op === "part" && ++seen === k ? { op: "part", part: patch(step.part) } : step)) };
}

/** Byte offset of step `index` of an encoded walk. */
function stepOffset(signature: WalletSignature, index: number): bigint {
  return BigInt((encodeSignature({ ...signature, walk: signature.walk.slice(0, index) }).length - 2) / 2);
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
      expect(signed.decoded.walk.filter((step) => step.op === "part")).to.have.length(2);
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
      expect(partsOf(signed.decoded).map((p) => p.kind).sort()).to.deep.equal(["ecdsa", "ecdsa-compact", "erc1271"]);
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

    it("throws InvalidECDSASignature(offset) when v, r or s is unusable", async () => {
      const sig = await valid();
      const k = partsOf(sig).findIndex((p) => p.kind === "ecdsa");
      const index = sig.walk.findIndex((step) => step.op === "part" && step.part.kind === "ecdsa");
      for (const patch of [{ v: 29 }, { v: 0 }, { r: `0x${"00".repeat(32)}` }, { s: `0x${"ff".repeat(32)}` }]) {
        const bad = patchPart(sig, k, (p) => ({ ...p, ...patch }) as SignaturePart);
        const err = await expectRejection(recoverSignature(digest, encodeSignature(bad), opts), "SignatureError", "InvalidECDSASignature");
        expect(err.args).to.deep.equal([stepOffset(sig, index)]);
      }
    });

    it("throws InvalidERC1271Signature(offset, signer) when the contract refuses, reverts or has no code", async () => {
      const sig = await valid();
      const k = partsOf(sig).findIndex((p) => p.kind === "erc1271");
      const index = sig.walk.findIndex((step) => step.op === "part" && step.part.kind === "erc1271");
      for (const patch of [{ signature: "0x1234" }, { signer: reverting }, { signer: testAddress(30) }]) {
        const bad = patchPart(sig, k, (p) => ({ ...p, ...patch }) as SignaturePart);
        const err = await expectRejection(recoverSignature(digest, encodeSignature(bad), opts), "SignatureError", "InvalidERC1271Signature");
        expect(err.args![0]).to.equal(stepOffset(sig, index));
        expect(err.args![1]).to.equal((partsOf(bad)[k] as { signer: string }).signer);
      }
      await expectRejection(recoverSignature(digest, encodeSignature(sig)), "InvalidArgumentError", "ERC1271_CHECKER_REQUIRED");
    });

    it("proves the same configuration but reports SignatureWalkUnsorted when a node's children are swapped", async () => {
      const sig = (await signPayload(config, digest, [ecdsaSigner(testKey(1)), ecdsaSigner(testKey(2)), ecdsaSigner(testKey(3))])).decoded;
      // The last step is the root node; its two children are the two subtrees before it. Swap the
      // first step (a leaf or hash) with its sibling when the root's first child is one step.
      const walk = sig.walk;
      const firstChildEnd = secondChildStart(walk);
      const swapped: WalletSignature = { ...sig, walk: [...walk.slice(firstChildEnd, walk.length - 1), ...walk.slice(0, firstChildEnd), walk[walk.length - 1]] };
      const recovered = await recoverSignature(digest, encodeSignature(swapped));
      expect(recovered.imageHash).to.equal(config.imageHash);
      expect(recovered.unsorted?.offset).to.equal(stepOffset(swapped, walk.length - 1));
      await expectRejection(checkSignature(digest, encodeSignature(swapped), config.imageHash), "SignatureError", "SignatureWalkUnsorted");
      // With another digest the leaves are strangers: the image hash is what fails.
      await expectRejection(checkSignature(word("other"), encodeSignature(swapped), config.imageHash), "SignatureError", "ImageHashMismatch");
    });

    it("throws SignatureWalkPrunable(offset) when a node joins two pruned hashes", async () => {
      const sig = (await signPayload(config, digest, [ecdsaSigner(testKey(1)), ecdsaSigner(testKey(2))], { allowBelowThreshold: true })).decoded;
      const [a, b] = [word("a"), word("b")].sort();
      const bad: WalletSignature = { ...sig, walk: [...sig.walk, { op: "hash", hash: a }, { op: "hash", hash: b }, { op: "node" }, { op: "node" }] };
      const err = await expectRejection(recoverSignature(digest, encodeSignature(bad)), "SignatureError", "SignatureWalkPrunable");
      expect(err.args).to.deep.equal([stepOffset(bad, sig.walk.length + 2)]);
    });

    it("throws SignatureWalkUnderflow(offset) when a node finds fewer than two hashes", async () => {
      const bad: WalletSignature = { chainIdZero: false, threshold: 1n, checkpoint: 0n, walk: [{ op: "part", part: { kind: "preapproved-digest" } }, { op: "node" }] };
      const err = await expectRejection(recoverSignature(digest, encodeSignature(bad)), "SignatureError", "SignatureWalkUnderflow");
      expect(err.args).to.deep.equal([12n]);
      await expectRejection(recoverSignature(digest, encodeSignature({ ...bad, walk: [{ op: "node" }] })), "SignatureError", "SignatureWalkUnderflow");
    });

    it("throws SignatureWalkUnbalanced(depth) when more than one hash is left", async () => {
      const bad: WalletSignature = { chainIdZero: false, threshold: 1n, checkpoint: 0n, walk: [{ op: "part", part: { kind: "preapproved-digest" } }, { op: "hash", hash: word("x") }] };
      const err = await expectRejection(recoverSignature(digest, encodeSignature(bad)), "SignatureError", "SignatureWalkUnbalanced");
      expect(err.args).to.deep.equal([2n]);
    });

    it("throws EmptySignature when the walk has no signing part", async () => {
      await expectRejection(recoverSignature(digest, encodeSignature({ chainIdZero: false, threshold: 1n, checkpoint: 0n, walk: [{ op: "hash", hash: word("x") }] })), "SignatureError", "EmptySignature");
      await expectRejection(recoverSignature(digest, encodeSignature({ chainIdZero: false, threshold: 1n, checkpoint: 0n, walk: [] })), "SignatureError", "EmptySignature");
    });

    it("throws SignatureWalkTooDeep(offset) when the 65th hash is pushed", async () => {
      const walk = [{ op: "part", part: { kind: "preapproved-digest" } } as const, ...Array.from({ length: 64 }, (_, i) => ({ op: "hash", hash: word(`h${i}`) }) as const)];
      const bad: WalletSignature = { chainIdZero: false, threshold: 1n, checkpoint: 0n, walk };
      const err = await expectRejection(recoverSignature(digest, encodeSignature(bad)), "SignatureError", "SignatureWalkTooDeep");
      expect(err.args).to.deep.equal([stepOffset(bad, 64)]);
    });

    it("throws DuplicateSigner(offset, signer) when one key signs twice with different weights", async () => {
      const parts = ecdsaParts([[1, 1n], [1, 7n]]);
      const sig: WalletSignature = { chainIdZero: false, threshold: 1n, checkpoint: 0n, walk: [{ op: "part", part: parts[0] }, { op: "part", part: parts[1] }, { op: "node" }] };
      const err = await expectRejection(recoverSignature(digest, encodeSignature(sig)), "SignatureError", "DuplicateSigner");
      expect(err.args).to.deep.equal([stepOffset(sig, 1), testAddress(1)]);
    });

    it("reports the first failing check in walk order", async () => {
      const sig = await valid();
      // A bad ECDSA part before an underflowing node: the part comes first.
      const k = partsOf(sig).findIndex((p) => p.kind === "ecdsa");
      const bad = patchPart(sig, k, (p) => ({ ...p, v: 30 }) as SignaturePart);
      await expectRejection(recoverSignature(digest, encodeSignature({ ...bad, walk: [...bad.walk, { op: "node" }] }), opts), "SignatureError", "InvalidECDSASignature");
      // Under the threshold and unbalanced: the walk's end (unbalanced) comes before the threshold.
      const one = (await signPayload(config, digest, [ecdsaSigner(testKey(1))], { allowBelowThreshold: true })).decoded;
      await expectRejection(recoverSignature(digest, encodeSignature({ ...one, walk: [...one.walk, { op: "hash", hash: word("x") }] })), "SignatureError", "SignatureWalkUnbalanced");
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
