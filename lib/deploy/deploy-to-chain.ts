import { concat, formatEther, keccak256 } from "ethers";
import { assertCancun } from "./assert-evm-version";
import { connectChain, type ChainConnection, type ChainTarget } from "./connect-chain";
import { DEPLOYMENT_PROXY, DEPLOYMENT_PROXY_CODE_HASH, DEPLOYMENT_PROXY_FUNDING } from "./deployment-proxy";
import { assertPresignedTransactionMinable, bootstrapDeploymentProxy, inspectDeploymentProxy } from "./deployment-proxy-on-chain";
import { CodeMismatchError, DeployerUnfundedError, DeploymentTransactionError } from "./errors";
import { readManifest, recordEntries, writeManifest, type Manifest, type ManifestEntry } from "./manifest";
import type { SingletonPlan } from "./plan-singletons";
import { resolveDeployer, type Deployer } from "./resolve-deployer";
import { rpcErrorMessage } from "./rpc-error-message";
import { runtimeCodeHash } from "./runtime-code-hash";
import { waitForReceipt } from "./wait-for-receipt";

export interface DeployToChainOptions {
  /** A JSON-RPC URL, or an EIP-1193 provider with a label. */
  target: ChainTarget;
  /** From planSingletons: what to deploy, in order. */
  plan: readonly SingletonPlan[];
  /** Directory for deployments/<chainId>.json; no manifest is written when omitted. */
  manifestDir?: string;
  /** Where ARBOR_DEPLOYER_KEY is read from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Progress lines, one per step. */
  log?: (line: string) => void;
  /** Per-request timeout for the first contact with the RPC. */
  timeoutMs?: number;
}

/** What one chain looks like after a deployment run. */
export interface ChainDeployment {
  chainId: bigint;
  label: string;
  proxy: { status: "present" | "deployed"; transactionHash: string | null };
  contracts: Array<{ name: string; address: string; status: "present" | "deployed"; transactionHash: string | null; codeHash: string }>;
  /** The paying account, when anything had to be sent. */
  deployer: string | null;
  /** Number of transactions sent (0 on a run that found everything in place). */
  transactionsSent: number;
  manifestPath: string | null;
}

/**
 * Puts every planned singleton at its predicted address on one chain, creating the deterministic
 * deployment proxy first if it is missing. Everything is inspected before anything is sent: the proxy
 * (present, missing, or foreign code), the chain's gas-price model, its EVM version, the code at each
 * predicted address (refused with CodeMismatchError unless it is the expected contract), and the
 * deployer's balance against the estimated cost. A run that finds everything in place sends nothing.
 *
 * @example
 * const result = await deployToChain({ target: "http://127.0.0.1:8545", plan, manifestDir: "deployments", log: console.log });
 * console.log(result.contracts.map((c) => `${c.name} ${c.address} ${c.status}`));
 */
export async function deployToChain(options: DeployToChainOptions): Promise<ChainDeployment> {
  const log = options.log ?? (() => {});
  const chain = await connectChain(options.target, { timeoutMs: options.timeoutMs });
  try {
    return await deployConnected(chain, options, log);
  } finally {
    chain.close();
  }
}

async function deployConnected(chain: ChainConnection, options: DeployToChainOptions, log: (line: string) => void): Promise<ChainDeployment> {
  const { chainId } = chain;
  const tag = `chain ${chainId}`;
  log(`${tag}: connected to ${chain.label}`);

  // 1. Inspect, read-only.
  const proxyStatus = await inspectDeploymentProxy(chain);
  log(`${tag}: deterministic deployment proxy ${proxyStatus === "present" ? "found" : "missing, will be created"} at ${DEPLOYMENT_PROXY.address}`);
  const missing: SingletonPlan[] = [];
  const found = new Map<string, string>();
  for (const item of options.plan) {
    const code = await chain.provider.getCode(item.address);
    if (code === "0x") {
      missing.push(item);
      continue;
    }
    const actual = runtimeCodeHash(code, item.immutableRanges);
    if (actual !== item.expectedCodeHash) throw new CodeMismatchError(chainId, item.name, item.address, item.expectedCodeHash, actual);
    found.set(item.name, keccak256(code));
    log(`${tag}: ${item.name} already at ${item.address}`);
  }

  const manifestDir = options.manifestDir;
  const previous = manifestDir ? readManifest(manifestDir, chainId) : undefined;
  let proxyTx: string | null = null;
  const entries: ManifestEntry[] = options.plan
    .filter((p) => found.has(p.name))
    .map((p) => ({ name: p.name, address: p.address, salt: p.salt, initCodeHash: p.initCodeHash, codeHash: found.get(p.name)!, transactionHash: null }));
  let manifestPath: string | null = null;
  const saveManifest = () => {
    if (!manifestDir) return;
    const manifest: Manifest = recordEntries(previous, chainId, { address: DEPLOYMENT_PROXY.address, codeHash: DEPLOYMENT_PROXY_CODE_HASH, transactionHash: proxyTx }, entries);
    manifestPath = writeManifest(manifestDir, manifest);
  };

  const result = (deployer: Deployer | null, sent: number): ChainDeployment => {
    const byName = new Map(entries.map((e) => [e.name, e]));
    return {
      chainId,
      label: chain.label,
      proxy: { status: proxyStatus === "present" ? "present" : "deployed", transactionHash: proxyTx },
      contracts: options.plan.map((p) => {
        const e = byName.get(p.name)!;
        return { name: p.name, address: p.address, status: found.has(p.name) ? "present" : "deployed", transactionHash: e.transactionHash, codeHash: e.codeHash };
      }),
      deployer: deployer?.address ?? null,
      transactionsSent: sent,
      manifestPath,
    };
  };

  if (missing.length === 0 && proxyStatus === "present") {
    saveManifest();
    log(`${tag}: nothing to deploy, all ${options.plan.length} singletons in place`);
    return result(null, 0);
  }

  if (proxyStatus === "missing") await assertPresignedTransactionMinable(chain);
  if (missing.length > 0) await assertCancun(chain);
  const deployer = await resolveDeployer(chain, options.env);
  log(`${tag}: deployer ${deployer.address} (${deployer.origin})`);
  await assertFunded(chain, deployer, proxyStatus === "missing", missing);

  // 2. Act.
  let sent = 0;
  if (proxyStatus === "missing") {
    const fundingNeeded = (await chain.provider.getBalance(DEPLOYMENT_PROXY.signer)) < DEPLOYMENT_PROXY_FUNDING;
    proxyTx = await bootstrapDeploymentProxy(chain, deployer, log);
    sent += fundingNeeded ? 2 : 1;
  }
  saveManifest();
  for (const item of missing) {
    log(`${tag}: deploying ${item.name} to ${item.address}`);
    const entry = await deploySingleton(chain, deployer, item);
    sent += 1;
    entries.push(entry);
    saveManifest();
    log(`${tag}: ${item.name} deployed at ${item.address} (tx ${entry.transactionHash})`);
  }
  return result(deployer, sent);
}

async function deploySingleton(chain: ChainConnection, deployer: Deployer, item: SingletonPlan): Promise<ManifestEntry> {
  const data = concat([item.salt, item.initCode]);
  let gas: bigint;
  try {
    gas = await chain.provider.estimateGas({ from: deployer.address, to: DEPLOYMENT_PROXY.address, data });
  } catch (e) {
    throw new DeploymentTransactionError(chain.chainId, item.name, undefined, `gas estimation failed: ${rpcErrorMessage(e)}`, { cause: e });
  }
  let hash: string | undefined;
  try {
    // 10% headroom: unused gas is refunded, and a near-exact limit can trip the 63/64 rule in CREATE2.
    const tx = await deployer.signer.sendTransaction({ to: DEPLOYMENT_PROXY.address, data, gasLimit: (gas * 11n) / 10n });
    hash = tx.hash;
    const receipt = await waitForReceipt(chain, tx.hash);
    if (receipt.status !== 1) throw new Error("transaction reverted");
  } catch (e) {
    if (e instanceof DeploymentTransactionError) throw e;
    throw new DeploymentTransactionError(chain.chainId, item.name, hash, rpcErrorMessage(e), { cause: e });
  }
  const code = await chain.provider.getCode(item.address);
  const actual = runtimeCodeHash(code, item.immutableRanges);
  if (actual !== item.expectedCodeHash) {
    throw new DeploymentTransactionError(chain.chainId, item.name, hash, `code at ${item.address} has hash ${actual}, expected ${item.expectedCodeHash}`);
  }
  return { name: item.name, address: item.address, salt: item.salt, initCodeHash: item.initCodeHash, codeHash: keccak256(code), transactionHash: hash };
}

/**
 * Estimates the whole run's cost at the chain's current fee and compares it with the deployer's
 * balance, so an unfunded deployer is told before the first transaction instead of halfway through.
 */
async function assertFunded(chain: ChainConnection, deployer: Deployer, proxyMissing: boolean, missing: SingletonPlan[]): Promise<void> {
  const fees = await chain.provider.getFeeData();
  const feePerGas = fees.maxFeePerGas ?? fees.gasPrice ?? 0n;
  let gas = 0n;
  let value = 0n;
  if (proxyMissing) {
    value += DEPLOYMENT_PROXY_FUNDING - (await chain.provider.getBalance(DEPLOYMENT_PROXY.signer));
    gas += 21_000n;
  }
  for (const item of missing) {
    try {
      if (!proxyMissing) {
        gas += await chain.provider.estimateGas({ from: deployer.address, to: DEPLOYMENT_PROXY.address, data: concat([item.salt, item.initCode]) });
      } else {
        // The proxy is not there yet to estimate through: estimate a plain CREATE of the same init
        // code and add what CREATE2 costs on top (hashing the init code, 6 gas a word) plus the proxy's own steps.
        const words = BigInt(Math.ceil((item.initCode.length - 2) / 64));
        gas += (await chain.provider.estimateGas({ from: deployer.address, data: item.initCode })) + 6n * words + 2_000n;
      }
    } catch (e) {
      throw new DeploymentTransactionError(chain.chainId, item.name, undefined, `gas estimation failed: ${rpcErrorMessage(e)}`, { cause: e });
    }
  }
  const required = value + gas * feePerGas;
  const balance = await chain.provider.getBalance(deployer.address);
  if (balance < required) {
    throw new DeployerUnfundedError(chain.chainId, deployer.address, balance, required, { balance: formatEther(balance), required: formatEther(required) });
  }
}
