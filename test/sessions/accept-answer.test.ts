/**
 * How much of an app's `acceptAttestedRequest` answer a session batch pays for. The module reads
 * only the first word (staticcall with a 32-byte out area, then `returndatasize() >= 32`), so a
 * hostile app that answers a megabyte pays for building it, once, and the batch pays nothing more
 * to copy it. Gas here is a deterministic count, compared against the EVM's memory cost formula,
 * not a timing.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Hex } from "../../lib/hex";
import type { LongAnswerApp } from "../../typechain-types";
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
  type SessionsFixture,
} from "./fixture";

const [identity, sessionKey] = keys(2, "accept-answer-keys");
const MEGABYTE = 1n << 20n;

/** Yellow Paper memory cost of `words` 32-byte words: 3 * words + words^2 / 512. */
function memoryCost(words: bigint): bigint {
  return 3n * words + (words * words) / 512n;
}

async function deployApp(magicFirst: boolean, extra: bigint) {
  const app = (await ethers.deployContract("LongAnswerApp", [magicFirst, extra])) as unknown as LongAnswerApp;
  return { app, appAddress: (await app.getAddress()) as Hex };
}

/** One attested `play()` batch from a fresh wallet (checkpoint `checkpoint`) to `appAddress`. */
async function attestedPlay(f: SessionsFixture, appAddress: Hex, checkpoint: bigint) {
  const configuration = ownedConfiguration(f, [{ kind: "identity-signer", signer: identity.address as Hex }], checkpoint);
  const { wallet, address } = await walletFor(f, configuration);
  const signed = attest(identity, sessionKey.address, APP_ORIGIN, BigInt(await time.latest()));
  const calls = [{ target: appAddress, data: new ethers.Interface(["function play()"]).encodeFunctionData("play", []) as Hex }];
  const batch = await signBatch(wallet, configuration, calls, [{ ...signed, key: sessionKey }]);
  return { configuration, wallet, address, batch };
}

describe("ArborSessions (size of an app's accept answer)", () => {
  describe("validateSessionCalls", () => {
    it("runs the call and pays only the app's own memory for the answer when the magic is followed by a megabyte", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const short = await deployApp(true, 0n);
      const long = await deployApp(true, MEGABYTE);

      // Two wallets in the same state (fresh, one batch each), differing only by the app's answer.
      const a = await attestedPlay(f, short.appAddress, 0n);
      const b = await attestedPlay(f, long.appAddress, 1n);
      const shortRun = await expectAccepted(f, a.wallet, a.configuration, a.batch);
      const longRun = await expectAccepted(f, b.wallet, b.configuration, b.batch);
      expect(await short.app.plays(a.address)).to.equal(1n);
      expect(await long.app.plays(b.address)).to.equal(1n);

      // The app must expand its memory by MEGABYTE / 32 words to return the answer: that much the
      // batch pays whatever the module does. Copying the answer into the module's memory as well
      // would cost at least as much again (over 2.19 million gas); 20,000 gas of slack covers the
      // app's memory before the answer and the wallets' calldata differences.
      const appOwnCost = memoryCost(MEGABYTE / 32n + 1n) - memoryCost(1n);
      const extra = longRun.receipt.gasUsed - shortRun.receipt.gasUsed;
      expect(extra > appOwnCost, `extra ${extra} should include the app's own ${appOwnCost}`).to.equal(true);
      expect(extra < appOwnCost + 20_000n, `extra ${extra} for a megabyte answer (the app's own memory: ${appOwnCost})`).to.equal(true);
    });

    it("rejects with AttestedRequestRejected when a megabyte answer starts with a wrong word", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const long = await deployApp(false, MEGABYTE);
      const { configuration, wallet, address, batch } = await attestedPlay(f, long.appAddress, 0n);
      await expectRejected(f, wallet, configuration, batch, "AttestedRequestRejected", () => [0n, long.appAddress]);
      expect(await long.app.plays(address)).to.equal(0n);
      expect(await wallet.nonces(batch.space)).to.equal(0n);
    });
  });
});
