import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { AbiCoder, Interface, Wallet, keccak256, parseUnits } from "ethers";
import type { LocalNode } from "../../deploy/local-node";
import {
  DEPLOYMENT_PROXY,
  DEPLOYMENT_PROXY_CODE_HASH,
  DEPLOYMENT_PROXY_TX_HASH,
  deployToChain,
  planSingletons,
  readManifest,
  runtimeCodeHash,
  verifyChain,
  type CodeMismatchError,
  type DeployerUnfundedError,
  type GasPriceModelError,
  type SingletonPlan,
} from "../../lib/deploy";
import { FIXTURE_SINGLETONS, fixtureArtifacts } from "./fixtures/fixture-singletons";
import { GETH_UNPROTECTED_TX_ERROR, startRpcGateway } from "./fixtures/rpc-gateway";
import { closedPort, expectRejection, freshChains, rpc, snapshotter, startNodes, startNotRpcServer } from "./helpers";

// The first account of every `hardhat node`: the fallback deployer when no key is set.
const NODE_ACCOUNT = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const OTHER_CODE = "0x6080604052348015600e575f80fd5b50"; // some unrelated runtime code

describe("deploy", function () {
  let node: LocalNode;
  let legacy: LocalNode;
  let plan: SingletonPlan[];
  let restore: () => Promise<void>;
  let outDir: string;

  before(async function () {
    this.timeout(120_000);
    plan = planSingletons(FIXTURE_SINGLETONS, fixtureArtifacts());
    [node] = await freshChains();
    [legacy] = await startNodes([{ chainId: 31402, config: path.join(__dirname, "fixtures", "legacy-chain.config.ts") }]);
    restore = await snapshotter(node.url);
  });

  after(async () => {
    await legacy?.stop();
  });

  beforeEach(() => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), "arbor-deploy-"));
  });

  afterEach(async () => {
    await restore();
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  const state = async (url: string) => ({
    proxyCode: await rpc<string>(url, "eth_getCode", [DEPLOYMENT_PROXY.address, "latest"]),
    signerBalance: BigInt(await rpc<string>(url, "eth_getBalance", [DEPLOYMENT_PROXY.signer, "latest"])),
    deployerNonce: BigInt(await rpc<string>(url, "eth_getTransactionCount", [NODE_ACCOUNT, "latest"])),
    codes: await Promise.all(plan.map((p) => rpc<string>(url, "eth_getCode", [p.address, "latest"]))),
  });

  describe("deploy-to-chain", () => {
    it("creates the proxy, then every singleton at its predicted address, when the chain has neither", async () => {
      const lines: string[] = [];
      const result = await deployToChain({ target: node.url, plan, manifestDir: outDir, log: (l) => lines.push(l) });

      expect(result.chainId).to.equal(31337n);
      expect(result.proxy).to.deep.equal({ status: "deployed", transactionHash: DEPLOYMENT_PROXY_TX_HASH });
      expect(await rpc(node.url, "eth_getCode", [DEPLOYMENT_PROXY.address, "latest"])).to.equal(DEPLOYMENT_PROXY.runtimeCode);
      expect(result.contracts.map((c) => [c.name, c.address, c.status])).to.deep.equal(plan.map((p) => [p.name, p.address, "deployed"]));
      for (const p of plan) {
        const code = await rpc<string>(node.url, "eth_getCode", [p.address, "latest"]);
        expect(runtimeCodeHash(code, p.immutableRanges)).to.equal(p.expectedCodeHash);
      }
      // The dependent singleton was built with the first one's predicted address.
      const impl = new Interface(["function registry() view returns (address)", "function deployedOnChain() view returns (uint256)"]);
      const call = (data: string) => rpc<string>(node.url, "eth_call", [{ to: plan[1].address, data }, "latest"]);
      expect(impl.decodeFunctionResult("registry", await call(impl.encodeFunctionData("registry")))[0]).to.equal(plan[0].address);
      expect(impl.decodeFunctionResult("deployedOnChain", await call(impl.encodeFunctionData("deployedOnChain")))[0]).to.equal(31337n);
      expect(result.transactionsSent).to.equal(4); // fund the one-time signer, the presigned tx, two singletons
      expect(lines.some((l) => l.includes("deterministic deployment proxy created"))).to.equal(true);

      const manifest = readManifest(outDir, 31337n)!;
      expect(manifest.proxy).to.deep.equal({ address: DEPLOYMENT_PROXY.address, codeHash: DEPLOYMENT_PROXY_CODE_HASH, transactionHash: DEPLOYMENT_PROXY_TX_HASH });
      for (const [i, p] of plan.entries()) {
        const entry = manifest.contracts[i];
        expect([entry.name, entry.address, entry.salt, entry.initCodeHash]).to.deep.equal([p.name, p.address, p.salt, p.initCodeHash]);
        const receipt = await rpc<{ to: string; status: string }>(node.url, "eth_getTransactionReceipt", [entry.transactionHash]);
        expect(receipt.to.toLowerCase()).to.equal(DEPLOYMENT_PROXY.address.toLowerCase());
        expect(receipt.status).to.equal("0x1");
        expect(entry.codeHash).to.equal(keccak256(await rpc<string>(node.url, "eth_getCode", [p.address, "latest"])));
      }
    });

    it("sends nothing and says so when every singleton is already in place", async () => {
      const first = await deployToChain({ target: node.url, plan, manifestDir: outDir });
      const before = await state(node.url);
      const lines: string[] = [];
      const second = await deployToChain({ target: node.url, plan, manifestDir: outDir, log: (l) => lines.push(l) });

      expect(second.transactionsSent).to.equal(0);
      expect(second.deployer).to.equal(null);
      expect(second.proxy.status).to.equal("present");
      expect(second.contracts.map((c) => c.status)).to.deep.equal(["present", "present"]);
      expect(await state(node.url)).to.deep.equal(before);
      expect(lines.at(-1)).to.match(/nothing to deploy/);
      // The manifest keeps the transactions of the run that did deploy.
      expect(readManifest(outDir, 31337n)!.contracts.map((c) => c.transactionHash)).to.deep.equal(first.contracts.map((c) => c.transactionHash));
    });

    it("uses the proxy already on the chain instead of creating it again when only the proxy is there", async () => {
      const proxyOnly = await deployToChain({ target: node.url, plan: [] });
      expect(proxyOnly.proxy.status).to.equal("deployed");
      const result = await deployToChain({ target: node.url, plan });
      expect(result.proxy).to.deep.equal({ status: "present", transactionHash: null });
      expect(result.transactionsSent).to.equal(2);
    });

    it("refuses a predicted address that holds other code, naming the address and both hashes, and sends nothing", async () => {
      await rpc(node.url, "hardhat_setCode", [plan[1].address, OTHER_CODE]);
      const before = await state(node.url);
      const err = await expectRejection<CodeMismatchError>(deployToChain({ target: node.url, plan, manifestDir: outDir }), "CodeMismatchError", "CODE_MISMATCH");

      expect(err.address).to.equal(plan[1].address);
      expect(err.contract).to.equal("FixtureImplementation");
      expect(err.expectedCodeHash).to.equal(plan[1].expectedCodeHash);
      expect(err.actualCodeHash).to.equal(keccak256(OTHER_CODE));
      expect(err.message).to.include(plan[1].address).and.include(plan[1].expectedCodeHash).and.include(keccak256(OTHER_CODE));
      expect(await state(node.url)).to.deep.equal(before);
      expect(before.proxyCode).to.equal("0x");
      expect(fs.readdirSync(outDir)).to.deep.equal([]);
    });

    it("refuses a chain whose proxy address holds other code", async () => {
      await rpc(node.url, "hardhat_setCode", [DEPLOYMENT_PROXY.address, OTHER_CODE]);
      const err = await expectRejection<CodeMismatchError>(deployToChain({ target: node.url, plan }), "CodeMismatchError", "CODE_MISMATCH");
      expect(err.address).to.equal(DEPLOYMENT_PROXY.address);
      expect(err.expectedCodeHash).to.equal(DEPLOYMENT_PROXY_CODE_HASH);
    });

    it("refuses an unfunded deployer before sending anything", async () => {
      const key = Wallet.createRandom();
      const before = await state(node.url);
      const err = await expectRejection<DeployerUnfundedError>(
        deployToChain({ target: node.url, plan, env: { ARBOR_DEPLOYER_KEY: key.privateKey } }),
        "DeployerUnfundedError",
        "DEPLOYER_UNFUNDED",
      );
      expect(err.deployer).to.equal(key.address);
      expect(err.balance).to.equal(0n);
      expect(err.required > 10n ** 16n).to.equal(true); // at least the proxy's 0.01 ETH
      expect(err.message).to.include(key.address).and.include("nothing was sent");
      expect(await state(node.url)).to.deep.equal(before);
    });

    it("deploys with the key from ARBOR_DEPLOYER_KEY when it is set and funded", async () => {
      const key = Wallet.createRandom();
      await rpc(node.url, "hardhat_setBalance", [key.address, "0xde0b6b3a7640000"]); // 1 ETH
      const result = await deployToChain({ target: node.url, plan, env: { ARBOR_DEPLOYER_KEY: key.privateKey } });
      expect(result.deployer).to.equal(key.address);
      expect(result.contracts.map((c) => c.address)).to.deep.equal(plan.map((p) => p.address));
    });

    it("refuses a malformed deployer key without echoing it", async () => {
      for (const bad of ["0x1234", `0x${"zz".repeat(32)}`, `0x${"00".repeat(32)}`, `0x${"ff".repeat(32)}`]) {
        const err = await expectRejection(deployToChain({ target: node.url, plan, env: { ARBOR_DEPLOYER_KEY: bad } }), "InvalidDeployerKeyError", "INVALID_DEPLOYER_KEY");
        expect(err.message).not.to.include(bad.slice(2));
      }
    });

    it("reports that no deployer is available when no key is set and the node has no unlocked account", async () => {
      const gateway = await startRpcGateway(node.url, { noAccounts: true });
      try {
        const err = await expectRejection(deployToChain({ target: gateway.url, plan, env: {} }), "NoDeployerError", "NO_DEPLOYER");
        expect(err.message).to.include("ARBOR_DEPLOYER_KEY");
      } finally {
        await gateway.close();
      }
    });

    it("refuses to create the proxy when the base fee is above the presigned 100 gwei, before sending anything", async () => {
      await rpc(node.url, "hardhat_setNextBlockBaseFeePerGas", [`0x${parseUnits("1000", "gwei").toString(16)}`]);
      try {
        const before = await state(node.url);
        const err = await expectRejection<GasPriceModelError>(deployToChain({ target: node.url, plan }), "GasPriceModelError", "GAS_PRICE_MODEL");
        expect(err.model).to.equal("eip-1559");
        expect(err.chainPrice).to.equal(parseUnits("1000", "gwei"));
        expect(err.presignedPrice).to.equal(parseUnits("100", "gwei"));
        expect(err.message).to.include("chain 31337").and.include("0x4e59b44847b379578588920ca78fbf26c0b4956c");
        expect(await state(node.url)).to.deep.equal(before);
      } finally {
        await rpc(node.url, "hardhat_setNextBlockBaseFeePerGas", ["0x3b9aca00"]);
      }
    });

    it("stops with advice when the RPC refuses pre-EIP-155 transactions, before spending anything", async () => {
      const gateway = await startRpcGateway(node.url, { rejectUnprotected: true });
      try {
        const before = await state(node.url);
        const err = await expectRejection(deployToChain({ target: gateway.url, plan }), "UnprotectedTransactionRejectedError", "UNPROTECTED_TX_REJECTED");
        expect(err.message).to.include(GETH_UNPROTECTED_TX_ERROR).and.include("chain 31337").and.include("allow-unprotected-txs");
        expect(gateway.refused).to.deep.equal([DEPLOYMENT_PROXY.rawTransaction]);
        expect(await state(node.url)).to.deep.equal(before);
      } finally {
        await gateway.close();
      }
    });

    it("deploys through an RPC that refuses pre-EIP-155 transactions once the chain has the proxy", async () => {
      await deployToChain({ target: node.url, plan: [] });
      const gateway = await startRpcGateway(node.url, { rejectUnprotected: true });
      try {
        const result = await deployToChain({ target: gateway.url, plan });
        expect(result.contracts.map((c) => [c.address, c.status])).to.deep.equal(plan.map((p) => [p.address, "deployed"]));
        expect(gateway.refused).to.deep.equal([]);
      } finally {
        await gateway.close();
      }
    });

    it("refuses a chain without Cancun opcodes before sending anything", async () => {
      const before = await state(legacy.url);
      const err = await expectRejection(deployToChain({ target: legacy.url, plan }), "EvmVersionUnsupportedError", "EVM_VERSION_UNSUPPORTED");
      expect(err.message).to.include("chain 31402").and.include("cancun");
      expect(await state(legacy.url)).to.deep.equal(before);
    });

    it("refuses to create the proxy on a legacy-priced chain whose minimum gas price is above 100 gwei, before funding", async () => {
      const before = await state(legacy.url);
      const err = await expectRejection<GasPriceModelError>(deployToChain({ target: legacy.url, plan: [] }), "GasPriceModelError", "GAS_PRICE_MODEL");
      expect(err.model).to.equal("legacy");
      expect(err.message).to.include("chain 31402").and.include("below the minimum");
      expect(await state(legacy.url)).to.deep.equal(before);
    });

    it("fails with RpcUnreachableError when nothing listens at the URL", async () => {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const err = await expectRejection<Error & { url: string; reason: string }>(deployToChain({ target: url, plan }), "RpcUnreachableError", "RPC_UNREACHABLE");
      expect(err.url).to.equal(url);
      expect(err.reason).to.equal("ECONNREFUSED");
    });

    it("fails with RpcUnreachableError when the URL answers but is not a JSON-RPC endpoint", async () => {
      const server = await startNotRpcServer();
      try {
        const err = await expectRejection(deployToChain({ target: server.url, plan }), "RpcUnreachableError", "RPC_UNREACHABLE");
        expect(err.message).to.include("HTTP 404");
      } finally {
        await server.close();
      }
    });

    it("fails with RpcUnreachableError for a URL that is not http(s)", async () => {
      await expectRejection(deployToChain({ target: "ws://127.0.0.1:8545", plan }), "RpcUnreachableError", "RPC_UNREACHABLE");
      await expectRejection(deployToChain({ target: "not a url", plan }), "RpcUnreachableError", "RPC_UNREACHABLE");
    });
  });

  describe("verify-chain", () => {
    it("finds every recorded contract with its recorded code right after a deployment", async () => {
      await deployToChain({ target: node.url, plan, manifestDir: outDir });
      const v = await verifyChain({ target: node.url, manifestDir: outDir, plan });
      expect(v.ok).to.equal(true);
      expect(v.findings.map((f) => [f.name, f.status])).to.deep.equal([
        ["DeterministicDeploymentProxy", "ok"],
        ["FixtureRegistry", "ok"],
        ["FixtureImplementation", "ok"],
      ]);
    });

    it("reports code-differs when the code at a recorded address changed", async () => {
      await deployToChain({ target: node.url, plan, manifestDir: outDir });
      await rpc(node.url, "hardhat_setCode", [plan[0].address, OTHER_CODE]);
      const v = await verifyChain({ target: node.url, manifestDir: outDir, plan });
      expect(v.ok).to.equal(false);
      expect(v.findings.find((f) => f.name === "FixtureRegistry")).to.include({ status: "code-differs", address: plan[0].address });
    });

    it("reports differs-from-prediction when the artifacts no longer predict the recorded addresses", async () => {
      await deployToChain({ target: node.url, plan, manifestDir: outDir });
      const salted = planSingletons(FIXTURE_SINGLETONS.map((s) => ({ ...s, salt: keccak256(AbiCoder.defaultAbiCoder().encode(["string"], ["other"])) })), fixtureArtifacts());
      const v = await verifyChain({ target: node.url, manifestDir: outDir, plan: salted });
      expect(v.ok).to.equal(false);
      expect(v.findings.filter((f) => f.status === "differs-from-prediction").map((f) => f.name)).to.deep.equal(["FixtureRegistry", "FixtureImplementation"]);
    });

    it("throws ManifestError when the chain has no manifest in the directory", async () => {
      const err = await expectRejection(verifyChain({ target: node.url, manifestDir: outDir }), "ManifestError", "INVALID_MANIFEST");
      expect(err.message).to.include("31337.json");
    });
  });
});
