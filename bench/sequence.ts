/**
 * Sequence v2 (`@0xsequence/wallet-contracts` 3.0.1's compiled artifacts) on the Hardhat network:
 * its Factory, MainModule and MainModuleUpgradable, wallets created with `Factory.deploy(mainModule,
 * imageHash)`, and signatures in its "legacy" (type 0x00) encoding, as its contracts read them:
 *
 *   signature = threshold (uint16, high byte = type 0x00) ‖ checkpoint (uint32) ‖ tree parts
 *   parts: 0x00 weight (uint8) r s v 0x01   signed leaf (ECDSA over the subdigest, EIP-712 type)
 *          0x01 weight (uint8) address      unsigned address leaf
 *          0x03 node (bytes32)              unsigned subtree, by its hash
 *          0x04 size (uint24) parts         subtree that holds a signer
 *   leaf = bytes32(weight << 160 | address); node = keccak256(left ‖ right)
 *   imageHash = keccak256(keccak256(root ‖ uint256 threshold) ‖ uint256 checkpoint)
 *   subdigest = keccak256("\x19\x01" ‖ uint256 chainId ‖ wallet ‖ keccak256(abi.encode(nonce, txs)))
 *
 * Leaves sit in a balanced binary tree in the order given, as Sequence's SDK builds it.
 */
import { ethers } from "hardhat";
import { AbiCoder, concat, getCreate2Address, keccak256, solidityPacked, toBeHex, zeroPadValue, type BaseWallet, type Contract } from "ethers";

const ROOT = "@0xsequence/wallet-contracts/artifacts/contracts";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const artifact = (path: string) => require(`${ROOT}/${path}`) as { abi: unknown[]; bytecode: string };

/** `Wallet.creationCode` from contracts/Wallet.sol: the proxy's init code, followed by the module address word. */
const WALLET_CREATION_CODE = "0x603a600e3d39601a805130553df3363d3d373d3d3d363d30545af43d82803e903d91601857fd5bf3";

export interface SequenceDeployment {
  factory: Contract;
  mainModule: Contract;
  mainModuleAddress: string;
}

export interface SequenceLeaf {
  address: string;
  weight: number;
}

export interface SequenceConfig {
  threshold: number;
  checkpoint: number;
  leaves: SequenceLeaf[];
}

async function deployArtifact(path: string, args: unknown[] = []): Promise<Contract> {
  const [deployer] = await ethers.getSigners();
  const { abi, bytecode } = artifact(path);
  const contract = await new ethers.ContractFactory(abi as never, bytecode, deployer).deploy(...args);
  await contract.waitForDeployment();
  return contract as unknown as Contract;
}

export async function deploySequence(): Promise<SequenceDeployment> {
  const factory = await deployArtifact("Factory.sol/Factory.json");
  const upgradable = await deployArtifact("modules/MainModuleUpgradable.sol/MainModuleUpgradable.json");
  const mainModule = await deployArtifact("modules/MainModule.sol/MainModule.json", [await factory.getAddress(), await upgradable.getAddress()]);
  return { factory, mainModule, mainModuleAddress: await mainModule.getAddress() };
}

const leafNode = (l: SequenceLeaf) => zeroPadValue(toBeHex((BigInt(l.weight) << 160n) | BigInt(l.address)), 32);
const hashPair = (a: string, b: string) => keccak256(concat([a, b]));

function subtreeHash(leaves: SequenceLeaf[]): string {
  if (leaves.length === 1) return leafNode(leaves[0]);
  const mid = Math.ceil(leaves.length / 2);
  return hashPair(subtreeHash(leaves.slice(0, mid)), subtreeHash(leaves.slice(mid)));
}

export function sequenceImageHash(config: SequenceConfig): string {
  const root = subtreeHash(config.leaves);
  const withThreshold = keccak256(concat([root, zeroPadValue(toBeHex(config.threshold), 32)]));
  return keccak256(concat([withThreshold, zeroPadValue(toBeHex(config.checkpoint), 32)]));
}

export function sequenceWalletAddress(d: SequenceDeployment, factoryAddress: string, config: SequenceConfig): string {
  const initCodeHash = keccak256(concat([WALLET_CREATION_CODE, zeroPadValue(d.mainModuleAddress, 32)]));
  return getCreate2Address(factoryAddress, sequenceImageHash(config), initCodeHash);
}

/** The tree parts of `leaves`, with `signatures` (by leaf index) for the leaves that sign. */
function encodeParts(leaves: SequenceLeaf[], offset: number, signatures: Map<number, string>): string {
  if (leaves.length === 1) return encodeLeaf(leaves[0], offset, signatures);
  const mid = Math.ceil(leaves.length / 2);
  return concat([encodeParts(leaves.slice(0, mid), offset, signatures), encodePart(leaves.slice(mid), offset + mid, signatures)]);
}

function encodeLeaf(leaf: SequenceLeaf, index: number, signatures: Map<number, string>): string {
  const sig = signatures.get(index);
  if (sig) return solidityPacked(["uint8", "uint8", "bytes", "uint8"], [0, leaf.weight, sig, 1]);
  return solidityPacked(["uint8", "uint8", "address"], [1, leaf.weight, leaf.address]);
}

function encodePart(leaves: SequenceLeaf[], offset: number, signatures: Map<number, string>): string {
  if (leaves.length === 1) return encodeLeaf(leaves[0], offset, signatures);
  const signs = leaves.some((_, i) => signatures.has(offset + i));
  if (!signs) return solidityPacked(["uint8", "bytes32"], [3, subtreeHash(leaves)]);
  const inner = encodeParts(leaves, offset, signatures);
  return solidityPacked(["uint8", "uint24", "bytes"], [4, ethers.dataLength(inner), inner]);
}

export interface SequenceCall {
  to: string;
  value: bigint;
  data: string;
}

/** Signs and sends `execute(txs, nonce, signature)` from `relayer`; returns gas used and the tx calldata length. */
export async function execSequence(
  wallet: Contract,
  config: SequenceConfig,
  signers: BaseWallet[],
  nonce: bigint,
  calls: SequenceCall[],
): Promise<{ gas: bigint; calldataBytes: number }> {
  const txs = calls.map((c) => [false, true, 0n, c.to, c.value, c.data]);
  const digest = keccak256(AbiCoder.defaultAbiCoder().encode(["uint256", "tuple(bool,bool,uint256,address,uint256,bytes)[]"], [nonce, txs]));
  const { chainId } = await ethers.provider.getNetwork();
  const subdigest = keccak256(solidityPacked(["string", "uint256", "address", "bytes32"], ["\x19\x01", chainId, await wallet.getAddress(), digest]));
  const signatures = new Map<number, string>();
  for (const s of signers) {
    const index = config.leaves.findIndex((l) => l.address === s.address);
    if (index < 0) throw new Error(`${s.address} is not in the Sequence configuration`);
    signatures.set(index, s.signingKey.sign(subdigest).serialized);
  }
  const signature = concat([solidityPacked(["uint16", "uint32"], [config.threshold, config.checkpoint]), encodeParts(config.leaves, 0, signatures)]);
  const tx = await wallet.getFunction("execute")(txs, nonce, signature);
  const receipt = await tx.wait();
  const failed = receipt!.logs.some((l: { topics: string[] }) => l.topics[0] === wallet.interface.getEvent("TxFailed")!.topicHash);
  if (failed) throw new Error("a Sequence transaction failed inside execute");
  return { gas: receipt!.gasUsed, calldataBytes: ethers.dataLength(tx.data) };
}

/** Deploys the wallet for `config`; returns the wallet, gas used and calldata length. */
export async function createSequenceWallet(d: SequenceDeployment, config: SequenceConfig): Promise<{ wallet: Contract; gas: bigint; calldataBytes: number }> {
  const factoryAddress = await d.factory.getAddress();
  const tx = await d.factory.getFunction("deploy")(d.mainModuleAddress, sequenceImageHash(config));
  const receipt = await tx.wait();
  const address = sequenceWalletAddress(d, factoryAddress, config);
  if ((await ethers.provider.getCode(address)) === "0x") throw new Error(`no Sequence wallet at ${address}`);
  const wallet = new ethers.Contract(address, artifact("modules/MainModule.sol/MainModule.json").abi as never, (await ethers.getSigners())[0]);
  return { wallet: wallet as unknown as Contract, gas: receipt!.gasUsed, calldataBytes: ethers.dataLength(tx.data) };
}
