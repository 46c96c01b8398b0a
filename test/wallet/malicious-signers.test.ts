/**
 * Review: contract signers the wallet should never believe. An ERC-1271 part names its signer,
 * and the wallet static-calls `isValidSignature(digest, signature)` there. A precompile answers
 * any input: the identity precompile (0x04) echoes it, so its answer starts with the very
 * selector the wallet compares with (0x1626ba7e). OpenZeppelin's SignatureChecker compares the
 * whole first word, which then holds 28 digest bytes too: the echo must never pass.
 */
import { decodeSignature } from "../../lib/signature/decode-signature";
import { encodeSignature } from "../../lib/signature/encode-signature";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Configuration } from "../../lib/configuration/configuration";
import { signPayload } from "../../lib/signature/sign-payload";
import { erc1271Signer } from "../../lib/signature/signers";
import { hashMessage } from "../../lib/payload/hash-message";
import type { Hex } from "../../lib/hex";
import { CHAIN_ID, deployArbor, deployWallet, keys } from "../helpers/arbor";

const [owner] = keys(1, "review-malicious-signers");
const PRECOMPILES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => ethers.getAddress(ethers.toBeHex(n, 20)) as Hex);
const message = ethers.id("review: precompile signers") as Hex;

/** Byte offset of the ERC-1271 step in a signature (its opcode is 0x04). */
function erc1271Offset(signature: Hex): bigint {
  const walk = decodeSignature(signature).walk;
  const index = walk.findIndex((step) => step.op === "part" && step.part.kind === "erc1271");
  return BigInt((encodeSignature({ ...decodeSignature(signature), walk: walk.slice(0, index) }).length - 2) / 2);
}

describe("ArborWallet (review: malicious contract signers)", () => {
  async function fixture() {
    const d = await deployArbor();
    // The owners (weight 2 of threshold 2) plus every precompile as a weight-2 contract signer:
    // any one of them alone would meet the threshold if the wallet believed it.
    const configuration = Configuration.of({
      threshold: 2n,
      checkpoint: 0n,
      leaves: [
        { kind: "ecdsa-signer", signer: owner.address as Hex, weight: 2n },
        ...PRECOMPILES.map((signer) => ({ kind: "erc1271-signer" as const, signer, weight: 2n })),
      ],
    });
    const wallet = await deployWallet(d, configuration);
    return { wallet, configuration, address: (await wallet.getAddress()) as Hex };
  }

  describe("checkMessageSignature", () => {
    for (const precompile of PRECOMPILES) {
      it(`rejects with InvalidERC1271Signature when the configured contract signer is precompile ${BigInt(precompile)}`, async () => {
        const { wallet, configuration, address } = await loadFixture(fixture);
        const digest = hashMessage(message, { wallet: address, chainId: CHAIN_ID });
        // The inner signature is what the precompile then reads as input; a valid ECDSA
        // signature of the digest gives ecrecover (0x01) its best chance.
        const inner = owner.signingKey.sign(digest).serialized as Hex;
        const { signature } = await signPayload(configuration, digest, [erc1271Signer(precompile, async () => inner)]);
        await expect(wallet.checkMessageSignature(message, signature))
          .to.be.revertedWithCustomError(wallet, "InvalidERC1271Signature")
          .withArgs(erc1271Offset(signature), precompile);
        expect(await wallet.isValidSignature(message, signature)).to.equal("0xffffffff");
      });
    }
  });
});
