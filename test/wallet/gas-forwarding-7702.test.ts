/**
 * Review (audit finding, gas forwarding): a call with a gas limit to an EIP-7702 delegated EOA.
 * Calling such an account costs the cold access of the delegate too (2,600 gas), which the
 * wallet's starvation check used to omit (and it under-counted the opcodes between the check and
 * the CALL by 7 gas): a relayer could pick a transaction gas at which the check passed but the
 * callee got less than its signed limit. Runs on a `hardhat node` under the prague hardfork
 * (EIP-7702), with a real delegation: the EOA signs an authorization and a type-4 transaction
 * installs it. Checked to fail with the old allowance (2,700 gas): at the least passing gas the
 * call was starved and ignored.
 */
import { CANONICAL_ENTRY_POINT_V08 } from "../../lib/userop/entry-point";
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { artifacts } from "hardhat";
import { ContractFactory, JsonRpcProvider, NonceManager, Wallet, type Contract } from "ethers";
import { Configuration } from "../../lib/configuration/configuration";
import { hashCalls } from "../../lib/payload/hash-calls";
import { encodeCallsPayload } from "../../lib/payload/packed-calls";
import type { CallInput } from "../../lib/payload/types";
import { signPayload } from "../../lib/signature/sign-payload";
import { ecdsaSigner } from "../../lib/signature/signers";
import { walletAddress } from "../../lib/wallet/address";
import type { Hex } from "../../lib/hex";

const ROOT = path.resolve(__dirname, "..", "..");
const PORT = 18_545 + Math.floor(Math.random() * 1000);
const CHAIN_ID = 31337n;
const GAS_LIMIT = 500_000n;
// The callee needs all but 1,000 of its limit at its first check: a 2,600-gas shortfall starves it.
const NEEDED = 499_000n;

async function startPragueNode(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, "node_modules", "hardhat", "internal", "cli", "bootstrap.js"), "node", "--port", String(PORT)], {
    cwd: ROOT,
    env: { ...process.env, HARDHAT_HARDFORK: "prague" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("hardhat node did not start")), 90_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("Started HTTP")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`hardhat node exited with ${code}`)));
  });
  return child;
}

async function deploy(name: string, signer: NonceManager, args: unknown[] = []): Promise<Contract> {
  const artifact = await artifacts.readArtifact(name);
  const contract = await new ContractFactory(artifact.abi, artifact.bytecode, signer).deploy(...args);
  await contract.waitForDeployment();
  return contract as Contract;
}

describe("ArborWallet (review: gas forwarding to an EIP-7702 delegated account, prague)", function () {
  this.timeout(240_000);
  let node: ChildProcess;
  let provider: JsonRpcProvider;
  let funder: NonceManager;

  before(async () => {
    node = await startPragueNode();
    provider = new JsonRpcProvider(`http://127.0.0.1:${PORT}`, undefined, { staticNetwork: true, cacheTimeout: -1 });
    // The node's unlocked account funds a local key, which signs everything (type-4 included).
    const unlocked = await provider.getSigner(0);
    const key = Wallet.createRandom().connect(provider);
    await (await unlocked.sendTransaction({ to: key.address, value: 10n ** 20n })).wait();
    funder = new NonceManager(key);
  });

  after(() => {
    node?.kill();
  });

  describe("execute", () => {
    it("gives a gas-limited call to a 7702-delegated EOA its whole limit, or reverts with NotEnoughGas, whatever gas the relayer picks", async () => {
      const owner = Wallet.createRandom();
      const configuration = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: owner.address as Hex, weight: 1n }] });
      const factory = await deploy("ArborFactory", funder);
      const implementation = await deploy("ArborWallet", funder, [await factory.getAddress(), "0x0000000000000000000000000000000000000000", CANONICAL_ENTRY_POINT_V08]);
      const probeCode = await deploy("GasProbe", funder);
      await (await factory.getFunction("deploy")(await implementation.getAddress(), configuration.imageHash)).wait();
      const address = walletAddress({ factory: (await factory.getAddress()) as Hex, implementation: (await implementation.getAddress()) as Hex, imageHash: configuration.imageHash });
      const wallet = implementation.attach(address).connect(funder) as Contract;

      // A real EIP-7702 delegation: the EOA authorises GasProbe's code; a type-4 transaction installs it.
      const eoa = new Wallet(Wallet.createRandom().privateKey, provider);
      const authorization = await eoa.authorize({ address: await probeCode.getAddress(), nonce: 0n, chainId: CHAIN_ID });
      // Sent to the funder itself: calling the EOA would run GasProbe with no selector and revert.
      await (await funder.sendTransaction({ type: 4, to: await funder.getAddress(), authorizationList: [authorization], gasLimit: 100_000n })).wait();
      const code = await provider.getCode(eoa.address);
      expect(code.slice(0, 8)).to.equal("0xef0100");
      expect(code.slice(8).toLowerCase()).to.equal((await probeCode.getAddress()).slice(2).toLowerCase());

      const probe = probeCode.attach(eoa.address) as Contract;
      const data = probe.interface.encodeFunctionData("needs", [NEEDED]) as Hex;
      // A direct call with exactly GAS_LIMIT at the callee's first instruction passes.
      await provider.call({ to: eoa.address, data, gasLimit: 21_000n + GAS_LIMIT + 2_600n + 100n });
      const calls: CallInput[] = [{ target: eoa.address as Hex, data, gasLimit: GAS_LIMIT, onFailure: "ignore" }];
      const digest = hashCalls({ calls, space: 0n, nonce: 0n }, { wallet: address, chainId: CHAIN_ID });
      const { signature } = await signPayload(configuration, digest, [ecdsaSigner(owner.privateKey as Hex)]);
      const payload = encodeCallsPayload({ calls, space: 0n, nonce: 0n });
      const execute = wallet.getFunction("execute");

      // The relayer looks for the least gas at which the transaction succeeds (bisection over eth_call)...
      const passes = async (gasLimit: bigint) => {
        try {
          await execute.staticCall(payload, signature, { gasLimit });
          return true;
        } catch {
          return false;
        }
      };
      let low = 21_000n;
      let high = 3_000_000n;
      expect(await passes(high)).to.equal(true);
      while (high - low > 1n) {
        const middle = (low + high) / 2n;
        if (await passes(middle)) high = middle;
        else low = middle;
      }
      // ...and sends it there: the call must have run with its limit, not been starved and ignored.
      const receipt = (await (await execute(payload, signature, { gasLimit: high })).wait())!;
      const ignored = receipt.logs.map((log: { topics: string[]; data: string }) => wallet.interface.parseLog(log)?.name).filter((name: string | undefined) => name === "CallIgnored");
      expect(ignored, `at ${high} gas the delegated call was starved`).to.deep.equal([]);
      expect(await probe.getFunction("runs")()).to.equal(1n);

      expect(await wallet.getFunction("nonces")(0n)).to.equal(1n);
    });
  });
});
