import { Contract, Interface, getCreate2Address, keccak256, type ContractRunner } from "ethers";
import type { ChainConnection } from "../deploy/connect-chain";
import { DEPLOYMENT_PROXY } from "../deploy/deployment-proxy";
import { bootstrapDeploymentProxy, inspectDeploymentProxy } from "../deploy/deployment-proxy-on-chain";
import type { Deployer } from "../deploy/resolve-deployer";
import { waitForReceipt } from "../deploy/wait-for-receipt";
import type { Hex } from "../hex";
import { EntryPointDeploymentError } from "./errors";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const artifact = require("@account-abstraction/contracts/artifacts/EntryPoint.json") as { abi: unknown[]; bytecode: Hex };

/**
 * EntryPoint v0.8 as deployed on public chains: the creation code of the
 * `@account-abstraction/contracts` 0.8.0 npm artifact, CREATE2'd by the deterministic deployment
 * proxy with the salt eth-infinitism published. `address` is not typed in by hand: it is
 * recomputed from those three, and a test checks that it is the canonical
 * 0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108, so a change of package version that moved the
 * bytecode fails loudly instead of deploying an EntryPoint nobody else uses.
 */
export const ENTRY_POINT_V08 = {
  salt: "0x0a59dbff790c23c976a548690c27297883cc66b4c67024f9117b0238995e35e9" as Hex,
  creationCode: artifact.bytecode,
  abi: artifact.abi,
  address: getCreate2Address(
    DEPLOYMENT_PROXY.address,
    "0x0a59dbff790c23c976a548690c27297883cc66b4c67024f9117b0238995e35e9",
    keccak256(artifact.bytecode),
  ) as Hex,
} as const;

/** The canonical address every ERC-4337 tool expects for EntryPoint v0.8. */
export const CANONICAL_ENTRY_POINT_V08 = "0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108" as Hex;

/** EntryPoint v0.8's ABI, for `new Contract(ENTRY_POINT_V08.address, entryPointInterface, runner)`. */
export const entryPointInterface = new Interface(artifact.abi as never);

/** The EntryPoint v0.8 at its canonical address, bound to `runner`. */
export function entryPointAt(runner: ContractRunner): Contract {
  return new Contract(ENTRY_POINT_V08.address, entryPointInterface, runner);
}

/**
 * Puts EntryPoint v0.8 at its canonical address the way public chains got it: bootstraps the
 * deterministic deployment proxy if the chain lacks it, then sends `salt ‖ creationCode` to the
 * proxy. Does nothing when the EntryPoint is already there (CREATE2 binds the address to that
 * creation code, so code at the address is that EntryPoint). Returns its address.
 * Throws EntryPointDeploymentError if the deployment transaction does not leave code there.
 *
 * @example
 * const chain = await connectChain({ label: "hardhat", provider: network.provider });
 * await deployEntryPoint(chain, { address, signer, origin: "test" });
 */
export async function deployEntryPoint(chain: ChainConnection, deployer: Deployer, log: (line: string) => void = () => {}): Promise<Hex> {
  if (ENTRY_POINT_V08.address !== CANONICAL_ENTRY_POINT_V08) {
    // Unreachable with @account-abstraction/contracts 0.8.0 (a test pins it); kept so a package bump cannot go unnoticed.
    throw new EntryPointDeploymentError(chain.chainId, `the npm creation code gives ${ENTRY_POINT_V08.address}, not the canonical ${CANONICAL_ENTRY_POINT_V08}`);
  }
  if ((await chain.provider.getCode(ENTRY_POINT_V08.address)) !== "0x") return ENTRY_POINT_V08.address;
  if ((await inspectDeploymentProxy(chain)) === "missing") await bootstrapDeploymentProxy(chain, deployer, log);
  const tx = await deployer.signer.sendTransaction({
    to: DEPLOYMENT_PROXY.address,
    data: `${ENTRY_POINT_V08.salt}${ENTRY_POINT_V08.creationCode.slice(2)}`,
    gasLimit: 6_000_000n,
  });
  const receipt = await waitForReceipt(chain, tx.hash);
  if (receipt.status !== 1 || (await chain.provider.getCode(ENTRY_POINT_V08.address)) === "0x") {
    throw new EntryPointDeploymentError(chain.chainId, `deployment transaction ${tx.hash} left no code at ${ENTRY_POINT_V08.address}`);
  }
  log(`chain ${chain.chainId}: EntryPoint v0.8 deployed at ${ENTRY_POINT_V08.address} (tx ${tx.hash})`);
  return ENTRY_POINT_V08.address;
}
