/**
 * A session key's call signature holds for the grant it was made under, and for no other grant
 * of the same key (review finding F3; lib/sessions/ENCODING.md, "Call signatures"). Each case
 * takes a correctly signed batch, points one call at another grant the same key holds (another
 * permission, another session leaf, another attestation) without re-signing, and checks that the
 * library predicts SessionSignerMismatch with the address the moved signature recovers to, that
 * the wallet then reverts with exactly that error, and that no usage, nonce or app state moved.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { leafHash } from "../../lib/configuration/leaves";
import type { Hex } from "../../lib/hex";
import {
  decodeSessionSignature,
  encodeSessionSignature,
  erc20TransferUpTo,
  explicitSession,
  hashAttestation,
  hashAudience,
  sessionCallHash,
  type CallAuthorisation,
  type SessionCallGrant,
} from "../../lib/sessions";
import type { SessionTestApp } from "../../typechain-types";
import { keys } from "../helpers/arbor";
import {
  APP_ORIGIN,
  OTHER_ORIGIN,
  attest,
  deploySessionsFixture,
  expectAccepted,
  expectRejected,
  ownedConfiguration,
  playData,
  signBatch,
  transferData,
  walletFor,
  type SessionBatch,
  type SessionsFixture,
} from "./fixture";

const FAR = 4_000_000_000n;
const [alice, identity] = keys(2, "call-authorisation-keys");
const treasury = "0x000000000000000000000000000000000000bEEF";
const shop = "0x000000000000000000000000000000000000cafE";

/** The batch with call `index` pointed at `moved` (same call signature), and the address that signature now recovers to. */
function reroute(batch: SessionBatch, index: number, moved: (auth: CallAuthorisation) => CallAuthorisation, grant: SessionCallGrant) {
  const decoded = decodeSessionSignature(batch.signature, batch.calls.length);
  const calls = decoded.calls.map((auth, i) => (i === index ? moved(auth) : auth));
  const recovered = ethers.recoverAddress(sessionCallHash(batch.digest, index, grant), ethers.Signature.from(decoded.calls[index].signature));
  return { batch: { ...batch, signature: encodeSessionSignature({ ...decoded, calls }) }, recovered };
}

describe("ArborSessions (call signatures bind their grant)", () => {
  describe("validateSessionCalls", () => {
    it("rejects with SessionSignerMismatch when a relayer moves a signed call to another permission of the same session", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      // Permission 0: up to 1,000 to the treasury. Permission 1: up to 100 to anyone (the shop budget).
      const session = explicitSession({
        sessionSigner: alice.address,
        chainId: f.chainId,
        deadline: FAR,
        grants: [erc20TransferUpTo(f.tokenAddress, 1_000n, { to: treasury }), erc20TransferUpTo(f.tokenAddress, 100n)],
      });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet, address } = await walletFor(f, configuration);
      await (await f.token.mint(address, 10_000n)).wait();
      const sessionLeaf = leafHash(session.leaf);

      const signed = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(treasury, 90n) }], [{ session, key: alice }]);
      expect(decodeSessionSignature(signed.signature, 1).calls[0]).to.include({ kind: "explicit", permissionIndex: 0 });
      const { batch, recovered } = reroute(
        signed,
        0,
        (auth) => ({ ...auth, permissionIndex: 1 }) as CallAuthorisation,
        { kind: "explicit", sessionLeaf, permissionIndex: 1 },
      );
      expect(await f.sessions.explicitSessionCallHash(batch.digest, 0, sessionLeaf, 1)).to.equal(
        sessionCallHash(batch.digest, 0, { kind: "explicit", sessionLeaf, permissionIndex: 1 }),
      );

      await expectRejected(f, wallet, configuration, batch, "SessionSignerMismatch", () => [0n, alice.address, recovered]);
      expect(await f.sessions.usage(address, sessionLeaf, 1, 1)).to.equal(0n);
      expect(await wallet.nonces(batch.space)).to.equal(0n);
      // The call as signed still runs, under the permission it was signed for.
      await expectAccepted(f, wallet, configuration, signed);
      expect(await f.sessions.usage(address, sessionLeaf, 0, 2)).to.equal(90n);
      expect(await f.sessions.usage(address, sessionLeaf, 1, 1)).to.equal(0n);
    });

    it("rejects with SessionSignerMismatch when a relayer moves a signed call to another session leaf of the same key", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      // This month's allowance and next month's: two leaves for one key.
      const thisMonth = explicitSession({ sessionSigner: alice.address, chainId: f.chainId, deadline: FAR, grants: [erc20TransferUpTo(f.tokenAddress, 100n)] });
      const nextMonth = explicitSession({ sessionSigner: alice.address, chainId: f.chainId, deadline: FAR + 1n, grants: [erc20TransferUpTo(f.tokenAddress, 100n)] });
      const configuration = ownedConfiguration(f, [thisMonth.leaf, nextMonth.leaf]);
      const { wallet, address } = await walletFor(f, configuration);
      await (await f.token.mint(address, 10_000n)).wait();

      // One batch that uses both leaves, so the signature carries both: call 0 under this month, call 1 under next month.
      const calls = [
        { target: f.tokenAddress, data: transferData(shop, 80n) },
        { target: f.tokenAddress, data: transferData(shop, 5n) },
      ];
      const signed = await signBatch(wallet, configuration, calls, [
        { session: thisMonth, key: alice },
        { session: nextMonth, key: alice },
      ]);
      const decoded = decodeSessionSignature(signed.signature, 2);
      const nextMonthIndex = decoded.leafHashes.indexOf(leafHash(nextMonth.leaf));
      expect((decoded.calls[0] as { leafIndex: number }).leafIndex).to.not.equal(nextMonthIndex);
      const { batch, recovered } = reroute(
        signed,
        0,
        (auth) => ({ ...auth, leafIndex: nextMonthIndex }) as CallAuthorisation,
        { kind: "explicit", sessionLeaf: leafHash(nextMonth.leaf), permissionIndex: 0 },
      );

      await expectRejected(f, wallet, configuration, batch, "SessionSignerMismatch", () => [0n, alice.address, recovered]);
      expect(await f.sessions.usage(address, leafHash(nextMonth.leaf), 0, 1)).to.equal(0n);
      expect(await f.sessions.usage(address, leafHash(thisMonth.leaf), 0, 1)).to.equal(0n);
      await expectAccepted(f, wallet, configuration, signed);
      expect(await f.sessions.usage(address, leafHash(thisMonth.leaf), 0, 1)).to.equal(80n);
      expect(await f.sessions.usage(address, leafHash(nextMonth.leaf), 0, 1)).to.equal(5n);
    });

    it("rejects with SessionSignerMismatch when a relayer moves a signed call to another attestation of the same key", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      // An app that serves both audiences, so only the call signature can tell the two attestations apart.
      const both = (await ethers.deployContract("SessionTestApp", [[hashAudience(APP_ORIGIN), hashAudience(OTHER_ORIGIN)]])) as unknown as SessionTestApp;
      const bothAddress = (await both.getAddress()) as Hex;
      const configuration = ownedConfiguration(f, [{ kind: "identity-signer", signer: identity.address as Hex }]);
      const { wallet, address } = await walletFor(f, configuration);
      const now = BigInt(await time.latest());
      // Alice's key holds two attestations from the same identity signer: one per app.
      const forGame = attest(identity, alice.address, APP_ORIGIN, now);
      const forOther = attest(identity, alice.address, OTHER_ORIGIN, now);

      const calls = [
        { target: bothAddress, data: playData(3n) },
        { target: bothAddress, data: playData(4n) },
      ];
      const signed = await signBatch(wallet, configuration, calls, [
        { ...forGame, key: alice },
        { ...forOther, key: alice },
      ]);
      const decoded = decodeSessionSignature(signed.signature, 2);
      expect(decoded.attestations).to.have.length(2);
      const otherIndex = decoded.attestations.findIndex((a) => a.attestation.audienceHash === hashAudience(OTHER_ORIGIN));
      expect((decoded.calls[0] as { attestationIndex: number }).attestationIndex).to.not.equal(otherIndex);
      const attestationHash = hashAttestation(forOther.attestation) as Hex;
      const { batch, recovered } = reroute(
        signed,
        0,
        (auth) => ({ ...auth, attestationIndex: otherIndex }) as CallAuthorisation,
        { kind: "attested", attestationHash },
      );
      expect(await f.sessions.attestedSessionCallHash(batch.digest, 0, attestationHash)).to.equal(
        sessionCallHash(batch.digest, 0, { kind: "attested", attestationHash }),
      );

      await expectRejected(f, wallet, configuration, batch, "SessionSignerMismatch", () => [0n, alice.address, recovered]);
      expect(await both.scores(address)).to.equal(0n);
      await expectAccepted(f, wallet, configuration, signed);
      expect(await both.scores(address)).to.equal(7n);
    });
  });
});
