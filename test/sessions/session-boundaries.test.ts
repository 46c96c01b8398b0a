/**
 * Review: session limits at their exact edges. Deadlines and expiries are exclusive
 * (`now < deadline`, `now < expiresAt`) and issue times inclusive (`issuedAt <= now`): the last
 * valid second must pass. Caps are inclusive (`total <= limit`), and a running total that would
 * pass 2^256 - 1 is refused by name (`SessionUsageOverflow`) instead of wrapping. Each case is
 * predicted by the library's off-chain check and then observed on-chain.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Hex } from "../../lib/hex";
import { leafHash } from "../../lib/configuration/leaves";
import {
  anyCall,
  calldataRule,
  decodeSessionSignature,
  encodeSessionSignature,
  erc20TransferUpTo,
  explicitSession,
  nativeValueUpTo,
} from "../../lib/sessions";
import { keys } from "../helpers/arbor";
import {
  APP_ORIGIN,
  attest,
  deploySessionsFixture,
  expectAccepted,
  expectRejected,
  ownedConfiguration,
  playData,
  signBatch,
  transferData,
  walletFor,
  type SessionsFixture,
} from "../sessions/fixture";

const [sessionKey, identity] = keys(2, "review-session-boundaries");
const FAR = 4_000_000_000n;
const MAX = 2n ** 256n - 1n;
const shop = "0x000000000000000000000000000000000000cafE";

/**
 * The fixture, then one mined block: reverting to the fixture's snapshot keeps the time offset an
 * earlier test in the same run set with increaseTo, so the next block can be far later than the
 * snapshot's latest. Mining one makes `time.latest()` the chain's real "now" for the deadlines below.
 */
async function freshFixture(): Promise<SessionsFixture> {
  const f = await loadFixture(deploySessionsFixture);
  await mine();
  return f;
}

/** `checkNext` (fixture) mines the batch 10 seconds after the latest block: make that second `at`. */
async function landAt(at: bigint): Promise<void> {
  await time.increaseTo(at - 10n);
}

describe("ArborSessions (review: boundaries)", () => {
  describe("validateSessionCalls", () => {
    it("runs an explicit call at deadline - 1, the last second the session lives", async () => {
      const f: SessionsFixture = await freshFixture();
      const deadline = BigInt(await time.latest()) + 1_000n;
      const session = explicitSession({ sessionSigner: sessionKey.address, chainId: 0n, deadline, grants: [anyCall(f.targetAddress)] });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet } = await walletFor(f, configuration);
      const record = f.target.interface.encodeFunctionData("record", ["0x"]) as Hex;
      const batch = await signBatch(wallet, configuration, [{ target: f.targetAddress, data: record }], [{ session, key: sessionKey }]);
      await landAt(deadline - 1n);
      await expectAccepted(f, wallet, configuration, batch);
      expect((await ethers.provider.getBlock("latest"))!.timestamp).to.equal(Number(deadline - 1n));
    });

    it("runs an attested call at issuedAt, the first second the attestation lives", async () => {
      const f: SessionsFixture = await freshFixture();
      const configuration = ownedConfiguration(f, [{ kind: "identity-signer", signer: identity.address as Hex }]);
      const { wallet } = await walletFor(f, configuration);
      const issuedAt = BigInt(await time.latest()) + 500n;
      const signed = attest(identity, sessionKey.address, APP_ORIGIN, issuedAt, 100n);
      const batch = await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(1n) }], [{ ...signed, key: sessionKey }]);
      await landAt(issuedAt);
      await expectAccepted(f, wallet, configuration, batch);
      expect((await ethers.provider.getBlock("latest"))!.timestamp).to.equal(Number(issuedAt));
    });

    it("runs an attested call at expiresAt - 1, the last second the attestation lives", async () => {
      const f: SessionsFixture = await freshFixture();
      const configuration = ownedConfiguration(f, [{ kind: "identity-signer", signer: identity.address as Hex }]);
      const { wallet } = await walletFor(f, configuration);
      const issuedAt = BigInt(await time.latest());
      const signed = attest(identity, sessionKey.address, APP_ORIGIN, issuedAt, 100n);
      const batch = await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(1n) }], [{ ...signed, key: sessionKey }]);
      await landAt(issuedAt + 99n);
      await expectAccepted(f, wallet, configuration, batch);
      expect((await ethers.provider.getBlock("latest"))!.timestamp).to.equal(Number(issuedAt + 99n));
    });

    it("runs transfers that reach a cumulative cap exactly, and rejects one unit more with SessionLimitExceeded", async () => {
      const f: SessionsFixture = await freshFixture();
      const session = explicitSession({ sessionSigner: sessionKey.address, chainId: 0n, deadline: FAR, grants: [erc20TransferUpTo(f.tokenAddress, 100n)] });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet, address } = await walletFor(f, configuration);
      await (await f.token.mint(address, 1_000n)).wait();
      const exact = [40n, 60n].map((amount) => ({ target: f.tokenAddress, data: transferData(shop, amount) }));
      await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, exact, [{ session, key: sessionKey }, { session, key: sessionKey }]));
      expect(await f.sessions.usage(address, leafHash(session.leaf), 0, 1)).to.equal(100n);
      const more = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(shop, 1n) }], [{ session, key: sessionKey }]);
      await expectRejected(f, wallet, configuration, more, "SessionLimitExceeded", () => [0n, 0n, 1n, 101n, 100n]);
    });

    it("runs native value that reaches the value limit exactly, and rejects one wei more with SessionValueLimitExceeded", async () => {
      const f: SessionsFixture = await freshFixture();
      const session = explicitSession({ sessionSigner: sessionKey.address, chainId: 0n, deadline: FAR, grants: [nativeValueUpTo(1_000n, shop)] });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet, address } = await walletFor(f, configuration);
      await (await ethers.getSigners())[0].sendTransaction({ to: address, value: 5_000n });
      await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, [{ target: shop, value: 1_000n }], [{ session, key: sessionKey }]));
      const more = await signBatch(wallet, configuration, [{ target: shop, value: 1n }], [{ session, key: sessionKey }]);
      await expectRejected(f, wallet, configuration, more, "SessionValueLimitExceeded", () => [0n, 1_000n, 1n, 1_000n]);
    });

    it("rejects with SessionUsageOverflow when a running total would pass 2^256 - 1, instead of wrapping to a small total", async () => {
      const f: SessionsFixture = await freshFixture();
      // A cap of 2^256 - 1 on refuse(uint256)'s argument: call 0 records 2^256 - 1 (it fails
      // and is ignored, but usage counts), call 1 adds 1. Wrapping would store 0 and pass.
      const permission = { target: f.targetAddress, rules: [calldataRule({ offset: 4n, operation: "atMost", value: MAX, cumulative: true })] };
      const session = explicitSession({ sessionSigner: sessionKey.address, chainId: 0n, deadline: FAR, grants: [permission] });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet } = await walletFor(f, configuration);
      const refuse = (amount: bigint) => ({ target: f.targetAddress, data: f.target.interface.encodeFunctionData("refuse", [amount]) as Hex, onFailure: "ignore" as const });
      const batch = await signBatch(wallet, configuration, [refuse(MAX), refuse(1n)], [{ session, key: sessionKey }, { session, key: sessionKey }]);
      await expectRejected(f, wallet, configuration, batch, "SessionUsageOverflow", () => [1n, 0n, 0n, MAX, 1n]);
    });

    it("rejects with InvalidAttestationSignature when the identity signer's signature has v = 0 or a high s", async () => {
      const f: SessionsFixture = await freshFixture();
      const configuration = ownedConfiguration(f, [{ kind: "identity-signer", signer: identity.address as Hex }]);
      const { wallet } = await walletFor(f, configuration);
      const signed = attest(identity, sessionKey.address, APP_ORIGIN, BigInt(await time.latest()));
      const batch = await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(1n) }], [{ ...signed, key: sessionKey }]);
      const decoded = decodeSessionSignature(batch.signature, 1);
      const original = ethers.Signature.from(decoded.attestations[0].signature);
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const variants = [
        ethers.concat([original.r, original.s, "0x00"]),
        // The malleable twin: (r, n - s) with the other parity recovers the same key.
        ethers.concat([original.r, ethers.toBeHex(n - BigInt(original.s), 32), original.v === 27 ? "0x1c" : "0x1b"]),
      ];
      for (const signature of variants) {
        const tampered = encodeSessionSignature({ ...decoded, attestations: [{ ...decoded.attestations[0], signature: signature as Hex }] });
        await expectRejected(f, wallet, configuration, { ...batch, signature: tampered }, "InvalidAttestationSignature", () => [0n]);
      }
    });
  });
});
