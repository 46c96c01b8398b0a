/**
 * The ERC-7562 rule checker on the in-process Hardhat network (its struct-logger traces are large,
 * and carrying them over HTTP from a loaded `hardhat node` made the test flaky): SimpleAccount 0.8 (deployed, and deployed
 * through initCode) and the verifying paymaster keep to the rules; a test account that breaks one
 * rule at a time is caught, and the same opcode in its execution phase is not reported.
 */
import { expect } from "chai";
import { artifacts, network } from "hardhat";
import { Contract, ContractFactory, Wallet, parseEther, type JsonRpcApiProvider, type JsonRpcSigner } from "ethers";
import { connectChain, type ChainConnection } from "../../lib/deploy/connect-chain";
import type { Hex } from "../../lib/hex";
import { Bundler } from "../../lib/userop/bundler";
import { checkValidationRules } from "../../lib/userop/check-validation-rules";
import { ENTRY_POINT_V08, deployEntryPoint } from "../../lib/userop/entry-point";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aa = (name: string) => require(`@account-abstraction/contracts/artifacts/${name}.json`) as { abi: never; bytecode: string };

describe("userop", () => {
  let chain: ChainConnection;
  let provider: JsonRpcApiProvider;
  let funder: JsonRpcSigner;
  let bundler: Bundler;
  let beneficiary: Hex;
  let accountFactory: Contract;
  let store: Contract;
  const owner = new Wallet("0x" + "33".repeat(32));
  const sign = async (hash: Hex) => owner.signingKey.sign(hash).serialized as Hex;

  before(async () => {
    chain = await connectChain({ label: "hardhat", provider: network.provider });
    provider = chain.provider;
    funder = await provider.getSigner(0);
    beneficiary = (await funder.getAddress()) as Hex;
    await deployEntryPoint(chain, { address: beneficiary, signer: funder, origin: "test" });
    bundler = new Bundler(provider, funder);
    const f = aa("SimpleAccountFactory");
    accountFactory = (await new ContractFactory(f.abi, f.bytecode, funder).deploy(ENTRY_POINT_V08.address)) as Contract;
    const s = await artifacts.readArtifact("TestSharedStore");
    store = (await new ContractFactory(s.abi, s.bytecode, funder).deploy()) as Contract;
  });
  after(() => chain?.close());

  const ruleBreaker = async (mode: number) => {
    const a = await artifacts.readArtifact("TestRuleBreakingAccount");
    const account = (await new ContractFactory(a.abi, a.bytecode, funder).deploy(ENTRY_POINT_V08.address, await store.getAddress(), mode)) as Contract;
    const sender = (await account.getAddress()) as Hex;
    await (await funder.sendTransaction({ to: sender, value: parseEther("1") })).wait();
    return { sender, callData: account.interface.encodeFunctionData("run") as Hex };
  };

  describe("checkValidationRules", () => {
    it("reports nothing when SimpleAccount is deployed through initCode and prefunds the EntryPoint", async () => {
      const sender = (await accountFactory.getFunction("getAddress")(owner.address, 1n)) as Hex;
      await (await funder.sendTransaction({ to: sender, value: parseEther("1") })).wait();
      const factoryData = accountFactory.interface.encodeFunctionData("createAccount", [owner.address, 1n]) as Hex;
      const op = await bundler.prepare({ sender, factory: (await accountFactory.getAddress()) as Hex, factoryData, callData: "0x" }, sign);
      expect(await checkValidationRules(provider, op, beneficiary)).to.deep.equal([]);
      await bundler.sendBundle([op]);
    });

    it("reports nothing when validation keeps to the rules and execution reads TIMESTAMP and foreign storage", async () => {
      const { sender, callData } = await ruleBreaker(0);
      const op = await bundler.prepare({ sender, callData }, async () => "0x");
      expect(await checkValidationRules(provider, op, beneficiary)).to.deep.equal([]);
      const receipt = await bundler.sendBundle([op]);
      expect(receipt.status).to.equal(1);
    });

    it("reports OP-011 TIMESTAMP and NUMBER, OP-012 GAS and STO-021 for the account when its validation uses them", async () => {
      const { sender, callData } = await ruleBreaker(1 | 2 | 4 | 8);
      const op = await bundler.prepare({ sender, callData }, async () => "0x");
      const violations = await checkValidationRules(provider, op, beneficiary);
      const found = violations.map((v) => `${v.rule} ${v.entity} ${v.opcode}`);
      for (const expected of ["OP-011 account TIMESTAMP", "OP-011 account NUMBER", "OP-012 account GAS", "STO-021 account SLOAD"]) expect(found).to.include(expected);
      expect(violations.find((v) => v.rule === "STO-021")!.storage!.address).to.equal(await store.getAddress());
    });
  });
});
