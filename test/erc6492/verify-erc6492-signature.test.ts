/**
 * ERC-6492 on a real `hardhat node`: the library's wrappers for a counterfactual Arbor wallet and
 * for a deployed wallet one configuration update behind, checked by the library's deployless
 * verifier and, independently, by viem's `verifyHash` (its own universal validator bytecode).
 */
import { CANONICAL_ENTRY_POINT_V08 } from "../../lib/userop/entry-point";
import { expect } from "chai";
import { artifacts } from "hardhat";
import { ContractFactory, JsonRpcProvider, Wallet, id, type Contract, type JsonRpcSigner } from "ethers";
import { createPublicClient, http, type PublicClient } from "viem";
import { startLocalNode, type LocalNode } from "../../deploy/local-node";
import { Configuration } from "../../lib/configuration/configuration";
import type { Leaf } from "../../lib/configuration/leaves";
import type { Hex } from "../../lib/hex";
import { hashConfigUpdate } from "../../lib/payload/hash-config-update";
import { hashMessage } from "../../lib/payload/hash-message";
import { signPayload } from "../../lib/signature/sign-payload";
import { ecdsaSigner } from "../../lib/signature/signers";
import { walletAddress } from "../../lib/wallet/address";
import { Erc6492Error } from "../../lib/erc6492/erc6492-error";
import { ERC6492_VERIFIER_BYTECODE } from "../../lib/erc6492/erc6492-verifier-bytecode";
import { unwrapSignature } from "../../lib/erc6492/unwrap-signature";
import { verifyErc6492Signature } from "../../lib/erc6492/verify-erc6492-signature";
import { wrapArborSignature, type PendingConfigurationUpdate } from "../../lib/erc6492/wrap-arbor-signature";
import { ERC6492_MAGIC, wrapSignature } from "../../lib/erc6492/wrap-signature";

const CHAIN_ID = 31_492;
const keys = Array.from({ length: 4 }, (_, i) => new Wallet(id(`erc6492/${i}`)));
const leaf = (k: Wallet): Leaf => ({ kind: "ecdsa-signer", signer: k.address as Hex, weight: 1n });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

describe("erc6492", () => {
  let node: LocalNode;
  let provider: JsonRpcProvider;
  let funder: JsonRpcSigner;
  let viem: PublicClient;
  let factory: Hex;
  let implementation: Hex;
  const message = id("a message the wallet signs before it exists") as Hex;

  before(async () => {
    node = await startLocalNode({ chainId: CHAIN_ID });
    provider = new JsonRpcProvider(node.url, CHAIN_ID, { staticNetwork: true });
    funder = await provider.getSigner(0);
    viem = createPublicClient({ transport: http(node.url) }) as PublicClient;
    const deploy = async (name: string, args: unknown[] = []) => {
      const a = await artifacts.readArtifact(name);
      const c = (await new ContractFactory(a.abi, a.bytecode, funder).deploy(...args)) as Contract;
      await c.waitForDeployment();
      return (await c.getAddress()) as Hex;
    };
    const sessions = (await artifacts.artifactExists("ArborSessions")) ? await deploy("ArborSessions") : ("0x" + "00".repeat(20)) as Hex;
    factory = await deploy("ArborFactory");
    implementation = await deploy("ArborWallet", [factory, sessions, CANONICAL_ENTRY_POINT_V08]);
  });
  after(async () => {
    provider?.destroy();
    await node?.stop();
  });

  const counterfactual = (configuration: Configuration) => walletAddress({ factory, implementation, imageHash: configuration.imageHash });
  const signMessage = async (configuration: Configuration, wallet: Hex, signers: Wallet[], hash: Hex = message) =>
    (await signPayload(configuration, hashMessage(hash, { wallet, chainId: BigInt(CHAIN_ID) }), signers.map((k) => ecdsaSigner(k.privateKey as Hex)))).signature;
  const signUpdate = async (from: Configuration, to: Configuration, wallet: Hex, signers: Wallet[]): Promise<PendingConfigurationUpdate> => {
    const digest = hashConfigUpdate({ root: to.root, threshold: to.threshold, checkpoint: to.checkpoint }, { wallet, chainId: BigInt(CHAIN_ID) });
    const { signature } = await signPayload(from, digest, signers.map((k) => ecdsaSigner(k.privateKey as Hex)));
    return { root: to.root, threshold: to.threshold, checkpoint: to.checkpoint, signature };
  };
  const both = async (signer: Hex, signature: Hex, hash: Hex = message) => ({
    arbor: await verifyErc6492Signature(provider, { signer, hash, signature }),
    viem: await viem.verifyHash({ address: signer, hash, signature }),
  });

  describe("ERC6492_VERIFIER_BYTECODE", () => {
    it("equals the compiled creation code of ERC6492Verifier when the contract is compiled", async () => {
      expect(ERC6492_VERIFIER_BYTECODE).to.equal((await artifacts.readArtifact("ERC6492Verifier")).bytecode);
    });
  });

  describe("wrapArborSignature", () => {
    it("is accepted by the library and by viem when the wallet is not deployed, and the raw signature is refused", async () => {
      const configuration = Configuration.of({ threshold: 2n, checkpoint: 0n, leaves: keys.slice(0, 3).map(leaf) });
      const wallet = counterfactual(configuration);
      const raw = await signMessage(configuration, wallet, keys.slice(0, 2));
      const wrapped = wrapArborSignature({ deployed: false, factory, implementation, imageHash: configuration.imageHash }, raw);
      expect(await both(wallet, wrapped)).to.deep.equal({ arbor: true, viem: true });
      expect(await viem.verifyHash({ address: wallet, hash: message, signature: raw })).to.equal(false);
      expect(await provider.getCode(wallet)).to.equal("0x");
    });

    it("is accepted by both when the wallet is deployed one signed update behind (deployed but not ready), and the raw signature is not", async () => {
      const first = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [leaf(keys[0])] });
      const wallet = counterfactual(first);
      await (await funder.sendTransaction({ to: factory, data: new ContractFactory([ "function deploy(address,bytes32)" ], "0x").interface.encodeFunctionData("deploy", [implementation, first.imageHash]) })).wait();
      const next = first.update({ replace: [{ from: leaf(keys[0]), to: leaf(keys[1]) }], checkpoint: 1n });
      const pendingUpdate = await signUpdate(first, next, wallet, [keys[0]]);
      const raw = await signMessage(next, wallet, [keys[1]]);
      const wrapped = wrapArborSignature({ deployed: true, wallet, pendingUpdate }, raw);
      expect(await both(wallet, wrapped)).to.deep.equal({ arbor: true, viem: true });
      expect(await both(wallet, raw)).to.deep.equal({ arbor: false, viem: false });
      // The prepare step ran only inside eth_call: the wallet still holds its first configuration.
      const walletContract = new ContractFactory(["function isValidImageHash(bytes32) view returns (bool)"], "0x").attach(wallet).connect(provider) as Contract;
      expect(await walletContract.getFunction("isValidImageHash")(first.imageHash)).to.equal(true);
    });

    it("is accepted by both when the wallet is not deployed and must also apply a pending update", async () => {
      const first = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [leaf(keys[2])] });
      const wallet = counterfactual(first);
      const next = first.update({ add: [leaf(keys[3])], threshold: 2n, checkpoint: 5n });
      const pendingUpdate = await signUpdate(first, next, wallet, [keys[2]]);
      const wrapped = wrapArborSignature({ deployed: false, factory, implementation, imageHash: first.imageHash, pendingUpdate }, await signMessage(next, wallet, [keys[2], keys[3]]));
      expect(await both(wallet, wrapped)).to.deep.equal({ arbor: true, viem: true });
    });

    it("throws InvalidArgumentError NOTHING_TO_PREPARE when a deployed wallet has no pending update", () => {
      expect(() => wrapArborSignature({ deployed: true, wallet: keys[0].address as Hex } as never, "0x")).to.throw().with.property("code", "NOTHING_TO_PREPARE");
    });
  });

  describe("verifyErc6492Signature", () => {
    let configuration: Configuration;
    let wallet: Hex;
    let wrapped: Hex;
    before(async () => {
      configuration = Configuration.of({ threshold: 1n, checkpoint: 3n, leaves: keys.slice(0, 2).map(leaf) });
      wallet = counterfactual(configuration);
      wrapped = wrapArborSignature({ deployed: false, factory, implementation, imageHash: configuration.imageHash }, await signMessage(configuration, wallet, [keys[0]]));
    });

    it("accepts an EOA's 65-byte signature and refuses another key's, like viem", async () => {
      const signature = keys[0].signingKey.sign(message).serialized as Hex;
      expect(await both(keys[0].address as Hex, signature)).to.deep.equal({ arbor: true, viem: true });
      expect(await both(keys[1].address as Hex, signature)).to.deep.equal({ arbor: false, viem: false });
    });

    it("resolves false in both when the signature is by a key outside the configuration", async () => {
      const stranger = Configuration.of({ threshold: 1n, checkpoint: 3n, leaves: [leaf(keys[3])] });
      const bad = wrapArborSignature({ deployed: false, factory, implementation, imageHash: configuration.imageHash }, await signMessage(stranger, wallet, [keys[3]]));
      expect(await both(wallet, bad)).to.deep.equal({ arbor: false, viem: false });
    });

    it("resolves false in both when the signature was made for another wallet", async () => {
      const other = Configuration.of({ threshold: 1n, checkpoint: 4n, leaves: keys.slice(0, 2).map(leaf) });
      const otherWallet = counterfactual(other);
      // Same signers, but the digest binds otherWallet's address (its EIP-712 domain).
      const forOther = wrapArborSignature({ deployed: false, factory, implementation, imageHash: configuration.imageHash }, await signMessage(configuration, otherWallet, [keys[0]]));
      expect(await both(wallet, forOther)).to.deep.equal({ arbor: false, viem: false });
    });

    it("resolves false in both when the hash is another message", async () => {
      expect(await both(wallet, wrapped, id("another message") as Hex)).to.deep.equal({ arbor: false, viem: false });
    });

    it("throws Erc6492Error SIGNATURE_LENGTH when the magic is wrong, and viem refuses it", async () => {
      const wrongMagic = `${wrapped.slice(0, -2)}93` as Hex;
      expect(unwrapSignature(wrongMagic)).to.equal(undefined);
      const error = await rejection(verifyErc6492Signature(provider, { signer: wallet, hash: message, signature: wrongMagic }));
      expect(error).to.be.instanceOf(Erc6492Error);
      expect((error as Erc6492Error).code).to.equal("SIGNATURE_LENGTH");
      expect(await viem.verifyHash({ address: wallet, hash: message, signature: wrongMagic })).to.equal(false);
    });

    for (const [what, mangle] of [
      ["its offsets point past the end", (w: Hex) => `0x${"00".repeat(12)}${w.slice(26, 66)}${"ff".repeat(32)}${"00".repeat(32)}${ERC6492_MAGIC.slice(2)}` as Hex],
      ["it has a trailing byte before the suffix", (w: Hex) => `${w.slice(0, -64)}00${ERC6492_MAGIC.slice(2)}` as Hex],
      ["it is only the suffix", () => ERC6492_MAGIC],
    ] as const) {
      it(`throws Erc6492Error MALFORMED_WRAPPER when ${what}`, async () => {
        const error = await rejection(verifyErc6492Signature(provider, { signer: wallet, hash: message, signature: mangle(wrapped) }));
        expect(error).to.be.instanceOf(Erc6492Error);
        expect((error as Erc6492Error).code).to.equal("MALFORMED_WRAPPER");
      });
    }

    it("throws Erc6492Error PREPARE_FAILED carrying the factory's revert when the prepare call reverts, and viem refuses it", async () => {
      // An implementation address without code: ArborFactory.deploy reverts ImplementationHasNoCode.
      const noCode = keys[3].address as Hex;
      const broken = Configuration.of({ threshold: 1n, checkpoint: 9n, leaves: [leaf(keys[0])] });
      const brokenWallet = walletAddress({ factory, implementation: noCode, imageHash: broken.imageHash });
      const signature = wrapArborSignature({ deployed: false, factory, implementation: noCode, imageHash: broken.imageHash }, await signMessage(broken, brokenWallet, [keys[0]]));
      const error = await rejection(verifyErc6492Signature(provider, { signer: brokenWallet, hash: message, signature }));
      expect(error).to.be.instanceOf(Erc6492Error);
      expect((error as Erc6492Error).code).to.equal("PREPARE_FAILED");
      const iface = new ContractFactory(["error ImplementationHasNoCode(address implementation)"], "0x").interface;
      expect(iface.parseError((error as Erc6492Error).details.returnData as string)!.args[0]).to.equal(noCode);
      expect(await viem.verifyHash({ address: brokenWallet, hash: message, signature }).catch(() => false)).to.equal(false);
    });

    it("throws InvalidArgumentError naming the field when the hash is not 32 bytes", async () => {
      const error = await rejection(verifyErc6492Signature(provider, { signer: wallet, hash: "0x1234", signature: wrapped }));
      expect((error as { field?: string }).field).to.equal("hash");
    });
  });

  describe("wrapSignature", () => {
    it("round-trips through unwrapSignature when the fields are random", () => {
      for (let i = 0; i < 50; i++) {
        const w = { factory: Wallet.createRandom().address as Hex, factoryCalldata: id(`c${i}`).slice(0, 2 + 2 * (i % 33)) as Hex, signature: id(`s${i}`).slice(0, 2 + 2 * (i % 31)) as Hex };
        expect(unwrapSignature(wrapSignature(w))).to.deep.equal(w);
      }
    });
  });
});
