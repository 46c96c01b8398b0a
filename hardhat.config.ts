import path from "node:path";
import fs from "node:fs";
import { subtask } from "hardhat/config";
import {
  TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD,
  TASK_COMPILE_SOLIDITY_GET_SOURCE_PATHS,
} from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";
import "./deploy/tasks";

/**
 * The compiler is pinned: bytecode, and so every CREATE2 address, depends on it.
 * `solc` in package.json is pinned to the same version; this machine cannot download
 * native compilers, so Hardhat is pointed at the solc-js build shipped in that package.
 */
export const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  const solcPackage = path.dirname(require.resolve("solc/package.json"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc");
  return {
    compilerPath: path.join(solcPackage, "soljson.js"),
    isSolcJs: true,
    version: args.solcVersion,
    longVersion: solc.version(),
  };
});

/**
 * Test and review contracts live in test/contracts, outside the production sources (contracts/).
 * Inside this repository they are compiled with them (tests, bench, demo and typechain-types use
 * them). The package build (scripts/build.mjs sets ARBOR_PACKAGE_BUILD=1) compiles contracts/
 * alone, into build/: the package ships no test helper, and a project that imports Arbor's
 * contracts compiles none of them and sees none of their warnings.
 */
const TEST_CONTRACTS = path.join(__dirname, "test", "contracts");
const PACKAGE_BUILD = process.env.ARBOR_PACKAGE_BUILD === "1";

function solidityFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".sol"))
    .map((e) => path.join(e.parentPath, e.name));
}

subtask(TASK_COMPILE_SOLIDITY_GET_SOURCE_PATHS, async (args, _hre, runSuper) => {
  const production: string[] = await runSuper(args);
  return PACKAGE_BUILD ? production : [...production, ...solidityFiles(TEST_CONTRACTS)];
});

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      // Cancun: transient storage (EIP-1153) and MCOPY; live on Ethereum and the major L2s since 2024.
      evmVersion: "cancun",
      optimizer: { enabled: true, runs: 1_000_000 },
      // No metadata hash in the bytecode: editing a comment must never move a CREATE2 address.
      metadata: { bytecodeHash: "none", appendCBOR: false },
    },
  },
  networks: {
    // HARDHAT_CHAIN_ID lets tests start `hardhat node` processes that look like distinct chains.
    // HARDHAT_HARDFORK lets a test start a `hardhat node` on a later fork (prague: EIP-7702).
    hardhat: { hardfork: process.env.HARDHAT_HARDFORK ?? "cancun", chainId: Number(process.env.HARDHAT_CHAIN_ID ?? 31337) },
  },
  // The package build compiles into build/ so that it never prunes the test contracts' artifacts
  // of a test run that is using artifacts/ at the same time (the consumer test packs mid-run).
  paths: PACKAGE_BUILD ? { artifacts: "build/artifacts", cache: "build/cache" } : {},
  mocha: { timeout: 120_000 },
  gasReporter: { enabled: false },
  // The package build must not regenerate typechain-types from production contracts only.
  typechain: { dontOverrideCompile: PACKAGE_BUILD },
};

export default config;
