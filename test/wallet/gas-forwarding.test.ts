/**
 * Review: does a signed call really get its `gasLimit`? A relayer picks the transaction's gas; the
 * wallet promises (`NotEnoughGas`) that a relayer "cannot make a call fail by starving it". The
 * EVM forwards at most 63/64 of the gas left (EIP-150), so a check of `gasleft() >= gasLimit`
 * before the call does not guarantee that the callee receives `gasLimit`.
 */
import { encodeCallsPayload } from "../../lib/payload/packed-calls";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { contractCalls, deployArbor, deployWallet, keys, multisig, signCalls } from "../helpers/arbor";
import type { CallInput } from "../../lib/payload/types";
import type { Hex } from "../../lib/hex";
import type { ArborWallet, GasProbe } from "../../typechain-types";

const [owner] = keys(1, "review-gas");
const configuration = multisig([owner], 1n);

/** The call's signed gas limit, and what the probe needs at its first instruction to succeed. */
const GAS_LIMIT = 500_000n;
const NEEDED = 495_000n;

async function fixture() {
  const d = await deployArbor();
  const wallet = await deployWallet(d, configuration);
  const probe = (await ethers.deployContract("GasProbe")) as unknown as GasProbe;
  return { wallet, probe, address: (await wallet.getAddress()) as Hex, probeAddress: (await probe.getAddress()) as Hex };
}

/** The lowest transaction gas limit at which `send` does not revert, by bisection over eth_call. */
async function lowestPassingGas(send: (gasLimit: bigint) => Promise<unknown>, low: bigint, high: bigint): Promise<bigint> {
  const passes = async (gasLimit: bigint) => {
    try {
      await send(gasLimit);
      return true;
    } catch {
      return false;
    }
  };
  if (!(await passes(high))) throw new Error(`the batch fails even with ${high} gas`);
  while (high - low > 1n) {
    const middle = (low + high) / 2n;
    if (await passes(middle)) high = middle;
    else low = middle;
  }
  return high;
}

/** The probe's work: checks its gas on entry, or burns gas and runs out when starved. */
type Work = "needs" | "consume";

function probeData(probe: GasProbe, work: Work): Hex {
  // consume: 470,000 burnt + ~22,100 for the first run's SSTORE + loop overhead fit in 500,000.
  return (work === "needs" ? probe.interface.encodeFunctionData("needs", [NEEDED]) : probe.interface.encodeFunctionData("consume", [470_000n])) as Hex;
}

async function signedProbeBatch(wallet: ArborWallet, address: Hex, probe: GasProbe, probeAddress: Hex, onFailure: "ignore" | "abort", work: Work = "needs") {
  const calls: CallInput[] = [{ target: probeAddress, data: probeData(probe, work), gasLimit: GAS_LIMIT, onFailure }];
  const signature = await signCalls(configuration, address, [owner], calls);
  return { args: [encodeCallsPayload({ calls, space: 0n, nonce: 0n }), signature] as const, wallet };
}

describe("ArborWallet (review: gas forwarding)", () => {
  describe("execute", () => {
    const cases: { onFailure: "ignore" | "abort"; work: Work; how: string }[] = [
      { onFailure: "ignore", work: "needs", how: "checks its gas on entry" },
      { onFailure: "abort", work: "needs", how: "checks its gas on entry" },
      { onFailure: "ignore", work: "consume", how: "runs out of gas when starved" },
    ];
    for (const { onFailure, work, how } of cases) {
      it(`runs a call with its full gasLimit or reverts with NotEnoughGas, whatever gas the relayer picks, when onFailure is ${onFailure} and the call ${how}`, async () => {
        const { wallet, probe, address, probeAddress } = await loadFixture(fixture);
        const { args } = await signedProbeBatch(wallet, address, probe, probeAddress, onFailure, work);

        // The probe succeeds with GAS_LIMIT: a direct call with exactly that much gas runs it.
        await ethers.provider.call({ to: probeAddress, data: probeData(probe, work), gasLimit: 21_000n + GAS_LIMIT + 100n });
        await wallet.execute.staticCall(...args, { gasLimit: 3_000_000n });

        // A relayer looks for the least gas at which the transaction still succeeds...
        const gas = await lowestPassingGas((gasLimit) => wallet.execute.staticCall(...args, { gasLimit }), 21_000n, 3_000_000n);
        const receipt = (await (await wallet.execute(...args, { gasLimit: gas })).wait())!;
        expect(receipt.status).to.equal(1);

        // ...and there the signed call must still have run with its gas limit.
        const failures = receipt.logs
          .map((log) => wallet.interface.parseLog(log))
          .filter((log) => log?.name === "CallIgnored" || log?.name === "CallAborted");
        const starved = failures.map((log) => {
          const data = log!.args.returnData as string;
          return data === "0x" ? "ran out of gas" : `started with ${probe.interface.parseError(data)?.args[0]} gas`;
        });
        expect(
          failures.map((log) => log!.name),
          `with ${gas} transaction gas the call (gasLimit ${GAS_LIMIT}) ${starved.join(", ")}, failed, and the nonce was consumed`,
        ).to.deep.equal([]);
        expect(await probe.runs()).to.equal(1n);
      });
    }

    it("runs a call with its full gasLimit when an honest relayer sends the batch with eth_estimateGas's figure", async () => {
      const { wallet, probe, address, probeAddress } = await loadFixture(fixture);
      const { args } = await signedProbeBatch(wallet, address, probe, probeAddress, "ignore");
      // Estimation looks for the least gas at which the transaction does not revert, which is
      // exactly where the ignored call is starved.
      const estimate = await wallet.execute.estimateGas(...args);
      const receipt = (await (await wallet.execute(...args, { gasLimit: estimate })).wait())!;
      const ignored = receipt.logs.map((log) => wallet.interface.parseLog(log)?.name).filter((name) => name === "CallIgnored");
      expect(ignored, `eth_estimateGas gave ${estimate}; at that gas the call was ignored`).to.deep.equal([]);
      expect(await probe.runs()).to.equal(1n);
    });
  });
});
