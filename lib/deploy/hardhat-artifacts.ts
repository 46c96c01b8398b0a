import fs from "node:fs";
import path from "node:path";
import { ArtifactNotFoundError, StaleArtifactError } from "./errors";
import { compiledFromSolcOutput, type ArtifactSource, type CompiledContract, type SolcContractOutput } from "./compiled-contract";
import type { CompilerUsed } from "./compiler-pin";

interface BuildInfo {
  solcVersion: string;
  input: { settings: CompilerUsed["settings"]; sources: Record<string, { content: string }> };
  output: {
    contracts: Record<string, Record<string, SolcContractOutput>>;
    sources?: Record<string, { ast?: { nodes?: Array<{ nodeType: string; absolutePath?: string }> } }>;
  };
}

/**
 * Reads contracts from a Hardhat artifacts directory. It reads the build info (the exact solc input
 * and output) rather than the per-contract artifact, because only the build info has the compiler
 * settings and the immutable positions that deployment checks need.
 *
 * With `projectRoot`, every source that went into a contract's compilation is compared with the
 * file on disk (project files under the root, packages under its node_modules), and a contract
 * built from since-edited sources is refused with StaleArtifactError: deploying it would put old
 * code at an address computed from old code, silently.
 *
 * @example
 * const source = hardhatArtifacts(path.join(process.cwd(), "artifacts"));
 * const wallet = source.read("contracts/wallet/ArborWallet.sol:ArborWallet");
 */
export function hardhatArtifacts(artifactsDir: string, options: { projectRoot?: string } = {}): ArtifactSource {
  const buildInfos = new Map<string, BuildInfo>();
  const where = artifactsDir;

  function read(artifact: string): CompiledContract {
    const split = artifact.lastIndexOf(":");
    if (split <= 0) throw new ArtifactNotFoundError(artifact, `${where} (expected "<source>:<contract>")`);
    const sourceName = artifact.slice(0, split);
    const contractName = artifact.slice(split + 1);
    const dbgPath = path.join(artifactsDir, sourceName, `${contractName}.dbg.json`);
    if (!fs.existsSync(dbgPath)) throw new ArtifactNotFoundError(artifact, where);
    let dbg: { buildInfo: string };
    try {
      dbg = JSON.parse(fs.readFileSync(dbgPath, "utf8")) as { buildInfo: string };
    } catch (e) {
      throw new ArtifactNotFoundError(artifact, `${where} (${dbgPath} unreadable: ${(e as Error).message})`);
    }
    const buildInfoPath = path.resolve(path.dirname(dbgPath), dbg.buildInfo);
    let info = buildInfos.get(buildInfoPath);
    if (!info) {
      if (!fs.existsSync(buildInfoPath)) throw new ArtifactNotFoundError(artifact, `${where} (build info ${buildInfoPath} missing)`);
      try {
        info = JSON.parse(fs.readFileSync(buildInfoPath, "utf8")) as BuildInfo;
      } catch (e) {
        // Typically a compile writing the file right now.
        throw new ArtifactNotFoundError(artifact, `${where} (build info ${buildInfoPath} unreadable: ${(e as Error).message})`);
      }
      buildInfos.set(buildInfoPath, info);
    }
    const out = info.output.contracts[sourceName]?.[contractName];
    if (!out) throw new ArtifactNotFoundError(artifact, `${where} (not in its build info)`);
    if (options.projectRoot) assertFresh(artifact, sourceName, info, options.projectRoot);
    return compiledFromSolcOutput(artifact, out, { version: info.solcVersion, settings: info.input.settings });
  }

  return { where, read };
}

function assertFresh(artifact: string, sourceName: string, info: BuildInfo, root: string): void {
  // Only the sources this contract is built from: its file and everything it imports, transitively.
  // One build info also holds unrelated files compiled in the same run, and editing those is harmless.
  const seen = new Set<string>();
  const queue = [sourceName];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const content = info.input.sources[name]?.content;
    const file = [path.join(root, name), path.join(root, "node_modules", name)].find((c) => fs.existsSync(c));
    if (content === undefined || file === undefined || fs.readFileSync(file, "utf8") !== content) throw new StaleArtifactError(artifact, name);
    for (const node of info.output.sources?.[name]?.ast?.nodes ?? []) {
      if (node.nodeType === "ImportDirective" && node.absolutePath) queue.push(node.absolutePath);
    }
  }
}
