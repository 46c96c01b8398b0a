import { expect } from "chai";
import hre from "hardhat";
import { randomBytes } from "node:crypto";
import { toBeHex, zeroPadValue, type BaseContract } from "ethers";
import { SECP256K1_HALF_N, toLowS, toYParityAndS, tryRecoverEcdsa, tryRecoverEcdsaCompact } from "../../../lib/signature/ecdsa";
import type { Hex } from "../../../lib/hex";
import { deploy, REFERENCE_SOURCE } from "../../helpers/solidity";
import { testWallet, word } from "../../helpers/fixtures";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const w = (n: bigint) => zeroPadValue(toBeHex(n), 32) as Hex;

describe("ecdsa", () => {
  let oz: BaseContract & Record<string, (...args: unknown[]) => Promise<[string, bigint]>>;

  before(async function () {
    this.timeout(60_000);
    const [deployer] = await hre.ethers.getSigners();
    oz = (await deploy(REFERENCE_SOURCE, "OzReference", deployer)) as typeof oz;
  });

  /** What OpenZeppelin's tryRecover says, as "address or undefined". */
  async function reference(digest: Hex, v: number, r: Hex, s: Hex): Promise<string | undefined> {
    const [signer, error] = await oz.tryRecover(digest, v, r, s);
    return error === 0n ? signer : undefined;
  }

  describe("SECP256K1_HALF_N", () => {
    it("is OpenZeppelin's malleability bound", () => {
      expect(SECP256K1_HALF_N).to.equal(0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n);
    });
  });

  describe("tryRecoverEcdsa", () => {
    it("agrees with OpenZeppelin ECDSA.tryRecover on valid, malleable and malformed signatures", async () => {
      const digest = word("digest");
      const sig = testWallet(1).signingKey.sign(digest);
      const r = sig.r as Hex;
      const s = sig.s as Hex;
      const highS = w(N - BigInt(s));
      const cases: [number, Hex, Hex][] = [
        [sig.v, r, s],
        [sig.v === 27 ? 28 : 27, r, s],
        [sig.v === 27 ? 28 : 27, r, highS],
        [sig.v, r, highS],
        [0, r, s], [1, r, s], [26, r, s], [29, r, s], [255, r, s],
        [27, w(0n), s], [27, r, w(0n)], [27, w(N), s], [27, w(N + 1n), s], [27, w((1n << 256n) - 1n), s],
        [27, r, w(SECP256K1_HALF_N)], [27, r, w(SECP256K1_HALF_N + 1n)], [27, w(1n), w(1n)],
      ];
      for (let i = 0; i < 12; i++) cases.push([27 + (i % 2), `0x${randomBytes(32).toString("hex")}`, w(BigInt(`0x${randomBytes(32).toString("hex")}`) % SECP256K1_HALF_N)]);
      for (const [v, rr, ss] of cases) {
        expect(tryRecoverEcdsa(digest, v, rr, ss), `v=${v} r=${rr} s=${ss}`).to.equal(await reference(digest, v, rr, ss));
      }
      expect(tryRecoverEcdsa(digest, sig.v, r, s)).to.equal(testWallet(1).address);
    });
  });

  describe("tryRecoverEcdsaCompact", () => {
    it("agrees with OpenZeppelin's compact tryRecover for both parities and a high s", async () => {
      for (let i = 1; i <= 6; i++) {
        const digest = word(`compact ${i}`);
        const sig = testWallet(i).signingKey.sign(digest);
        const vs = toYParityAndS(sig.s as Hex, sig.v);
        expect(vs).to.equal(sig.yParityAndS);
        const [signer, error] = await oz.tryRecoverCompact(digest, sig.r, vs);
        expect(error).to.equal(0n);
        expect(tryRecoverEcdsaCompact(digest, sig.r as Hex, vs)).to.equal(signer);
        const bad = w(SECP256K1_HALF_N + BigInt(i));
        const [, badError] = await oz.tryRecoverCompact(digest, sig.r, bad);
        expect(badError).to.not.equal(0n);
        expect(tryRecoverEcdsaCompact(digest, sig.r as Hex, bad)).to.equal(undefined);
      }
    });
  });

  describe("toLowS", () => {
    it("returns the low-s twin that recovers the same signer when given a high s", () => {
      const digest = word("twin");
      const sig = testWallet(2).signingKey.sign(digest);
      const high = { r: sig.r as Hex, s: w(N - BigInt(sig.s)), v: sig.v === 27 ? 28 : 27 };
      expect(tryRecoverEcdsa(digest, high.v, high.r, high.s)).to.equal(undefined);
      const low = toLowS(high);
      expect(low).to.deep.equal({ r: sig.r, s: sig.s, v: sig.v });
    });
  });
});
