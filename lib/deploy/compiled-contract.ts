import type { InterfaceAbi } from "ethers";
import type { CompilerUsed } from "./compiler-pin";

/** A byte range of runtime code that the constructor fills in (a Solidity `immutable`). */
export interface ImmutableRange {
  start: number;
  length: number;
}

/**
 * What deployment needs from one compiled contract, whatever produced it (Hardhat's artifacts, or
 * solc called directly). Bytecode is 0x-prefixed hex.
 */
export interface CompiledContract {
  /** Fully qualified name, "<source>:<contract>", e.g. "contracts/factory/ArborFactory.sol:ArborFactory". */
  artifact: string;
  abi: InterfaceAbi;
  /** Creation code without constructor arguments. */
  bytecode: string;
  /** Runtime code as compiled: immutables are still zero here. */
  deployedBytecode: string;
  /** Where immutables sit in the runtime code; they differ per deployment, so code checks skip them. */
  immutableRanges: ImmutableRange[];
  /** True when the bytecode has unlinked library placeholders (such a contract is never deployed as is). */
  needsLinking: boolean;
  compiler: CompilerUsed;
}

/**
 * Where compiled contracts come from.
 *
 * @example
 * const factory = hardhatArtifacts("./artifacts").read("contracts/factory/ArborFactory.sol:ArborFactory");
 */
export interface ArtifactSource {
  /** Human-readable origin, for error messages ("./artifacts", "solc 0.8.28 (in memory)"). */
  readonly where: string;
  /** Throws ArtifactNotFoundError when the contract is not there. */
  read(artifact: string): CompiledContract;
}

/** Solidity standard-JSON output for one contract, the part deployment reads. */
export interface SolcContractOutput {
  abi: InterfaceAbi;
  evm: {
    bytecode: { object: string; linkReferences?: Record<string, unknown> };
    deployedBytecode: {
      object: string;
      linkReferences?: Record<string, unknown>;
      immutableReferences?: Record<string, ImmutableRange[]>;
    };
  };
}

/**
 * Builds a CompiledContract from solc's standard-JSON output for one contract.
 *
 * @example
 * const c = compiledFromSolcOutput("A.sol:A", output.contracts["A.sol"]["A"], { version: "0.8.28", settings });
 */
export function compiledFromSolcOutput(artifact: string, out: SolcContractOutput, compiler: CompilerUsed): CompiledContract {
  const immutableRanges = Object.values(out.evm.deployedBytecode.immutableReferences ?? {})
    .flat()
    .sort((a, b) => a.start - b.start);
  const needsLinking =
    Object.keys(out.evm.bytecode.linkReferences ?? {}).length > 0 ||
    Object.keys(out.evm.deployedBytecode.linkReferences ?? {}).length > 0;
  return {
    artifact,
    abi: out.abi,
    bytecode: withPrefix(out.evm.bytecode.object),
    deployedBytecode: withPrefix(out.evm.deployedBytecode.object),
    immutableRanges,
    needsLinking,
    compiler,
  };
}

function withPrefix(hex: string): string {
  return hex.startsWith("0x") ? hex : `0x${hex}`;
}
