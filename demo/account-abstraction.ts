/**
 * Account abstraction on the in-process Hardhat network: an ERC-6492 signature of an Arbor wallet
 * checked before the wallet exists (by the library and by viem), and an ERC-4337 v0.8 user
 * operation sent through EntryPoint v0.8 at its canonical address by the library's bundler.
 *
 * The user operation's account is an Arbor wallet, deployed by the same operation through initCode.
 */
import { ethers, network } from "hardhat";
import { Wallet as EthersWallet } from "ethers";
import { createPublicClient, custom } from "viem";
import { Configuration } from "../lib/configuration/configuration";
import { connectChain } from "../lib/deploy/connect-chain";
import { wrapArborSignature } from "../lib/erc6492/wrap-arbor-signature";
import { verifyErc6492Signature } from "../lib/erc6492/verify-erc6492-signature";
import type { Hex } from "../lib/hex";
import { hashMessage } from "../lib/payload/hash-message";
import { signPayload } from "../lib/signature/sign-payload";
import { ecdsaSigner } from "../lib/signature/signers";
import { Bundler } from "../lib/userop/bundler";
import { arborInitCode } from "../lib/userop/arbor-init-code";
import { arborUserOpCallData, arborUserOpSigner } from "../lib/userop/arbor-user-operation";
import { CANONICAL_ENTRY_POINT_V08, ENTRY_POINT_V08, deployEntryPoint } from "../lib/userop/entry-point";
import { walletAddress } from "../lib/wallet/address";

type Log = (line: string) => void;
const short = (hex: string) => `${hex.slice(0, 10)}…${hex.slice(-6)}`;

export async function runAccountAbstractionDemo(log: Log): Promise<void> {
  const [relayer] = await ethers.getSigners();
  const { chainId } = await ethers.provider.getNetwork();
  const factory = await ethers.deployContract("ArborFactory");
  const sessions = await ethers.deployContract("ArborSessions");
  const implementation = await ethers.deployContract("ArborWallet", [await factory.getAddress(), await sessions.getAddress(), CANONICAL_ENTRY_POINT_V08]);
  const factoryAddress = (await factory.getAddress()) as Hex;
  const implementationAddress = (await implementation.getAddress()) as Hex;

  // ERC-6492: a signature from a wallet that does not exist yet.
  const [erin, frank] = ["erin", "frank"].map((n) => new EthersWallet(ethers.id(`arbor-demo/aa/${n}`)));
  const configuration = Configuration.of({
    threshold: 1n,
    checkpoint: 0n,
    leaves: [erin, frank].map((k) => ({ kind: "ecdsa-signer" as const, signer: k.address as Hex, weight: 1n })),
  });
  const address = walletAddress({ factory: factoryAddress, implementation: implementationAddress, imageHash: configuration.imageHash });
  const message = ethers.hashMessage("Sign in to example.app");
  const { signature } = await signPayload(configuration, hashMessage(message, { wallet: address, chainId }), [ecdsaSigner(erin.privateKey as Hex)]);
  const wrapped = wrapArborSignature({ deployed: false, factory: factoryAddress, implementation: implementationAddress, imageHash: configuration.imageHash }, signature);
  log(`1. erin signed a sign-in message for wallet ${short(address)} (no code yet): ${ethers.dataLength(signature)}-byte signature, ${ethers.dataLength(wrapped)} bytes wrapped per ERC-6492`);
  const ours = await verifyErc6492Signature(ethers.provider, { signer: address, hash: message, signature: wrapped });
  const viem = createPublicClient({ transport: custom(network.provider) });
  const theirs = await viem.verifyHash({ address, hash: message as Hex, signature: wrapped });
  if (!ours || !theirs) throw new Error(`ERC-6492 signature refused before deployment (library ${ours}, viem ${theirs})`);
  log(`   checked before deployment: library verifier ${ours}, viem verifyHash ${theirs}; code at the address: ${(await ethers.provider.getCode(address)) === "0x" ? "still none" : "present"}`);
  await (await factory.deploy(implementationAddress, configuration.imageHash)).wait();
  const wallet = await ethers.getContractAt("ArborWallet", address);
  const answer = await wallet.isValidSignature(message, signature);
  if (answer !== "0x1626ba7e") throw new Error(`deployed wallet refused the unwrapped signature: ${answer}`);
  log(`   after deployment the wallet's own ERC-1271 accepts the unwrapped signature (${answer})`);

  // ERC-4337: a user operation through EntryPoint v0.8 at its canonical address.
  const chain = await connectChain({ label: "hardhat", provider: network.provider });
  const signer = await chain.provider.getSigner(0);
  await deployEntryPoint(chain, { address: await signer.getAddress(), signer, origin: "demo" });
  log(`2. EntryPoint v0.8 at ${ENTRY_POINT_V08.address} (deterministic deployment proxy, published salt, npm bytecode)`);
  const owner = new EthersWallet(ethers.id("arbor-demo/aa/owner"));
  const ownerConfiguration = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: owner.address as Hex, weight: 1n }] });
  const sender = walletAddress({ factory: factoryAddress, implementation: implementationAddress, imageHash: ownerConfiguration.imageHash });
  await (await relayer.sendTransaction({ to: sender, value: ethers.parseEther("0.1") })).wait();
  const recipient = ethers.Wallet.createRandom().address;
  const bundler = new Bundler(chain.provider, signer);
  const result = await bundler.sendUserOperation(
    {
      sender,
      ...arborInitCode({ factory: factoryAddress, implementation: implementationAddress, imageHash: ownerConfiguration.imageHash }),
      callData: arborUserOpCallData(sender, [{ target: recipient as Hex, value: ethers.parseEther("0.01") }]),
    },
    arborUserOpSigner(ownerConfiguration, [ecdsaSigner(owner.privateKey as Hex)]),
  );
  if (!result.success) throw new Error("the user operation's call failed");
  log(`   user operation ${short(result.userOpHash)}: deployed Arbor wallet ${short(sender)} through initCode (ArborFactory.deploy) and sent 0.01 ETH`);
  log(`   signed by the wallet's configuration over the userOpHash; handleOps gas ${result.receipt.gasUsed}, the wallet paid the EntryPoint ${ethers.formatEther(result.actualGasCost)} ETH; recipient holds ${ethers.formatEther(await ethers.provider.getBalance(recipient))} ETH`);
  chain.close();
}
