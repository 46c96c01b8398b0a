/**
 * Attested (implicit) sessions end to end: identity-signer leaves in the configuration, attestations
 * signed with local keys, apps that accept their own audience, and the wallet's blocklist. As in
 * the explicit tests, each rejection is predicted by the library and then observed on-chain.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Hex } from "../../lib/hex";
import { hashCalls } from "../../lib/payload/hash-calls";
import {
  acceptAttestedRequestMagic,
  anyCall,
  decodeSessionSignature,
  encodeSessionSignature,
  explicitSession,
  hashAudience,
  hashIssuer,
  sessionNonceSpace,
  signSessionCalls,
} from "../../lib/sessions";
import { keys } from "../helpers/arbor";
import {
  APP_ORIGIN,
  OTHER_ORIGIN,
  attest,
  deploySessionsFixture,
  expectAccepted,
  expectRejected,
  ownedConfiguration,
  ownerExecute,
  playData,
  signBatch,
  walletFor,
  type SessionsFixture,
  withCallSignedBy,
} from "./fixture";

const [identity, identity2, sessionKey, otherKey, stranger] = keys(5, "attested-session-keys");

async function attestedSetup() {
  const f: SessionsFixture = await loadFixture(deploySessionsFixture);
  const configuration = ownedConfiguration(f, [
    { kind: "identity-signer", signer: identity.address as Hex },
    { kind: "identity-signer", signer: identity2.address as Hex },
  ]);
  const { wallet, address } = await walletFor(f, configuration);
  const now = BigInt(await time.latest());
  return { f, configuration, wallet, address, now };
}

describe("ArborSessions (attested sessions)", () => {
  describe("validateSessionCalls", () => {
    it("runs the call when the app accepts the attestation's audience", async () => {
      const { f, configuration, wallet, address, now } = await attestedSetup();
      const signed = attest(identity, sessionKey.address, APP_ORIGIN, now);
      const batch = await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(5n) }], [{ ...signed, key: sessionKey }]);
      await expectAccepted(f, wallet, configuration, batch);
      expect(await f.app.scores(address)).to.equal(5n);
    });

    it("runs both calls when two identity signers of the configuration attest two keys in one batch", async () => {
      const { f, configuration, wallet, address, now } = await attestedSetup();
      const first = attest(identity, sessionKey.address, APP_ORIGIN, now);
      const second = attest(identity2, otherKey.address, APP_ORIGIN, now);
      const calls = [
        { target: f.appAddress, data: playData(1n) },
        { target: f.appAddress, data: playData(2n) },
      ];
      const batch = await signBatch(wallet, configuration, calls, [{ ...first, key: sessionKey }, { ...second, key: otherKey }]);
      expect(decodeSessionSignature(batch.signature, 2).attestations).to.have.length(2);
      await expectAccepted(f, wallet, configuration, batch);
      expect(await f.app.scores(address)).to.equal(3n);
    });

    it("runs both calls when an explicit and an attested session share one batch", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const session = explicitSession({ sessionSigner: otherKey.address, chainId: 0n, deadline: 4_000_000_000n, grants: [anyCall(f.targetAddress)] });
      const configuration = ownedConfiguration(f, [session.leaf, { kind: "identity-signer", signer: identity.address as Hex }]);
      const { wallet, address } = await walletFor(f, configuration);
      const signed = attest(identity, sessionKey.address, APP_ORIGIN, BigInt(await time.latest()));
      const calls = [
        { target: f.targetAddress, data: f.target.interface.encodeFunctionData("record", ["0x"]) },
        { target: f.appAddress, data: playData(4n) },
      ];
      await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, calls, [{ session, key: otherKey }, { ...signed, key: sessionKey }]));
      expect(await f.app.scores(address)).to.equal(4n);
    });

    it("rejects with AttestationExpired when the block time reaches expiresAt", async () => {
      const { f, configuration, wallet, now } = await attestedSetup();
      // checkNext pins the next block at latest + 10: an attestation living 10 seconds from `now` has expired.
      const signed = attest(identity, sessionKey.address, APP_ORIGIN, now, 10n);
      const batch = await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(1n) }], [{ ...signed, key: sessionKey }]);
      await expectRejected(f, wallet, configuration, batch, "AttestationExpired", (at) => [0n, now + 10n, at]);
    });

    it("rejects with AttestationNotYetValid when issuedAt is after the block time", async () => {
      const { f, configuration, wallet, now } = await attestedSetup();
      const signed = attest(identity, sessionKey.address, APP_ORIGIN, now + 11n);
      const batch = await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(1n) }], [{ ...signed, key: sessionKey }]);
      await expectRejected(f, wallet, configuration, batch, "AttestationNotYetValid", (at) => [0n, now + 11n, at]);
    });

    it("rejects with AttestedRequestRejected when the attestation is for another app's audience", async () => {
      const { f, configuration, wallet, now } = await attestedSetup();
      const signed = attest(identity, sessionKey.address, OTHER_ORIGIN, now);
      const batch = await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(1n) }], [{ ...signed, key: sessionKey }]);
      await expectRejected(f, wallet, configuration, batch, "AttestedRequestRejected", () => [0n, f.appAddress]);
    });

    it("rejects with AttestedRequestRejected when the target does not implement acceptAttestedRequest", async () => {
      const { f, configuration, wallet, now } = await attestedSetup();
      const signed = attest(identity, sessionKey.address, APP_ORIGIN, now);
      const batch = await signBatch(wallet, configuration, [{ target: f.targetAddress }], [{ ...signed, key: sessionKey }]);
      await expectRejected(f, wallet, configuration, batch, "AttestedRequestRejected", () => [0n, f.targetAddress]);
    });

    it("rejects with AttestedSessionValue when an attested call carries native value", async () => {
      const { f, configuration, wallet, address, now } = await attestedSetup();
      await (await ethers.getSigners())[0].sendTransaction({ to: address, value: 10n });
      const signed = attest(identity, sessionKey.address, APP_ORIGIN, now);
      const batch = await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(1n), value: 1n }], [{ ...signed, key: sessionKey }]);
      await expectRejected(f, wallet, configuration, batch, "AttestedSessionValue", () => [0n, 1n]);
    });

    it("rejects with ImageHashMismatch when the identity signer is not in the configuration", async () => {
      const { f, configuration, wallet, address, now } = await attestedSetup();
      // The stranger proves its own identity-signer leaf against a configuration of its own making.
      const signed = attest(stranger, sessionKey.address, APP_ORIGIN, now);
      const theirs = ownedConfiguration(f, [{ kind: "identity-signer", signer: stranger.address as Hex }]);
      const calls = [{ target: f.appAddress, data: playData(1n) }];
      const space = sessionNonceSpace(sessionKey.address);
      const nonce = await wallet.nonces(space);
      const digest = hashCalls({ calls, space, nonce }, { wallet: address, chainId: f.chainId });
      const signature = signSessionCalls({ configuration: theirs, calls, space, digest, signers: [{ ...signed, key: sessionKey }] });
      await expectRejected(f, wallet, configuration, { calls, space, nonce, digest, signature }, "ImageHashMismatch", () => [theirs.imageHash]);
    });

    it("rejects with AttestationSignerMismatch when the attestation names a configured identity signer it was not signed by", async () => {
      const { f, configuration, wallet, now } = await attestedSetup();
      const byStranger = attest(stranger, sessionKey.address, APP_ORIGIN, now);
      const genuine = attest(identity, sessionKey.address, APP_ORIGIN, now);
      const batch = await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(1n) }], [{ ...genuine, key: sessionKey }]);
      const decoded = decodeSessionSignature(batch.signature, 1);
      // Swap in the stranger's signature while keeping the configured identity leaf.
      const tampered = encodeSessionSignature({
        ...decoded,
        attestations: [{ ...decoded.attestations[0], signature: byStranger.attestationSignature }],
      });
      await expectRejected(f, wallet, configuration, { ...batch, signature: tampered }, "AttestationSignerMismatch", () => [0n, identity.address, stranger.address]);
    });

    it("rejects with SessionSignerMismatch when a key other than the approved signer signs the call", async () => {
      const { f, configuration, wallet, now } = await attestedSetup();
      const signed = attest(identity, sessionKey.address, APP_ORIGIN, now);
      const batch = withCallSignedBy(await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(1n) }], [{ ...signed, key: sessionKey }]), 0, otherKey);
      await expectRejected(f, wallet, configuration, batch, "SessionSignerMismatch", () => [0n, sessionKey.address, otherKey.address]);
    });

    it("rejects with SessionDelegateCall when an attested session asks for a delegate call", async () => {
      const { f, configuration, wallet, now } = await attestedSetup();
      const signed = attest(identity, sessionKey.address, APP_ORIGIN, now);
      const batch = await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(1n), delegateCall: true }], [{ ...signed, key: sessionKey }]);
      await expectRejected(f, wallet, configuration, batch, "SessionDelegateCall", () => [0n]);
    });

    it("rejects with SessionSelfCall when an attested session calls the wallet", async () => {
      const { f, configuration, wallet, address, now } = await attestedSetup();
      const signed = attest(identity, sessionKey.address, APP_ORIGIN, now);
      const batch = await signBatch(wallet, configuration, [{ target: address }], [{ ...signed, key: sessionKey }]);
      await expectRejected(f, wallet, configuration, batch, "SessionSelfCall", () => [0n]);
    });
  });

  describe("setBlocked", () => {
    it("blocks an attested session key when the owner adds it, and lets it back in when removed", async () => {
      const { f, configuration, wallet, address, now } = await attestedSetup();
      const signed = attest(identity, sessionKey.address, APP_ORIGIN, now);
      const block = (blocked: boolean) => [
        { target: f.sessionsAddress, data: f.sessions.interface.encodeFunctionData("setBlocked", [[sessionKey.address], blocked]) },
      ];
      const receipt = await ownerExecute(f, wallet, configuration, block(true));
      const events = receipt!.logs.filter((l) => l.address === f.sessionsAddress).map((l) => f.sessions.interface.parseLog(l));
      expect(events.map((e) => [e?.name, ...(e?.args ?? [])])).to.deep.equal([["BlocklistUpdated", address, sessionKey.address, true]]);
      expect(await f.sessions.isBlocked(address, sessionKey.address)).to.equal(true);
      expect(await f.sessions.blockedCount(address)).to.equal(1n);

      const batch = await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(1n) }], [{ ...signed, key: sessionKey }]);
      await expectRejected(f, wallet, configuration, batch, "SessionKeyBlocked", () => [0n, sessionKey.address]);

      await ownerExecute(f, wallet, configuration, block(false));
      expect(await f.sessions.blockedCount(address)).to.equal(0n);
      await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(1n) }], [{ ...signed, key: sessionKey }]));
    });

    it("blocks every session an identity signer vouched for when the owner adds the identity signer", async () => {
      const { f, configuration, wallet, now } = await attestedSetup();
      await ownerExecute(f, wallet, configuration, [
        { target: f.sessionsAddress, data: f.sessions.interface.encodeFunctionData("setBlocked", [[identity.address], true]) },
      ]);
      const first = attest(identity, sessionKey.address, APP_ORIGIN, now);
      const batch = await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(1n) }], [{ ...first, key: sessionKey }]);
      await expectRejected(f, wallet, configuration, batch, "IdentitySignerBlocked", () => [0n, identity.address]);
      // The other identity signer's sessions are unaffected.
      const second = attest(identity2, sessionKey.address, APP_ORIGIN, now);
      await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(1n) }], [{ ...second, key: sessionKey }]));
    });

    it("blocks a target for explicit sessions when the owner adds the target", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const session = explicitSession({ sessionSigner: otherKey.address, chainId: 0n, deadline: 4_000_000_000n, grants: [anyCall(f.targetAddress)] });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet } = await walletFor(f, configuration);
      await ownerExecute(f, wallet, configuration, [
        { target: f.sessionsAddress, data: f.sessions.interface.encodeFunctionData("setBlocked", [[f.targetAddress], true]) },
      ]);
      const batch = await signBatch(wallet, configuration, [{ target: f.targetAddress }], [{ session, key: otherKey }]);
      await expectRejected(f, wallet, configuration, batch, "SessionTargetBlocked", () => [0n, f.targetAddress]);
    });

    it("changes only the caller's blocklist and counts each account once when called twice", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const [caller, other] = await ethers.getSigners();
      await (await f.sessions.connect(caller).setBlocked([sessionKey.address, otherKey.address], true)).wait();
      await (await f.sessions.connect(caller).setBlocked([sessionKey.address], true)).wait();
      expect(await f.sessions.blockedCount(caller.address)).to.equal(2n);
      expect(await f.sessions.blockedCount(other.address)).to.equal(0n);
      expect(await f.sessions.isBlocked(other.address, sessionKey.address)).to.equal(false);
      await (await f.sessions.connect(caller).setBlocked([sessionKey.address, sessionKey.address], false)).wait();
      expect(await f.sessions.blockedCount(caller.address)).to.equal(1n);
    });
  });
});

describe("AcceptsAttestedSessions", () => {
  describe("acceptAttestedRequest", () => {
    it("returns the magic bound to wallet, audience and issuer when the audience is accepted, and zero otherwise", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const wallet = stranger.address;
      const { attestation } = attest(identity, sessionKey.address, APP_ORIGIN, 1n);
      const tuple = [attestation.approvedSigner, attestation.identityType, attestation.issuerHash, attestation.audienceHash, attestation.applicationData, attestation.issuedAt, attestation.expiresAt] as const;
      const call = { target: f.appAddress, value: 0n, data: playData(1n), gasLimit: 0n, delegateCall: false, onFailure: 0 };
      expect(await f.app.acceptAttestedRequest(wallet, tuple as never, call)).to.equal(
        acceptAttestedRequestMagic(wallet, hashAudience(APP_ORIGIN), hashIssuer("email")),
      );
      expect(await f.otherApp.acceptAttestedRequest(wallet, tuple as never, call)).to.equal(ethers.ZeroHash);
      expect(await f.app.acceptsAudience(hashAudience(OTHER_ORIGIN))).to.equal(false);
    });
  });
});
