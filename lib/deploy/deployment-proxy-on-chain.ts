import { formatUnits, keccak256 } from "ethers";
import type { ChainConnection } from "./connect-chain";
import { DEPLOYMENT_PROXY, DEPLOYMENT_PROXY_CODE_HASH, DEPLOYMENT_PROXY_FUNDING, DEPLOYMENT_PROXY_TX_HASH } from "./deployment-proxy";
import { CodeMismatchError, GasPriceModelError, ProxyBootstrapError, UnprotectedTransactionRejectedError } from "./errors";
import type { Deployer } from "./resolve-deployer";
import { rpcErrorMessage } from "./rpc-error-message";
import { waitForReceipt } from "./wait-for-receipt";

/**
 * Whether the deterministic deployment proxy is on the chain. Throws CodeMismatchError when other code
 * sits at its address, and ProxyBootstrapError when its one-time signer has already used nonce 0
 * without creating it (then the proxy can never exist at the standard address on that chain).
 *
 * @example
 * if ((await inspectDeploymentProxy(chain)) === "missing") await bootstrapDeploymentProxy(chain, deployer);
 */
export async function inspectDeploymentProxy(chain: ChainConnection): Promise<"present" | "missing"> {
  const code = await chain.provider.getCode(DEPLOYMENT_PROXY.address);
  if (code === DEPLOYMENT_PROXY.runtimeCode) return "present";
  if (code !== "0x") {
    throw new CodeMismatchError(chain.chainId, "the deterministic deployment proxy", DEPLOYMENT_PROXY.address, DEPLOYMENT_PROXY_CODE_HASH, keccak256(code));
  }
  const nonce = await chain.provider.getTransactionCount(DEPLOYMENT_PROXY.signer);
  if (nonce > 0) {
    throw new ProxyBootstrapError(
      chain.chainId,
      `its one-time signer ${DEPLOYMENT_PROXY.signer} has nonce ${nonce} but the proxy is missing, so its presigned ` +
        `transaction can never be mined here. Use a chain with a pre-deployed proxy.`,
    );
  }
  return "missing";
}

/**
 * Throws GasPriceModelError when the presigned transaction (legacy, 100 gwei) cannot be mined at the
 * chain's current prices: an EIP-1559 base fee above 100 gwei, or, on a chain without EIP-1559, a
 * gas price above it. Read-only.
 *
 * @example
 * await assertPresignedTransactionMinable(chain);
 */
export async function assertPresignedTransactionMinable(chain: ChainConnection): Promise<void> {
  const presigned = DEPLOYMENT_PROXY.gasPrice;
  const baseFee = await nextBaseFee(chain);
  if (baseFee !== null) {
    if (baseFee > presigned) {
      throw new GasPriceModelError(chain.chainId, "eip-1559", baseFee, presigned, `its base fee is ${formatUnits(baseFee, "gwei")} gwei, above the 100 gwei the transaction pays`);
    }
    return;
  }
  const gasPrice = BigInt((await chain.provider.send("eth_gasPrice", [])) as string);
  if (gasPrice > presigned) {
    throw new GasPriceModelError(chain.chainId, "legacy", gasPrice, presigned, `it has no EIP-1559 base fee and asks a gas price of ${formatUnits(gasPrice, "gwei")} gwei, above the 100 gwei the transaction pays`);
  }
}

/**
 * Creates the proxy with its presigned transaction: tops up the one-time signer to 0.01 ETH from the
 * deployer, submits the transaction and checks the resulting code. The raw transaction is submitted
 * once before any funding, so a node that refuses unprotected transactions says so while nothing has
 * been spent yet. Returns the transaction hash (the same on every chain).
 *
 * @example
 * const txHash = await bootstrapDeploymentProxy(chain, deployer, console.log);
 */
export async function bootstrapDeploymentProxy(chain: ChainConnection, deployer: Deployer, log: (line: string) => void = () => {}): Promise<string> {
  let outcome = await submitPresigned(chain);
  if (outcome === "needs-funds") {
    const balance = await chain.provider.getBalance(DEPLOYMENT_PROXY.signer);
    const topUp = DEPLOYMENT_PROXY_FUNDING - balance;
    log(`chain ${chain.chainId}: funding the proxy's one-time signer ${DEPLOYMENT_PROXY.signer} with ${formatUnits(topUp)} ETH`);
    const funding = await deployer.signer.sendTransaction({ to: DEPLOYMENT_PROXY.signer, value: topUp });
    const receipt = await waitForReceipt(chain, funding.hash);
    if (receipt.status !== 1) throw new ProxyBootstrapError(chain.chainId, `funding transaction ${funding.hash} failed`);
    outcome = await submitPresigned(chain);
    if (outcome === "needs-funds") throw new ProxyBootstrapError(chain.chainId, "the node still reports insufficient funds after funding the one-time signer");
  }
  const receipt = await waitForReceipt(chain, DEPLOYMENT_PROXY_TX_HASH);
  if (receipt.status !== 1) throw new ProxyBootstrapError(chain.chainId, `the presigned transaction ${DEPLOYMENT_PROXY_TX_HASH} did not succeed`);
  const code = await chain.provider.getCode(DEPLOYMENT_PROXY.address);
  if (code !== DEPLOYMENT_PROXY.runtimeCode) {
    throw new CodeMismatchError(chain.chainId, "the deterministic deployment proxy", DEPLOYMENT_PROXY.address, DEPLOYMENT_PROXY_CODE_HASH, keccak256(code));
  }
  log(`chain ${chain.chainId}: deterministic deployment proxy created at ${DEPLOYMENT_PROXY.address} (tx ${DEPLOYMENT_PROXY_TX_HASH})`);
  return DEPLOYMENT_PROXY_TX_HASH;
}

/** The base fee the next transaction faces, or null on a chain without EIP-1559. */
async function nextBaseFee(chain: ChainConnection): Promise<bigint | null> {
  // Raw RPC, not getBlock(): a pending block has no number, which ethers' block formatter rejects.
  // The pending block's base fee is the one a transaction would face; not every node serves it.
  type RawBlock = { baseFeePerGas?: string | null } | null;
  const pending = (await chain.provider.send("eth_getBlockByNumber", ["pending", false]).catch(() => null)) as RawBlock;
  const block = pending ?? ((await chain.provider.send("eth_getBlockByNumber", ["latest", false])) as RawBlock);
  return block?.baseFeePerGas ? BigInt(block.baseFeePerGas) : null;
}

async function submitPresigned(chain: ChainConnection): Promise<"sent" | "needs-funds"> {
  try {
    await chain.provider.send("eth_sendRawTransaction", [DEPLOYMENT_PROXY.rawTransaction]);
    return "sent";
  } catch (e) {
    const message = rpcErrorMessage(e);
    if (/replay-protected|eip-?155|unprotected/i.test(message)) throw new UnprotectedTransactionRejectedError(chain.chainId, message);
    if (/insufficient funds|enough funds/i.test(message)) return "needs-funds";
    // Submitted before (an earlier interrupted run, or another deployer racing us): just wait for it.
    if (/already known|known transaction|already imported/i.test(message)) return "sent";
    if (/base ?fee|underpriced|gas ?price|fee cap/i.test(message)) {
      throw new GasPriceModelError(chain.chainId, "legacy", undefined, DEPLOYMENT_PROXY.gasPrice, `the node refused it: ${message}`);
    }
    if (/intrinsic gas|gas limit|out of gas/i.test(message)) {
      throw new GasPriceModelError(chain.chainId, "gas-schedule", undefined, DEPLOYMENT_PROXY.gasPrice, `the node refused its gas limit: ${message}`);
    }
    throw new ProxyBootstrapError(chain.chainId, `the node refused the presigned transaction: ${message}`, { cause: e });
  }
}
