/**
 * Safe 1.5 (from its npm artifacts) on the Hardhat network, driven the way its own SDK does:
 * proxies from SafeProxyFactory with the CompatibilityFallbackHandler, owner signatures sorted by
 * address over the Safe transaction hash, batches through MultiSendCallOnly.
 */
import { ethers } from "hardhat";
import type { BaseWallet, Contract, ContractTransactionResponse } from "ethers";

const ARTIFACTS = "@safe-global/safe-smart-account/build/artifacts/contracts";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const artifact = (path: string) => require(`${ARTIFACTS}/${path}`) as { abi: unknown[]; bytecode: string };

export interface SafeDeployment {
  singleton: Contract;
  factory: Contract;
  fallbackHandler: Contract;
  multiSendCallOnly: Contract;
}

async function deployArtifact(path: string): Promise<Contract> {
  const [deployer] = await ethers.getSigners();
  const { abi, bytecode } = artifact(path);
  const contract = await new ethers.ContractFactory(abi as never, bytecode, deployer).deploy();
  await contract.waitForDeployment();
  return contract as unknown as Contract;
}

export async function deploySafeSingletons(): Promise<SafeDeployment> {
  return {
    singleton: await deployArtifact("Safe.sol/Safe.json"),
    factory: await deployArtifact("proxies/SafeProxyFactory.sol/SafeProxyFactory.json"),
    fallbackHandler: await deployArtifact("handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json"),
    multiSendCallOnly: await deployArtifact("libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json"),
  };
}

/** Creates a Safe proxy; returns it and the gas the creation used. */
export async function createSafe(
  d: SafeDeployment,
  owners: string[],
  threshold: number,
  saltNonce: bigint,
): Promise<{ safe: Contract; gasUsed: bigint; calldataBytes: number }> {
  const setup = d.singleton.interface.encodeFunctionData("setup", [
    owners,
    threshold,
    ethers.ZeroAddress,
    "0x",
    await d.fallbackHandler.getAddress(),
    ethers.ZeroAddress,
    0,
    ethers.ZeroAddress,
  ]);
  const singleton = await d.singleton.getAddress();
  const address = await d.factory.createProxyWithNonce.staticCall(singleton, setup, saltNonce);
  const tx: ContractTransactionResponse = await d.factory.createProxyWithNonce(singleton, setup, saltNonce);
  const receipt = await tx.wait();
  const safe = new ethers.Contract(address, artifact("Safe.sol/Safe.json").abi as never, (await ethers.getSigners())[0]);
  return { safe: safe as unknown as Contract, gasUsed: receipt!.gasUsed, calldataBytes: ethers.dataLength(tx.data) };
}

/** Signs and executes one Safe transaction with `signers`; returns the gas used. */
export async function execSafe(
  safe: Contract,
  signers: BaseWallet[],
  to: string,
  value: bigint,
  data: string,
  operation: 0 | 1 = 0,
): Promise<bigint> {
  return (await execSafeTransaction(safe, signers, to, value, data, operation)).gas;
}

/** Signs and executes one Safe transaction with `signers`; returns the gas used and the transaction's calldata length. */
export async function execSafeTransaction(
  safe: Contract,
  signers: BaseWallet[],
  to: string,
  value: bigint,
  data: string,
  operation: 0 | 1 = 0,
): Promise<{ gas: bigint; calldataBytes: number }> {
  const nonce: bigint = await safe.nonce();
  const txHash: string = await safe.getTransactionHash(
    to, value, data, operation, 0, 0, 0, ethers.ZeroAddress, ethers.ZeroAddress, nonce,
  );
  const sorted = [...signers].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  const signatures = ethers.concat(sorted.map((s) => s.signingKey.sign(txHash).serialized));
  const tx: ContractTransactionResponse = await safe.execTransaction(
    to, value, data, operation, 0, 0, 0, ethers.ZeroAddress, ethers.ZeroAddress, signatures,
  );
  const receipt = await tx.wait();
  // Safe reports a failed inner call through an event, not a revert: make sure it did not happen.
  const failed = receipt!.logs.some((l) => l.topics[0] === safe.interface.getEvent("ExecutionFailure")!.topicHash);
  if (failed) throw new Error(`Safe transaction to ${to} failed inside execTransaction`);
  return { gas: receipt!.gasUsed, calldataBytes: ethers.dataLength(tx.data) };
}

/** MultiSendCallOnly payload for plain calls. */
export function encodeMultiSend(d: SafeDeployment, calls: { to: string; value: bigint; data: string }[]): string {
  const packed = ethers.concat(
    calls.map((c) =>
      ethers.solidityPacked(
        ["uint8", "address", "uint256", "uint256", "bytes"],
        [0, c.to, c.value, ethers.dataLength(c.data), c.data],
      ),
    ),
  );
  return d.multiSendCallOnly.interface.encodeFunctionData("multiSend", [packed]);
}
