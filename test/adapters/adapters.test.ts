/**
 * viem and ethers, both first class: the same flow with each library against a `hardhat node`
 * (build a configuration, predict the wallet's address, deploy it, sign a message with a local key
 * and with a JSON-RPC account, check the signature through ERC-1271 on chain), and the bad inputs
 * each adapter refuses.
 */
import { expect } from "chai";
import { artifacts } from "hardhat";
import { Contract, ContractFactory, JsonRpcProvider, Wallet, type JsonRpcSigner } from "ethers";
import { createPublicClient, createWalletClient, http, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { startLocalNode, type LocalNode } from "../../deploy/local-node";
import { ethersErc1271Checker, ethersSigner } from "../../lib/adapters/ethers";
import { viemAccountSigner, viemErc1271Checker, viemWalletClientSigner } from "../../lib/adapters/viem";
import { Configuration } from "../../lib/configuration/configuration";
import { checkChainId, type Hex } from "../../lib/hex";
import { hashMessage } from "../../lib/payload/hash-message";
import { typedDataMessage } from "../../lib/payload/typed-data";
import { erc1271Checker } from "../../lib/signature/erc1271";
import { signPayload } from "../../lib/signature/sign-payload";
import type { PayloadSigner } from "../../lib/signature/signers";
import type { Erc1271Checker } from "../../lib/signature/types";
import { walletAddress } from "../../lib/wallet/address";
import { expectError, expectRejection, testKey } from "../helpers/fixtures";

const CHAIN_ID = 31_390;
const MESSAGE = `0x${"5a".repeat(32)}` as Hex;

interface Singletons {
  factory: Contract;
  factoryAddress: Hex;
  implementationAddress: Hex;
}

interface FlowResult {
  predicted: Hex;
  imageHash: Hex;
  valid: boolean;
  tamperedValid: boolean;
  otherMessageValid: boolean;
}

/**
 * The flow both libraries run: a 2-of-2 of a local key and the node's JSON-RPC account, the
 * predicted address, the wallet deployed there, a signed Message(hash) checked through ERC-1271.
 */
async function flow(
  singletons: Singletons,
  localKeyAddress: Hex,
  rpcAddress: Hex,
  chainId: number | bigint,
  signers: (typedData: ReturnType<typeof typedDataMessage>) => Promise<PayloadSigner[]>,
  check: Erc1271Checker,
): Promise<FlowResult> {
  const configuration = Configuration.of({
    threshold: 2n,
    checkpoint: 0n,
    leaves: [
      { kind: "ecdsa-signer", signer: localKeyAddress, weight: 1n },
      { kind: "ecdsa-signer", signer: rpcAddress, weight: 1n },
    ],
  });
  const predicted = walletAddress({ factory: singletons.factoryAddress, implementation: singletons.implementationAddress, imageHash: configuration.imageHash });
  await (await singletons.factory.getFunction("deploy")(singletons.implementationAddress, configuration.imageHash)).wait();
  const context = { wallet: predicted, chainId };
  const digest = hashMessage(MESSAGE, context);
  const { signature } = await signPayload(configuration, digest, await signers(typedDataMessage(MESSAGE, context)));
  const tampered = `${signature.slice(0, -2)}${signature.endsWith("00") ? "01" : "00"}` as Hex;
  return {
    predicted,
    imageHash: configuration.imageHash,
    valid: await check(predicted, MESSAGE, signature),
    tamperedValid: await check(predicted, MESSAGE, tampered),
    otherMessageValid: await check(predicted, `0x${"5b".repeat(32)}`, signature),
  };
}

describe("adapters", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let provider: JsonRpcProvider;
  let deployer: JsonRpcSigner;
  let singletons: Singletons;

  /** A fresh factory and implementation, so each library's wallet is its own deployment. */
  async function deploySingletons(): Promise<Singletons> {
    const factoryArtifact = await artifacts.readArtifact("ArborFactory");
    const walletArtifact = await artifacts.readArtifact("ArborWallet");
    const factory = (await new ContractFactory(factoryArtifact.abi, factoryArtifact.bytecode, deployer).deploy()) as Contract;
    const factoryAddress = (await factory.getAddress()) as Hex;
    const implementation = await new ContractFactory(walletArtifact.abi, walletArtifact.bytecode, deployer).deploy(factoryAddress, `0x${"00".repeat(20)}`, `0x${"00".repeat(20)}`);
    return { factory, factoryAddress, implementationAddress: (await implementation.getAddress()) as Hex };
  }

  before(async () => {
    node = await startLocalNode({ chainId: CHAIN_ID });
    provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    deployer = await provider.getSigner(0);
    singletons = await deploySingletons();
  });

  after(async () => {
    provider?.destroy();
    await node?.stop();
  });

  describe("viem", () => {
    let publicClient: PublicClient;
    before(() => {
      publicClient = createPublicClient({ transport: http(node.url) });
    });

    it("builds, predicts, deploys, signs with a LocalAccount and a JSON-RPC account and verifies through ERC-1271 when chainId is viem's number", async () => {
      const local = privateKeyToAccount(testKey(1));
      const rpcAddress = (await deployer.getAddress()) as Hex;
      const chainId = await publicClient.getChainId();
      expect(chainId).to.be.a("number");
      const rpcClient = createWalletClient({ account: rpcAddress, transport: http(node.url) });
      const result = await flow(
        await deploySingletons(),
        local.address,
        rpcAddress,
        chainId,
        async (typedData) => [viemAccountSigner(local), await viemWalletClientSigner(rpcClient, typedData)],
        viemErc1271Checker(publicClient),
      );
      expect(await publicClient.getCode({ address: result.predicted })).to.match(/^0x[0-9a-f]{10,}/);
      expect(result.valid).to.equal(true);
      expect(result.tamperedValid).to.equal(false);
      expect(result.otherMessageValid).to.equal(false);
    });

    it("accepts a valid signature through erc1271Checker given a viem PublicClient when the client answers { data }", async () => {
      const local = privateKeyToAccount(testKey(2));
      const localClient = createWalletClient({ account: local, transport: http(node.url) });
      const rpcAddress = (await deployer.getAddress()) as Hex;
      const result = await flow(
        await deploySingletons(),
        local.address,
        rpcAddress,
        BigInt(await publicClient.getChainId()),
        async (typedData) => [await viemWalletClientSigner(localClient), await viemWalletClientSigner(createWalletClient({ account: rpcAddress, transport: http(node.url) }), typedData)],
        erc1271Checker(publicClient),
      );
      expect(result.valid).to.equal(true);
      expect(result.tamperedValid).to.equal(false);
    });

    it("refuses a JSON-RPC account without typed data and a non-local account as a LocalAccount", async () => {
      const rpcClient = createWalletClient({ account: (await deployer.getAddress()) as Hex, transport: http(node.url) });
      await expectRejection(viemWalletClientSigner(rpcClient), "InvalidArgumentError", "TYPED_DATA_REQUIRED");
      const jsonRpcAccount = { type: "json-rpc", address: await deployer.getAddress() } as unknown as Parameters<typeof viemAccountSigner>[0];
      expectError(() => viemAccountSigner(jsonRpcAccount), "InvalidArgumentError", "UNSUPPORTED_SIGNER");
    });
  });

  describe("ethers", () => {
    it("builds, predicts, deploys, signs with a Wallet and a JsonRpcSigner and verifies through ERC-1271 when chainId is ethers' bigint", async () => {
      const local = new Wallet(testKey(1));
      const rpcSigner = await provider.getSigner(1);
      const chainId = (await provider.getNetwork()).chainId;
      expect(chainId).to.be.a("bigint");
      const result = await flow(
        await deploySingletons(),
        local.address as Hex,
        (await rpcSigner.getAddress()) as Hex,
        chainId,
        async (typedData) => [await ethersSigner(local), await ethersSigner(rpcSigner, typedData)],
        ethersErc1271Checker(provider),
      );
      expect(await provider.getCode(result.predicted)).to.match(/^0x[0-9a-f]{10,}/);
      expect(result.valid).to.equal(true);
      expect(result.tamperedValid).to.equal(false);
      expect(result.otherMessageValid).to.equal(false);
    });

    it("refuses a JSON-RPC signer without typed data and typed data of another payload", async () => {
      const rpcSigner = await provider.getSigner(1);
      await expectRejection(ethersSigner(rpcSigner), "InvalidArgumentError", "TYPED_DATA_REQUIRED");
      const wallet = `0x${"33".repeat(20)}` as Hex;
      const signer = await ethersSigner(rpcSigner, typedDataMessage(MESSAGE, { wallet, chainId: CHAIN_ID }));
      await expectRejection(signer.signDigest(hashMessage(`0x${"5b".repeat(32)}`, { wallet, chainId: CHAIN_ID })), "InvalidArgumentError", "TYPED_DATA_MISMATCH");
    });
  });

  describe("checkChainId", () => {
    it("gives the same digest for a chain id given as a number and as a bigint", () => {
      const wallet = `0x${"33".repeat(20)}` as Hex;
      expect(hashMessage(MESSAGE, { wallet, chainId: 8453 })).to.equal(hashMessage(MESSAGE, { wallet, chainId: 8453n }));
      expect(checkChainId(0, "chainId")).to.equal(0n);
    });

    it("refuses a fractional, negative, unsafe or non-numeric chain id", () => {
      const cases: [unknown, string][] = [
        [1.5, "INVALID_INTEGER"],
        [-1, "INVALID_INTEGER"],
        [2 ** 53, "INVALID_INTEGER"],
        [Number.NaN, "INVALID_INTEGER"],
        ["1", "INVALID_INTEGER"],
        [-1n, "INTEGER_TOO_SMALL"],
        [1n << 256n, "INTEGER_TOO_LARGE"],
      ];
      for (const [bad, code] of cases) expectError(() => checkChainId(bad, "chainId"), "InvalidArgumentError", code, "chainId");
      expectError(() => hashMessage(MESSAGE, { wallet: `0x${"33".repeat(20)}`, chainId: 1.5 }), "InvalidArgumentError", "INVALID_INTEGER");
    });
  });
});
