import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ARBOR_SINGLETONS, COMPILER_PIN, compileWithPinnedSolc, hardhatArtifacts, planSingletons, type ArtifactSource } from "../../lib/deploy";

const ROOT = path.join(__dirname, "..", "..");
const ARTIFACTS = path.join(ROOT, "artifacts");
const WALLET = "contracts/wallet/ArborWallet.sol:ArborWallet";
const FACTORY = "contracts/factory/ArborFactory.sol:ArborFactory";

/** The exact standard-JSON sources Hardhat compiled `artifact` from. */
function buildInfoSources(artifact: string): Record<string, string> {
  const [source, name] = artifact.split(":");
  const dbg = path.join(ARTIFACTS, source, `${name}.dbg.json`);
  const info = JSON.parse(fs.readFileSync(path.resolve(path.dirname(dbg), JSON.parse(fs.readFileSync(dbg, "utf8")).buildInfo), "utf8"));
  return Object.fromEntries(Object.entries(info.input.sources as Record<string, { content: string }>).map(([k, v]) => [k, v.content]));
}

/** Inserts comments the way an edit would: a new line comment, and changed words in existing NatSpec. */
function editComments(content: string): string {
  const edited = content.replace(/pragma solidity [^;]+;/, (p) => `${p}\n\n// Edited comment: this line must not move any address.\n`).replace(/@notice /g, "@notice (edited) ");
  expect(edited).not.to.equal(content);
  return edited;
}

describe("deploy", () => {
  describe("compile-with-pinned-solc", function () {
    this.timeout(120_000);

    it("reproduces Hardhat's wallet bytecode from the same sources even when comments in it and in a file it imports are edited", () => {
      const sources = buildInfoSources(WALLET);
      const edited = {
        ...sources,
        "contracts/wallet/ArborWallet.sol": editComments(sources["contracts/wallet/ArborWallet.sol"]),
        "contracts/signature/WalletSignature.sol": editComments(sources["contracts/signature/WalletSignature.sol"]),
      };
      const direct = compileWithPinnedSolc(edited, { select: [WALLET] });
      const hardhat = hardhatArtifacts(ARTIFACTS).read(WALLET);
      expect(direct.read(WALLET).bytecode).to.equal(hardhat.bytecode);
      expect(direct.read(WALLET).deployedBytecode).to.equal(hardhat.deployedBytecode);

      // Same init code, so the same address: the plan is computed from the edited build.
      const mixed: ArtifactSource = { where: "mixed", read: (a) => (a === WALLET ? direct.read(a) : hardhatArtifacts(ARTIFACTS).read(a)) };
      const fromEdited = planSingletons(ARBOR_SINGLETONS, mixed).find((p) => p.name === "ArborWallet")!;
      const fromHardhat = planSingletons(ARBOR_SINGLETONS, hardhatArtifacts(ARTIFACTS)).find((p) => p.name === "ArborWallet")!;
      expect(fromEdited.address).to.equal(fromHardhat.address);
    });

    it("gives other bytecode when code, not a comment, changes (control: the comparison above can fail)", () => {
      const sources = buildInfoSources(FACTORY);
      const file = "contracts/factory/ArborFactory.sol";
      const changed = sources[file].replace(/}\s*$/, "    function edited() external pure returns (uint256) { return 1; }\n}\n");
      const direct = compileWithPinnedSolc({ ...sources, [file]: changed }, { select: [FACTORY] });
      expect(direct.read(FACTORY).bytecode).not.to.equal(hardhatArtifacts(ARTIFACTS).read(FACTORY).bytecode);
    });

    it("throws CompilationFailedError with solc's messages for sources that do not compile", () => {
      try {
        compileWithPinnedSolc({ "Broken.sol": "pragma solidity 0.8.28; contract Broken { function f( }" });
        expect.fail("expected CompilationFailedError");
      } catch (e) {
        expect((e as Error).name).to.equal("CompilationFailedError");
        expect((e as Error & { code: string }).code).to.equal("COMPILATION_FAILED");
        expect((e as Error & { messages: string[] }).messages.join("\n")).to.include("ParserError");
      }
    });
  });

  describe("hardhat-artifacts", () => {
    let root: string;
    beforeEach(() => {
      // A copy of exactly the sources the factory's build info was compiled from.
      root = fs.mkdtempSync(path.join(os.tmpdir(), "arbor-stale-"));
      for (const [name, content] of Object.entries(buildInfoSources(FACTORY))) {
        fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
        fs.writeFileSync(path.join(root, name), content);
      }
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("reads bytecode, immutables and the compiler settings Hardhat used, matching the pin", () => {
      const wallet = hardhatArtifacts(ARTIFACTS, { projectRoot: ROOT }).read(WALLET);
      expect(wallet.compiler.version.split("+")[0]).to.equal(COMPILER_PIN.version);
      expect(wallet.compiler.settings.evmVersion).to.equal(COMPILER_PIN.settings.evmVersion);
      expect(wallet.compiler.settings.optimizer).to.deep.include(COMPILER_PIN.settings.optimizer);
      expect(wallet.compiler.settings.metadata).to.deep.include(COMPILER_PIN.settings.metadata);
      expect(wallet.immutableRanges.length).to.be.greaterThan(0); // FACTORY, SESSIONS, PROXY_INIT_CODE_HASH
      expect(wallet.needsLinking).to.equal(false);
    });

    it("accepts an artifact whose sources are unchanged, and ignores edits to files it does not import", () => {
      fs.appendFileSync(path.join(root, "contracts/wallet/ArborWallet.sol"), "\n// unrelated edit\n");
      expect(hardhatArtifacts(ARTIFACTS, { projectRoot: root }).read(FACTORY).bytecode).to.match(/^0x[0-9a-f]+$/);
    });

    it("throws StaleArtifactError naming the source when the contract's file changed since compilation", () => {
      fs.appendFileSync(path.join(root, "contracts/factory/ArborFactory.sol"), "\n// edited\n");
      expectStale(() => hardhatArtifacts(ARTIFACTS, { projectRoot: root }).read(FACTORY), "contracts/factory/ArborFactory.sol");
    });

    it("throws StaleArtifactError when a file it imports, even indirectly, changed", () => {
      // The wallet imports WalletSignature, which imports CalldataReader. The copy is of the
      // wallet's own build info (the factory no longer imports anything indirectly).
      for (const [name, content] of Object.entries(buildInfoSources(WALLET))) {
        fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
        fs.writeFileSync(path.join(root, name), content);
      }
      fs.appendFileSync(path.join(root, "contracts/utils/CalldataReader.sol"), "\n// edited\n");
      expectStale(() => hardhatArtifacts(ARTIFACTS, { projectRoot: root }).read(WALLET), "contracts/utils/CalldataReader.sol");
    });

    it("throws ArtifactNotFoundError for a contract that was never compiled or a malformed name", () => {
      for (const name of ["contracts/Nope.sol:Nope", "ArborFactory"]) {
        try {
          hardhatArtifacts(ARTIFACTS).read(name);
          expect.fail("expected ArtifactNotFoundError");
        } catch (e) {
          expect((e as Error).name).to.equal("ArtifactNotFoundError");
          expect((e as Error).message).to.include("npx hardhat compile");
        }
      }
    });
  });
});

function expectStale(fn: () => unknown, sourceName: string): void {
  try {
    fn();
    expect.fail("expected StaleArtifactError");
  } catch (e) {
    expect((e as Error).name, (e as Error).message).to.equal("StaleArtifactError");
    expect((e as Error & { code: string }).code).to.equal("STALE_ARTIFACT");
    expect((e as Error & { sourceName: string }).sourceName).to.equal(sourceName);
  }
}
