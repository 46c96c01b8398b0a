import path from "node:path";
import { scope, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

/**
 * Hardhat tasks for people who live in hardhat.config.ts:
 *
 *   npx hardhat arbor predict
 *   npx hardhat arbor deploy [--rpc <url>[,<url>...]] [--out deployments]   (default: --network's chain)
 *   npx hardhat arbor verify [--rpc <url>[,<url>...]] [--out deployments]
 *
 * They compile first (unless --no-compile), then run the same code as `npx arbor …`; stale
 * artifacts are refused either way. The library is loaded inside the
 * actions so that registering the tasks costs Hardhat's start-up nothing.
 */
const arbor = scope("arbor", "Deterministic multichain deployment of Arbor's singletons");

interface ChainArgs {
  rpc?: string;
  out: string;
  json: boolean;
  noCompile: boolean;
}

async function prepare(hre: HardhatRuntimeEnvironment, args: ChainArgs) {
  if (!args.noCompile) await hre.run("compile", { quiet: true });
  /* eslint-disable @typescript-eslint/no-require-imports */
  const lib = require("../lib/deploy") as typeof import("../lib/deploy");
  const source = lib.hardhatArtifacts(hre.config.paths.artifacts, { projectRoot: hre.config.paths.root });
  const targets: import("../lib/deploy").ChainTarget[] = args.rpc
    ? args.rpc.split(",").map((u) => u.trim())
    : [{ label: `hardhat network "${hre.network.name}"`, provider: hre.network.provider }];
  const io = {
    out: (line: string) => console.log(line),
    err: (line: string) => console.error(line),
    env: process.env,
  };
  return { source, targets, io, manifestDir: path.resolve(hre.config.paths.root, args.out) };
}

/** `deploy` and `verify` take the same chains and options; only what runs on them differs. */
function chainTask(
  name: "deploy" | "verify",
  description: string,
  run: (options: { targets: Awaited<ReturnType<typeof prepare>>["targets"]; manifestDir: string; source: Awaited<ReturnType<typeof prepare>>["source"]; json: boolean }, io: Awaited<ReturnType<typeof prepare>>["io"]) => Promise<number>,
): void {
  arbor
    .task(name, description)
    .addOptionalParam("rpc", "JSON-RPC URLs, comma-separated (default: the --network chain)", undefined, types.string)
    .addOptionalParam("out", "manifest directory", "deployments", types.string)
    .addFlag("json", "machine-readable output")
    .addFlag("noCompile", "use the artifacts as they are")
    .setAction(async (args: ChainArgs, hre) => {
      const { source, targets, io, manifestDir } = await prepare(hre, args);
      const code = await run({ targets, manifestDir, source, json: args.json }, io);
      if (code !== 0) process.exitCode = code;
      return code;
    });
}

chainTask("deploy", "Put every Arbor singleton at its deterministic address", (options, io) =>
  (require("./run-deploy") as typeof import("./run-deploy")).runDeploy(options, io),
);

chainTask("verify", "Check chains against their deployment manifests", (options, io) =>
  (require("./run-verify") as typeof import("./run-verify")).runVerify(options, io),
);

arbor
  .task("predict", "Print every singleton's address, computed off-chain")
  .addFlag("json", "machine-readable output")
  .addFlag("noCompile", "use the artifacts as they are")
  .setAction(async (args: { json: boolean; noCompile: boolean }, hre) => {
    const { source, io } = await prepare(hre, { out: "deployments", json: args.json, noCompile: args.noCompile });
    const { runPredict } = require("./run-predict") as typeof import("./run-predict");
    return runPredict({ source, json: args.json }, io);
  });
