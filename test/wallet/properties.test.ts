/**
 * Properties of the contracts against the library, on random inputs (fast-check; 200 runs by
 * default, 1000 when CI is set). Each `it` names the law it checks.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Interface, Wallet as EthersWallet } from "ethers";
import { SIGNABLE_LEAF_KINDS } from "../../lib/configuration/configuration";
import { address, bytes32, dedupe, flipBit, leaf as anyLeaf, NUM_RUNS } from "../helpers/arbitraries";
import { deployArbor } from "../helpers/arbor";
import { Configuration } from "../../lib/configuration/configuration";
import { leafHash, leafWeight, type Leaf } from "../../lib/configuration/leaves";
import { imageHash } from "../../lib/configuration/image-hash";
import { MESSAGE_TYPEHASH } from "../../lib/payload/domain";
import { hashMessage } from "../../lib/payload/hash-message";
import { hashCalls } from "../../lib/payload/hash-calls";
import { callsStructHash, ON_FAILURE_CODES } from "../../lib/payload/calls";
import { hashConfigUpdate, configUpdateStructHash } from "../../lib/payload/hash-config-update";
import { signPayload } from "../../lib/signature/sign-payload";
import { ecdsaSigner } from "../../lib/signature/signers";
import { recoverSignature } from "../../lib/signature/recover-signature";
import { PayloadError, SignatureError } from "../../lib/errors";
import { decodeCallsPayload, encodeCallsPayload } from "../../lib/payload/packed-calls";
import { normalizeCall } from "../../lib/payload/calls";
import { walletAddress } from "../../lib/wallet/address";
import type { Hex } from "../../lib/hex";
import type { OnFailure } from "../../lib/payload/types";

const CHAIN_ID = 31337n;
const params = { numRuns: NUM_RUNS };

/** A configuration whose ECDSA signers we hold keys for, plus any other leaves. */
const signedConfiguration = () =>
  fc
    .record({
      seeds: fc.uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 8 }),
      weights: fc.array(fc.bigInt({ min: 1n, max: 5n }), { minLength: 8, maxLength: 8 }),
      others: fc.array(anyLeaf(), { maxLength: 16 }),
      thresholdSeed: fc.bigInt({ min: 0n, max: 1n << 64n }),
      // Configuration refuses checkpoints of 2^64 and more (the compact width).
      checkpoint: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      pick: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    })
    .map(({ seeds, weights, others, thresholdSeed, checkpoint, pick }) => {
      const keys = seeds.map((s) => new EthersWallet(ethers.id(`property/${s}`)));
      const signerLeaves: Leaf[] = keys.map((k, i) => ({ kind: "ecdsa-signer", signer: k.address as Hex, weight: weights[i] }));
      const leaves = dedupe([...signerLeaves, ...others]);
      // Only the kinds that can sign count towards a reachable threshold, and a signature carries a
      // uint16 threshold (Configuration refuses both).
      const total = leaves.filter((l) => SIGNABLE_LEAF_KINDS.includes(l.kind)).reduce((s, l) => s + leafWeight(l), 0n);
      const reachable = total < 65_535n ? total : 65_535n;
      const configuration = Configuration.of({ threshold: 1n + (thresholdSeed % reachable), checkpoint, leaves });
      const chosen = keys.filter((_, i) => pick[i]);
      return { configuration, signers: chosen.length ? chosen : [keys[0]] };
    });

function messageStructHash(message: Hex): Hex {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], [MESSAGE_TYPEHASH, message])) as Hex;
}

/** The custom error name of a contract revert, or undefined if it did not revert with one. */
function revertName(error: unknown, iface: Interface): string | undefined {
  const data = (error as { data?: string }).data;
  if (typeof data !== "string") return undefined;
  return iface.parseError(data)?.name;
}

describe("ArborWallet properties", () => {
  async function fixture() {
    const d = await deployArbor();
    const harness = await ethers.deployContract("SignatureHarness");
    const hashes = await ethers.deployContract("ConfigurationHarness");
    const wallet = await ethers.getContractFactory("ArborWallet");
    return { d, harness, hashes, harnessAddress: (await harness.getAddress()) as Hex, walletInterface: wallet.interface };
  }

  describe("WalletSignature.recover", () => {
    it("law: the contract accepts every library signature and proves the same image hash and weight", async () => {
      const { harness, harnessAddress } = await loadFixture(fixture);
      await fc.assert(
        fc.asyncProperty(signedConfiguration(), bytes32(), async ({ configuration, signers }, message) => {
          const digest = hashMessage(message, { wallet: harnessAddress, chainId: CHAIN_ID });
          const { signature, weight } = await signPayload(
            configuration,
            digest,
            signers.map((k) => ecdsaSigner(k.privateKey as Hex, { compact: k.address < "0x8" })),
            { allowBelowThreshold: true },
          );
          const structHash = messageStructHash(message);
          if (weight < configuration.threshold) {
            await expect(harness.recover(structHash, signature, false)).to.be.revertedWithCustomError(harness, "ThresholdNotMet");
            return;
          }
          const recovered = await harness.recover(structHash, signature, false);
          expect(recovered.imageHash).to.equal(configuration.imageHash);
          expect(recovered.weight).to.equal(weight);
          expect(recovered.checkpoint).to.equal(configuration.checkpoint);
        }),
        params,
      );
    });

    it("law: a signature with any one bit flipped is judged alike by library and contract, and never proves the configuration", async () => {
      const { harness, harnessAddress, walletInterface } = await loadFixture(fixture);
      await fc.assert(
        fc.asyncProperty(signedConfiguration(), bytes32(), fc.nat(), async ({ configuration, signers }, message, bit) => {
          const digest = hashMessage(message, { wallet: harnessAddress, chainId: CHAIN_ID });
          const { signature } = await signPayload(configuration, digest, signers.map((k) => ecdsaSigner(k.privateKey as Hex)), {
            allowBelowThreshold: true,
          });
          const flipped = flipBit(signature, bit);
          let libraryError: string | undefined;
          let libraryImageHash: Hex | undefined;
          try {
            libraryImageHash = (await recoverSignature(digest, flipped)).imageHash;
          } catch (error) {
            expect(error).to.be.instanceOf(SignatureError);
            libraryError = (error as SignatureError).code;
          }
          let contractError: string | undefined;
          let contractImageHash: string | undefined;
          try {
            contractImageHash = (await harness.recover(messageStructHash(message), flipped, false)).imageHash;
          } catch (error) {
            contractError = revertName(error, walletInterface);
            expect(contractError, `unnamed revert for bit ${bit}`).to.be.a("string");
          }
          expect(contractError).to.equal(libraryError);
          expect(contractImageHash).to.equal(libraryImageHash);
          if (contractImageHash !== undefined) {
            // A flipped weight bit in a preapproved-free signature changes the leaf; any surviving
            // signature proves some other configuration.
            expect(contractImageHash).to.not.equal(configuration.imageHash);
          }
        }),
        params,
      );
    });
  });

  describe("ConfigurationHashes", () => {
    it("law: library and contract compute identical leaf hashes for every kind", async () => {
      const { hashes } = await loadFixture(fixture);
      await fc.assert(
        fc.asyncProperty(anyLeaf(), async (leaf) => {
          let onChain: string;
          switch (leaf.kind) {
            case "ecdsa-signer":
              onChain = await hashes.ecdsaSignerLeaf(leaf.signer, leaf.weight);
              break;
            case "erc1271-signer":
              onChain = await hashes.erc1271SignerLeaf(leaf.signer, leaf.weight);
              break;
            case "passkey-signer":
              onChain = await hashes.passkeySignerLeaf(leaf.x, leaf.y, leaf.requireUserVerification, leaf.weight);
              break;
            case "session-permissions":
              onChain = await hashes.sessionPermissionsLeaf(leaf.sessionSigner, leaf.chainId, leaf.valueLimit, leaf.deadline, leaf.permissionsHash);
              break;
            case "identity-signer":
              onChain = await hashes.identitySignerLeaf(leaf.signer);
              break;
            case "recovery-key":
              onChain = await hashes.recoveryKeyLeaf(leaf.signer, leaf.timelock);
              break;
            case "guard":
              onChain = await hashes.guardLeaf(leaf.guard, leaf.weight);
              break;
            case "preapproved-digest":
              onChain = await hashes.preapprovedDigestLeaf(leaf.digest);
              break;
          }
          expect(onChain).to.equal(leafHash(leaf));
        }),
        params,
      );
    });

    it("law: library and contract compute identical image hashes", async () => {
      const { hashes } = await loadFixture(fixture);
      await fc.assert(
        fc.asyncProperty(bytes32(), fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), async (root, threshold, checkpoint) => {
          expect(await hashes.imageHash(root, threshold, checkpoint)).to.equal(imageHash(root, threshold, checkpoint));
        }),
        params,
      );
    });

    it("law: the tags and typehashes are the keccak256 of the strings in the specs", async () => {
      const { hashes } = await loadFixture(fixture);
      const tags = [
        "arbor.leaf.ecdsa-signer",
        "arbor.leaf.erc1271-signer",
        "arbor.leaf.passkey-signer",
        "arbor.leaf.session-permissions",
        "arbor.leaf.identity-signer",
        "arbor.leaf.recovery-key",
        "arbor.leaf.guard",
        "arbor.leaf.preapproved-digest",
        "arbor.image-hash",
      ].map((s) => ethers.id(s));
      expect(await hashes.tags()).to.deep.equal(tags);
      const call = "Call(address target,uint256 value,bytes data,uint256 gasLimit,bool delegateCall,uint8 onFailure)";
      expect(await hashes.typehashes()).to.deep.equal(
        [
          "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
          call,
          `Calls(Call[] calls,uint256 space,uint256 nonce)${call}`,
          "ConfigUpdate(bytes32 root,uint256 threshold,uint256 checkpoint)",
          "Message(bytes32 hash)",
        ].map((s) => ethers.id(s)),
      );
    });
  });

  describe("PayloadHashes", () => {
    let hashesAddress = "";
    before(async () => {
      hashesAddress = await (await loadFixture(fixture)).hashes.getAddress();
    });
    /** Calls the packed format can carry: gas limits below 2^64, delegate calls without value. */
    const packable = () =>
      fc
        .record({
          target: address(),
          value: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: (1n << 256n) - 1n })),
          data: fc.uint8Array({ maxLength: 100 }).map((b) => ethers.hexlify(b) as Hex),
          gasLimit: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: (1n << 64n) - 1n })),
          delegateCall: fc.boolean(),
          onFailure: fc.constantFrom<OnFailure>("revert", "ignore", "abort"),
        })
        .map((c) => (c.delegateCall ? { ...c, value: 0n } : c));
    const call = () =>
      fc.record({
        target: address(),
        value: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
        data: fc.uint8Array({ maxLength: 100 }).map((b) => ethers.hexlify(b) as Hex),
        gasLimit: fc.bigInt({ min: 0n, max: 1n << 64n }),
        delegateCall: fc.constant(false),
        onFailure: fc.constantFrom<OnFailure>("revert", "ignore", "abort"),
      });

    it("law: the contract decodes every library-packed payload to the same space, nonce and struct hash", async () => {
      const { hashes } = await loadFixture(fixture);
      await fc.assert(
        fc.asyncProperty(
          fc.array(packable(), { maxLength: 5 }),
          fc.bigInt({ min: 0n, max: (1n << 160n) - 1n }),
          fc.bigInt({ min: 0n, max: (1n << 96n) - 1n }),
          async (calls, space, nonce) => {
            const payload = encodeCallsPayload({ calls, space, nonce });
            expect(decodeCallsPayload(payload)).to.deep.equal({ calls: calls.map((c, i) => normalizeCall(c, `calls[${i}]`)), space, nonce });
            const [s, n, structHash, selfOrDelegate] = await hashes.hashPackedCalls(payload);
            expect([s, n, structHash]).to.deep.equal([space, nonce, callsStructHash({ calls, space, nonce })]);
            expect(selfOrDelegate).to.equal(calls.some((c) => c.delegateCall || c.target.toLowerCase() === hashesAddress.toLowerCase()));
          },
        ),
        params,
      );
    });

    it("law: a packed payload with any one bit flipped is judged alike by library and contract", async () => {
      const { hashes, walletInterface } = await loadFixture(fixture);
      await fc.assert(
        fc.asyncProperty(fc.array(packable(), { minLength: 1, maxLength: 3 }), fc.bigInt({ min: 0n, max: (1n << 96n) - 1n }), fc.nat(), async (calls, nonce, bit) => {
          const flipped = flipBit(encodeCallsPayload({ calls, space: 0n, nonce }), bit);
          let libraryError: string | undefined;
          let libraryHash: Hex | undefined;
          try {
            const decoded = decodeCallsPayload(flipped);
            libraryHash = callsStructHash(decoded);
          } catch (error) {
            expect(error).to.be.instanceOf(PayloadError);
            libraryError = (error as PayloadError).code;
          }
          let contractError: string | undefined;
          let contractHash: string | undefined;
          try {
            contractHash = (await hashes.hashPackedCalls(flipped))[2];
          } catch (error) {
            contractError = revertName(error, walletInterface);
            expect(contractError, `unnamed revert for bit ${bit}`).to.be.a("string");
          }
          expect(contractError).to.equal(libraryError);
          expect(contractHash).to.equal(libraryHash);
        }),
        params,
      );
    });

    it("law: library and contract compute identical batch, update and message digests", async () => {
      const { hashes } = await loadFixture(fixture);
      await fc.assert(
        fc.asyncProperty(
          fc.array(call(), { maxLength: 5 }),
          fc.bigInt({ min: 0n, max: 1n << 160n }),
          fc.bigInt({ min: 0n, max: 1n << 64n }),
          address(),
          fc.bigInt({ min: 1n, max: 1n << 64n }),
          bytes32(),
          async (calls, space, nonce, wallet, chainId, root) => {
            const structHash = callsStructHash({ calls, space, nonce });
            const onChain = await hashes.hashCalls(
              calls.map((c) => ({ ...c, onFailure: ON_FAILURE_CODES[c.onFailure] })),
              space,
              nonce,
            );
            expect(onChain).to.equal(structHash);
            expect(await hashes.digest(chainId, wallet, structHash)).to.equal(hashCalls({ calls, space, nonce }, { wallet, chainId }));
            const update = { root, threshold: nonce + 1n, checkpoint: space };
            const updateHash = await hashes.hashConfigUpdate(root, update.threshold, update.checkpoint);
            expect(updateHash).to.equal(configUpdateStructHash(update));
            expect(await hashes.digest(0n, wallet, updateHash)).to.equal(hashConfigUpdate(update, { wallet, chainId: 0n }));
            expect(await hashes.digest(chainId, wallet, await hashes.hashMessage(root))).to.equal(hashMessage(root, { wallet, chainId }));
          },
        ),
        params,
      );
    });
  });

  describe("ArborFactory", () => {
    it("law: the library predicts the factory's address for every image hash and implementation", async () => {
      const { d } = await loadFixture(fixture);
      await fc.assert(
        fc.asyncProperty(bytes32(), address(), async (hash, implementation) => {
          const predicted = walletAddress({ factory: d.factoryAddress, implementation, imageHash: hash });
          expect(await d.factory.predict(implementation, hash)).to.equal(predicted);
        }),
        params,
      );
    });
  });
});
