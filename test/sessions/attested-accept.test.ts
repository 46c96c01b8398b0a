/**
 * Review: the accept magic an app returns for an attested call. The module accepts only an
 * answer of at least 32 bytes that starts with
 * keccak256(abi.encode(keccak256("arbor.accept-attested-request"), wallet, audienceHash, issuerHash)),
 * so an app cannot accept by replaying a constant, nor with an answer computed for another
 * wallet, app or issuer. An app here answers with exactly the bytes a test sets; the library's
 * off-chain check and the wallet must agree on every answer.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Hex } from "../../lib/hex";
import { acceptAttestedRequestMagic, hashAudience, hashIssuer } from "../../lib/sessions";
import { keys } from "../helpers/arbor";
import {
  APP_ORIGIN,
  attest,
  deploySessionsFixture,
  expectAccepted,
  expectRejected,
  ownedConfiguration,
  signBatch,
  walletFor,
} from "../sessions/fixture";
import type { AnswerApp } from "../../typechain-types";

const [identity, sessionKey] = keys(2, "review-attested-accept");

describe("ArborSessions (review: accept magic of attested calls)", () => {
  async function setup() {
    const f = await loadFixture(deploySessionsFixture);
    const configuration = ownedConfiguration(f, [{ kind: "identity-signer", signer: identity.address as Hex }]);
    const { wallet, address } = await walletFor(f, configuration);
    const app = (await ethers.deployContract("AnswerApp")) as unknown as AnswerApp;
    const appAddress = (await app.getAddress()) as Hex;
    const signed = attest(identity, sessionKey.address, APP_ORIGIN, BigInt(await time.latest()));
    const batch = () => signBatch(wallet, configuration, [{ target: appAddress, data: "0x1234" }], [{ ...signed, key: sessionKey }]);
    const magic = (walletAddress: string, origin = APP_ORIGIN, issuer = "email") => acceptAttestedRequestMagic(walletAddress, hashAudience(origin), hashIssuer(issuer));
    return { f, configuration, wallet, address, app, appAddress, batch, magic };
  }

  describe("validateSessionCalls", () => {
    it("runs the call when the app answers the magic for this wallet, audience and issuer", async () => {
      const { f, configuration, wallet, address, app, batch, magic } = await setup();
      await (await app.setAnswer(magic(address))).wait();
      await expectAccepted(f, wallet, configuration, await batch());
      expect(await app.plays(address)).to.equal(1n);
    });

    it("runs the call when the magic is followed by more bytes (the answer only has to start with it)", async () => {
      const { f, configuration, wallet, address, app, batch, magic } = await setup();
      await (await app.setAnswer(ethers.concat([magic(address), ethers.ZeroHash, "0x01"]))).wait();
      await expectAccepted(f, wallet, configuration, await batch());
      expect(await app.plays(address)).to.equal(1n);
    });

    const refusals: { when: string; answer: (magic: (w: string, o?: string, i?: string) => Hex, wallet: string) => string }[] = [
      { when: "the magic was computed for another wallet", answer: (m) => m("0x000000000000000000000000000000000000dEaD") },
      { when: "the magic was computed for another audience", answer: (m, w) => m(w, "https://other.example") },
      { when: "the magic was computed for another issuer", answer: (m, w) => m(w, APP_ORIGIN, "phone") },
      { when: "the answer is the magic's first 31 bytes", answer: (m, w) => ethers.dataSlice(m(w), 0, 31) },
      { when: "the answer is empty", answer: () => "0x" },
      { when: "the answer is the ERC-1271 magic value padded to a word", answer: () => ethers.zeroPadBytes("0x1626ba7e", 32) },
      { when: "the magic comes second, after a zero word", answer: (m, w) => ethers.concat([ethers.ZeroHash, m(w)]) },
    ];
    for (const { when, answer } of refusals) {
      it(`rejects with AttestedRequestRejected when ${when}`, async () => {
        const { f, configuration, wallet, address, app, appAddress, batch, magic } = await setup();
        await (await app.setAnswer(answer(magic, address))).wait();
        await expectRejected(f, wallet, configuration, await batch(), "AttestedRequestRejected", () => [0n, appAddress]);
        expect(await app.plays(address)).to.equal(0n);
      });
    }
  });
});
