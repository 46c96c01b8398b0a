/**
 * Gas, side by side in one run on the Hardhat network: Arbor and Safe 1.5 doing the same jobs.
 * Every operation runs on a wallet that has already sent one transaction (its nonce slot is
 * warm-written), transfers go to accounts that already hold ETH and tokens, so the figures
 * compare the wallets, not the one-off costs of touching a new account.
 */
import { CANONICAL_ENTRY_POINT_V08 } from "../lib/userop/entry-point";
import { encodeCallsPayload } from "../lib/payload/packed-calls";
import { ethers } from "hardhat";
import { Wallet as EthersWallet } from "ethers";
import { Configuration } from "../lib/configuration/configuration";
import type { Leaf } from "../lib/configuration/leaves";
import { hashCalls } from "../lib/payload/hash-calls";
import { hashConfigUpdate } from "../lib/payload/hash-config-update";
import type { CallInput } from "../lib/payload/types";
import { signPayload } from "../lib/signature/sign-payload";
import { ecdsaSigner } from "../lib/signature/signers";
import { walletAddress } from "../lib/wallet/address";
import type { Hex } from "../lib/hex";
import { createSafe, deploySafeSingletons, encodeMultiSend, execSafe } from "./safe";

export interface GasRow {
  operation: string;
  arbor: bigint;
  safe?: bigint;
}


export async function runGasBench(): Promise<GasRow[]> {
  const [funder] = await ethers.getSigners();
  const { chainId } = await ethers.provider.getNetwork();
  const keys = Array.from({ length: 4 }, (_, i) => new EthersWallet(ethers.id(`bench/${i}`)));
  const holders = Array.from({ length: 3 }, () => ethers.Wallet.createRandom().address);
  for (const h of holders) await (await funder.sendTransaction({ to: h, value: 1n })).wait();

  const token = await ethers.deployContract("TestERC20");
  const tokenAddress = (await token.getAddress()) as Hex;
  const transfer = (to: string, amount: bigint) => token.interface.encodeFunctionData("transfer", [to, amount]);

  // Arbor singletons.
  const factory = await ethers.deployContract("ArborFactory");
  const sessions = await ethers.deployContract("ArborSessions");
  const implementation = await ethers.deployContract("ArborWallet", [await factory.getAddress(), await sessions.getAddress(), CANONICAL_ENTRY_POINT_V08]);
  const factoryAddress = (await factory.getAddress()) as Hex;
  const implementationAddress = (await implementation.getAddress()) as Hex;

  // Safe singletons.
  const safeDeployment = await deploySafeSingletons();
  for (const h of holders) await (await token.mint(h, 1n)).wait();

  const rows: GasRow[] = [];
  const signer = (k: EthersWallet): Leaf => ({ kind: "ecdsa-signer", signer: k.address as Hex, weight: 1n });

  for (const [label, owners, threshold] of [
    ["1-of-1", keys.slice(0, 1), 1],
    ["2-of-3", keys.slice(0, 3), 2],
  ] as const) {
    const signing = owners.slice(0, threshold);
    let configuration = Configuration.of({ threshold: BigInt(threshold), checkpoint: 0n, leaves: owners.map(signer) });

    // Deploy.
    const deployReceipt = await (await factory.deploy(implementationAddress, configuration.imageHash)).wait();
    const address = walletAddress({ factory: factoryAddress, implementation: implementationAddress, imageHash: configuration.imageHash });
    const wallet = await ethers.getContractAt("ArborWallet", address);
    const { safe, gasUsed: safeDeployGas } = await createSafe(safeDeployment, owners.map((o) => o.address), threshold, BigInt(rows.length));
    const safeAddress = await safe.getAddress();
    rows.push({ operation: `deploy a ${label} wallet`, arbor: deployReceipt!.gasUsed, safe: safeDeployGas });

    for (const a of [address, safeAddress]) {
      await (await funder.sendTransaction({ to: a, value: ethers.parseEther("1") })).wait();
      await (await token.mint(a, 1000n)).wait();
    }

    let nonce = 0n;
    const arbor = async (calls: CallInput[]): Promise<bigint> => {
      const digest = hashCalls({ calls, space: 0n, nonce }, { wallet: address, chainId });
      const { signature } = await signPayload(configuration, digest, signing.map((k) => ecdsaSigner(k.privateKey as Hex)));
      const receipt = await (await wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce: BigInt(nonce) }), signature)).wait();
      nonce++;
      return receipt!.gasUsed;
    };
    const safeExec = (to: string, value: bigint, data: string, operation: 0 | 1 = 0) => execSafe(safe, [...signing], to, value, data, operation);

    // Warm-up: the first transaction of each wallet writes its nonce slot from zero.
    const firstArbor = await arbor([{ target: holders[0], value: 1n }]);
    const firstSafe = await safeExec(holders[0], 1n, "0x");
    rows.push({ operation: `${label}: first transaction (ETH transfer)`, arbor: firstArbor, safe: firstSafe });

    rows.push({
      operation: `${label}: ETH transfer`,
      arbor: await arbor([{ target: holders[1], value: 1000n }]),
      safe: await safeExec(holders[1], 1000n, "0x"),
    });
    rows.push({
      operation: `${label}: ERC-20 transfer`,
      arbor: await arbor([{ target: tokenAddress, data: transfer(holders[1], 5n) }]),
      safe: await safeExec(tokenAddress, 0n, transfer(holders[1], 5n)),
    });
    const three = holders.map((h, i) => ({ target: tokenAddress, data: transfer(h, BigInt(i + 1)) }));
    rows.push({
      operation: `${label}: batch of 3 ERC-20 transfers`,
      arbor: await arbor(three),
      safe: await safeExec(
        await safeDeployment.multiSendCallOnly.getAddress(),
        0n,
        encodeMultiSend(safeDeployment, three.map((c) => ({ to: c.target, value: 0n, data: c.data }))),
        1,
      ),
    });

    // Replace one signer: Arbor's image hash, Safe's swapOwner.
    const replaced = owners[owners.length - 1];
    const next = configuration.update({ replace: [{ from: signer(replaced), to: signer(keys[3]) }], checkpoint: configuration.checkpoint + 1n });
    const updateDigest = hashConfigUpdate({ root: next.root, threshold: next.threshold, checkpoint: next.checkpoint }, { wallet: address, chainId });
    const update = await signPayload(configuration, updateDigest, signing.map((k) => ecdsaSigner(k.privateKey as Hex)));
    const updateReceipt = await (await wallet.updateConfigurationWithSignature(next.root, next.threshold, next.checkpoint, update.signature)).wait();
    configuration = next;
    const ownersNow: string[] = await safe.getOwners();
    const index = ownersNow.indexOf(replaced.address);
    const prevOwner = index === 0 ? "0x0000000000000000000000000000000000000001" : ownersNow[index - 1];
    const swap = safe.interface.encodeFunctionData("swapOwner", [prevOwner, replaced.address, keys[3].address]);
    rows.push({ operation: `${label}: replace a signer`, arbor: updateReceipt!.gasUsed, safe: await safeExec(safeAddress, 0n, swap) });

    // A second update, now that the image-hash slot is written (Safe's rows already were).
    const back = configuration.update({ replace: [{ from: signer(keys[3]), to: signer(replaced) }], checkpoint: configuration.checkpoint + 1n });
    const backDigest = hashConfigUpdate({ root: back.root, threshold: back.threshold, checkpoint: back.checkpoint }, { wallet: address, chainId });
    const signingNow = signing.map((k) => (k.address === replaced.address ? keys[3] : k));
    const backSig = await signPayload(configuration, backDigest, signingNow.map((k) => ecdsaSigner(k.privateKey as Hex)));
    const backReceipt = await (await wallet.updateConfigurationWithSignature(back.root, back.threshold, back.checkpoint, backSig.signature)).wait();
    rows.push({ operation: `${label}: replace a signer again (slot already written)`, arbor: backReceipt!.gasUsed });
  }

  // Arbor only: the wallet deployed by its first batch in one transaction.
  const fresh = Configuration.of({ threshold: 2n, checkpoint: 7n, leaves: keys.slice(0, 3).map(signer) });
  const freshAddress = walletAddress({ factory: factoryAddress, implementation: implementationAddress, imageHash: fresh.imageHash });
  await (await funder.sendTransaction({ to: freshAddress, value: ethers.parseEther("1") })).wait();
  const calls: CallInput[] = [{ target: holders[0], value: 1n }];
  const digest = hashCalls({ calls, space: 0n, nonce: 0n }, { wallet: freshAddress, chainId });
  const { signature } = await signPayload(fresh, digest, keys.slice(0, 2).map((k) => ecdsaSigner(k.privateKey as Hex)));
  const wallet = await ethers.getContractAt("ArborWallet", freshAddress);
  const data = wallet.interface.encodeFunctionData("execute", [encodeCallsPayload({ calls, space: 0n, nonce: 0n }), signature]);
  const receipt = await (await factory.deployAndCall(implementationAddress, fresh.imageHash, data)).wait();
  rows.push({ operation: "2-of-3: deploy on first use + ETH transfer, one transaction", arbor: receipt!.gasUsed });

  return rows;
}

export function printGasTable(rows: GasRow[]): void {
  const width = Math.max(...rows.map((r) => r.operation.length));
  console.log(`${"operation".padEnd(width)}  ${"Arbor".padStart(8)}  ${"Safe 1.5".padStart(8)}  ${"Arbor/Safe".padStart(10)}`);
  for (const r of rows) {
    const ratio = r.safe ? `${((Number(r.arbor) / Number(r.safe)) * 100).toFixed(1)}%` : "";
    console.log(`${r.operation.padEnd(width)}  ${String(r.arbor).padStart(8)}  ${(r.safe === undefined ? "-" : String(r.safe)).padStart(8)}  ${ratio.padStart(10)}`);
  }
}
