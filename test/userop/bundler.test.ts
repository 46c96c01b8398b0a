/**
 * The bundler against a real `hardhat node`: EntryPoint v0.8 at its canonical address,
 * SimpleAccount 0.8 from the npm artifacts as the account (until the Arbor wallet gains
 * `validateUserOp`), a verifying paymaster from contracts/test.
 */
import { expect } from "chai";
import { artifacts } from "hardhat";
import { Contract, ContractFactory, JsonRpcProvider, Wallet, parseEther, type JsonRpcSigner } from "ethers";
import { startLocalNode, type LocalNode } from "../../deploy/local-node";
import { connectChain, type ChainConnection } from "../../lib/deploy/connect-chain";
import type { Hex } from "../../lib/hex";
import { Bundler, type UserOperationDraft } from "../../lib/userop/bundler";
import { ENTRY_POINT_V08, deployEntryPoint, entryPointAt } from "../../lib/userop/entry-point";
import { UserOperationFailedError } from "../../lib/userop/errors";
import type { PackedUserOperation } from "../../lib/userop/types";
import { toTuple } from "../../lib/userop/bundler";
import { packUserOperation } from "../../lib/userop/pack-user-operation";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aa = (name: string) => require(`@account-abstraction/contracts/artifacts/${name}.json`) as { abi: never; bytecode: string };

async function expectFailedOp(promise: Promise<unknown>, reason: string): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected FailedOp "${reason}"`).to.be.instanceOf(UserOperationFailedError);
  expect((caught as UserOperationFailedError).reason).to.equal(reason);
}

describe("userop", () => {
  let node: LocalNode;
  let chain: ChainConnection;
  let provider: JsonRpcProvider;
  let funder: JsonRpcSigner;
  let bundler: Bundler;
  let accountFactory: Contract;
  let token: Contract;
  let paymaster: Contract;
  const owner = new Wallet("0x" + "11".repeat(32));
  const verifier = new Wallet("0x" + "22".repeat(32));
  const recipient = "0x000000000000000000000000000000000000bEEF";
  const sign = async (hash: Hex) => owner.signingKey.sign(hash).serialized as Hex;

  before(async () => {
    node = await startLocalNode({ chainId: 31_437 });
    chain = await connectChain(node.url);
    provider = chain.provider as JsonRpcProvider;
    funder = await provider.getSigner(0);
    await deployEntryPoint(chain, { address: await funder.getAddress(), signer: funder, origin: "test" });
    const beneficiary = Wallet.createRandom().connect(provider);
    await (await funder.sendTransaction({ to: beneficiary.address, value: parseEther("10") })).wait();
    bundler = new Bundler(provider, beneficiary);
    const f = aa("SimpleAccountFactory");
    accountFactory = (await new ContractFactory(f.abi, f.bytecode, funder).deploy(ENTRY_POINT_V08.address)) as Contract;
    const erc20 = await artifacts.readArtifact("TestERC20");
    token = (await new ContractFactory(erc20.abi, erc20.bytecode, funder).deploy()) as Contract;
    const pm = await artifacts.readArtifact("TestVerifyingPaymaster");
    paymaster = (await new ContractFactory(pm.abi, pm.bytecode, funder).deploy(ENTRY_POINT_V08.address, verifier.address)) as Contract;
    await (await paymaster.getFunction("deposit")({ value: parseEther("1") })).wait();
  });
  after(async () => {
    chain?.close();
    await node?.stop();
  });

  const account = async (salt: bigint) => {
    const sender = (await accountFactory.getFunction("getAddress")(owner.address, salt)) as Hex;
    const factoryData = accountFactory.interface.encodeFunctionData("createAccount", [owner.address, salt]) as Hex;
    return { sender, factory: (await accountFactory.getAddress()) as Hex, factoryData };
  };
  const transferCall = (to: string, amount: bigint) =>
    new Contract(ENTRY_POINT_V08.address, aa("SimpleAccount").abi).interface.encodeFunctionData("execute", [
      token.target,
      0n,
      token.interface.encodeFunctionData("transfer", [to, amount]),
    ]) as Hex;

  describe("Bundler", () => {
    describe("sendUserOperation", () => {
      it("deploys the account through initCode and runs its call when the account prefunds from its own balance", async () => {
        const { sender, factory, factoryData } = await account(1n);
        await (await funder.sendTransaction({ to: sender, value: parseEther("1") })).wait();
        await (await token.getFunction("mint")(sender, 100n)).wait();
        const result = await bundler.sendUserOperation({ sender, factory, factoryData, callData: transferCall(recipient, 7n) }, sign);
        expect(result.success).to.equal(true);
        expect(await provider.getCode(sender)).to.not.equal("0x");
        expect(await token.getFunction("balanceOf")(recipient)).to.equal(7n);
        expect(await bundler.getNonce(sender)).to.equal(1n);
        // missingAccountFunds: the account paid the EntryPoint for exactly what the event reports.
        expect(result.actualGasCost).to.be.greaterThan(0n);
        expect(await provider.getBalance(sender)).to.be.lessThan(parseEther("1"));
      });

      it("estimates the call gas of a deployed account and runs a second operation with nonce 1", async () => {
        const { sender } = await account(1n);
        const filled = await bundler.fill({ sender, callData: transferCall(recipient, 1n) });
        expect(filled.nonce).to.equal(1n);
        expect(filled.callGasLimit > 20_000n && filled.callGasLimit < 200_000n, String(filled.callGasLimit)).to.equal(true);
        const result = await bundler.sendUserOperation({ sender, callData: transferCall(recipient, 1n) }, sign);
        expect(result.success).to.equal(true);
        expect(await token.getFunction("balanceOf")(recipient)).to.equal(8n);
      });

      it("throws UserOperationFailedError AA24 and sends nothing when the signature is another key's", async () => {
        const { sender } = await account(1n);
        const stranger = Wallet.createRandom();
        const before = await provider.getBlockNumber();
        await expectFailedOp(
          bundler.sendUserOperation({ sender, callData: transferCall(recipient, 1n) }, async (hash) => stranger.signingKey.sign(hash).serialized as Hex),
          "AA24 signature error",
        );
        expect(await provider.getBlockNumber()).to.equal(before);
      });

      it("throws UserOperationFailedError AA25 when the nonce was already used", async () => {
        const { sender } = await account(1n);
        await expectFailedOp(bundler.sendUserOperation({ sender, nonce: 0n, callData: transferCall(recipient, 1n) }, sign), "AA25 invalid account nonce");
      });

      it("throws UserOperationFailedError AA21 when the account cannot prefund and has no paymaster", async () => {
        const { sender, factory, factoryData } = await account(2n);
        await expectFailedOp(bundler.sendUserOperation({ sender, factory, factoryData, callData: "0x" }, sign), "AA21 didn't pay prefund");
      });

      it("throws UserOperationFailedError AA10 when initCode is given for an account that already exists", async () => {
        const { sender, factory, factoryData } = await account(1n);
        await expectFailedOp(bundler.sendUserOperation({ sender, factory, factoryData, callData: "0x" }, sign), "AA10 sender already constructed");
      });

      it("throws InvalidArgumentError SENDER_NOT_DEPLOYED when a counterfactual sender has no factory", async () => {
        const { sender } = await account(3n);
        let caught: unknown;
        try {
          await bundler.fill({ sender, callData: "0x" });
        } catch (e) {
          caught = e;
        }
        expect((caught as { code?: string }).code).to.equal("SENDER_NOT_DEPLOYED");
      });
    });

    describe("sponsored operations", () => {
      const sponsored = async (draft: UserOperationDraft, approve: (hash: string) => Promise<string>): Promise<PackedUserOperation> => {
        const window = "0".repeat(24); // validUntil = validAfter = 0: valid at any time.
        const withPaymaster = { ...draft, paymaster: (await paymaster.getAddress()) as Hex, paymasterVerificationGasLimit: 60_000n, paymasterPostOpGasLimit: 0n };
        // The paymaster signs the operation with its data field not yet holding that signature.
        const filled = await bundler.fill({ ...withPaymaster, paymasterData: `0x${window}${"00".repeat(65)}` });
        const unsigned = packUserOperation(filled);
        const hash = await paymaster.getFunction("getHash")(toTuple(unsigned), 0, 0);
        const approval = await approve(hash);
        const packed = packUserOperation({ ...filled, paymasterData: `0x${window}${approval.slice(2)}` as Hex });
        return { ...packed, signature: await sign(await bundler.hash(packed)) };
      };

      it("deploys and runs an account that holds no ETH when the verifying paymaster approved it, and charges the paymaster", async () => {
        const { sender, factory, factoryData } = await account(4n);
        await (await token.getFunction("mint")(sender, 10n)).wait();
        const depositBefore: bigint = await paymaster.getFunction("getDeposit")();
        const op = await sponsored({ sender, factory, factoryData, callData: transferCall(recipient, 2n) }, (h) => verifier.signMessage(Buffer.from(h.slice(2), "hex")));
        const receipt = await bundler.sendBundle([op]);
        expect(receipt.status).to.equal(1);
        expect(await provider.getBalance(sender)).to.equal(0n);
        expect(await token.getFunction("balanceOf")(recipient)).to.equal(10n);
        const depositAfter: bigint = await paymaster.getFunction("getDeposit")();
        expect(depositAfter).to.be.lessThan(depositBefore);
        const event = receipt.logs.map((l) => entryPointAt(provider).interface.parseLog(l)).find((p) => p?.name === "UserOperationEvent");
        expect(event!.args.paymaster).to.equal(await paymaster.getAddress());
        expect(event!.args.actualGasCost).to.equal(depositBefore - depositAfter);
      });

      it("throws UserOperationFailedError AA34 when the paymaster's approval is signed by another key", async () => {
        const { sender, factory, factoryData } = await account(5n);
        const op = await sponsored({ sender, factory, factoryData, callData: "0x" }, (h) => Wallet.createRandom().signMessage(Buffer.from(h.slice(2), "hex")));
        await expectFailedOp(bundler.sendBundle([op]), "AA34 signature error");
      });

      it("throws UserOperationFailedError AA33 carrying PaymasterDataLength when the paymaster data is truncated", async () => {
        const { sender, factory, factoryData } = await account(5n);
        const filled = await bundler.fill({ sender, factory, factoryData, callData: "0x", paymaster: (await paymaster.getAddress()) as Hex, paymasterVerificationGasLimit: 60_000n, paymasterPostOpGasLimit: 0n, paymasterData: "0x0000" });
        const packed = packUserOperation(filled);
        let caught: unknown;
        try {
          await bundler.sendBundle([{ ...packed, signature: await sign(await bundler.hash(packed)) }]);
        } catch (e) {
          caught = e;
        }
        expect(caught).to.be.instanceOf(UserOperationFailedError);
        const error = caught as UserOperationFailedError;
        expect(error.reason).to.equal("AA33 reverted");
        expect(paymaster.interface.parseError(error.inner!)!.name).to.equal("PaymasterDataLength");
      });
    });
  });
});
