import fs from "node:fs";
import path from "node:path";
import { COMPILER_PIN } from "./compiler-pin";
import { compiledFromSolcOutput, type ArtifactSource, type SolcContractOutput } from "./compiled-contract";
import { ArtifactNotFoundError, CompilationFailedError, SolcNotInstalledError } from "./errors";

// solc-js has no type declarations; this is the one entry point used.
interface SolcJs {
  version(): string;
  compile(input: string, callbacks?: { import: (p: string) => { contents: string } | { error: string } }): string;
}

export interface PinnedCompileOptions {
  /**
   * Contracts to generate bytecode for, as "<source>:<contract>". Every source is still parsed and
   * type-checked, but code generation (the slow part at 1,000,000 optimizer runs) is limited to these.
   * Default: every contract.
   */
  select?: string[];
  /** Where imports that are not in `sources` are resolved from (project root). Default: process.cwd(). */
  root?: string;
}

/**
 * Compiles Solidity sources with the `solc` npm package and exactly the pinned settings
 * (COMPILER_PIN), without Hardhat. Used to reproduce a deployed singleton's bytecode independently of
 * the Hardhat build, and to prove that edits which should not move an address (comments) do not.
 *
 * @example
 * const source = compileWithPinnedSolc({ "contracts/A.sol": "pragma solidity 0.8.28; contract A {}" });
 * source.read("contracts/A.sol:A").bytecode;
 */
export function compileWithPinnedSolc(sources: Record<string, string>, options: PinnedCompileOptions = {}): ArtifactSource {
  let solc: SolcJs;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    solc = require("solc") as SolcJs;
  } catch (cause) {
    if ((cause as { code?: string }).code === "MODULE_NOT_FOUND") throw new SolcNotInstalledError(COMPILER_PIN.version, { cause });
    throw cause;
  }
  const root = options.root ?? process.cwd();
  const outputs = ["abi", "evm.bytecode.object", "evm.bytecode.linkReferences", "evm.deployedBytecode.object",
    "evm.deployedBytecode.linkReferences", "evm.deployedBytecode.immutableReferences"];
  let outputSelection: Record<string, Record<string, string[]>> = { "*": { "*": outputs } };
  if (options.select) {
    outputSelection = {};
    for (const fq of options.select) {
      const split = fq.lastIndexOf(":");
      const src = fq.slice(0, split);
      (outputSelection[src] ??= {})[fq.slice(split + 1)] = outputs;
    }
  }
  const settings = { ...structuredClone(COMPILER_PIN.settings), outputSelection };
  const input = {
    language: "Solidity",
    sources: Object.fromEntries(Object.entries(sources).map(([name, content]) => [name, { content }])),
    settings,
  };
  const findImport = (importPath: string) => {
    for (const candidate of [path.join(root, importPath), path.join(root, "node_modules", importPath)]) {
      if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
    }
    return { error: `not found under ${root} or its node_modules` };
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as {
    errors?: Array<{ severity: string; formattedMessage: string }>;
    contracts?: Record<string, Record<string, SolcContractOutput>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error").map((e) => e.formattedMessage);
  if (errors.length > 0) throw new CompilationFailedError(errors);
  const compiler = { version: solc.version(), settings };
  const where = `solc ${compiler.version} (in memory)`;
  return {
    where,
    read(artifact: string) {
      const split = artifact.lastIndexOf(":");
      const out = output.contracts?.[artifact.slice(0, split)]?.[artifact.slice(split + 1)];
      if (split <= 0 || !out || !out.evm?.bytecode) throw new ArtifactNotFoundError(artifact, where);
      return compiledFromSolcOutput(artifact, out, compiler);
    },
  };
}
