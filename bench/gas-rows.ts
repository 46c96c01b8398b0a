/**
 * `gasRows` of bench/results.json: Arbor and its peers doing the same jobs in one Hardhat run,
 * with fixed keys, salts and recipients so a rerun gives the same gas to the unit.
 *
 * Every account is deployed (a `deploy` row), funded with ETH and tokens, sends one warm-up ETH
 * transfer (its nonce slot is then non-zero, as for any wallet in use), and then transfers to
 * `holder` (a fixed address that already holds ETH and the token) and to a `fresh` address
 * (fixed per row, never touched before). `gas` is the whole transaction's gas used; for UserOps,
 * the `handleOps` transaction's. `calldataBytes` is that transaction's calldata length.
 */
import { ethers, network } from "hardhat";
import { Wallet as EthersWallet, type BaseWallet, type Contract } from "ethers";
import { Configuration } from "../lib/configuration/configuration";
import type { Leaf } from "../lib/configuration/leaves";
import { connectChain } from "../lib/deploy/connect-chain";
import type { Hex } from "../lib/hex";
import { encodeCallsPayload } from "../lib/payload/packed-calls";
import { hashCalls } from "../lib/payload/hash-calls";
import { signPayload } from "../lib/signature/sign-payload";
import { ecdsaSigner } from "../lib/signature/signers";
import { Bundler } from "../lib/userop/bundler";
import { arborInitCode } from "../lib/userop/arbor-init-code";
import { arborUserOpCallData, arborUserOpSigner } from "../lib/userop/arbor-user-operation";
import { CANONICAL_ENTRY_POINT_V08, ENTRY_POINT_V08, deployEntryPoint } from "../lib/userop/entry-point";
import { walletAddress } from "../lib/wallet/address";
import { realisticLeaves } from "./realistic-configuration";
import { createSafe, deploySafeSingletons, execSafeTransaction } from "./safe";
import { createSequenceWallet, deploySequence, execSequence, type SequenceConfig } from "./sequence";

export type GasRowAccount = "arbor" | "safe-1.5" | "simple-account-0.8" | "simple-account-0.8-userop" | "sequence-v2" | "arbor-userop";

export interface GasRowRecord {
  operation: "deploy" | "erc20-transfer" | "eth-transfer";
  account: GasRowAccount;
  leaves: number;
  signers: number;
  /** For `deploy`: "fresh", the account created is new. */
  recipient: "holder" | "fresh";
  gas: number;
  calldataBytes: number;
}

interface Call {
  to: string;
  value: bigint;
  data: string;
}
type Measured = { gas: bigint; calldataBytes: number };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aa = (name: string) => require(`@account-abstraction/contracts/artifacts/${name}.json`) as { abi: never; bytecode: string };

/** A fixed address without zero bytes, so every recipient costs the same calldata gas. */
function fixedAddress(label: string): string {
  const bytes = ethers.getBytes(ethers.id(`bench/rows/${label}`)).slice(0, 20).map((b) => (b === 0 ? 0x11 : b));
  return ethers.getAddress(ethers.hexlify(bytes));
}

export async function runGasRows(): Promise<GasRowRecord[]> {
  const [funder] = await ethers.getSigners();
  const { chainId } = await ethers.provider.getNetwork();
  const devices = Array.from({ length: 6 }, (_, i) => new EthersWallet(ethers.id(`bench/rows/device/${i}`)));
  const [a, b, c] = devices;
  const holder = fixedAddress("holder");
  const rows: GasRowRecord[] = [];

  const token = await ethers.deployContract("TestERC20");
  const tokenAddress = await token.getAddress();
  await (await token.mint(holder, 1n)).wait();
  await (await funder.sendTransaction({ to: holder, value: 1n })).wait();
  const erc20 = (to: string): Call => ({ to: tokenAddress, value: 0n, data: token.interface.encodeFunctionData("transfer", [to, 5n]) });
  const eth = (to: string): Call => ({ to, value: 1000n, data: "0x" });

  /** Deploy row, funding, warm-up, then the four transfers. */
  const measure = async (
    account: GasRowAccount,
    leaves: number,
    signers: number,
    deploy: () => Promise<{ address: string } & Partial<Measured>>,
    send: (call: Call) => Promise<Measured>,
  ) => {
    const deployed = await deploy();
    if (deployed.gas !== undefined) {
      rows.push({ operation: "deploy", account, leaves, signers, recipient: "fresh", gas: Number(deployed.gas), calldataBytes: deployed.calldataBytes! });
    }
    await (await funder.sendTransaction({ to: deployed.address, value: ethers.parseEther("1") })).wait();
    await (await token.mint(deployed.address, 1000n)).wait();
    await send({ to: holder, value: 1n, data: "0x" });
    const label = `${account}/${leaves}/${signers}`;
    for (const [operation, call, recipient] of [
      ["erc20-transfer", erc20(holder), "holder"],
      ["erc20-transfer", erc20(fixedAddress(`fresh/erc20/${label}`)), "fresh"],
      ["eth-transfer", eth(holder), "holder"],
      ["eth-transfer", eth(fixedAddress(`fresh/eth/${label}`)), "fresh"],
    ] as const) {
      const m = await send(call);
      rows.push({ operation, account, leaves, signers, recipient, gas: Number(m.gas), calldataBytes: m.calldataBytes });
    }
  };

  // The configurations every multi-owner peer is measured at.
  const shapes = [
    { leaves: 1, threshold: 1, arbor: () => [ecdsaLeaf(a)], owners: [a], signing: [a] },
    { leaves: 3, threshold: 2, arbor: () => [a, b, c].map(ecdsaLeaf), owners: [a, b, c], signing: [a, b] },
    { leaves: 16, threshold: 1, arbor: () => realisticLeaves(devices), owners: devices, signing: [a] },
    { leaves: 16, threshold: 2, arbor: () => realisticLeaves(devices, 2), owners: devices, signing: [a, b] },
  ];

  // Arbor (the current wallet: EIP-1167 clone of ArborWallet, relayed `execute`).
  const factory = await ethers.deployContract("ArborFactory");
  const sessions = await ethers.deployContract("ArborSessions");
  const implementation = await ethers.deployContract("ArborWallet", [await factory.getAddress(), await sessions.getAddress(), CANONICAL_ENTRY_POINT_V08]);
  const factoryAddress = (await factory.getAddress()) as Hex;
  const implementationAddress = (await implementation.getAddress()) as Hex;
  for (const shape of shapes) {
    const configuration = Configuration.of({ threshold: BigInt(shape.threshold), checkpoint: 0n, leaves: shape.arbor() });
    const address = walletAddress({ factory: factoryAddress, implementation: implementationAddress, imageHash: configuration.imageHash });
    const wallet = await ethers.getContractAt("ArborWallet", address);
    let nonce = 0n;
    await measure(
      "arbor",
      shape.leaves,
      shape.signing.length,
      async () => {
        const tx = await factory.deploy(implementationAddress, configuration.imageHash);
        return { address, gas: (await tx.wait())!.gasUsed, calldataBytes: ethers.dataLength(tx.data) };
      },
      async (call) => {
        const calls = [{ target: call.to as Hex, value: call.value, data: call.data as Hex }];
        const digest = hashCalls({ calls, space: 0n, nonce }, { wallet: address, chainId });
        const { signature } = await signPayload(configuration, digest, shape.signing.map((k) => ecdsaSigner(k.privateKey as Hex)));
        const tx = await wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce }), signature);
        nonce++;
        return { gas: (await tx.wait())!.gasUsed, calldataBytes: ethers.dataLength(tx.data) };
      },
    );
  }

  // Safe 1.5: proxies from SafeProxyFactory, owners' signatures over the Safe transaction hash.
  const safeDeployment = await deploySafeSingletons();
  for (const [i, shape] of shapes.entries()) {
    let safe: Contract;
    await measure(
      "safe-1.5",
      shape.leaves,
      shape.signing.length,
      async () => {
        const created = await createSafe(safeDeployment, shape.owners.map((o) => o.address), shape.threshold, BigInt(1000 + i));
        safe = created.safe;
        return { address: await safe.getAddress(), gas: created.gasUsed, calldataBytes: created.calldataBytes };
      },
      (call) => execSafeTransaction(safe, [...shape.signing] as BaseWallet[], call.to, call.value, call.data),
    );
  }

  // Sequence v2: MainModule wallets from its Factory; leaves in a balanced tree, signers first.
  const sequence = await deploySequence();
  for (const shape of shapes) {
    const config: SequenceConfig = { threshold: shape.threshold, checkpoint: 0, leaves: shape.owners.map((o) => ({ address: o.address, weight: 1 })) };
    // Ten more stand-in leaves for the 16-leaf shape (Sequence leaves are weighted addresses).
    if (shape.leaves === 16) for (let j = 0; j < 10; j++) config.leaves.push({ address: fixedAddress(`sequence/standin/${j}`), weight: 0 });
    let wallet: Contract;
    let nonce = 0n;
    await measure(
      "sequence-v2",
      shape.leaves,
      shape.signing.length,
      async () => {
        const created = await createSequenceWallet(sequence, config);
        wallet = created.wallet;
        return { address: await wallet.getAddress(), gas: created.gas, calldataBytes: created.calldataBytes };
      },
      async (call) => execSequence(wallet, config, [...shape.signing] as BaseWallet[], nonce++, [call]),
    );
  }

  // SimpleAccount 0.8 behind EntryPoint 0.8 at its canonical address.
  const chain = await connectChain({ label: "hardhat", provider: network.provider });
  const chainSigner = await chain.provider.getSigner(0);
  await deployEntryPoint(chain, { address: await chainSigner.getAddress(), signer: chainSigner, origin: "bench" });
  const bundler = new Bundler(chain.provider, chainSigner);
  const f = aa("SimpleAccountFactory");
  const accountFactory = (await new ethers.ContractFactory(f.abi, f.bytecode, funder).deploy(ENTRY_POINT_V08.address)) as unknown as Contract;
  const accountInterface = new ethers.Interface(aa("SimpleAccount").abi);
  const owner = a.connect(ethers.provider);
  await (await funder.sendTransaction({ to: owner.address, value: ethers.parseEther("10") })).wait();
  const sign = async (hash: Hex) => a.signingKey.sign(hash).serialized as Hex;
  const simpleAccount = async (salt: bigint) => ({
    sender: (await accountFactory.getFunction("getAddress")(a.address, salt)) as Hex,
    factory: (await accountFactory.getAddress()) as Hex,
    factoryData: accountFactory.interface.encodeFunctionData("createAccount", [a.address, salt]) as Hex,
  });
  const handleOps = async (draft: Parameters<Bundler["sendUserOperation"]>[0]): Promise<Measured> => {
    const result = await bundler.sendUserOperation(draft, sign);
    if (!result.success) throw new Error("a SimpleAccount user operation's call failed");
    const tx = await chain.provider.getTransaction(result.receipt.hash);
    return { gas: result.receipt.gasUsed, calldataBytes: ethers.dataLength(tx!.data) };
  };
  const execute = (call: Call) => accountInterface.encodeFunctionData("execute", [call.to, call.value, call.data]) as Hex;

  // Direct: the owner's EOA calls execute (the account itself is created through the EntryPoint,
  // the only way SimpleAccountFactory 0.8 creates accounts, so it has no direct deploy row).
  const direct = await simpleAccount(1n);
  await measure(
    "simple-account-0.8",
    1,
    1,
    async () => {
      await (await funder.sendTransaction({ to: direct.sender, value: ethers.parseEther("1") })).wait();
      await handleOps({ ...direct, callData: "0x" });
      return { address: direct.sender };
    },
    async (call) => {
      const account = new ethers.Contract(direct.sender, accountInterface, owner);
      const tx = await account.getFunction("execute")(call.to, call.value, call.data);
      return { gas: (await tx.wait())!.gasUsed, calldataBytes: ethers.dataLength(tx.data) };
    },
  );

  const viaEntryPoint = await simpleAccount(2n);
  await measure(
    "simple-account-0.8-userop",
    1,
    1,
    async () => {
      await (await funder.sendTransaction({ to: viaEntryPoint.sender, value: ethers.parseEther("1") })).wait();
      return { address: viaEntryPoint.sender, ...(await handleOps({ ...viaEntryPoint, callData: "0x" })) };
    },
    (call) => handleOps({ sender: viaEntryPoint.sender, callData: execute(call) }),
  );

  // Arbor as an ERC-4337 account of the same EntryPoint: deployed through initCode (an empty
  // callData UserOp, like SimpleAccount's), then owner UserOps signed over the userOpHash. The
  // 16-leaf row is the realistic configuration with the daily key (device 0) alone in tier 0, at
  // checkpoint 1 so that it is another wallet than the direct rows' (same shape, same gas).
  const arborOwner = new EthersWallet(ethers.id("bench/rows/userop/owner"));
  const userOpShapes = [
    { leaves: 1, configuration: Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [ecdsaLeaf(arborOwner)] }), key: arborOwner },
    { leaves: 16, configuration: Configuration.of({ threshold: 1n, checkpoint: 1n, leaves: realisticLeaves(devices) }), key: a },
  ];
  for (const shape of userOpShapes) {
    const sender = walletAddress({ factory: factoryAddress, implementation: implementationAddress, imageHash: shape.configuration.imageHash });
    const signer = arborUserOpSigner(shape.configuration, [ecdsaSigner(shape.key.privateKey as Hex)]);
    const arborHandleOps = async (draft: Parameters<Bundler["sendUserOperation"]>[0]): Promise<Measured> => {
      const result = await bundler.sendUserOperation(draft, signer);
      if (!result.success) throw new Error("an Arbor user operation's call failed");
      const tx = await chain.provider.getTransaction(result.receipt.hash);
      return { gas: result.receipt.gasUsed, calldataBytes: ethers.dataLength(tx!.data) };
    };
    await measure(
      "arbor-userop",
      shape.leaves,
      1,
      async () => {
        await (await funder.sendTransaction({ to: sender, value: ethers.parseEther("1") })).wait();
        const initCode = arborInitCode({ factory: factoryAddress, implementation: implementationAddress, imageHash: shape.configuration.imageHash });
        return { address: sender, ...(await arborHandleOps({ sender, ...initCode, callData: "0x" })) };
      },
      (call) => arborHandleOps({ sender, callData: arborUserOpCallData(sender, [{ target: call.to as Hex, value: call.value, data: call.data as Hex }]) }),
    );
  }
  chain.close();

  return rows;
}

function ecdsaLeaf(k: EthersWallet): Leaf {
  return { kind: "ecdsa-signer", signer: k.address as Hex, weight: 1n };
}

/** One target of issue 8, evaluated on this run's rows. */
export interface GasTarget {
  target: string;
  value: string;
  limit: string;
  met: boolean | null;
}

export function evaluateTargets(rows: GasRowRecord[]): GasTarget[] {
  const find = (p: Partial<GasRowRecord>) => rows.find((r) => Object.entries(p).every(([k, v]) => r[k as keyof GasRowRecord] === v));
  const targets: GasTarget[] = [];
  const erc16 = find({ account: "arbor", operation: "erc20-transfer", leaves: 16, signers: 1, recipient: "holder" });
  targets.push({ target: "16-leaf ERC-20 transfer gas (holder)", value: String(erc16?.gas), limit: "<= 60000", met: erc16 ? erc16.gas <= 60_000 : null });
  targets.push({ target: "16-leaf ERC-20 transfer calldata bytes (holder)", value: String(erc16?.calldataBytes), limit: "<= 500", met: erc16 ? erc16.calldataBytes <= 500 : null });
  const arbor2of16 = find({ account: "arbor", operation: "erc20-transfer", leaves: 16, signers: 2, recipient: "holder" });
  const safe2of3 = find({ account: "safe-1.5", operation: "erc20-transfer", leaves: 3, signers: 2, recipient: "holder" });
  targets.push({
    target: "2-of-3 among 16 leaves ERC-20 (holder) vs Safe 2-of-3",
    value: arbor2of16 && safe2of3 ? `${arbor2of16.gas} (${(arbor2of16.gas / safe2of3.gas).toFixed(3)} x Safe ${safe2of3.gas})` : "not measured",
    limit: "<= 0.95 x Safe",
    met: arbor2of16 && safe2of3 ? arbor2of16.gas <= 0.95 * safe2of3.gas : null,
  });
  const arborOp = find({ account: "arbor-userop", operation: "erc20-transfer", recipient: "holder" });
  const simpleOp = find({ account: "simple-account-0.8-userop", operation: "erc20-transfer", recipient: "holder" });
  targets.push({
    target: "Arbor UserOp ERC-20 (holder) vs SimpleAccount UserOp",
    value: arborOp ? `${arborOp.gas} vs ${simpleOp?.gas}` : `not measured: the wallet has no validateUserOp yet (SimpleAccount UserOp: ${simpleOp?.gas})`,
    limit: "<= SimpleAccount",
    met: arborOp && simpleOp ? arborOp.gas <= simpleOp.gas : null,
  });
  const deploy = rows.filter((r) => r.account === "arbor" && r.operation === "deploy").map((r) => r.gas);
  targets.push({ target: "Arbor deploy (any configuration)", value: deploy.length ? String(Math.max(...deploy)) : "not measured", limit: "<= 80000", met: deploy.length ? Math.max(...deploy) <= 80_000 : null });
  return targets;
}

export function printGasRows(rows: GasRowRecord[], targets: GasTarget[]): void {
  console.log(`${"operation".padEnd(15)} ${"account".padEnd(26)} ${"leaves".padStart(6)} ${"signers".padStart(7)} ${"recipient".padEnd(9)} ${"gas".padStart(8)} ${"calldata".padStart(8)}`);
  for (const r of rows) {
    console.log(`${r.operation.padEnd(15)} ${r.account.padEnd(26)} ${String(r.leaves).padStart(6)} ${String(r.signers).padStart(7)} ${r.recipient.padEnd(9)} ${String(r.gas).padStart(8)} ${String(r.calldataBytes).padStart(8)}`);
  }
  console.log("\ntargets (issue 8):");
  for (const t of targets) console.log(`  ${t.target.padEnd(56)} ${t.value.padEnd(40)} ${t.limit.padEnd(18)} ${t.met === null ? "not measured" : t.met ? "met" : "NOT met"}`);
}
