import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { Interface, keccak256 } from "ethers";
import { runCli } from "../../deploy/cli";
import type { LocalNode } from "../../deploy/local-node";
import { ARBOR_SINGLETONS, DEPLOYMENT_PROXY, hardhatArtifacts, planSingletons, readManifest, runtimeCodeHash, type SingletonPlan } from "../../lib/deploy";
import { closedPort, freshChains, rpc, snapshotter } from "./helpers";

const ROOT = path.join(__dirname, "..", "..");
const OTHER_CODE = "0x6080604052348015600e575f80fd5b50";

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real command line, `node bin/arbor.js …`, as a deployer would. */
function arbor(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const childEnv = { ...process.env, ...env };
  if (!("ARBOR_DEPLOYER_KEY" in env)) delete childEnv.ARBOR_DEPLOYER_KEY;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin", "arbor.js"), ...args], { cwd: ROOT, env: childEnv });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** runCli in this process, collecting what it prints. */
async function arborInProcess(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { out: (l) => (stdout += `${l}\n`), err: (l) => (stderr += `${l}\n`), env });
  return { code, stdout, stderr };
}

describe("deploy", function () {
  let a: LocalNode;
  let b: LocalNode;
  let out: string;
  let plan: SingletonPlan[];
  let freshB: () => Promise<void>;

  before(async function () {
    this.timeout(120_000);
    plan = planSingletons(ARBOR_SINGLETONS, hardhatArtifacts(path.join(ROOT, "artifacts")));
    out = fs.mkdtempSync(path.join(os.tmpdir(), "arbor-cli-"));
    [a, b] = await freshChains();
    freshB = await snapshotter(b.url);
  });

  after(async () => {
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  describe("arbor deploy", () => {
    it("puts every singleton at the same address on both chains, the one predicted off-chain", async () => {
      const run = await arbor(["deploy", "--rpc", `${a.url},${b.url}`, "--out", out, "--json"]);
      expect(run.code, run.stderr).to.equal(0);
      const report = JSON.parse(run.stdout);
      expect(report.agree).to.equal(true);
      expect(report.chains.map((c: { chainId: string }) => c.chainId)).to.deep.equal(["31337", "31338"]);

      const predicted = Object.fromEntries(plan.map((p) => [p.name, p.address]));
      for (const chain of report.chains) {
        expect(Object.fromEntries(chain.contracts.map((c: { name: string; address: string }) => [c.name, c.address]))).to.deep.equal(predicted);
        expect(chain.contracts.every((c: { status: string }) => c.status === "deployed")).to.equal(true);
        expect(readManifest(out, BigInt(chain.chainId))!.contracts.map((c) => [c.name, c.address])).to.deep.equal(plan.map((p) => [p.name, p.address]));
      }
      for (const node of [a, b]) {
        expect(await rpc(node.url, "eth_getCode", [DEPLOYMENT_PROXY.address, "latest"])).to.equal(DEPLOYMENT_PROXY.runtimeCode);
        for (const p of plan) {
          expect(runtimeCodeHash(await rpc<string>(node.url, "eth_getCode", [p.address, "latest"]), p.immutableRanges)).to.equal(p.expectedCodeHash);
        }
        // The wallet implementation was built with the factory's and the sessions module's predicted addresses.
        const wallet = new Interface(["function FACTORY() view returns (address)", "function SESSIONS() view returns (address)"]);
        const impl = plan.find((p) => p.name === "ArborWallet")!.address;
        const read = async (fn: "FACTORY" | "SESSIONS") =>
          wallet.decodeFunctionResult(fn, await rpc<string>(node.url, "eth_call", [{ to: impl, data: wallet.encodeFunctionData(fn) }, "latest"]))[0];
        expect(await read("FACTORY")).to.equal(predicted.ArborFactory);
        expect(await read("SESSIONS")).to.equal(predicted.ArborSessions);
      }
      expect(run.stderr).to.include("deterministic deployment proxy created");
    });

    it("deploys nothing on a second run, says so, and prints the chain × contract table", async () => {
      const blocks = await Promise.all([a, b].map((n) => rpc<string>(n.url, "eth_blockNumber")));
      const run = await arbor(["deploy", "--rpc", a.url, "--rpc", b.url, "--out", out]);
      expect(run.code, run.stderr).to.equal(0);
      expect(await Promise.all([a, b].map((n) => rpc<string>(n.url, "eth_blockNumber")))).to.deep.equal(blocks);
      expect(run.stdout).to.include("nothing to deploy");
      const lines = run.stdout.split("\n");
      expect(lines[0].split(/\s+/)).to.deep.equal(["contract", "chain", "31337", "chain", "31338", "agree"]);
      for (const p of plan) {
        expect(lines.find((l) => l.startsWith(`${p.name} `))!.split(/\s+/)).to.deep.equal([p.name, p.address, p.address, "yes"]);
      }
    });

    it("exits 1 for an unreachable RPC and still deploys to the reachable chain", async () => {
      const dead = `http://127.0.0.1:${await closedPort()}`;
      const run = await arborInProcess(["deploy", "--rpc", `${dead},${a.url}`, "--out", out, "--json"]);
      expect(run.code).to.equal(1);
      const report = JSON.parse(run.stdout);
      expect(report.chains[0].error).to.include({ code: "RPC_UNREACHABLE" });
      expect(report.chains[0].error.message).to.include(dead);
      expect(report.chains[1]).to.include({ chainId: "31337", ok: true });
    });

    it("fails before touching any chain when ARBOR_DEPLOYER_KEY is malformed", async () => {
      const run = await arborInProcess(["deploy", "--rpc", a.url, "--out", out], { ARBOR_DEPLOYER_KEY: "0xnot-a-key" });
      expect(run.code).to.equal(1);
      expect(run.stderr).to.include("INVALID_DEPLOYER_KEY").and.not.include("not-a-key");
      expect(run.stdout).to.equal("");
    });

    it("exits 2 with the usage for malformed command lines", async () => {
      const cases: Array<[string[], string]> = [
        [["deploy"], "--rpc: at least one JSON-RPC URL is required"],
        [["deploy", "--rpc", `${a.url},${a.url}`], "listed twice"],
        [["deploy", "--rpc", "ws://127.0.0.1:8545"], "only http and https"],
        [["deploy", "--rpc", "nonsense"], "is not a URL"],
        [["deploy", "--rpc", `${a.url},`], "empty URL"],
        [["deploy", "--rpc", a.url, "--gas", "1"], "Unknown option '--gas'"],
        [["verify", "--rpc", a.url, "extra"], "arguments"],
        [["predict", "--rpc", a.url], "predict needs no chain"],
        [["deploy", "--rpc", a.url, "--out", ""], "--out"],
        [["launch"], "unknown command"],
      ];
      for (const [argv, message] of cases) {
        const run = await arborInProcess(argv);
        expect(run.code, argv.join(" ")).to.equal(2);
        expect(run.stderr, argv.join(" ")).to.include("INVALID_OPTION").and.include(message).and.include("usage:");
      }
    });
  });

  describe("arbor verify", () => {
    it("exits 0 when both chains match their manifests", async () => {
      const run = await arbor(["verify", "--rpc", `${a.url},${b.url}`, "--out", out]);
      expect(run.code, run.stdout + run.stderr).to.equal(0);
      expect(run.stdout).to.include("all 2 chains match their manifests");
    });

    it("exits 1 naming the contract when a chain's code no longer matches its manifest", async () => {
      const restoreA = await snapshotter(a.url);
      const wallet = plan.find((p) => p.name === "ArborWallet")!;
      await rpc(a.url, "hardhat_setCode", [wallet.address, OTHER_CODE]);
      try {
        const run = await arborInProcess(["verify", "--rpc", `${a.url},${b.url}`, "--out", out, "--json"]);
        expect(run.code).to.equal(1);
        const report = JSON.parse(run.stdout);
        const findings = report.chains[0].findings.filter((f: { status: string }) => f.status !== "ok");
        expect(findings).to.deep.equal([
          { name: "ArborWallet", address: wallet.address, status: "code-differs", detail: `code hash ${keccak256(OTHER_CODE)}, manifest says ${readManifest(out, 31337n)!.contracts.find((c) => c.name === "ArborWallet")!.codeHash}` },
        ]);
        expect(report.chains[1].ok).to.equal(true);
      } finally {
        await restoreA();
      }
    });

    it("exits 1 with INVALID_MANIFEST for a chain that has no manifest", async () => {
      const empty = fs.mkdtempSync(path.join(os.tmpdir(), "arbor-empty-"));
      try {
        const run = await arborInProcess(["verify", "--rpc", a.url, "--out", empty]);
        expect(run.code).to.equal(1);
        expect(run.stdout).to.include("INVALID_MANIFEST").and.include("31337.json");
      } finally {
        fs.rmSync(empty, { recursive: true, force: true });
      }
    });
  });

  describe("arbor predict", () => {
    it("prints the addresses deploy produces, without any chain", async () => {
      const run = await arborInProcess(["predict", "--json"]);
      expect(run.code).to.equal(0);
      expect(JSON.parse(run.stdout).singletons).to.deep.equal(plan.map(({ name, address, salt, initCodeHash }) => ({ name, address, salt, initCodeHash })));
    });
  });

  describe("hardhat arbor deploy (task)", () => {
    // --no-compile: `hardhat test` compiled already, and compiling here would pick up half-edited files.
    it("runs the same deployment from Hardhat and finds nothing to do on a deployed chain", async function () {
      this.timeout(120_000);
      const printed: string[] = [];
      const log = console.log;
      console.log = (...args: unknown[]) => void printed.push(args.join(" "));
      const error = console.error;
      console.error = () => {};
      let code: number;
      try {
        code = await hre.run({ scope: "arbor", task: "deploy" }, { rpc: `${a.url},${b.url}`, out, json: true, noCompile: true });
      } finally {
        console.log = log;
        console.error = error;
      }
      expect(code).to.equal(0);
      const report = JSON.parse(printed.join("\n"));
      expect(report.chains.map((c: { transactionsSent: number }) => c.transactionsSent)).to.deep.equal([0, 0]);
      expect(report.predicted.ArborWallet).to.equal(plan.find((p) => p.name === "ArborWallet")!.address);
    });
  });

  // Last: it resets chain B to before the deployment.
  describe("arbor deploy on a chain that holds other code", () => {
    it("refuses a chain where a predicted address holds other code, still handles the other chain, and exits 1", async () => {
      await freshB(); // chain B as it was before any deployment; the tests above are done with it
      const factory = plan.find((p) => p.name === "ArborFactory")!;
      await rpc(b.url, "hardhat_setCode", [factory.address, OTHER_CODE]);
      const run = await arbor(["deploy", "--rpc", `${a.url},${b.url}`, "--out", out, "--json"]);
      expect(run.code).to.equal(1);
      const report = JSON.parse(run.stdout);
      expect(report.agree).to.equal(false);
      expect(report.chains[0]).to.include({ chainId: "31337", ok: true, transactionsSent: 0 });
      expect(report.chains[1].error).to.include({ name: "CodeMismatchError", code: "CODE_MISMATCH" });
      expect(report.chains[1].error.message).to.include(factory.address).and.include(factory.expectedCodeHash).and.include(keccak256(OTHER_CODE));
      expect(run.stderr).to.include(factory.address);
      // Refused before sending anything: not even the proxy was created on chain B.
      expect(await rpc(b.url, "eth_getCode", [DEPLOYMENT_PROXY.address, "latest"])).to.equal("0x");
    });
  });
});
