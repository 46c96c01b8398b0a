/**
 * Review: can any arrangement of a session batch skip (or double-count) usage? The spec records
 * usage while validating, before any call runs, for every authorised call whatever its onFailure
 * mode. The law below mixes transfers that succeed and transfers that fail (more than the
 * balance), under ignore, abort and revert, in random order, on a real wallet and token.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Hex } from "../../lib/hex";
import { leafHash } from "../../lib/configuration/leaves";
import { erc20TransferUpTo, explicitSession, nativeValueUpTo } from "../../lib/sessions";
import type { CallInput } from "../../lib/payload/types";
import { keys } from "../helpers/arbor";
import { deploySessionsFixture, ownedConfiguration, send, signBatch, transferData, walletFor } from "../sessions/fixture";

const [sessionKey] = keys(1, "review-usage-accounting");
const FAR = 4_000_000_000n;
const CAP = 10n ** 30n;
const shop = "0x000000000000000000000000000000000000cafE";

async function setup() {
  const f = await deploySessionsFixture();
  const session = explicitSession({
    sessionSigner: sessionKey.address,
    chainId: 0n,
    deadline: FAR,
    grants: [erc20TransferUpTo(f.tokenAddress, CAP), nativeValueUpTo(CAP, shop)],
  });
  const configuration = ownedConfiguration(f, [session.leaf]);
  const { wallet, address } = await walletFor(f, configuration);
  await (await f.token.mint(address, 1_000n)).wait();
  await (await ethers.getSigners())[0].sendTransaction({ to: address, value: 1_000n });
  return { f, session, configuration, wallet, address, sessionLeaf: leafHash(session.leaf) };
}

const call = fc.record({
  kind: fc.constantFrom("token" as const, "value" as const),
  amount: fc.bigInt({ min: 0n, max: 1_500n }),
  onFailure: fc.constantFrom("ignore" as const, "abort" as const, "revert" as const),
});

describe("ArborSessions (review: usage accounting)", () => {
  describe("validateSessionCalls", () => {
    it("law: a mined session batch records exactly the sum of all its calls' amounts (run, failed, ignored or skipped by an abort), and a reverted one records nothing", async () => {
      const { f, session, configuration, wallet, address, sessionLeaf } = await loadFixture(setup);
      const seen = { minedWithFailures: 0, reverted: 0 };
      await fc.assert(
        fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 6 }), async (shape) => {
          const calls: CallInput[] = shape.map((c) =>
            c.kind === "token"
              ? { target: f.tokenAddress, data: transferData(shop, c.amount), onFailure: c.onFailure }
              : { target: shop, value: c.amount, onFailure: c.onFailure },
          );
          const permissionOf = (c: (typeof shape)[number]) => (c.kind === "token" ? 0 : 1);
          const tokenBefore = await f.sessions.usage(address, sessionLeaf, 0, 1);
          const valueBefore = await f.sessions.valueUsed(address, sessionLeaf);
          const batch = await signBatch(
            wallet,
            configuration,
            calls,
            shape.map((c) => ({ session, key: sessionKey, permissionIndex: permissionOf(c) })),
          );
          const receipt = await send(wallet, batch)
            .then((tx) => tx.wait())
            .catch(() => null);
          const mined = receipt !== null;
          const failures = (receipt?.logs ?? []).map((log) => wallet.interface.parseLog(log)?.name).filter((n) => n === "CallIgnored" || n === "CallAborted");
          if (mined && failures.length > 0) seen.minedWithFailures++;
          if (!mined) seen.reverted++;
          const tokenDelta = (await f.sessions.usage(address, sessionLeaf, 0, 1)) - tokenBefore;
          const valueDelta = (await f.sessions.valueUsed(address, sessionLeaf)) - valueBefore;
          const sum = (kind: "token" | "value") => shape.filter((c) => c.kind === kind).reduce((s, c) => s + c.amount, 0n);
          expect({ tokenDelta, valueDelta }).to.deep.equal(mined ? { tokenDelta: sum("token"), valueDelta: sum("value") } : { tokenDelta: 0n, valueDelta: 0n });
          // A batch reverts only when a call set to revert fails.
          if (!mined) expect(shape.some((c) => c.onFailure === "revert")).to.equal(true);
        }),
        { numRuns: 40 },
      );
      // The runs must include the arrangements the law is about.
      expect(seen.minedWithFailures, "mined batches with failed calls").to.be.greaterThan(0);
      expect(seen.reverted, "reverted batches").to.be.greaterThan(0);
    });
  });
});
