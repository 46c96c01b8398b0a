/**
 * The files of the consumer project that test/package/consumer.test.ts installs the packed
 * tarball into. They are kept here as strings because every .js/.ts file under test/ is loaded as
 * a test file by `hardhat test`.
 */

/** The packages the consumer project installs from the registry beside the tarball. */
export const CONSUMER_DEPENDENCIES = [
  "ethers@^6.13.0",
  "viem@^2.21.0",
  "typescript@~5.9.0",
  "@types/node@^20",
  "hardhat@2.29",
  "@nomicfoundation/hardhat-ethers@^3.1.0",
  "ts-node@^10.9.2",
  "solc@0.8.28",
];

export const CONSUMER_FILES: Record<string, string> = {
  "package.json": JSON.stringify({ name: "arbor-consumer", version: "1.0.0", private: true, license: "MIT" }, null, 2),

  // Plain CommonJS: require() of the root and of every subpath, one real computation.
  "cjs-check.cjs": `
const sdk = require("@arbor-wallet/sdk");
const subpaths = ["sessions", "attestation", "identity", "deploy", "viem", "ethers", "abi"];
const loaded = Object.fromEntries(subpaths.map((p) => [p, Object.keys(require("@arbor-wallet/sdk/" + p)).length]));
const signer = "0x" + "11".repeat(20);
const configuration = sdk.Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer, weight: 1n }] });
let refused = null;
try { sdk.Configuration.of({ threshold: 0n, checkpoint: 0n, leaves: [] }); } catch (e) { refused = { name: e.name, code: e.code, isArborError: e instanceof sdk.ArborError }; }
console.log(JSON.stringify({
  imageHash: configuration.imageHash,
  loaded,
  refused,
  walletAbiEntries: require("@arbor-wallet/sdk/abi").arborWalletAbi.length,
  resolved: {
    sdk: require.resolve("@arbor-wallet/sdk"),
    ethers: require.resolve("ethers"),
    noble: require.resolve("@noble/hashes/sha3.js"),
  },
}));
`,

  // ESM with named imports, and the viem adapter signing with a viem LocalAccount.
  "esm-check.mjs": `
import { Configuration, hashWalletMessage, signPayload, recoverSignature, keccakReady } from "@arbor-wallet/sdk";
import { viemAccountSigner } from "@arbor-wallet/sdk/viem";
import { explicitSession } from "@arbor-wallet/sdk/sessions";
import { privateKeyToAccount } from "viem/accounts";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
const account = privateKeyToAccount("0x" + "42".repeat(32));
const configuration = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: account.address, weight: 1n }] });
const digest = hashWalletMessage("0x" + "ab".repeat(32), { wallet: "0x" + "22".repeat(20), chainId: 8453 });
const { signature } = await signPayload(configuration, digest, [viemAccountSigner(account)]);
const recovered = await recoverSignature(digest, signature);
const require = createRequire(import.meta.url);
console.log(JSON.stringify({
  imageHash: configuration.imageHash,
  recoveredImageHash: recovered.imageHash,
  explicitSession: typeof explicitSession,
  keccak: await keccakReady(),
  resolved: { sdk: fileURLToPath(import.meta.resolve("@arbor-wallet/sdk")), viem: require.resolve("viem") },
}));
`,

  // TypeScript at its strictest, both module kinds, no skipLibCheck.
  "typecheck/tsconfig.json": JSON.stringify(
    {
      compilerOptions: {
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2022",
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        skipLibCheck: false,
        noEmit: true,
        types: ["node"],
      },
      include: ["*.mts", "*.cts"],
    },
    null,
    2,
  ),
  "typecheck/use-esm.mts": `
import { Configuration, walletAddress, signPayload, ecdsaSigner, hashWalletMessage, type Hex, type Leaf } from "@arbor-wallet/sdk";
import { explicitSession } from "@arbor-wallet/sdk/sessions";
import { verifyAttestationDocument } from "@arbor-wallet/sdk/attestation";
import { IdentityClient } from "@arbor-wallet/sdk/identity";
import { planSingletons, ARBOR_SINGLETONS } from "@arbor-wallet/sdk/deploy";
import { viemAccountSigner, viemErc1271Checker } from "@arbor-wallet/sdk/viem";
import { ethersSigner, ethersErc1271Checker } from "@arbor-wallet/sdk/ethers";
import { arborWalletAbi } from "@arbor-wallet/sdk/abi";
import { createPublicClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { JsonRpcProvider, Wallet } from "ethers";

const leaf: Leaf = { kind: "ecdsa-signer", signer: "0x1111111111111111111111111111111111111111", weight: 1n };
const configuration = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [leaf] });
const address: Hex = walletAddress({ factory: "0x" + "01".repeat(20), implementation: "0x" + "02".repeat(20), imageHash: configuration.imageHash });
const digest = hashWalletMessage("0x" + "ab".repeat(32), { wallet: address, chainId: 1 });
const viemSigner = viemAccountSigner(privateKeyToAccount(\`0x\${"42".repeat(32)}\`));
const client = createPublicClient({ transport: http("http://127.0.0.1:8545") });
const checkViem = viemErc1271Checker(client);
const checkEthers = ethersErc1271Checker(new JsonRpcProvider("http://127.0.0.1:8545"));
export async function flow(): Promise<boolean> {
  const signed = await signPayload(configuration, digest, [viemSigner, ecdsaSigner(new Wallet("0x" + "43".repeat(32))), await ethersSigner(Wallet.createRandom())]);
  return (await checkViem(address, digest, signed.signature)) && (await checkEthers(address, digest, signed.signature));
}
// The ABI is a literal type: its first entry's type is known at compile time.
const firstEntryType: (typeof arborWalletAbi)[number]["type"] = arborWalletAbi[0].type;
export const used = [explicitSession, verifyAttestationDocument, IdentityClient, planSingletons, ARBOR_SINGLETONS, firstEntryType];
`,
  "typecheck/use-cjs.cts": `
import { Configuration, ArborError, type Hex } from "@arbor-wallet/sdk";
import { hardhatArtifacts } from "@arbor-wallet/sdk/deploy";
export function imageHashOf(signer: Hex): Hex {
  try {
    return Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer, weight: 1n }] }).imageHash;
  } catch (e) {
    if (e instanceof ArborError) throw new Error(e.code);
    throw e;
  }
}
export const artifacts = hardhatArtifacts;
`,

  // A Hardhat project: Solidity imports from the package, a TypeScript script calls the library
  // (through ts-node, as Hardhat runs it, with the tsconfig Hardhat's own template writes).
  "tsconfig.json": JSON.stringify(
    { compilerOptions: { target: "es2022", module: "commonjs", moduleResolution: "node", esModuleInterop: true, strict: true, skipLibCheck: true, resolveJsonModule: true }, include: ["hardhat.config.ts", "scripts"] },
    null,
    2,
  ),
  "hardhat.config.ts": `
import path from "node:path";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-ethers";

// No compiler downloads on this machine: solc-js from the solc package.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== "0.8.28") return runSuper();
  const solc = require("solc");
  return { compilerPath: path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js"), isSolcJs: true, version: args.solcVersion, longVersion: solc.version() };
});

export default {
  solidity: { version: "0.8.28", settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 200 } } },
  networks: { hardhat: { hardfork: "cancun" } },
};
`,
  "contracts/UsesArbor.sol": `// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ArborFactory} from "@arbor-wallet/sdk/contracts/factory/ArborFactory.sol";
import {ArborWallet} from "@arbor-wallet/sdk/contracts/wallet/ArborWallet.sol";

/// A contract developer's contract that reads an Arbor wallet through its imported type.
contract UsesArbor {
    function factoryOf(ArborWallet wallet) external view returns (address) {
        return address(wallet.FACTORY());
    }
}
`,
  "scripts/flow.ts": `
import hre from "hardhat";
import { Configuration, ecdsaSigner, hashWalletMessage, signPayload, walletAddress, type Hex } from "@arbor-wallet/sdk";
import { ethersErc1271Checker } from "@arbor-wallet/sdk/ethers";

async function main() {
  const { ethers } = hre;
  const factory = await ethers.deployContract("ArborFactory");
  const factoryAddress = (await factory.getAddress()) as Hex;
  const implementation = await ethers.deployContract("ArborWallet", [factoryAddress, ethers.ZeroAddress, ethers.ZeroAddress]);
  const implementationAddress = (await implementation.getAddress()) as Hex;
  const owner = new ethers.Wallet("0x" + "44".repeat(32));
  const configuration = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: owner.address, weight: 1n }] });
  const predicted = walletAddress({ factory: factoryAddress, implementation: implementationAddress, imageHash: configuration.imageHash });
  await (await factory.getFunction("deploy")(implementationAddress, configuration.imageHash)).wait();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const message = ("0x" + "cd".repeat(32)) as Hex;
  const digest = hashWalletMessage(message, { wallet: predicted, chainId });
  const { signature } = await signPayload(configuration, digest, [ecdsaSigner(owner)]);
  const uses = await ethers.deployContract("UsesArbor");
  console.log(JSON.stringify({
    predicted,
    codeAtPredicted: (await ethers.provider.getCode(predicted)).length > 2,
    valid: await ethersErc1271Checker(ethers.provider)(predicted, message, signature),
    factoryOf: await uses.getFunction("factoryOf")(predicted),
    factoryAddress,
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
`,
};
