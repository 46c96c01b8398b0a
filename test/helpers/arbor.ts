/**
 * Shared test fixture: the Arbor singletons on the in-process Hardhat network, deterministic
 * signer keys, and helpers to build and fund wallets with the library.
 */
import { CANONICAL_ENTRY_POINT_V08 } from "../../lib/userop/entry-point";
import { ethers, artifacts } from "hardhat";
import { Wallet as EthersWallet } from "ethers";
import { Configuration } from "../../lib/configuration/configuration";
import type { Leaf } from "../../lib/configuration/leaves";
import { walletAddress } from "../../lib/wallet/address";
import type { Hex } from "../../lib/hex";
import type { ArborFactory, ArborWallet } from "../../typechain-types";

export interface ArborDeployment {
  factory: ArborFactory;
  implementation: ArborWallet;
  factoryAddress: Hex;
  implementationAddress: Hex;
  sessionsAddress: Hex;
}

/** Deploys the sessions module (when its artifact exists), the factory and the wallet implementation. */
export async function deployArbor(): Promise<ArborDeployment> {
  let sessionsAddress = ethers.ZeroAddress as Hex;
  if (await artifacts.artifactExists("ArborSessions")) {
    const sessions = await ethers.deployContract("ArborSessions");
    sessionsAddress = (await sessions.getAddress()) as Hex;
  }
  const factory = (await ethers.deployContract("ArborFactory")) as unknown as ArborFactory;
  const factoryAddress = (await factory.getAddress()) as Hex;
  const implementation = (await ethers.deployContract("ArborWallet", [
    factoryAddress,
    sessionsAddress,
    CANONICAL_ENTRY_POINT_V08,
  ])) as unknown as ArborWallet;
  return {
    factory,
    implementation,
    factoryAddress,
    implementationAddress: (await implementation.getAddress()) as Hex,
    sessionsAddress,
  };
}

/** Deterministic keys: the same signers in every run, so failures reproduce. */
export function keys(count: number, seed = "arbor-test"): EthersWallet[] {
  return Array.from({ length: count }, (_, i) => new EthersWallet(ethers.id(`${seed}/${i}`)));
}

export function ecdsaLeaf(key: { address: string }, weight = 1n): Leaf {
  return { kind: "ecdsa-signer", signer: key.address as Hex, weight };
}

/** An n-of-m configuration of ECDSA signers with weight 1. */
export function multisig(signers: { address: string }[], threshold: bigint, checkpoint = 0n): Configuration {
  return Configuration.of({ threshold, checkpoint, leaves: signers.map((k) => ecdsaLeaf(k)) });
}

export function addressOf(d: ArborDeployment, configuration: Configuration): Hex {
  return walletAddress({
    factory: d.factoryAddress,
    implementation: d.implementationAddress,
    imageHash: configuration.imageHash,
  });
}

/** Deploys the wallet of `configuration` through the factory and returns it as a contract. */
export async function deployWallet(d: ArborDeployment, configuration: Configuration): Promise<ArborWallet> {
  await (await d.factory.deploy(d.implementationAddress, configuration.imageHash)).wait();
  return (await ethers.getContractAt("ArborWallet", addressOf(d, configuration))) as unknown as ArborWallet;
}

export async function fund(address: string, value: bigint): Promise<void> {
  const [funder] = await ethers.getSigners();
  await (await funder.sendTransaction({ to: address, value })).wait();
}

import { hashCalls } from "../../lib/payload/hash-calls";
import { hashConfigUpdate } from "../../lib/payload/hash-config-update";
import { hashMessage } from "../../lib/payload/hash-message";
import { toContractCalls } from "../../lib/payload/contract-calls";
import type { CallInput } from "../../lib/payload/types";
import { signPayload, type SignPayloadOptions } from "../../lib/signature/sign-payload";
import { ecdsaSigner } from "../../lib/signature/signers";
import type { PayloadSigner } from "../../lib/signature/signers";

export const CHAIN_ID = 31337n;

/** The calls as the contract's ABI takes them. */
export const contractCalls = toContractCalls;

export function signersOf(wallets: (EthersWallet | PayloadSigner)[]): PayloadSigner[] {
  return wallets.map((w) => (w instanceof EthersWallet ? ecdsaSigner(w.privateKey as Hex) : w));
}

/** Signs a batch for `wallet` on `chainId` with the given keys; returns the signature. */
export async function signCalls(
  configuration: Configuration,
  wallet: string,
  signers: (EthersWallet | PayloadSigner)[],
  calls: readonly CallInput[],
  nonce = 0n,
  space = 0n,
  chainId = CHAIN_ID,
  options: SignPayloadOptions = {},
): Promise<Hex> {
  const digest = hashCalls({ calls, space, nonce }, { wallet, chainId });
  return (await signPayload(configuration, digest, signersOf(signers), options)).signature;
}

/** Signs a configuration update of `current` to `next` (chain id 0 when `everyChain`). */
export async function signUpdate(
  current: Configuration,
  next: Configuration,
  wallet: string,
  signers: (EthersWallet | PayloadSigner)[],
  everyChain = false,
): Promise<Hex> {
  const digest = hashConfigUpdate(
    { root: next.root, threshold: next.threshold, checkpoint: next.checkpoint },
    { wallet, chainId: everyChain ? 0n : CHAIN_ID },
  );
  return (await signPayload(current, digest, signersOf(signers), { chainIdZero: everyChain })).signature;
}

export async function signMessage(
  configuration: Configuration,
  wallet: string,
  signers: (EthersWallet | PayloadSigner)[],
  message: Hex,
  options: SignPayloadOptions = {},
): Promise<Hex> {
  const digest = hashMessage(message, { wallet, chainId: CHAIN_ID });
  return (await signPayload(configuration, digest, signersOf(signers), options)).signature;
}
