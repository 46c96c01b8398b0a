import type { TransactionReceipt } from "ethers";
import type { ChainConnection } from "./connect-chain";

/**
 * Polls for a transaction's receipt. ethers' waitForTransaction waits for a *new* block event after
 * its first look, and an automining local node mines no further block, so it can hang forever there;
 * plain polling works the same on local nodes and live chains.
 *
 * @example
 * const receipt = await waitForReceipt(chain, txHash);
 */
export async function waitForReceipt(chain: ChainConnection, hash: string, timeoutMs = 300_000): Promise<TransactionReceipt> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  for (;;) {
    const receipt = await chain.provider.getTransactionReceipt(hash);
    if (receipt) return receipt;
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
    // Back off to the provider's polling interval: no point asking a 12-second chain ten times a second.
    delay = Math.min(delay * 2, Math.max(chain.provider.pollingInterval, 50));
  }
}
