import path from "node:path";
import { encodeCallsPayload } from "../../lib/payload/packed-calls";
import { expect } from "chai";
import { Contract, JsonRpcProvider, Network, Wallet, id, type JsonRpcSigner } from "ethers";
import { Configuration } from "../../lib/configuration/configuration";
import type { Hex } from "../../lib/hex";
import { ON_FAILURE_CODES } from "../../lib/payload/calls";
import { hashCalls } from "../../lib/payload/hash-calls";
import { hashConfigUpdate } from "../../lib/payload/hash-config-update";
import type { CallInput } from "../../lib/payload/types";
import { signPayload } from "../../lib/signature/sign-payload";
import { ecdsaSigner } from "../../lib/signature/signers";
import { walletAddress } from "../../lib/wallet/address";
import type { LocalNode } from "../../deploy/local-node";
import { ARBOR_SINGLETONS, deployToChain, hardhatArtifacts, planSingletons, type SingletonPlan } from "../../lib/deploy";
import { freshChains } from "./helpers";

const ROOT = path.join(__dirname, "..", "..");
const artifacts = hardhatArtifacts(path.join(ROOT, "artifacts"));
const keys = (seed: string, n: number) => Array.from({ length: n }, (_, i) => new Wallet(id(`${seed}/${i}`)));

interface Chain {
  node: LocalNode;
  chainId: bigint;
  provider: JsonRpcProvider;
  relayer: JsonRpcSigner;
  factory: Contract;
}

/** The calls as the wallet's ABI takes them. */
const abiCalls = (calls: CallInput[]) =>
  calls.map((c) => ({ target: c.target, value: c.value ?? 0n, data: c.data ?? "0x", gasLimit: c.gasLimit ?? 0n, delegateCall: c.delegateCall ?? false, onFailure: ON_FAILURE_CODES[c.onFailure ?? "revert"] }));

/** The custom error a call reverted with, decoded with the wallet's ABI. */
async function revertName(call: Promise<unknown>, wallet: Contract): Promise<string | undefined> {
  try {
    await call;
  } catch (e) {
    const data = (e as { data?: string }).data;
    return data ? wallet.interface.parseError(data)?.name : (e as { revert?: { name: string } }).revert?.name;
  }
  return undefined;
}

describe("deploy", function () {
  const chains: Chain[] = [];
  let nodes: LocalNode[] = [];
  let plan: SingletonPlan[];
  let factoryAddress: string;
  let implementation: string;

  const first = keys("arbor-multichain/first", 3);
  const second = keys("arbor-multichain/second", 2);
  const initial = Configuration.of({ threshold: 2n, checkpoint: 0n, leaves: first.map((k) => ({ kind: "ecdsa-signer", signer: k.address as Hex, weight: 1n })) });
  const updated = Configuration.of({ threshold: 2n, checkpoint: 1n, leaves: second.map((k) => ({ kind: "ecdsa-signer", signer: k.address as Hex, weight: 1n })) });
  const recipient = new Wallet(id("arbor-multichain/recipient")).address;

  before(async function () {
    this.timeout(120_000);
    plan = planSingletons(ARBOR_SINGLETONS, artifacts);
    factoryAddress = plan.find((p) => p.name === "ArborFactory")!.address;
    implementation = plan.find((p) => p.name === "ArborWallet")!.address;
    nodes = await freshChains();
    for (const node of nodes) {
      await deployToChain({ target: node.url, plan });
      const network = Network.from(node.chainId);
      const provider = new JsonRpcProvider(node.url, network, { staticNetwork: network, cacheTimeout: -1 });
      provider.pollingInterval = 50;
      const relayer = await provider.getSigner(1);
      chains.push({ node, chainId: BigInt(node.chainId), provider, relayer, factory: new Contract(factoryAddress, artifacts.read(ARBOR_SINGLETONS[0].artifact).abi, relayer) });
    }
  });

  after(async () => {
    for (const c of chains) c.provider.destroy();
  });

  const walletOn = (c: Chain) => new Contract(address(), artifacts.read("contracts/wallet/ArborWallet.sol:ArborWallet").abi, c.relayer);
  const address = () => walletAddress({ factory: factoryAddress, implementation, imageHash: initial.imageHash });
  const balance = (c: Chain, who: string) => c.provider.getBalance(who);

  async function signedExecute(c: Chain, configuration: Configuration, signers: Wallet[], calls: CallInput[], nonce: bigint) {
    const digest = hashCalls({ calls, space: 0n, nonce }, { wallet: address(), chainId: c.chainId });
    const { signature } = await signPayload(configuration, digest, signers.map((k) => ecdsaSigner(k.privateKey)));
    return walletOn(c).interface.encodeFunctionData("execute", [encodeCallsPayload({ calls, space: 0n, nonce }), signature]);
  }

  describe("walletAddress", () => {
    it("gives a wallet with the same first configuration the same address on both chains, the one each factory predicts", async () => {
      for (const c of chains) expect(await c.factory.predict(implementation, initial.imageHash)).to.equal(address());
      for (const c of chains) expect(await c.provider.getCode(address())).to.equal("0x");
    });
  });

  describe("ArborWallet on two chains", () => {
    it("is deployed on one chain, used there, and used on the other, which it reaches on first use", async () => {
      const [a, b] = chains;
      // Funds sent to the counterfactual address before the wallet exists on either chain.
      for (const c of chains) await (await c.relayer.sendTransaction({ to: address(), value: 10_000n })).wait();

      await (await a.factory.deploy(implementation, initial.imageHash)).wait();
      expect(await a.provider.getCode(address())).not.to.equal("0x");
      expect(await b.provider.getCode(address())).to.equal("0x");

      const pay = (value: bigint): CallInput[] => [{ target: recipient, value }];
      await (await a.relayer.sendTransaction({ to: address(), data: await signedExecute(a, initial, first.slice(0, 2), pay(1_000n), 0n) })).wait();
      expect(await balance(a, recipient)).to.equal(1_000n);

      // Chain B: the factory deploys the same wallet and runs the batch in one transaction.
      const data = await signedExecute(b, initial, first.slice(1, 3), pay(2_000n), 0n);
      await (await b.factory.deployAndCall(implementation, initial.imageHash, data)).wait();
      expect(await b.provider.getCode(address())).to.equal(await a.provider.getCode(address()));
      expect(await balance(b, recipient)).to.equal(2_000n);
    });

    it("refuses a batch signed for one chain when it is relayed on the other", async () => {
      const [a, b] = chains;
      const forA = await signedExecute(a, initial, first.slice(0, 2), [{ target: recipient, value: 1n }], 1n);
      expect(await revertName(b.relayer.call({ to: address(), data: forA }), walletOn(b))).to.equal("ImageHashMismatch");
      expect(await walletOn(b).nonces(0n)).to.equal(1n);
    });

    it("applies one configuration update, signed once with chain id 0, on both chains", async () => {
      const digest = hashConfigUpdate({ root: updated.root, threshold: updated.threshold, checkpoint: updated.checkpoint }, { wallet: address(), chainId: 0n });
      const { signature } = await signPayload(initial, digest, first.slice(0, 2).map((k) => ecdsaSigner(k.privateKey)), { chainIdZero: true });

      for (const c of chains) {
        await (await walletOn(c).updateConfigurationWithSignature(updated.root, updated.threshold, updated.checkpoint, signature)).wait();
        expect(await walletOn(c).imageHash()).to.equal(updated.imageHash);
        expect(await walletOn(c).isValidImageHash(initial.imageHash)).to.equal(false);
      }
      // The new signers now run the wallet on both chains; the old ones no longer can.
      for (const c of chains) {
        const nonce = await walletOn(c).nonces(0n);
        const before = await balance(c, recipient);
        await (await c.relayer.sendTransaction({ to: address(), data: await signedExecute(c, updated, second, [{ target: recipient, value: 5n }], nonce) })).wait();
        expect(await balance(c, recipient)).to.equal(before + 5n);
      }
    });

    it("refuses to replay the chain-id-0 update, and refuses an update signed for one chain on the other", async () => {
      const [a, b] = chains;
      const replay = hashConfigUpdate({ root: updated.root, threshold: updated.threshold, checkpoint: updated.checkpoint }, { wallet: address(), chainId: 0n });
      const old = await signPayload(initial, replay, first.slice(0, 2).map((k) => ecdsaSigner(k.privateKey)), { chainIdZero: true });
      const next = Configuration.of({ threshold: 1n, checkpoint: 2n, leaves: [{ kind: "ecdsa-signer", signer: first[0].address as Hex, weight: 1n }] });
      const forA = hashConfigUpdate({ root: next.root, threshold: next.threshold, checkpoint: next.checkpoint }, { wallet: address(), chainId: a.chainId });
      const signedForA = await signPayload(updated, forA, second.map((k) => ecdsaSigner(k.privateKey)));

      const attempts: Array<[Chain, Configuration, string]> = [
        [a, updated, old.signature], // the first configuration is gone: its signature proves nothing now
        [b, next, signedForA.signature], // signed for chain A's id
      ];
      for (const [c, config, signature] of attempts) {
        const wallet = walletOn(c);
        const call = wallet.updateConfigurationWithSignature.staticCall(config.root, config.threshold, config.checkpoint, signature);
        expect(await revertName(call, wallet)).to.equal("ImageHashMismatch");
      }
      for (const c of chains) expect(await walletOn(c).imageHash()).to.equal(updated.imageHash);
    });
  });
});
