/**
 * The package as a wallet backend and a contract developer get it: `npm pack`, then the tarball
 * installed with npm into a project outside this repository (dependencies from the registry, so
 * nothing can resolve from this repository's node_modules), used from CommonJS, from ESM, from
 * strict TypeScript, and from a Hardhat project that imports the contracts.
 *
 * The consumer project lives in a fixed folder under the OS temp directory so that its
 * node_modules and Hardhat cache survive between runs: a rerun installs only the new tarball.
 * If the registry cannot be reached the test fails and says so; it never skips.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Configuration } from "../../lib/configuration/configuration";
import { CONSUMER_DEPENDENCIES, CONSUMER_FILES } from "./consumer-project";

const REPO = path.resolve(__dirname, "..", "..");
const PROJECT = path.join(os.tmpdir(), "arbor-package-consumer");

function run(command: string, args: string[], cwd: string, timeout = 600_000): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout, env: { ...process.env, NODE_OPTIONS: "" } });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd} (exit ${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** Newest modification time under `dir` of the files `keep` selects. */
function newest(dir: string, keep: (file: string) => boolean): number {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && keep(file)) latest = Math.max(latest, fs.statSync(file).mtimeMs);
  }
  return latest;
}

/** Whether dist/ was built after every source it is built from (then `npm pack` need not rebuild). */
function distIsFresh(): boolean {
  const built = path.join(REPO, "dist", "index.cjs");
  if (!fs.existsSync(built)) return false;
  const sources = Math.max(
    newest(path.join(REPO, "lib"), (f) => f.endsWith(".ts") && !f.includes(`${path.sep}abi${path.sep}`)),
    newest(path.join(REPO, "contracts"), (f) => f.endsWith(".sol")),
    newest(path.join(REPO, "deploy"), (f) => f.endsWith(".ts")),
    ...["tsup.config.ts", "scripts/build.mjs", "package.json"].map((f) => fs.statSync(path.join(REPO, f)).mtimeMs),
  );
  return fs.statSync(built).mtimeMs > sources;
}

function lastJsonLine(output: string): Record<string, unknown> {
  const line = output.trim().split("\n").reverse().find((l) => l.startsWith("{"));
  if (line === undefined) throw new Error(`no JSON line in output:\n${output}`);
  return JSON.parse(line) as Record<string, unknown>;
}

describe("package", function () {
  this.timeout(1_200_000);
  let tarball: string;
  let tarballFiles: string[];

  before(function () {
    // Reachability first, so that a missing registry reads as that and not as a broken install.
    const ping = spawnSync("npm", ["ping"], { encoding: "utf8", timeout: 60_000 });
    if (ping.status !== 0) {
      throw new Error(`the npm registry is unreachable (npm ping: ${ping.stderr.trim() || ping.error?.message}); the package consumer test installs the tarball's dependencies from it`);
    }
    const packDir = fs.mkdtempSync(path.join(os.tmpdir(), "arbor-pack-"));
    // What `npm pack`'s prepack would do, unless dist/ is already newer than its sources (npm test
    // builds first); run apart so that the build's output does not mix with pack's JSON.
    if (!distIsFresh()) run("npm", ["run", "build"], REPO);
    const packed = JSON.parse(run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", packDir], REPO)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(packDir, path.basename(packed[0]!.filename));
    tarballFiles = packed[0]!.files.map((f) => f.path);

    fs.mkdirSync(PROJECT, { recursive: true });
    for (const [file, content] of Object.entries(CONSUMER_FILES)) {
      fs.mkdirSync(path.dirname(path.join(PROJECT, file)), { recursive: true });
      fs.writeFileSync(path.join(PROJECT, file), content);
    }
    run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball, ...CONSUMER_DEPENDENCIES], PROJECT);
  });

  describe("npm pack", () => {
    it("ships the build, the declarations, the ABIs, the artifacts and the production Solidity only when packed", () => {
      for (const file of ["dist/index.cjs", "dist/index.mjs", "dist/index.d.ts", "dist/index.d.mts", "dist/cli.cjs", "dist/abi.mjs", "bin/arbor.js", "contracts/wallet/ArborWallet.sol"]) {
        expect(tarballFiles, file).to.include(file);
      }
      expect(tarballFiles.some((f) => f.startsWith("dist/artifacts/contracts/wallet/ArborWallet.sol/"))).to.equal(true);
      const unwanted = tarballFiles.filter((f) => /^(test|bench|demo|\.ci|enclave-service|scripts)\//.test(f) || /\.test\.|\.map$|^lib\/.*\.ts$/.test(f));
      expect(unwanted).to.deep.equal([]);
      // No test or review contract in the sources or the artifacts.
      expect(tarballFiles.filter((f) => /(Harness|CallTarget|TestTokens|OwnedSigner|GasProbe|ReturnBomb|ReviewRelay|AnswerApp|SessionTestApp|BlocklistSchemes)/.test(f))).to.deep.equal([]);
    });
  });

  describe("CommonJS", () => {
    it("requires the root and every subpath from the installed package when used from plain CommonJS", () => {
      const out = lastJsonLine(run(process.execPath, ["cjs-check.cjs"], PROJECT));
      const expected = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: `0x${"11".repeat(20)}`, weight: 1n }] }).imageHash;
      expect(out.imageHash).to.equal(expected);
      expect(out.refused).to.deep.include({ name: "InvalidArgumentError", isArborError: true });
      for (const [subpath, exports] of Object.entries(out.loaded as Record<string, number>)) expect(exports, subpath).to.be.greaterThan(0);
      expect(out.walletAbiEntries).to.be.greaterThan(10);
      for (const [name, resolved] of Object.entries(out.resolved as Record<string, string>)) {
        expect(resolved.startsWith(path.join(PROJECT, "node_modules")), `${name} from ${resolved}`).to.equal(true);
      }
    });
  });

  describe("ESM", () => {
    it("imports named exports and signs with a viem account when used from ESM", () => {
      const out = lastJsonLine(run(process.execPath, ["esm-check.mjs"], PROJECT));
      expect(out.recoveredImageHash).to.equal(out.imageHash);
      expect(out.explicitSession).to.equal("function");
      expect(out.keccak).to.equal("hash-wasm");
      for (const [name, resolved] of Object.entries(out.resolved as Record<string, string>)) {
        expect(resolved.startsWith(path.join(PROJECT, "node_modules")), `${name} from ${resolved}`).to.equal(true);
      }
    });
  });

  describe("TypeScript", () => {
    it("type-checks under nodenext, strict, noUncheckedIndexedAccess and exactOptionalPropertyTypes without skipLibCheck", () => {
      const tsc = path.join(PROJECT, "node_modules", "typescript", "bin", "tsc");
      run(process.execPath, [tsc, "-p", "typecheck"], PROJECT);
    });
  });

  describe("Hardhat project", () => {
    it("compiles a contract importing Arbor's Solidity with no warning but solc's EIP-1153 note and runs a TypeScript script against the library", () => {
      const hardhat = path.join(PROJECT, "node_modules", "hardhat", "internal", "cli", "cli.js");
      const compile = spawnSync(process.execPath, [hardhat, "compile", "--force"], { cwd: PROJECT, encoding: "utf8", timeout: 600_000 });
      expect(compile.status, `${compile.stdout}\n${compile.stderr}`).to.equal(0);
      // No warning from Arbor's sources except solc 0.8.28's note on every inline `tstore`
      // (ArborWallet's transient checkpoint): the test contracts, and their shadowing warning,
      // are not in the package. Each warning is one "Warning: ..." block.
      const warnings = `${compile.stdout}${compile.stderr}`.split(/\n(?=Warning)/).filter((b) => /^Warning/i.test(b.trim()));
      const unexpected = warnings.filter((w) => !w.includes("Transient storage as defined by EIP-1153"));
      expect(unexpected).to.deep.equal([]);
      const out = lastJsonLine(run(process.execPath, [hardhat, "run", "scripts/flow.ts"], PROJECT));
      expect(out.codeAtPredicted).to.equal(true);
      expect(out.valid).to.equal(true);
      expect(out.factoryOf).to.equal(out.factoryAddress);
    });
  });

  describe("arbor bin", () => {
    it("prints the version from the installed package's compiled bin", () => {
      const out = execFileSync(path.join(PROJECT, "node_modules", ".bin", "arbor"), ["--version"], { encoding: "utf8" });
      expect(out.trim()).to.equal(JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).version);
    });

    it("refuses `enclave start` with the reason when run from the installed package", () => {
      const result = spawnSync(path.join(PROJECT, "node_modules", ".bin", "arbor"), ["enclave", "start"], { cwd: PROJECT, encoding: "utf8" });
      expect(result.status).to.equal(1);
      expect(result.stderr).to.include("not part of the installed package");
      expect(fs.existsSync(path.join(PROJECT, ".arbor"))).to.equal(false);
    });

    it("predicts the singleton addresses from the artifacts shipped in the package when the project has none", () => {
      const empty = fs.mkdtempSync(path.join(os.tmpdir(), "arbor-predict-"));
      const out = execFileSync(path.join(PROJECT, "node_modules", ".bin", "arbor"), ["predict", "--json"], { cwd: empty, encoding: "utf8" });
      expect(out).to.match(/0x[0-9a-fA-F]{40}/);
      expect(fs.readdirSync(empty)).to.deep.equal([]);
    });
  });
});
