import path from "node:path";
import { parseArgs } from "node:util";
import { DEPLOYER_KEY_VARIABLE, DeployError, InvalidOptionError, deployerKeyFromEnv, hardhatArtifacts } from "../lib/deploy";
import { runDeploy, type CommandIO } from "./run-deploy";
import { runPredict } from "./run-predict";
import { runVerify } from "./run-verify";

const USAGE = `usage:
  arbor deploy  --rpc <url>[,<url>...] [--out <dir>] [--artifacts <dir>] [--json]
  arbor verify  --rpc <url>[,<url>...] [--out <dir>] [--artifacts <dir>] [--json]
  arbor predict [--artifacts <dir>] [--json]

  --rpc        JSON-RPC URLs, comma-separated or repeated; chains are handled in turn
  --out        manifest directory, one <chainId>.json per chain (default: ./deployments)
  --artifacts  Hardhat artifacts directory (default: ./artifacts); run \`npx hardhat compile\` first
  --json       machine-readable output

  The deployer key is read from ${DEPLOYER_KEY_VARIABLE}; without it, the first funded unlocked
  account of the node is used (local nodes only). The deployer never influences an address.`;

/**
 * `npx arbor deploy|verify|predict`. Exit codes: 0 success, 1 a chain failed or disagrees,
 * 2 bad command line.
 *
 * @example
 * // ARBOR_DEPLOYER_KEY=0x… npx arbor deploy --rpc https://rpc.a,https://rpc.b
 * process.exitCode = await main(["deploy", "--rpc", "http://127.0.0.1:8545"]);
 */
export async function main(argv: string[]): Promise<number> {
  return runCli(argv, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
  });
}

/** How runCli treats its artifacts. */
export interface RunCliOptions {
  /**
   * The artifacts are the ones shipped in the package (dist/artifacts): built with the pinned
   * compiler from the package's own contracts, with no project sources beside them to compare
   * against, so the freshness check is skipped.
   */
  shippedArtifacts?: boolean;
}

/** main() with its output and environment supplied by the caller (tests, the Hardhat task). */
export async function runCli(argv: string[], io: CommandIO, runOptions: RunCliOptions = {}): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const options = parseOptions(command, rest);
    if (options.help) {
      io.out(USAGE);
      return 0;
    }
    const artifactsDir = path.resolve(options.artifacts);
    // Artifacts built from since-edited sources are refused; the project root is the artifacts' parent.
    const source = hardhatArtifacts(artifactsDir, runOptions.shippedArtifacts ? {} : { projectRoot: path.dirname(artifactsDir) });
    if (command === "predict") return await runPredict({ source, json: options.json }, io);
    if (command === "verify") return await runVerify({ targets: options.rpc, manifestDir: path.resolve(options.out), source, json: options.json }, io);
    // Fail on a malformed key before touching any chain (the key itself is never printed).
    deployerKeyFromEnv(io.env);
    return await runDeploy({ targets: options.rpc, manifestDir: path.resolve(options.out), source, json: options.json }, io);
  } catch (e) {
    if (!(e instanceof DeployError)) throw e;
    io.err(`arbor ${command}: ${e.name} [${e.code}]: ${e.message}`);
    if (e instanceof InvalidOptionError) {
      io.err(USAGE);
      return 2;
    }
    return 1;
  }
}

interface CliOptions {
  rpc: string[];
  out: string;
  artifacts: string;
  json: boolean;
  help: boolean;
}

function parseOptions(command: string | undefined, args: string[]): CliOptions {
  if (command !== "deploy" && command !== "verify" && command !== "predict") {
    throw new InvalidOptionError("command", `unknown command ${JSON.stringify(command)}; expected deploy, verify or predict`);
  }
  let values: { rpc?: string[]; out?: string; artifacts?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        rpc: { type: "string", multiple: true },
        out: { type: "string" },
        artifacts: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new InvalidOptionError("arguments", (e as Error).message);
  }
  const rpc = (values.rpc ?? []).flatMap((v) => v.split(",")).map((v) => v.trim());
  if (!values.help) {
    if (command !== "predict" && rpc.length === 0) throw new InvalidOptionError("--rpc", "at least one JSON-RPC URL is required");
    if (command === "predict" && rpc.length > 0) throw new InvalidOptionError("--rpc", "predict needs no chain");
    for (const url of rpc) {
      if (url === "") throw new InvalidOptionError("--rpc", "empty URL in the list");
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new InvalidOptionError("--rpc", `${JSON.stringify(url)} is not a URL`);
      }
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new InvalidOptionError("--rpc", `${url}: only http and https are supported`);
    }
    const duplicate = rpc.find((url, i) => rpc.indexOf(url) !== i);
    if (duplicate) throw new InvalidOptionError("--rpc", `${duplicate} is listed twice`);
  }
  if (values.out === "") throw new InvalidOptionError("--out", "empty directory name");
  if (values.artifacts === "") throw new InvalidOptionError("--artifacts", "empty directory name");
  return { rpc, out: values.out ?? "deployments", artifacts: values.artifacts ?? "artifacts", json: values.json ?? false, help: values.help ?? false };
}
