/**
 * Nonce spaces of session batches (lib/sessions/ENCODING.md, "Nonce spaces"): a batch authorised
 * by session keys runs only in the space of the key that signs its first call, so a session can
 * never consume a nonce of the owners (space 0 here) or of another session. On-chain cases use the
 * real wallet and module; each rejection is predicted by the library, then seen on-chain, and the
 * nonces, balances and usage are read back to show that the refused batch changed nothing.
 */
import { encodeCallsPayload } from "../../lib/payload/packed-calls";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { InvalidArgumentError } from "../../lib/errors";
import type { Hex } from "../../lib/hex";
import { leafHash } from "../../lib/configuration/leaves";
import { hashCalls } from "../../lib/payload/hash-calls";
import type { CallInput } from "../../lib/payload/types";
import { signPayload } from "../../lib/signature/sign-payload";
import { ecdsaSigner } from "../../lib/signature/signers";
import {
  checkSessionCalls,
  erc20TransferUpTo,
  explicitSession,
  memorySessionState,
  sessionBatchSpace,
  sessionNonceSpace,
  signSessionCalls,
} from "../../lib/sessions";
import { Configuration } from "../../lib/configuration/configuration";
import type { ArborWallet } from "../../typechain-types";
import { keys } from "../helpers/arbor";
import {
  APP_ORIGIN,
  attest,
  contractCalls,
  deploySessionsFixture,
  expectAccepted,
  expectRejected,
  ownedConfiguration,
  ownerExecute,
  playData,
  signBatch,
  transferData,
  walletFor,
  type SessionsFixture,
  withCallSignedBy,
} from "./fixture";

const FAR = 4_000_000_000n;
const [alice, bob, identity, gamer] = keys(4, "nonce-space-keys");
const recipient = "0x000000000000000000000000000000000000bEEF";

async function twoSessionsSetup() {
  const f: SessionsFixture = await loadFixture(deploySessionsFixture);
  const sessionA = explicitSession({ sessionSigner: alice.address, chainId: f.chainId, deadline: FAR, grants: [erc20TransferUpTo(f.tokenAddress, 100n)] });
  const sessionB = explicitSession({ sessionSigner: bob.address, chainId: f.chainId, deadline: FAR, grants: [erc20TransferUpTo(f.tokenAddress, 100n)] });
  const configuration = ownedConfiguration(f, [sessionA.leaf, sessionB.leaf, { kind: "identity-signer", signer: identity.address as Hex }]);
  const { wallet, address } = await walletFor(f, configuration);
  await (await f.token.mint(address, 1_000n)).wait();
  const spaceA = sessionNonceSpace(alice.address);
  const spaceB = sessionNonceSpace(bob.address);
  return { f, sessionA, sessionB, configuration, wallet, address, spaceA, spaceB };
}

/** Signs an owner batch now (nonce read now) and sends it only when asked: a batch the owners hold. */
async function ownerSigned(f: SessionsFixture, wallet: ArborWallet, configuration: Configuration, calls: CallInput[], space: bigint) {
  const nonce = await wallet.nonces(space);
  const digest = hashCalls({ calls, space, nonce }, { wallet: (await wallet.getAddress()) as Hex, chainId: f.chainId });
  const { signature } = await signPayload(configuration, digest, [ecdsaSigner(f.owner.privateKey)]);
  return { nonce, send: async () => (await wallet.execute(encodeCallsPayload({ calls, space: BigInt(space), nonce: BigInt(nonce) }), signature)).wait() };
}

describe("ArborSessions (nonce spaces)", () => {
  describe("validateSessionCalls", () => {
    it("rejects with SessionNonceSpace(0, key) and consumes nothing when a session batch uses the owners' space 0", async () => {
      const { f, sessionA, configuration, wallet, address, spaceA } = await twoSessionsSetup();
      const batch = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 10n) }], [{ session: sessionA, key: alice }], { space: 0n });
      await expectRejected(f, wallet, configuration, batch, "SessionNonceSpace", () => [0n, alice.address]);
      expect(await wallet.nonces(0n)).to.equal(0n);
      expect(await wallet.nonces(spaceA)).to.equal(0n);
      expect(await f.token.balanceOf(recipient)).to.equal(0n);
      expect(await f.sessions.usage(address, leafHash(sessionA.leaf), 0, 1)).to.equal(0n);
    });

    it("rejects with SessionNonceSpace when session A's batch claims session B's space, and B's signed batch still runs", async () => {
      const { f, sessionA, sessionB, configuration, wallet, spaceB } = await twoSessionsSetup();
      // Bob signs a batch in his space and holds it; Alice tries to burn that nonce first.
      const bobs = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 7n) }], [{ session: sessionB, key: bob }]);
      expect(bobs.space).to.equal(spaceB);
      const squat = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 1n) }], [{ session: sessionA, key: alice }], { space: spaceB });
      await expectRejected(f, wallet, configuration, squat, "SessionNonceSpace", () => [spaceB, alice.address]);
      expect(await wallet.nonces(spaceB)).to.equal(0n);
      await expectAccepted(f, wallet, configuration, bobs);
      expect(await f.token.balanceOf(recipient)).to.equal(7n);
      expect(await wallet.nonces(spaceB)).to.equal(1n);
    });

    it("runs the owners' pending signed batch in space 0 when sessions were active in between", async () => {
      const { f, sessionA, sessionB, configuration, wallet, spaceA, spaceB } = await twoSessionsSetup();
      const pending = await ownerSigned(f, wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 500n) }], 0n);
      for (let i = 0; i < 2; i++) {
        await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 1n) }], [{ session: sessionA, key: alice }]));
        await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 1n) }], [{ session: sessionB, key: bob }]));
      }
      const squat = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 1n) }], [{ session: sessionA, key: alice }], { space: 0n });
      await expectRejected(f, wallet, configuration, squat, "SessionNonceSpace", () => [0n, alice.address]);
      expect([await wallet.nonces(0n), await wallet.nonces(spaceA), await wallet.nonces(spaceB)]).to.deep.equal([0n, 2n, 2n]);
      await pending.send();
      expect(await wallet.nonces(0n)).to.equal(1n);
      expect(await f.token.balanceOf(recipient)).to.equal(504n);
    });

    it("counts a session's own space independently of the owners' when both use the wallet", async () => {
      const { f, sessionA, configuration, wallet, spaceA } = await twoSessionsSetup();
      await ownerExecute(f, wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 1n) }], 0n);
      await ownerExecute(f, wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 1n) }], 0n);
      const first = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 1n) }], [{ session: sessionA, key: alice }]);
      expect([first.space, first.nonce]).to.deep.equal([spaceA, 0n]);
      await expectAccepted(f, wallet, configuration, first);
      expect([await wallet.nonces(0n), await wallet.nonces(spaceA)]).to.deep.equal([2n, 1n]);
      await expect(wallet.execute(encodeCallsPayload({ calls: first.calls, space: BigInt(first.space), nonce: BigInt(first.nonce) }), first.signature))
        .to.be.revertedWithCustomError(wallet, "BadNonce")
        .withArgs(spaceA, 0n, 1n);
      const second = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 1n) }], [{ session: sessionA, key: alice }]);
      expect(second.nonce).to.equal(1n);
      await expectAccepted(f, wallet, configuration, second);
      await ownerExecute(f, wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 1n) }], 0n);
      expect([await wallet.nonces(0n), await wallet.nonces(spaceA)]).to.deep.equal([3n, 2n]);
    });

    it("takes the space from the first call's key when one batch mixes two sessions", async () => {
      const { f, sessionA, sessionB, configuration, wallet, spaceA, spaceB } = await twoSessionsSetup();
      const calls = [
        { target: f.tokenAddress, data: transferData(recipient, 3n) },
        { target: f.tokenAddress, data: transferData(recipient, 4n) },
      ];
      const signers = [{ session: sessionA, key: alice }, { session: sessionB, key: bob }];
      const inB = await signBatch(wallet, configuration, calls, signers, { space: spaceB });
      await expectRejected(f, wallet, configuration, inB, "SessionNonceSpace", () => [spaceB, alice.address]);
      const inA = await signBatch(wallet, configuration, calls, signers);
      expect(inA.space).to.equal(spaceA);
      await expectAccepted(f, wallet, configuration, inA);
      expect([await wallet.nonces(spaceA), await wallet.nonces(spaceB)]).to.deep.equal([1n, 0n]);
    });

    it("uses the approved signer's space, not the identity signer's, when the first call is attested", async () => {
      const { f, configuration, wallet, address } = await twoSessionsSetup();
      const signed = attest(identity, gamer.address, APP_ORIGIN, BigInt((await ethers.provider.getBlock("latest"))!.timestamp));
      const calls = [{ target: f.appAddress, data: playData(2n) }];
      const identitySpace = sessionNonceSpace(identity.address);
      const wrong = await signBatch(wallet, configuration, calls, [{ ...signed, key: gamer }], { space: identitySpace });
      await expectRejected(f, wallet, configuration, wrong, "SessionNonceSpace", () => [identitySpace, gamer.address]);
      const right = await signBatch(wallet, configuration, calls, [{ ...signed, key: gamer }]);
      expect(right.space).to.equal(sessionNonceSpace(gamer.address));
      await expectAccepted(f, wallet, configuration, right);
      expect(await f.app.scores(address)).to.equal(2n);
    });

    it("reports SessionSignerMismatch first when call 0 is signed by another key in a foreign space", async () => {
      const { f, sessionA, configuration, wallet } = await twoSessionsSetup();
      // Bob signs under Alice's leaf in space 0: the signer is checked before the space.
      const batch = withCallSignedBy(
        await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 1n) }], [{ session: sessionA, key: alice }], { space: 0n }),
        0,
        bob,
      );
      await expectRejected(f, wallet, configuration, batch, "SessionSignerMismatch", () => [0n, alice.address, bob.address]);
    });

    it("reports SessionNonceSpace before SessionKeyBlocked when a blocked key uses a foreign space", async () => {
      const { f, sessionA, configuration, wallet } = await twoSessionsSetup();
      await ownerExecute(f, wallet, configuration, [
        { target: f.sessionsAddress, data: f.sessions.interface.encodeFunctionData("setBlocked", [[alice.address], true]) },
      ]);
      const call = [{ target: f.tokenAddress, data: transferData(recipient, 1n) }];
      const foreign = await signBatch(wallet, configuration, call, [{ session: sessionA, key: alice }], { space: 0n });
      await expectRejected(f, wallet, configuration, foreign, "SessionNonceSpace", () => [0n, alice.address]);
      const own = await signBatch(wallet, configuration, call, [{ session: sessionA, key: alice }]);
      await expectRejected(f, wallet, configuration, own, "SessionKeyBlocked", () => [0n, alice.address]);
    });
  });
});

describe("sessionNonceSpace", () => {
  it("returns the key's address as a number when given a checksummed or lowercase address", () => {
    expect(sessionNonceSpace(alice.address)).to.equal(BigInt(alice.address));
    expect(sessionNonceSpace(alice.address.toLowerCase())).to.equal(BigInt(alice.address));
    expect(sessionNonceSpace("0x0000000000000000000000000000000000000001")).to.equal(1n);
  });

  it("throws INVALID_ADDRESS naming the key when the key is not an address", () => {
    for (const bad of ["0x1234", "alice", `0x${"00".repeat(32)}`, undefined as unknown as string]) {
      expect(() => sessionNonceSpace(bad)).to.throw(InvalidArgumentError).that.includes({ code: "INVALID_ADDRESS", field: "key" });
    }
  });
});

describe("sessionBatchSpace", () => {
  const session = explicitSession({ sessionSigner: alice.address, chainId: 0n, deadline: FAR, grants: [] });

  it("returns the first explicit session's signer space when the batch mixes sessions", () => {
    expect(sessionBatchSpace([{ session, key: bob }, { session, key: alice }])).to.equal(sessionNonceSpace(alice.address));
  });

  it("returns the approved signer's space when the first call is attested", () => {
    const signed = attest(identity, gamer.address, APP_ORIGIN, 1n);
    expect(sessionBatchSpace([{ ...signed, key: gamer }, { session, key: alice }])).to.equal(sessionNonceSpace(gamer.address));
  });

  it("throws SIGNER_COUNT_MISMATCH when there is no signer, and INVALID_SIGNER when the first is not one", () => {
    expect(() => sessionBatchSpace([])).to.throw(InvalidArgumentError).with.property("code", "SIGNER_COUNT_MISMATCH");
    expect(() => sessionBatchSpace([{ key: alice } as never])).to.throw(InvalidArgumentError).with.property("code", "INVALID_SIGNER");
    expect(() => sessionBatchSpace([{ session: { leaf: { sessionSigner: "nope" } }, key: alice } as never]))
      .to.throw(InvalidArgumentError)
      .with.property("field", "signers[0].session.leaf.sessionSigner");
  });
});

describe("signSessionCalls", () => {
  const session = explicitSession({ sessionSigner: alice.address, chainId: 0n, deadline: FAR, grants: [erc20TransferUpTo(recipient, 1n)] });
  const configuration = Configuration.of({
    threshold: 1n,
    checkpoint: 0n,
    leaves: [{ kind: "ecdsa-signer", signer: bob.address as Hex, weight: 1n }, session.leaf],
  });
  const digest = ethers.id("nonce-space-digest");
  const calls = [{ target: recipient }];

  it("throws SESSION_NONCE_SPACE with the expected space when the space is the owners' or another key's", () => {
    for (const space of [0n, sessionNonceSpace(bob.address), (1n << 160n) + BigInt(alice.address)]) {
      try {
        signSessionCalls({ configuration, calls, space, digest, signers: [{ session, key: alice }] });
        expect.fail("expected a throw");
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidArgumentError);
        const e = error as InvalidArgumentError;
        expect([e.code, e.field, e.details.space, e.details.expected]).to.deep.equal(["SESSION_NONCE_SPACE", "space", space, sessionNonceSpace(alice.address)]);
      }
    }
  });

  it("throws INTEGER_TOO_SMALL or INVALID_INTEGER naming the space when it is not a uint256", () => {
    expect(() => signSessionCalls({ configuration, calls, space: -1n, digest, signers: [{ session, key: alice }] }))
      .to.throw(InvalidArgumentError)
      .that.includes({ code: "INTEGER_TOO_SMALL", field: "space" });
    expect(() => signSessionCalls({ configuration, calls, space: 1 as never, digest, signers: [{ session, key: alice }] }))
      .to.throw(InvalidArgumentError)
      .that.includes({ code: "INVALID_INTEGER", field: "space" });
  });

  it("signs when the space is the first key's", () => {
    const signature = signSessionCalls({ configuration, calls, space: sessionNonceSpace(alice.address), digest, signers: [{ session, key: alice }] });
    expect(signature).to.match(/^0x02/);
  });
});

describe("checkSessionCalls", () => {
  it("throws INVALID_INTEGER naming the space when the space is missing, instead of skipping the check", async () => {
    const session = explicitSession({ sessionSigner: alice.address, chainId: 0n, deadline: FAR, grants: [erc20TransferUpTo(recipient, 1n)] });
    const configuration = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: bob.address as Hex, weight: 1n }, session.leaf] });
    const calls = [{ target: recipient }];
    const digest = ethers.id("nonce-space-digest");
    const signature = signSessionCalls({ configuration, calls, space: sessionNonceSpace(alice.address), digest, signers: [{ session, key: alice }] });
    const input = { calls, digest, signature, wallet: bob.address, sessions: identity.address, chainId: 1n, timestamp: 1n, state: memorySessionState() };
    const error = await checkSessionCalls(input as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(InvalidArgumentError).that.includes({ code: "INVALID_INTEGER", field: "space" });
    const refused = await checkSessionCalls({ ...input, space: 0n });
    expect(refused.ok ? undefined : [refused.error.code, ...refused.error.args]).to.deep.equal(["SessionNonceSpace", 0n, alice.address]);
  });
});
