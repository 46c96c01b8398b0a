/**
 * Arbor wallets as ERC-4337 v0.8 accounts, through lib/userop's Bundler against a real
 * `hardhat node` with EntryPoint v0.8 at its canonical address.
 */
import { expect } from "chai";
import { artifacts } from "hardhat";
import { Contract, ContractFactory, Interface, JsonRpcProvider, Wallet, parseEther, type HDNodeWallet, type JsonRpcSigner } from "ethers";
import { startLocalNode, type LocalNode } from "../../deploy/local-node";
import { connectChain, type ChainConnection } from "../../lib/deploy/connect-chain";
import { Configuration } from "../../lib/configuration/configuration";
import { InvalidArgumentError } from "../../lib/errors";
import type { Hex } from "../../lib/hex";
import { recoverSignature } from "../../lib/signature/recover-signature";
import { ecdsaSigner } from "../../lib/signature/signers";
import { arborInitCode } from "../../lib/userop/arbor-init-code";
import { arborUserOpCallData, arborUserOpSigner } from "../../lib/userop/arbor-user-operation";
import { Bundler, toTuple, type UserOperationDraft } from "../../lib/userop/bundler";
import { checkValidationRules } from "../../lib/userop/check-validation-rules";
import { CANONICAL_ENTRY_POINT_V08, ENTRY_POINT_V08, deployEntryPoint, entryPointAt } from "../../lib/userop/entry-point";
import { UserOperationFailedError } from "../../lib/userop/errors";
import { packUserOperation } from "../../lib/userop/pack-user-operation";
import type { PackedUserOperation } from "../../lib/userop/types";
import { walletAddress } from "../../lib/wallet/address";
import { realisticLeaves } from "../../bench/realistic-configuration";

async function expectFailedOp(promise: Promise<unknown>, reason: string): Promise<UserOperationFailedError> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected FailedOp "${reason}"`).to.be.instanceOf(UserOperationFailedError);
  expect((caught as UserOperationFailedError).reason).to.equal(reason);
  return caught as UserOperationFailedError;
}

describe("ArborWallet", () => {
  let node: LocalNode;
  let chain: ChainConnection;
  let provider: JsonRpcProvider;
  let funder: JsonRpcSigner;
  let beneficiary: HDNodeWallet;
  let bundler: Bundler;
  let factory: Contract;
  let implementation: Hex;
  let token: Contract;
  let paymaster: Contract;
  const devices = Array.from({ length: 6 }, (_, i) => new Wallet(`0x${(i + 0x31).toString(16).padStart(64, "0")}`));
  const [owner, second] = devices;
  const verifier = new Wallet("0x" + "22".repeat(32));
  const recipient = "0x000000000000000000000000000000000000bEEF";
  const single = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: owner.address as Hex, weight: 1n }] });
  const tiered = Configuration.of({
    threshold: 1n,
    checkpoint: 0n,
    leaves: realisticLeaves(devices).map((leaf) => (leaf.kind === "ecdsa-signer" && leaf.signer === owner.address ? leaf : { ...leaf, tier: 1 })),
  });
  const sign = (configuration: Configuration) => arborUserOpSigner(configuration, [ecdsaSigner(owner.privateKey as Hex)]);

  before(async () => {
    node = await startLocalNode({ chainId: 31_438 });
    chain = await connectChain(node.url);
    provider = chain.provider as JsonRpcProvider;
    funder = await provider.getSigner(0);
    await deployEntryPoint(chain, { address: await funder.getAddress(), signer: funder, origin: "test" });
    beneficiary = Wallet.createRandom().connect(provider);
    await (await funder.sendTransaction({ to: beneficiary.address, value: parseEther("10") })).wait();
    bundler = new Bundler(provider, beneficiary);
    const deploy = async (name: string, args: unknown[] = []) => {
      const a = await artifacts.readArtifact(name);
      return (await new ContractFactory(a.abi, a.bytecode, funder).deploy(...args)) as Contract;
    };
    factory = await deploy("ArborFactory");
    const sessions = await deploy("ArborSessions");
    const wallet = await deploy("ArborWallet", [await factory.getAddress(), await sessions.getAddress(), CANONICAL_ENTRY_POINT_V08]);
    implementation = (await wallet.getAddress()) as Hex;
    token = await deploy("TestERC20");
    paymaster = await deploy("TestVerifyingPaymaster", [ENTRY_POINT_V08.address, verifier.address]);
    await (await paymaster.getFunction("deposit")({ value: parseEther("1") })).wait();
  });
  after(async () => {
    chain?.close();
    await node?.stop();
  });

  const account = async (configuration: Configuration) => {
    const factoryAddress = (await factory.getAddress()) as Hex;
    const sender = walletAddress({ factory: factoryAddress, implementation, imageHash: configuration.imageHash });
    return { sender, ...arborInitCode({ factory: factoryAddress, implementation, imageHash: configuration.imageHash }) };
  };
  const transfer = (sender: Hex, to: string, amount: bigint) =>
    arborUserOpCallData(sender, [{ target: token.target as Hex, data: token.interface.encodeFunctionData("transfer", [to, amount]) as Hex }]);
  const walletAt = (address: string) => artifacts.readArtifact("ArborWallet").then((a) => new Contract(address, a.abi, funder));

  describe("validateUserOp", () => {
    it("deploys a counterfactual wallet through initCode and pays missingAccountFunds from its balance", async () => {
      const { sender, factory: f, factoryData } = await account(single);
      expect(await provider.getCode(sender)).to.equal("0x");
      await (await funder.sendTransaction({ to: sender, value: parseEther("1") })).wait();
      await (await token.getFunction("mint")(sender, 100n)).wait();
      const op = await bundler.prepare({ sender, factory: f, factoryData, callData: transfer(sender, recipient, 7n) }, sign(single));
      const depositBefore: bigint = await entryPointAt(provider).getFunction("balanceOf")(sender);
      const balanceBefore = await provider.getBalance(sender);
      const receipt = await bundler.sendBundle([op]);
      expect(receipt.status).to.equal(1);
      expect(await provider.getCode(sender)).to.not.equal("0x");
      expect(await token.getFunction("balanceOf")(recipient)).to.equal(7n);
      const event = receipt.logs.map((l) => entryPointAt(provider).interface.parseLog(l)).find((p) => p?.name === "UserOperationEvent");
      expect(event!.args.success).to.equal(true);
      // The wallet paid its prefund (missingAccountFunds) into the EntryPoint, which refunded the
      // unused part to its deposit: balance lost = actual cost + what stays deposited.
      const depositAfter: bigint = await entryPointAt(provider).getFunction("balanceOf")(sender);
      expect(depositBefore).to.equal(0n);
      expect(balanceBefore - (await provider.getBalance(sender))).to.equal(event!.args.actualGasCost + depositAfter);
      expect(depositAfter).to.be.greaterThan(0n);
    });

    it("runs an owner ERC-20 transfer of a deployed 16-leaf tiered wallet signed by the daily key alone", async () => {
      const { sender, factory: f, factoryData } = await account(tiered);
      await (await factory.getFunction("deploy")(implementation, tiered.imageHash)).wait();
      // The factory is idempotent: deploying again returns the same wallet.
      expect(await factory.getFunction("deploy").staticCall(implementation, tiered.imageHash)).to.equal(sender);
      expect(f).to.equal(await factory.getAddress());
      expect(factoryData).to.be.a("string");
      await (await funder.sendTransaction({ to: sender, value: parseEther("1") })).wait();
      await (await token.getFunction("mint")(sender, 100n)).wait();
      const op = await bundler.prepare({ sender, callData: transfer(sender, recipient, 3n) }, sign(tiered));
      const recovered = await recoverSignature(await bundler.hash(op), op.signature);
      expect(recovered.imageHash).to.equal(tiered.imageHash);
      const before: bigint = await token.getFunction("balanceOf")(recipient);
      expect((await bundler.sendBundle([op])).status).to.equal(1);
      expect(await token.getFunction("balanceOf")(recipient)).to.equal(before + 3n);
      expect(await bundler.getNonce(sender)).to.equal(1n);
    });

    it("returns SIG_VALIDATION_FAILED (AA24) when another key signs, the signature is malformed or chain id 0 is flagged", async () => {
      const { sender } = await account(single);
      const stranger = Wallet.createRandom();
      const strangerConfiguration = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: stranger.address as Hex, weight: 1n }] });
      const draft = { sender, callData: transfer(sender, recipient, 1n) };
      const before = await provider.getBlockNumber();
      await expectFailedOp(bundler.sendUserOperation(draft, arborUserOpSigner(strangerConfiguration, [ecdsaSigner(stranger.privateKey as Hex)])), "AA24 signature error");
      await expectFailedOp(bundler.sendUserOperation(draft, async () => "0x0102"), "AA24 signature error");
      await expectFailedOp(
        bundler.sendUserOperation(draft, async (hash, op) => {
          const good = await sign(single)(hash, op);
          return `0x01${good.slice(4)}` as Hex; // flag bit 0: chain id 0, refused for a UserOp
        }),
        "AA24 signature error",
      );
      expect(await provider.getBlockNumber()).to.equal(before);
      // The library names the reason the contract turned into the failure value.
      const wallet = await walletAt(sender);
      const op = await bundler.prepare(draft, async () => "0x0102");
      const caught = await wallet.getFunction("checkUserOpSignature")(await bundler.hash(op), "0x0102").catch((e: unknown) => e);
      expect(wallet.interface.parseError((caught as { data: string }).data)?.name).to.equal("SignatureTruncated");
    });

    it("reverts with OnlyEntryPoint when anyone but the EntryPoint calls validateUserOp or executeUserOpCalls", async () => {
      const { sender } = await account(single);
      const wallet = await walletAt(sender);
      const op = await bundler.prepare({ sender, callData: "0x" }, sign(single));
      const error = (e: unknown) => wallet.interface.parseError((e as { data: string }).data)?.name;
      const caught = await wallet.getFunction("validateUserOp").staticCall(toTuple(op), `0x${"00".repeat(32)}`, 0n).catch((e: unknown) => e);
      expect(error(caught)).to.equal("OnlyEntryPoint");
      const caught2 = await wallet.getFunction("executeUserOpCalls").staticCall("0x").catch((e: unknown) => e);
      expect(error(caught2)).to.equal("OnlyEntryPoint");
    });

    it("fails the UserOp's call with UserOpSelfOrDelegateCall when the batch calls the wallet itself", async () => {
      const { sender } = await account(single);
      expect(() => arborUserOpCallData(sender, [{ target: sender, data: "0x" }])).to.throw(InvalidArgumentError, /wallet itself/);
      // Built by hand past the library's refusal: the wallet refuses it too, in the execution phase.
      const packed = `0x00${sender.slice(2)}000000` as Hex;
      const callData = new Interface(["function executeUserOpCalls(bytes)"]).encodeFunctionData("executeUserOpCalls", [packed]) as Hex;
      const result = await bundler.sendUserOperation({ sender, callData, callGasLimit: 100_000n }, sign(single));
      expect(result.success).to.equal(false);
      const revert = result.receipt.logs.map((l) => entryPointAt(provider).interface.parseLog(l)).find((p) => p?.name === "UserOperationRevertReason");
      expect((await walletAt(sender)).interface.parseError(revert!.args.revertReason)!.name).to.equal("UserOpSelfOrDelegateCall");
    });
  });

  describe("validateUserOp and ERC-7562", () => {
    // The debug_traceCall of an Arbor validation takes the node ~12 s; run after other requests
    // on the same node (this file, or the whole suite) it ends in "socket hang up" (seen every
    // time; cause not found yet), alone it passes. It runs with ARBOR_TRACE_TESTS=1 and
    // `--grep ERC-7562`, and shows as pending otherwise.
    it("keeps validation inside ERC-7562 (checkValidationRules) when a counterfactual wallet deploys through initCode", async function () {
      if (process.env.ARBOR_TRACE_TESTS !== "1") this.skip();
      const key = new Wallet("0x" + "44".repeat(32));
      const configuration = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: key.address as Hex, weight: 1n }] });
      const { sender, factory: f, factoryData } = await account(configuration);
      await (await funder.sendTransaction({ to: sender, value: parseEther("1") })).wait();
      await (await token.getFunction("mint")(sender, 100n)).wait();
      const op = await bundler.prepare({ sender, factory: f, factoryData, callData: transfer(sender, recipient, 1n) }, arborUserOpSigner(configuration, [ecdsaSigner(key.privateKey as Hex)]));
      expect(await checkValidationRules(provider, op, beneficiary.address)).to.deep.equal([]);
      expect((await bundler.sendBundle([op])).status).to.equal(1);
    });
  });

  describe("validateUserOp with a paymaster", () => {
    it("deploys and runs a wallet that holds no ETH when the verifying paymaster sponsors it", async () => {
      const fresh = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: second.address as Hex, weight: 1n }] });
      const { sender, factory: f, factoryData } = await account(fresh);
      await (await token.getFunction("mint")(sender, 10n)).wait();
      const draft: UserOperationDraft = {
        sender,
        factory: f,
        factoryData,
        callData: transfer(sender, recipient, 2n),
        paymaster: (await paymaster.getAddress()) as Hex,
        paymasterVerificationGasLimit: 60_000n,
        paymasterPostOpGasLimit: 0n,
      };
      const window = "0".repeat(24);
      const filled = await bundler.fill({ ...draft, paymasterData: `0x${window}${"00".repeat(65)}` });
      const hash = await paymaster.getFunction("getHash")(toTuple(packUserOperation(filled)), 0, 0);
      const approval = await verifier.signMessage(Buffer.from(hash.slice(2), "hex"));
      const packed = packUserOperation({ ...filled, paymasterData: `0x${window}${approval.slice(2)}` as Hex });
      const op: PackedUserOperation = { ...packed, signature: await arborUserOpSigner(fresh, [ecdsaSigner(second.privateKey as Hex)])(await bundler.hash(packed), packed) };
      const depositBefore: bigint = await paymaster.getFunction("getDeposit")();
      const before: bigint = await token.getFunction("balanceOf")(recipient);
      const receipt = await bundler.sendBundle([op]);
      expect(receipt.status).to.equal(1);
      expect(await provider.getBalance(sender)).to.equal(0n);
      expect(await token.getFunction("balanceOf")(recipient)).to.equal(before + 2n);
      expect(await paymaster.getFunction("getDeposit")()).to.be.lessThan(depositBefore);
    });
  });
});
