/**
 * Review: what does a session key's call signature commit to? Finding F3: in v1 the key signed
 * `sessionCallHash(digest, callIndex)` only: the batch, the call's position, nothing about which
 * session leaf, which permission or which attestation authorises the call. Everything else in a
 * session signature (leaves, permission indices, attestations, proof) is unsigned, so whoever
 * relays the batch can re-route a signed call to another grant the same key holds, and choose
 * whose allowance it consumes. Since "arbor.session-call.v2" the key also signs the session leaf
 * and permission index, or the attestation (lib/sessions/ENCODING.md, "Call signatures").
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Hex } from "../../lib/hex";
import { leafHash } from "../../lib/configuration/leaves";
import {
  decodeSessionSignature,
  encodeSessionSignature,
  erc20TransferUpTo,
  explicitSession,
  signSessionCalls,
} from "../../lib/sessions";
import { keys } from "../helpers/arbor";
import {
  deploySessionsFixture,
  ownedConfiguration,
  send,
  signBatch,
  transferData,
  walletFor,
  type SessionsFixture,
} from "../sessions/fixture";

const FAR = 4_000_000_000n;
const [alice, relayerKey] = keys(2, "review-session-authorisation");
const treasury = "0x000000000000000000000000000000000000bEEF";
const shop = "0x000000000000000000000000000000000000cafE";

describe("ArborSessions (review: what a session call signature binds)", () => {
  describe("validateSessionCalls", () => {
    it("refuses a signed session call when a relayer moves it to another permission of the same session", async () => {
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

      // Alice pays the treasury 90 under permission 0, as the library picks.
      const calls = [{ target: f.tokenAddress, data: transferData(treasury, 90n) }];
      const batch = await signBatch(wallet, configuration, calls, [{ session, key: alice }]);
      const decoded = decodeSessionSignature(batch.signature, calls.length);
      expect(decoded.calls[0]).to.include({ kind: "explicit", permissionIndex: 0 });

      // The relayer flips one unsigned byte: the same call, charged to the shop budget.
      const rerouted = encodeSessionSignature({ ...decoded, calls: [{ ...decoded.calls[0], permissionIndex: 1 } as typeof decoded.calls[0]] });
      const outcome = await send(wallet, { ...batch, signature: rerouted })
        .then((tx) => tx.wait())
        .then(
          () => "ran",
          () => "refused",
        );
      const shopBudgetUsed = await f.sessions.usage(address, leafHash(session.leaf), 1, 1);
      expect(outcome, `the re-routed call ran and used ${shopBudgetUsed} of the 100 shop budget`).to.equal("refused");
    });

    it("refuses a signed session call when a relayer moves it to another session leaf of the same key", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      // Two grants for one key, e.g. this month's allowance and next month's (a later deadline).
      const thisMonth = explicitSession({ sessionSigner: alice.address, chainId: f.chainId, deadline: FAR, grants: [erc20TransferUpTo(f.tokenAddress, 100n)] });
      const nextMonth = explicitSession({ sessionSigner: alice.address, chainId: f.chainId, deadline: FAR + 1n, grants: [erc20TransferUpTo(f.tokenAddress, 100n)] });
      const configuration = ownedConfiguration(f, [thisMonth.leaf, nextMonth.leaf]);
      const { wallet, address } = await walletFor(f, configuration);
      await (await f.token.mint(address, 10_000n)).wait();

      const calls = [{ target: f.tokenAddress, data: transferData(shop, 80n) }];
      const batch = await signBatch(wallet, configuration, calls, [{ session: thisMonth, key: alice }]);
      const signed = decodeSessionSignature(batch.signature, calls.length).calls[0];

      // The relayer builds the signature for the other leaf from public data (the leaf, its
      // permissions, its multiproof), then puts Alice's call signature in. (signSessionCalls
      // refuses to sign with a key that is not the session's, so the relayer encodes it directly.)
      const proof = configuration.multiProof([nextMonth.leaf]);
      const rerouted = encodeSessionSignature({
        threshold: configuration.threshold,
        checkpoint: configuration.checkpoint,
        leaves: [{ ...nextMonth.leaf, permissions: nextMonth.encodedPermissions }],
        attestations: [],
        calls: [{ kind: "explicit", leafIndex: 0, permissionIndex: 0, signature: signed.signature }],
        proof: proof.proof,
        proofFlags: proof.proofFlags,
      });
      expect(() =>
        signSessionCalls({ configuration, calls, space: batch.space, digest: batch.digest, signers: [{ session: nextMonth, key: relayerKey }] }),
      ).to.throw("signers[0].key").with.property("code", "SESSION_KEY_MISMATCH");
      const outcome = await send(wallet, { ...batch, signature: rerouted })
        .then((tx) => tx.wait())
        .then(
          () => "ran",
          () => "refused",
        );
      const nextMonthUsed = await f.sessions.usage(address, leafHash(nextMonth.leaf), 0, 1);
      expect(outcome, `the re-routed call ran and used ${nextMonthUsed} of next month's allowance`).to.equal("refused");
    });
  });
});
