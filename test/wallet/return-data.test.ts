/**
 * Review: what an ignored (or aborted) call can cost the wallet. `onFailure: ignore` promises the
 * batch goes on when the call fails, and `gasLimit` caps what the call may burn. The wallet then
 * copies the call's whole revert data to memory and logs it in `CallIgnored`: memory is priced
 * quadratically and log data at 8 gas a byte, so a target can answer with a blob that costs the
 * wallet many times the call's own gas limit (a "return data bomb").
 */
import { encodeCallsPayload } from "../../lib/payload/packed-calls";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { contractCalls, deployArbor, deployWallet, keys, multisig, signCalls } from "../helpers/arbor";
import type { CallInput } from "../../lib/payload/types";
import type { Hex } from "../../lib/hex";
import type { CallTarget, ReturnBomb } from "../../typechain-types";

const [owner] = keys(1, "review-return-data");
const configuration = multisig([owner], 1n);

const GAS_LIMIT = 300_000n;
/** 10,000 words: the callee pays ~225,000 gas of memory for them, within its gas limit. */
const BLOB = 320_000n;

async function fixture() {
  const d = await deployArbor();
  const wallet = await deployWallet(d, configuration);
  const bomb = (await ethers.deployContract("ReturnBomb")) as unknown as ReturnBomb;
  const target = (await ethers.deployContract("CallTarget")) as unknown as CallTarget;
  return {
    wallet,
    bomb,
    target,
    address: (await wallet.getAddress()) as Hex,
    bombAddress: (await bomb.getAddress()) as Hex,
    targetAddress: (await target.getAddress()) as Hex,
  };
}

describe("ArborWallet (review: return data of failed calls)", () => {
  describe("execute", () => {
    for (const onFailure of ["ignore", "abort"] as const) {
      it(`finishes the batch when a call set to ${onFailure} fails with a large revert blob and the relayer gives 100,000 gas more than the same batch needs with an empty revert`, async () => {
        const { wallet, bomb, target, address, bombAddress, targetAddress } = await loadFixture(fixture);
        const batch = (size: bigint, nonce: bigint): CallInput[] => [
          { target: bombAddress, data: bomb.interface.encodeFunctionData("explode", [size]) as Hex, gasLimit: GAS_LIMIT, onFailure },
          { target: targetAddress, data: target.interface.encodeFunctionData("record", [ethers.toBeHex(nonce, 32)]) as Hex },
        ];
        const args = async (size: bigint) => {
          const calls = batch(size, 0n);
          return [encodeCallsPayload({ calls, space: 0n, nonce: 0n }), await signCalls(configuration, address, [owner], calls)] as const;
        };

        // The same batch with an empty revert; its estimate already reserves the call's gas limit
        // (NotEnoughGas), so it covers everything the call may legitimately burn.
        const baseline = await wallet.execute.estimateGas(...(await args(0n)));
        const allowance = baseline + 100_000n;
        // The call itself stays within its gas limit (a direct call with GAS_LIMIT reverts, not runs out of gas).
        const direct = await ethers.provider.call({ to: bombAddress, data: bomb.interface.encodeFunctionData("explode", [BLOB]), gasLimit: 21_000n + GAS_LIMIT }).catch((e) => e);
        expect(direct.data?.length ?? 0, "the bomb reverts with the whole blob within its own gas limit").to.equal(2 + 2 * Number(BLOB));

        const needed = await wallet.execute.estimateGas(...(await args(BLOB)));
        const outcome = await wallet
          .execute(...(await args(BLOB)), { gasLimit: allowance })
          .then((tx) => tx.wait())
          .then(
            (receipt) => `status ${receipt!.status}`,
            (error: Error) => error.message.split("\n")[0],
          );
        expect(outcome, `the batch needs ${needed} gas with the blob, ${baseline} without; ${allowance} given`).to.equal("status 1");
        expect(await target.calls()).to.equal(onFailure === "ignore" ? 1n : 0n);
      });
    }
  });
});
