import { Wallet, type Signer } from "ethers";
import type { ChainConnection } from "./connect-chain";
import { InvalidDeployerKeyError, NoDeployerError } from "./errors";

/** The environment variable holding the deployer's private key. */
export const DEPLOYER_KEY_VARIABLE = "ARBOR_DEPLOYER_KEY";

/** The account that pays for a deployment. Any account will do: it never influences an address. */
export interface Deployer {
  address: string;
  signer: Signer;
  /** Where it came from, for progress lines: "ARBOR_DEPLOYER_KEY" or "unlocked node account". */
  origin: string;
}

/**
 * The deployer for a chain: the key in ARBOR_DEPLOYER_KEY when set, otherwise the first unlocked
 * account the node reports with a non-zero balance (a local `hardhat node` or anvil has ten).
 *
 * @example
 * const { address, signer } = await resolveDeployer(chain, process.env);
 */
export async function resolveDeployer(chain: ChainConnection, env: NodeJS.ProcessEnv = process.env): Promise<Deployer> {
  const key = deployerKeyFromEnv(env);
  if (key !== undefined) {
    const wallet = new Wallet(key, chain.provider);
    return { address: wallet.address, signer: wallet, origin: DEPLOYER_KEY_VARIABLE };
  }

  let accounts: string[] = [];
  try {
    accounts = (await chain.provider.send("eth_accounts", [])) as string[];
  } catch {
    // Public RPCs do not offer eth_accounts; that simply means there is nothing to fall back on.
  }
  for (const account of accounts) {
    if ((await chain.provider.getBalance(account)) > 0n) {
      const signer = await chain.provider.getSigner(account);
      return { address: signer.address, signer, origin: "unlocked node account" };
    }
  }
  throw new NoDeployerError(chain.chainId, DEPLOYER_KEY_VARIABLE);
}

/**
 * The deployer key from ARBOR_DEPLOYER_KEY, normalized to 0x-prefixed hex; undefined when unset.
 * Throws InvalidDeployerKeyError (which never echoes the value) when it is not a usable secp256k1 key,
 * so a typo is reported before any chain is touched.
 *
 * @example
 * deployerKeyFromEnv({ ARBOR_DEPLOYER_KEY: "0x59c6…" }); // "0x59c6…"
 */
export function deployerKeyFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env[DEPLOYER_KEY_VARIABLE]?.trim();
  if (raw === undefined || raw === "") return undefined;
  const key = raw.startsWith("0x") ? raw : `0x${raw}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new InvalidDeployerKeyError(DEPLOYER_KEY_VARIABLE);
  try {
    // Zero or at least the curve order: well-formed hex, still not a key.
    void new Wallet(key);
  } catch {
    throw new InvalidDeployerKeyError(DEPLOYER_KEY_VARIABLE);
  }
  return key;
}
