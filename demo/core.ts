/**
 * The core walk-through on the in-process Hardhat network: a 2-of-3 wallet computed off-chain,
 * funded before it exists, deployed by its first signed batch, reconfigured, used again.
 */
import { CANONICAL_ENTRY_POINT_V08 } from "../lib/userop/entry-point";
import { encodeCallsPayload } from "../lib/payload/packed-calls";
import { ethers } from "hardhat";
import { Wallet as EthersWallet } from "ethers";
import { Configuration } from "../lib/configuration/configuration";
import { walletAddress } from "../lib/wallet/address";
import { hashCalls } from "../lib/payload/hash-calls";
import { hashConfigUpdate } from "../lib/payload/hash-config-update";
import type { CallInput } from "../lib/payload/types";
import { signPayload } from "../lib/signature/sign-payload";
import { ecdsaSigner } from "../lib/signature/signers";
import type { Hex } from "../lib/hex";

type Log = (line: string) => void;

const short = (hex: string) => `${hex.slice(0, 10)}…${hex.slice(-6)}`;
const eth = (wei: bigint) => `${ethers.formatEther(wei)} ETH`;

export async function runCoreDemo(log: Log): Promise<void> {
  const [relayer] = await ethers.getSigners();
  const { chainId } = await ethers.provider.getNetwork();
  log(`chain ${chainId} (in-process Hardhat network), relayer ${short(relayer.address)}`);

  // 1. Singletons.
  const factory = await ethers.deployContract("ArborFactory");
  const sessions = await ethers.deployContract("ArborSessions");
  const implementation = await ethers.deployContract("ArborWallet", [await factory.getAddress(), await sessions.getAddress(), CANONICAL_ENTRY_POINT_V08]);
  const factoryAddress = (await factory.getAddress()) as Hex;
  const implementationAddress = (await implementation.getAddress()) as Hex;
  log(`1. deployed factory ${short(factoryAddress)}, sessions module ${short(await sessions.getAddress())}, wallet implementation ${short(implementationAddress)}`);

  // 2. A 2-of-3 configuration, and the wallet's address, computed off-chain.
  const [alice, bob, carol, dave] = ["alice", "bob", "carol", "dave"].map((n) => new EthersWallet(ethers.id(`arbor-demo/${n}`)));
  const signer = (k: EthersWallet, weight = 1n) => ({ kind: "ecdsa-signer" as const, signer: k.address as Hex, weight });
  const first = Configuration.of({ threshold: 2n, checkpoint: 0n, leaves: [signer(alice), signer(bob), signer(carol)] });
  const address = walletAddress({ factory: factoryAddress, implementation: implementationAddress, imageHash: first.imageHash });
  log(`2. configuration: 2 of {alice, bob, carol}, checkpoint 0`);
  log(`   root ${short(first.root)}  image hash ${short(first.imageHash)}`);
  log(`   wallet address (computed off-chain): ${address}`);
  log(`   code at that address: ${(await ethers.provider.getCode(address)) === "0x" ? "none yet" : "present"}`);

  // 3. Fund it before it exists.
  await (await relayer.sendTransaction({ to: address, value: ethers.parseEther("1") })).wait();
  log(`3. funded the counterfactual wallet: balance ${eth(await ethers.provider.getBalance(address))}`);

  // 4. Alice and Carol sign a batch; the relayer deploys the wallet and runs it in one transaction.
  const shop = ethers.Wallet.createRandom().address as Hex;
  const friend = ethers.Wallet.createRandom().address as Hex;
  const batch: CallInput[] = [
    { target: shop, value: ethers.parseEther("0.1") },
    { target: friend, value: ethers.parseEther("0.2") },
  ];
  const digest = hashCalls({ calls: batch, space: 0n, nonce: 0n }, { wallet: address, chainId });
  const signed = await signPayload(first, digest, [ecdsaSigner(alice.privateKey as Hex), ecdsaSigner(carol.privateKey as Hex)]);
  log(`4. alice + carol signed a 2-call batch (nonce 0): signature ${ethers.dataLength(signed.signature)} bytes, weight ${signed.weight}/${first.threshold}`);
  const wallet = await ethers.getContractAt("ArborWallet", address);
  const execute = wallet.interface.encodeFunctionData("execute", [encodeCallsPayload({ calls: batch, space: 0n, nonce: 0n }), signed.signature]);
  const deployTx = await factory.deployAndCall(implementationAddress, first.imageHash, execute);
  const deployReceipt = await deployTx.wait();
  log(`   factory.deployAndCall: wallet deployed on first use and batch run, gas ${deployReceipt!.gasUsed}`);
  log(`   shop got ${eth(await ethers.provider.getBalance(shop))}, friend got ${eth(await ethers.provider.getBalance(friend))}, wallet has ${eth(await ethers.provider.getBalance(address))}`);

  // 5. Replace carol by dave, signed once with chain id 0 so the same update applies on every chain.
  const second = first.update({ replace: [{ from: signer(carol), to: signer(dave) }], checkpoint: 1n });
  const updateDigest = hashConfigUpdate({ root: second.root, threshold: second.threshold, checkpoint: second.checkpoint }, { wallet: address, chainId: 0n });
  const update = await signPayload(first, updateDigest, [ecdsaSigner(alice.privateKey as Hex), ecdsaSigner(bob.privateKey as Hex)], { chainIdZero: true });
  const updateReceipt = await (await wallet.updateConfigurationWithSignature(second.root, second.threshold, second.checkpoint, update.signature)).wait();
  log(`5. alice + bob replaced carol by dave (checkpoint 1, signed for every chain): gas ${updateReceipt!.gasUsed}`);
  log(`   new image hash ${short(second.imageHash)}; the address stays ${short(address)}`);

  // 6. The old configuration is gone: carol can no longer sign.
  const next: CallInput[] = [{ target: shop, value: ethers.parseEther("0.05") }];
  const nextDigest = hashCalls({ calls: next, space: 0n, nonce: 1n }, { wallet: address, chainId });
  const stale = await signPayload(first, nextDigest, [ecdsaSigner(alice.privateKey as Hex), ecdsaSigner(carol.privateKey as Hex)]);
  try {
    await wallet.execute.staticCall(encodeCallsPayload({ calls: next, space: 0n, nonce: 1n }), stale.signature);
    throw new Error("the wallet accepted a signature of its old configuration");
  } catch (error) {
    const data = (error as { data?: string }).data;
    const parsed = data ? wallet.interface.parseError(data) : null;
    if (parsed?.name !== "ImageHashMismatch") throw error;
    log(`6. alice + carol (old configuration) refused: ${parsed.name}(${short(parsed.args[0])})`);
  }

  // 7. Alice and dave sign the next batch.
  const fresh = await signPayload(second, nextDigest, [ecdsaSigner(alice.privateKey as Hex), ecdsaSigner(dave.privateKey as Hex)]);
  const sendReceipt = await (await wallet.execute(encodeCallsPayload({ calls: next, space: 0n, nonce: 1n }), fresh.signature)).wait();
  log(`7. alice + dave sent 0.05 ETH more (nonce 1): gas ${sendReceipt!.gasUsed}; shop now has ${eth(await ethers.provider.getBalance(shop))}`);
}
