/**
 * Calldata-length rules (lib/sessions/ENCODING.md, "Rules", operations 4 and 5), the audit's
 * short-calldata finding: bytes past the end of the calldata read as zero, so a selector rule for
 * a selector ending in 0x00 used to pass on a 3-byte prefix. Every case runs through the library's
 * checkSessionCalls and the wallet on the Hardhat chain (expectRejected / expectAccepted check both).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Configuration } from "../../lib/configuration/configuration";
import type { RuleOperation } from "../../lib/configuration/permissions";
import type { Hex } from "../../lib/hex";
import { calldataLengthAtLeast, calldataLengthAtMost, erc20TransferUpTo, explicitSession, nonCumulativeRulesHold, onlyFunction } from "../../lib/sessions";
import { normalizeCall } from "../../lib/payload/calls";
import { keys } from "../helpers/arbor";
import frozenPermissions from "./permission-vectors.json";
import { deploySessionsFixture, expectAccepted, expectRejected, ownedConfiguration, signBatch, transferData, walletFor, type SessionsFixture } from "./fixture";

const FAR = 4_000_000_000n;
const [alice] = keys(1, "calldata-length-keys");
const recipient = "0x000000000000000000000000000000000000bEEF";

async function setup(grants: Parameters<typeof explicitSession>[0]["grants"]) {
  const f: SessionsFixture = await loadFixture(deploySessionsFixture);
  const session = explicitSession({ sessionSigner: alice.address, chainId: 0n, deadline: FAR, grants });
  const configuration = ownedConfiguration(f, [session.leaf]);
  const { wallet, address } = await walletFor(f, configuration);
  await (await f.token.mint(address, 1_000n)).wait();
  await (await ethers.getSigners())[0].sendTransaction({ to: address, value: 10_000n });
  return { f, session, configuration, wallet };
}

describe("ArborSessions (calldata-length rules)", () => {
  describe("validateSessionCalls", () => {
    it("rejects with SessionCalldataLengthFailed when a selector ending in 0x00 gets only its 3-byte prefix", async () => {
      const { f, session, configuration, wallet } = await setup([onlyFunction(recipient, "0x12345600")]);
      const batch = await signBatch(wallet, configuration, [{ target: recipient, data: "0x123456" }], [{ session, key: alice }]);
      // Rule 0 (the selector word 0x12345600…) passes on the zero-extended prefix; rule 1 does not.
      await expectRejected(f, wallet, configuration, batch, "SessionCalldataLengthFailed", () => [0n, 0n, 1n, 3n, 4n]);
    });

    it("rejects with SessionCalldataLengthFailed when the selector 0x00000000 gets empty calldata", async () => {
      const { f, session, configuration, wallet } = await setup([onlyFunction(recipient, "0x00000000")]);
      const batch = await signBatch(wallet, configuration, [{ target: recipient, data: "0x" }], [{ session, key: alice }]);
      await expectRejected(f, wallet, configuration, batch, "SessionCalldataLengthFailed", () => [0n, 0n, 1n, 0n, 4n]);
    });

    it("accepts the full 4-byte selector when the selector ends in 0x00", async () => {
      const { f, session, configuration, wallet } = await setup([onlyFunction(recipient, "0x12345600")]);
      const batch = await signBatch(wallet, configuration, [{ target: recipient, data: "0x12345600" }], [{ session, key: alice }]);
      await expectAccepted(f, wallet, configuration, batch);
    });

    it("rejects with SessionCalldataLengthFailed when an ERC-20 transfer omits its amount word", async () => {
      const { f, session, configuration, wallet } = await setup([erc20TransferUpTo((await loadFixture(deploySessionsFixture)).tokenAddress, 100n)]);
      const full = transferData(recipient, 0n);
      // Selector and recipient only: the missing amount would read as zero and pass the cap.
      const short = full.slice(0, 2 + 36 * 2) as Hex;
      const batch = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: short }], [{ session, key: alice }]);
      await expectRejected(f, wallet, configuration, batch, "SessionCalldataLengthFailed", () => [0n, 0n, 2n, 36n, 68n]);
      const oneShort = full.slice(0, full.length - 2) as Hex;
      const batch2 = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: oneShort }], [{ session, key: alice }]);
      await expectRejected(f, wallet, configuration, batch2, "SessionCalldataLengthFailed", () => [0n, 0n, 2n, 67n, 68n]);
    });

    it("accepts a value-only call and rejects one byte of calldata when the permission allows at most 0 bytes", async () => {
      const grant = { target: recipient as Hex, rules: [calldataLengthAtMost(0n)] };
      const { f, session, configuration, wallet } = await setup([grant, { kind: "native-value", amount: 1_000n }]);
      await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, [{ target: recipient, value: 5n }], [{ session, key: alice }]));
      const batch = await signBatch(wallet, configuration, [{ target: recipient, value: 5n, data: "0x00" }], [{ session, key: alice }]);
      await expectRejected(f, wallet, configuration, batch, "SessionCalldataLengthFailed", () => [0n, 0n, 0n, 1n, 0n]);
    });

    it("accepts calldata exactly at a length-at-least bound and rejects one byte less", async () => {
      const grant = { target: recipient as Hex, rules: [calldataLengthAtLeast(5n)] };
      const { f, session, configuration, wallet } = await setup([grant]);
      await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, [{ target: recipient, data: "0x0000000000" }], [{ session, key: alice }]));
      const batch = await signBatch(wallet, configuration, [{ target: recipient, data: "0x00000000" }], [{ session, key: alice }]);
      await expectRejected(f, wallet, configuration, batch, "SessionCalldataLengthFailed", () => [0n, 0n, 0n, 4n, 5n]);
    });
  });

  describe("nonCumulativeRulesHold", () => {
    it("counts length rules when it picks a permission", () => {
      const permission = onlyFunction(recipient, "0x12345600");
      const call = (data: string) => normalizeCall({ target: recipient, data } as never, "call");
      expect(nonCumulativeRulesHold(permission, call("0x123456"))).to.equal(false);
      expect(nonCumulativeRulesHold(permission, call("0x12345600"))).to.equal(true);
    });
  });
});

describe("ArborSessions (session leaves in a deeper tier)", () => {
  describe("validateSessionCalls", () => {
    it("accepts a session call when the session leaves sit in tier 1 below the owner", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const sessions = [0, 1, 2].map(() => explicitSession({ sessionSigner: alice.address, chainId: 0n, deadline: FAR, grants: [erc20TransferUpTo(f.tokenAddress, 100n)] }));
      // Distinct leaves: three sessions of one key with different deadlines.
      const leaves = sessions.map((s, i) => ({ ...s.leaf, deadline: FAR + BigInt(i), tier: 1 }));
      const configuration = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: f.owner.address as Hex, weight: 1n }, ...leaves] });
      expect(configuration.tierCount).to.equal(2);
      const { wallet, address } = await walletFor(f, configuration);
      await (await f.token.mint(address, 1_000n)).wait();
      const { tier: _tier, ...leaf } = leaves[1];
      const session = { ...sessions[1], leaf };
      expect(configuration.tierOf(leaf)).to.equal(1);
      const batch = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 7n) }], [{ session, key: alice }]);
      await expectAccepted(f, wallet, configuration, batch);
      expect(await f.token.balanceOf(recipient)).to.equal(7n);
    });

    it("refuses to sign with MULTIPROOF_ACROSS_TIERS when one batch uses session leaves of two tiers", async () => {
      const f: SessionsFixture = await loadFixture(deploySessionsFixture);
      const base = explicitSession({ sessionSigner: alice.address, chainId: 0n, deadline: FAR, grants: [erc20TransferUpTo(f.tokenAddress, 100n)] });
      const leaves = [0, 1, 2].map((i) => ({ ...base.leaf, deadline: FAR + BigInt(i), tier: i === 0 ? 0 : 1 }));
      const configuration = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: f.owner.address as Hex, weight: 1n }, ...leaves] });
      const { wallet } = await walletFor(f, configuration);
      const [hot, cold] = [leaves[0], leaves[1]].map(({ tier: _tier, ...leaf }) => ({ ...base, leaf }));
      const calls = [0, 1].map(() => ({ target: f.tokenAddress, data: transferData(recipient, 1n) }));
      let thrown: unknown;
      try {
        await signBatch(wallet, configuration, calls, [{ session: hot, key: alice }, { session: cold, key: alice }]);
      } catch (err) {
        thrown = err;
      }
      expect((thrown as { code?: string })?.code).to.equal("MULTIPROOF_ACROSS_TIERS");
    });
  });
});

describe("permission vectors (test/sessions/permission-vectors.json)", () => {
  describe("validateSessionCalls", () => {
    for (const v of frozenPermissions.vectors) {
      it(`accepts the full call and refuses the short one when the vector is "${v.name}"`, async () => {
        const permission = { target: v.permission.target as Hex, rules: v.permission.rules.map((r) => ({ ...r, offset: BigInt(r.offset), mask: r.mask as Hex, value: r.value as Hex, operation: r.operation as RuleOperation })) };
        const { f, session, configuration, wallet } = await setup([permission]);
        await expectAccepted(f, wallet, configuration, await signBatch(wallet, configuration, [{ target: v.permission.target, data: v.accepted }], [{ session, key: alice }]));
        const batch = await signBatch(wallet, configuration, [{ target: v.permission.target, data: v.refused.data }], [{ session, key: alice }]);
        const { ruleIndex, length, bound } = v.refused;
        await expectRejected(f, wallet, configuration, batch, "SessionCalldataLengthFailed", () => [0n, 0n, BigInt(ruleIndex), BigInt(length), BigInt(bound)]);
      });
    }
  });
});
