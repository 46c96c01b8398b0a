/**
 * Explicit sessions end to end: the real wallet, factory and sessions module on the in-process
 * Hardhat network, a real ERC-20, configurations and signatures from the library. Every rejection
 * is checked twice: the library's off-chain check predicts the error, then the wallet reverts
 * with exactly that custom error.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Hex } from "../../lib/hex";
import { leafHash } from "../../lib/configuration/leaves";
import { hashCalls } from "../../lib/payload/hash-calls";
import {
  anyCall,
  atMostOnce,
  decodeSessionSignature,
  encodeSessionSignature,
  erc20TransferUpTo,
  explicitSession,
  nativeValueUpTo,
  onlyFunction,
  sessionNonceSpace,
  signSessionCalls,
} from "../../lib/sessions";
import { keys } from "../helpers/arbor";
import {
  checkNext,
  contractCalls,
  deploySessionsFixture,
  expectAccepted,
  expectRejected,
  ownedConfiguration,
  ownerExecute,
  send,
  signBatch,
  transferData,
  walletFor,
  type SessionsFixture,
  withCallSignedBy,
} from "./fixture";

const FAR = 4_000_000_000n; // a deadline in 2096
const [alice, bob, mallory] = keys(3, "explicit-session-keys");
const recipient = "0x000000000000000000000000000000000000bEEF";

async function erc20Setup(cap = 100n) {
  const f: SessionsFixture = await loadFixture(deploySessionsFixture);
  const sessionA = explicitSession({
    sessionSigner: alice.address,
    chainId: f.chainId,
    deadline: FAR,
    grants: [erc20TransferUpTo(f.tokenAddress, cap), nativeValueUpTo(1_000n, recipient)],
  });
  const sessionB = explicitSession({
    sessionSigner: bob.address,
    chainId: 0n,
    deadline: FAR,
    grants: [erc20TransferUpTo(f.tokenAddress, cap)],
  });
  const configuration = ownedConfiguration(f, [sessionA.leaf, sessionB.leaf]);
  const { wallet, address } = await walletFor(f, configuration);
  await (await f.token.mint(address, 1_000_000n)).wait();
  await (await ethers.getSigners())[0].sendTransaction({ to: address, value: 10_000n });
  return { f, sessionA, sessionB, configuration, wallet, address };
}

describe("ArborSessions (explicit sessions)", () => {
  describe("validateSessionCalls", () => {
    it("runs an ERC-20 transfer and records the running total when it is within the cap", async () => {
      const { f, sessionA, configuration, wallet, address } = await erc20Setup();
      const calls = [{ target: f.tokenAddress, data: transferData(recipient, 60n) }];
      const batch = await signBatch(wallet, configuration, calls, [{ session: sessionA, key: alice }]);
      const { result } = await expectAccepted(f, wallet, configuration, batch);
      expect(await f.token.balanceOf(recipient)).to.equal(60n);
      const sessionLeaf = leafHash(sessionA.leaf);
      expect(await f.sessions.usage(address, sessionLeaf, 0, 1)).to.equal(60n);
      expect(result.ok && result.usage).to.deep.equal([{ sessionLeaf, permissionIndex: 0, ruleIndex: 1, total: 60n }]);
    });

    it("rejects with SessionLimitExceeded when a second transaction passes the cumulative cap", async () => {
      const { f, sessionA, configuration, wallet } = await erc20Setup();
      const first = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 60n) }], [{ session: sessionA, key: alice }]);
      await expectAccepted(f, wallet, configuration, first);
      const second = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 41n) }], [{ session: sessionA, key: alice }]);
      await expectRejected(f, wallet, configuration, second, "SessionLimitExceeded", () => [0n, 0n, 1n, 101n, 100n]);
      // Exactly the remainder still goes through.
      const third = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 40n) }], [{ session: sessionA, key: alice }]);
      await expectAccepted(f, wallet, configuration, third);
      expect(await f.token.balanceOf(recipient)).to.equal(100n);
    });

    it("counts every call of a batch against the cap when one batch splits a transfer", async () => {
      const { f, sessionA, configuration, wallet } = await erc20Setup();
      const calls = [
        { target: f.tokenAddress, data: transferData(recipient, 50n) },
        { target: f.tokenAddress, data: transferData(recipient, 51n) },
      ];
      const batch = await signBatch(wallet, configuration, calls, [{ session: sessionA, key: alice }, { session: sessionA, key: alice }]);
      await expectRejected(f, wallet, configuration, batch, "SessionLimitExceeded", () => [1n, 0n, 1n, 101n, 100n]);
    });

    it("counts a call that fails and is ignored when its onFailure mode would skip it", async () => {
      const { f, sessionA, configuration, wallet, address } = await erc20Setup();
      // The transfer fails (more than the wallet holds) but the batch goes on: it was authorised, so it counts.
      const calls = [{ target: f.tokenAddress, data: transferData(recipient, 90n), onFailure: "ignore" as const }];
      // The owner moves the wallet's tokens away (nonce space 1), so the session's transfer fails.
      await ownerExecute(f, wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 1_000_000n) }]);
      const batch = await signBatch(wallet, configuration, calls, [{ session: sessionA, key: alice }]);
      const { receipt } = await expectAccepted(f, wallet, configuration, batch);
      expect(receipt.logs.map((log) => wallet.interface.parseLog(log)?.name)).to.include("CallIgnored");
      expect(await f.sessions.usage(address, leafHash(sessionA.leaf), 0, 1)).to.equal(90n);
    });

    it("keeps two sessions' allowances apart when both spend the same token from one wallet", async () => {
      const { f, sessionA, sessionB, configuration, wallet, address } = await erc20Setup();
      await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 100n) }], [{ session: sessionA, key: alice }]));

      // Alice cannot spend under Bob's leaf: the leaf names Bob's key.
      const stolen = withCallSignedBy(
        await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 10n) }], [{ session: sessionB, key: bob }]),
        0,
        alice,
      );
      await expectRejected(f, wallet, configuration, stolen, "SessionSignerMismatch", () => [0n, bob.address, alice.address]);

      // Bob's allowance is untouched by Alice's spending, and Bob's spending does not reset Alice's.
      await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 100n) }], [{ session: sessionB, key: bob }]));
      expect(await f.sessions.usage(address, leafHash(sessionA.leaf), 0, 1)).to.equal(100n);
      expect(await f.sessions.usage(address, leafHash(sessionB.leaf), 0, 1)).to.equal(100n);
      const again = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 1n) }], [{ session: sessionA, key: alice }]);
      await expectRejected(f, wallet, configuration, again, "SessionLimitExceeded", () => [0n, 0n, 1n, 101n, 100n]);
    });

    it("keeps the same session's usage apart per wallet when two wallets grant it", async () => {
      const { f, sessionA, configuration, wallet, address } = await erc20Setup();
      const other = ownedConfiguration(f, [sessionA.leaf], 7n);
      const { wallet: wallet2, address: address2 } = await walletFor(f, other);
      await (await f.token.mint(address2, 1_000n)).wait();
      await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 100n) }], [{ session: sessionA, key: alice }]));
      await expectAccepted(f, wallet2, other, await signBatch(wallet2, other, [{ target: f.tokenAddress, data: transferData(recipient, 100n) }], [{ session: sessionA, key: alice }]));
      expect(await f.sessions.usage(address, leafHash(sessionA.leaf), 0, 1)).to.equal(100n);
      expect(await f.sessions.usage(address2, leafHash(sessionA.leaf), 0, 1)).to.equal(100n);
    });

    it("rejects with SessionSignerMismatch when a batch signed for one wallet is replayed on another", async () => {
      const { f, sessionA, configuration, wallet } = await erc20Setup();
      const other = ownedConfiguration(f, [sessionA.leaf], 3n);
      const { wallet: wallet2, address: address2 } = await walletFor(f, other);
      await (await f.token.mint(address2, 1_000n)).wait();
      const batch = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 5n) }], [{ session: sessionA, key: alice }]);
      // Same calls, space and nonce, but wallet2's digest differs: the key's signature recovers to someone else.
      const replay = { ...batch, digest: hashCalls({ calls: batch.calls, space: batch.space, nonce: batch.nonce }, { wallet: address2, chainId: f.chainId }) };
      const signed = decodeSessionSignature(batch.signature, 1);
      const recovered = ethers.recoverAddress(
        await f.sessions.explicitSessionCallHash(replay.digest, 0, signed.leafHashes[0], 0),
        ethers.Signature.from(signed.calls[0].signature),
      );
      await expectRejected(f, wallet2, other, replay, "SessionSignerMismatch", () => [0n, alice.address, recovered]);
    });

    it("rejects with SessionSignerMismatch when a batch signed for another chain is sent here", async () => {
      const { f, sessionB, configuration, wallet, address } = await erc20Setup();
      const calls = [{ target: f.tokenAddress, data: transferData(recipient, 5n) }];
      const forMainnet = await signBatch(wallet, configuration, calls, [{ session: sessionB, key: bob }], { chainId: 1n });
      const here = { ...forMainnet, digest: hashCalls({ calls, space: forMainnet.space, nonce: forMainnet.nonce }, { wallet: address, chainId: f.chainId }) };
      const signed = decodeSessionSignature(forMainnet.signature, 1);
      const recovered = ethers.recoverAddress(
        await f.sessions.explicitSessionCallHash(here.digest, 0, signed.leafHashes[0], 0),
        ethers.Signature.from(signed.calls[0].signature),
      );
      await expectRejected(f, wallet, configuration, here, "SessionSignerMismatch", () => [0n, bob.address, recovered]);
    });

    it("rejects with SessionWrongChain when the session leaf names another chain", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const session = explicitSession({ sessionSigner: alice.address, chainId: 1n, deadline: FAR, grants: [anyCall(f.targetAddress)] });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet } = await walletFor(f, configuration);
      const batch = await signBatch(wallet, configuration, [{ target: f.targetAddress }], [{ session, key: alice }]);
      await expectRejected(f, wallet, configuration, batch, "SessionWrongChain", () => [0n, 1n, f.chainId]);
    });

    it("rejects with SessionSignerMismatch when a signed batch is reordered", async () => {
      const { f, sessionA, configuration, wallet } = await erc20Setup();
      const calls = [
        { target: f.tokenAddress, data: transferData(recipient, 1n) },
        { target: f.tokenAddress, data: transferData(recipient, 2n) },
      ];
      const batch = await signBatch(wallet, configuration, calls, [{ session: sessionA, key: alice }, { session: sessionA, key: alice }]);
      const decoded = decodeSessionSignature(batch.signature, 2);
      const swapped = encodeSessionSignature({ ...decoded, calls: [decoded.calls[1], decoded.calls[0]] });
      const reordered = { ...batch, calls: [calls[1], calls[0]], signature: swapped };
      reordered.digest = hashCalls({ calls: reordered.calls, space: batch.space, nonce: batch.nonce }, { wallet: (await wallet.getAddress()) as Hex, chainId: f.chainId });
      const { result } = await checkNext(f, wallet, configuration, reordered);
      expect(result.ok).to.equal(false);
      if (!result.ok) expect(result.error.code).to.equal("SessionSignerMismatch");
      await expect(send(wallet, reordered)).to.be.revertedWithCustomError(f.sessions, "SessionSignerMismatch");
    });

    it("rejects with SessionSignerMismatch when a signed batch is truncated to its first call", async () => {
      const { f, sessionA, configuration, wallet, address } = await erc20Setup();
      const calls = [
        { target: f.tokenAddress, data: transferData(recipient, 1n) },
        { target: f.tokenAddress, data: transferData(recipient, 2n) },
      ];
      const batch = await signBatch(wallet, configuration, calls, [{ session: sessionA, key: alice }, { session: sessionA, key: alice }]);
      const decoded = decodeSessionSignature(batch.signature, 2);
      const truncated = {
        ...batch,
        calls: calls.slice(0, 1),
        signature: encodeSessionSignature({ ...decoded, calls: decoded.calls.slice(0, 1) }),
        digest: hashCalls({ calls: calls.slice(0, 1), space: batch.space, nonce: batch.nonce }, { wallet: address, chainId: f.chainId }),
      };
      await expectRejected(f, wallet, configuration, truncated, "SessionSignerMismatch");
    });

    it("rejects with SessionCallCountMismatch when the signature covers fewer calls than the batch", async () => {
      const { f, sessionA, configuration, wallet } = await erc20Setup();
      const calls = [
        { target: f.tokenAddress, data: transferData(recipient, 1n) },
        { target: f.tokenAddress, data: transferData(recipient, 2n) },
      ];
      const batch = await signBatch(wallet, configuration, calls, [{ session: sessionA, key: alice }, { session: sessionA, key: alice }]);
      const decoded = decodeSessionSignature(batch.signature, 2);
      const short = { ...batch, signature: encodeSessionSignature({ ...decoded, calls: decoded.calls.slice(0, 1) }) };
      await expectRejected(f, wallet, configuration, short, "SessionCallCountMismatch", () => [1n, 2n]);
    });

    it("rejects with BadNonce when a session batch is sent twice", async () => {
      const { f, sessionA, configuration, wallet } = await erc20Setup();
      const batch = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 1n) }], [{ session: sessionA, key: alice }]);
      await expectAccepted(f, wallet, configuration, batch);
      await expect(send(wallet, batch)).to.be.revertedWithCustomError(wallet, "BadNonce").withArgs(batch.space, 0n, 1n);
    });

    it("rejects with SessionDelegateCall when a session call is a delegate call", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const session = explicitSession({ sessionSigner: alice.address, chainId: 0n, deadline: FAR, grants: [anyCall(f.targetAddress)] });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet } = await walletFor(f, configuration);
      const data = f.target.interface.encodeFunctionData("writeContext", [7n]);
      const batch = await signBatch(wallet, configuration, [{ target: f.targetAddress, data, delegateCall: true }], [{ session, key: alice }]);
      await expectRejected(f, wallet, configuration, batch, "SessionDelegateCall", () => [0n]);
    });

    it("rejects with SessionSelfCall when a session calls the wallet to update its configuration", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const session = explicitSession({ sessionSigner: alice.address, chainId: 0n, deadline: FAR, grants: [anyCall(f.targetAddress)] });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet, address } = await walletFor(f, configuration);
      const next = configuration.bumpCheckpoint();
      const data = wallet.interface.encodeFunctionData("updateConfiguration", [next.root, next.threshold, next.checkpoint]);
      const batch = await signBatch(wallet, configuration, [{ target: address, data }], [{ session, key: alice }]);
      await expectRejected(f, wallet, configuration, batch, "SessionSelfCall", () => [0n]);
    });

    it("rejects with SessionModuleCall when a session calls the sessions module to unblock itself", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const session = explicitSession({ sessionSigner: alice.address, chainId: 0n, deadline: FAR, grants: [anyCall(f.sessionsAddress)] });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet } = await walletFor(f, configuration);
      const data = f.sessions.interface.encodeFunctionData("setBlocked", [[alice.address], false]);
      const batch = await signBatch(wallet, configuration, [{ target: f.sessionsAddress, data }], [{ session, key: alice }]);
      await expectRejected(f, wallet, configuration, batch, "SessionModuleCall", () => [0n]);
    });

    it("rejects with SessionExpired when the block time reaches the deadline", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const deadline = BigInt(await time.latest()) + 10n; // checkNext pins the next block at latest + 10
      const session = explicitSession({ sessionSigner: alice.address, chainId: 0n, deadline, grants: [anyCall(f.targetAddress)] });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet } = await walletFor(f, configuration);
      const batch = await signBatch(wallet, configuration, [{ target: f.targetAddress }], [{ session, key: alice }]);
      await expectRejected(f, wallet, configuration, batch, "SessionExpired", (now) => [0n, deadline, now]);
    });

    it("rejects with SessionTargetNotPermitted when the call goes to another contract than the permission's", async () => {
      const { f, sessionA, configuration, wallet } = await erc20Setup();
      const batch = await signBatch(wallet, configuration, [{ target: f.targetAddress }], [{ session: sessionA, key: alice, permissionIndex: 0 }]);
      await expectRejected(f, wallet, configuration, batch, "SessionTargetNotPermitted", () => [0n, f.targetAddress, f.tokenAddress]);
    });

    it("rejects with SessionRuleFailed when the selector is not the permitted function", async () => {
      const { f, sessionA, configuration, wallet } = await erc20Setup();
      const data = f.token.interface.encodeFunctionData("approve", [recipient, 1n]);
      const batch = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data }], [{ session: sessionA, key: alice }]);
      const word = `${data.slice(0, 10)}${"0".repeat(56)}`;
      await expectRejected(f, wallet, configuration, batch, "SessionRuleFailed", () => [0n, 0n, 0n, word, `0xa9059cbb${"0".repeat(56)}`]);
    });

    it("rejects with SessionValueLimitExceeded when native value passes the session's limit across transactions", async () => {
      const { f, sessionA, configuration, wallet, address } = await erc20Setup();
      await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, [{ target: recipient, value: 700n }], [{ session: sessionA, key: alice }]));
      expect(await f.sessions.valueUsed(address, leafHash(sessionA.leaf))).to.equal(700n);
      const over = await signBatch(wallet, configuration, [{ target: recipient, value: 301n }], [{ session: sessionA, key: alice }]);
      await expectRejected(f, wallet, configuration, over, "SessionValueLimitExceeded", () => [0n, 700n, 301n, 1_000n]);
    });

    it("rejects with SessionLimitExceeded when an at-most-once function is called a second time", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const session = explicitSession({ sessionSigner: alice.address, chainId: 0n, deadline: FAR, grants: [atMostOnce(f.targetAddress, "record(bytes)")] });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet } = await walletFor(f, configuration);
      const data = f.target.interface.encodeFunctionData("record", ["0x"]);
      await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, [{ target: f.targetAddress, data }], [{ session, key: alice }]));
      expect(await f.target.calls()).to.equal(1n);
      const twice = await signBatch(wallet, configuration, [{ target: f.targetAddress, data }], [{ session, key: alice }]);
      await expectRejected(f, wallet, configuration, twice, "SessionLimitExceeded");
    });

    it("rejects with ImageHashMismatch when the session's permissions are not the ones in the configuration", async () => {
      const { f, sessionA, configuration, wallet } = await erc20Setup();
      // Mallory's own configuration grants Alice's key a far larger cap; its proof leads to another root.
      const forged = explicitSession({ sessionSigner: alice.address, chainId: f.chainId, deadline: FAR, grants: [erc20TransferUpTo(f.tokenAddress, 10n ** 30n)] });
      const forgedConfiguration = ownedConfiguration(f, [forged.leaf, sessionA.leaf]);
      const calls = [{ target: f.tokenAddress, data: transferData(mallory.address, 500n) }];
      const space = sessionNonceSpace(alice.address);
      const nonce = await wallet.nonces(space);
      const digest = hashCalls({ calls, space, nonce }, { wallet: (await wallet.getAddress()) as Hex, chainId: f.chainId });
      const signature = signSessionCalls({ configuration: forgedConfiguration, calls, space, digest, signers: [{ session: forged, key: alice }] });
      await expectRejected(f, wallet, configuration, { calls, space, nonce, digest, signature }, "ImageHashMismatch", () => [forgedConfiguration.imageHash]);
    });

    it("keeps a session's usage when the owner removes its leaf and adds the same leaf back", async () => {
      const { f, sessionA, configuration, wallet, address } = await erc20Setup();
      await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 80n) }], [{ session: sessionA, key: alice }]));
      const without = configuration.removeLeaf(sessionA.leaf).bumpCheckpoint();
      await ownerExecute(f, wallet, configuration, [{ target: address, data: wallet.interface.encodeFunctionData("updateConfiguration", [without.root, without.threshold, without.checkpoint]) }]);
      const back = without.addLeaf(sessionA.leaf).bumpCheckpoint();
      await ownerExecute(f, wallet, without, [{ target: address, data: wallet.interface.encodeFunctionData("updateConfiguration", [back.root, back.threshold, back.checkpoint]) }]);
      const over = await signBatch(wallet, back, [{ target: f.tokenAddress, data: transferData(recipient, 21n) }], [{ session: sessionA, key: alice }]);
      await expectRejected(f, wallet, back, over, "SessionLimitExceeded", () => [0n, 0n, 1n, 101n, 100n]);
    });

    it("never passes as the wallet's ERC-1271 signature when a session key signs a message", async () => {
      const { sessionA, configuration, wallet } = await erc20Setup();
      // A session could otherwise sign permits (EIP-2612, Permit2) for every token the wallet holds.
      const message = ethers.id("permit: spend everything");
      const signature = signSessionCalls({ configuration, calls: [{ target: recipient }], space: sessionNonceSpace(alice.address), digest: message, signers: [{ session: sessionA, key: alice }] });
      expect(await wallet.isValidSignature(message, signature)).to.equal("0xffffffff");
      await expect(wallet.checkMessageSignature(message, signature)).to.be.revertedWithCustomError(wallet, "UnsupportedSignatureFlags").withArgs(2);
    });

    it("keeps a running total per permission when one session caps two tokens", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const token2 = await ethers.deployContract("TestERC20");
      const token2Address = (await token2.getAddress()) as Hex;
      const session = explicitSession({
        sessionSigner: alice.address,
        chainId: f.chainId,
        deadline: FAR,
        grants: [erc20TransferUpTo(f.tokenAddress, 100n), erc20TransferUpTo(token2Address, 100n)],
      });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet, address } = await walletFor(f, configuration);
      await (await f.token.mint(address, 1_000n)).wait();
      await (await token2.mint(address, 1_000n)).wait();
      const calls = [
        { target: f.tokenAddress, data: transferData(recipient, 100n) },
        { target: token2Address, data: transferData(recipient, 60n) },
      ];
      await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, calls, [{ session, key: alice }, { session, key: alice }]));
      const sessionLeaf = leafHash(session.leaf);
      expect(await f.sessions.usage(address, sessionLeaf, 0, 1)).to.equal(100n);
      expect(await f.sessions.usage(address, sessionLeaf, 1, 1)).to.equal(60n);
      const over = await signBatch(wallet, configuration, [{ target: token2Address, data: transferData(recipient, 41n) }], [{ session, key: alice }]);
      await expectRejected(f, wallet, configuration, over, "SessionLimitExceeded", () => [0n, 1n, 1n, 101n, 100n]);
    });

    it("runs calls to two targets with two permissions when each call picks its own permission", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const session = explicitSession({
        sessionSigner: alice.address,
        chainId: f.chainId,
        deadline: FAR,
        grants: [erc20TransferUpTo(f.tokenAddress, 10n), onlyFunction(f.targetAddress, "record(bytes)")],
      });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet, address } = await walletFor(f, configuration);
      await (await f.token.mint(address, 100n)).wait();
      const calls = [
        { target: f.targetAddress, data: f.target.interface.encodeFunctionData("record", ["0x01"]) },
        { target: f.tokenAddress, data: transferData(recipient, 10n) },
      ];
      await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, calls, [{ session, key: alice }, { session, key: alice }]));
      expect(await f.target.calls()).to.equal(1n);
      expect(await f.token.balanceOf(recipient)).to.equal(10n);
      expect(contractCalls(calls)).to.have.length(2);
    });
  });
});
