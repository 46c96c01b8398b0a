/**
 * Property tests of signatures. Each `it` names the law it checks.
 */
import { expect } from "chai";
import fc from "fast-check";
import { hexlify } from "ethers";
import { Configuration } from "../../../lib/configuration/configuration";
import { leafWeight, type Leaf } from "../../../lib/configuration/leaves";
import type { Hex } from "../../../lib/hex";
import { decodeSignature } from "../../../lib/signature/decode-signature";
import { encodeSignature } from "../../../lib/signature/encode-signature";
import { signPayload } from "../../../lib/signature/sign-payload";
import { ecdsaSigner, preapprovedDigestSigner } from "../../../lib/signature/signers";
import { checkSignature } from "../../../lib/signature/verify-signature";
import { bytes32, dedupe, flipBit, leaf, NUM_RUNS } from "../../helpers/arbitraries";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const privateKey = () =>
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${((BigInt(hexlify(b)) % (N - 1n)) + 1n).toString(16).padStart(64, "0")}` as Hex);

/**
 * A configuration with 1..3 ECDSA keys (that we hold) among random other leaves, a digest, and
 * the fewest of those keys (in random order) that reach the threshold. Few keys keep 200 runs of
 * real secp256k1 signing and recovery within seconds.
 */
const signedSetup = () =>
  fc
    .record({
      keys: fc.uniqueArray(privateKey(), { minLength: 1, maxLength: 3 }),
      weights: fc.array(fc.bigInt({ min: 1n, max: 5n }), { minLength: 5, maxLength: 5 }),
      others: fc.array(leaf(), { maxLength: 8 }),
      thresholdSeed: fc.bigInt({ min: 0n, max: 1n << 64n }),
      digest: bytes32(),
      compactMask: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    })
    .map(({ keys, weights, others, thresholdSeed, digest, compactMask }) => {
      const signers = keys.map((k, i) => ecdsaSigner(k, { compact: compactMask[i] }));
      const own: Leaf[] = signers.map((s, i) => ({ kind: "ecdsa-signer", signer: s.address, weight: weights[i] }));
      const leaves = dedupe([...own, ...others]);
      const signerWeight = own.reduce((s, l) => s + leafWeight(l), 0n);
      const config = Configuration.of({ threshold: 1n + (thresholdSeed % signerWeight), checkpoint: 1n, leaves });
      const needed: typeof signers = [];
      let weight = 0n;
      for (const [i, signer] of signers.entries()) {
        if (weight >= config.threshold) break;
        needed.push(signer);
        weight += weights[i];
      }
      return { config, signers: needed, digest };
    });

describe("signature properties", () => {
  it("law: a signature by enough signers recovers the configuration's image hash", async () => {
    await fc.assert(
      fc.asyncProperty(signedSetup(), async ({ config, signers, digest }) => {
        const { signature } = await signPayload(config, digest, signers);
        const recovered = await checkSignature(digest, signature, config.imageHash);
        expect(recovered.weight).to.be.at.least(config.threshold);
        expect(encodeSignature(decodeSignature(signature))).to.equal(signature);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("law: flipping any bit of a signature or of the digest is rejected", async () => {
    await fc.assert(
      fc.asyncProperty(signedSetup(), fc.nat(), async ({ config, signers, digest }, bit) => {
        const { signature } = await signPayload(config, digest, signers);
        const rejected = (d: string, s: string) =>
          checkSignature(d, s, config.imageHash).then(
            () => false,
            () => true,
          );
        expect(await rejected(digest, flipBit(signature, bit)), `bit ${bit % ((signature.length - 2) * 4)}`).to.equal(true);
        expect(await rejected(flipBit(digest, bit), signature)).to.equal(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("law: a pre-approved digest signs that digest alone and no other", async () => {
    await fc.assert(
      fc.asyncProperty(signedSetup(), bytes32(), async ({ config }, digest) => {
        const withDigest = config.addLeaf({ kind: "preapproved-digest", digest });
        const { signature } = await signPayload(withDigest, digest, [preapprovedDigestSigner()]);
        expect((await checkSignature(digest, signature, withDigest.imageHash)).preapproved).to.equal(true);
        const other = flipBit(digest, 0);
        await checkSignature(other, signature, withDigest.imageHash).then(
          () => expect.fail("accepted for another digest"),
          () => undefined,
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

