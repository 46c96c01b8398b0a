/**
 * Compiles small reference contracts for the library tests with the project's pinned solc-js
 * (0.8.28, cancun), so the tests can compare the TypeScript library with OpenZeppelin's Solidity
 * on a real Hardhat chain without depending on contracts/ (owned and edited by others).
 */
import fs from "node:fs";
import path from "node:path";
import { ContractFactory, type BaseContract, type Signer } from "ethers";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require("solc");

const cache = new Map<string, { abi: unknown[]; bytecode: string }>();

function findImport(importPath: string): { contents: string } | { error: string } {
  const file = path.join(__dirname, "..", "..", "node_modules", importPath);
  return fs.existsSync(file) ? { contents: fs.readFileSync(file, "utf8") } : { error: `not found: ${importPath}` };
}

/** Compiles `source` (one file) and returns the ABI and bytecode of `contractName`. */
export function compile(source: string, contractName: string): { abi: unknown[]; bytecode: string } {
  const key = `${contractName}\n${source}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const input = {
    language: "Solidity",
    sources: { "Reference.sol": { content: source } },
    settings: {
      evmVersion: "cancun",
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const errors = (output.errors ?? []).filter((e: { severity: string }) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e: { formattedMessage: string }) => e.formattedMessage).join("\n"));
  const contract = output.contracts["Reference.sol"][contractName];
  const result = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  cache.set(key, result);
  return result;
}

/** Compiles and deploys `contractName` from `source` with `deployer`. */
export async function deploy(source: string, contractName: string, deployer: Signer, ...args: unknown[]): Promise<BaseContract> {
  const { abi, bytecode } = compile(source, contractName);
  const contract = await new ContractFactory(abi as never, bytecode, deployer).deploy(...args);
  await contract.waitForDeployment();
  return contract as BaseContract;
}

/** Reference contracts: OpenZeppelin's ECDSA, MerkleProof and an ERC-1271 signer owned by an EOA. */
export const REFERENCE_SOURCE = `
// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

contract OzReference {
    function tryRecover(bytes32 hash, uint8 v, bytes32 r, bytes32 s) external pure returns (address signer, uint8 error) {
        (address a, ECDSA.RecoverError e, ) = ECDSA.tryRecover(hash, v, r, s);
        return (a, uint8(e));
    }
    function tryRecoverCompact(bytes32 hash, bytes32 r, bytes32 vs) external pure returns (address signer, uint8 error) {
        (address a, ECDSA.RecoverError e, ) = ECDSA.tryRecover(hash, r, vs);
        return (a, uint8(e));
    }
    function processMultiProof(bytes32[] memory proof, bool[] memory proofFlags, bytes32[] memory leaves) external pure returns (bytes32) {
        return MerkleProof.processMultiProof(proof, proofFlags, leaves);
    }
    function processProof(bytes32[] memory proof, bytes32 leaf) external pure returns (bytes32) {
        return MerkleProof.processProof(proof, leaf);
    }
}

contract OwnedErc1271Signer {
    address public immutable owner;
    constructor(address owner_) { owner = owner_; }
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError e, ) = ECDSA.tryRecoverCalldata(hash, signature);
        return e == ECDSA.RecoverError.NoError && signer == owner ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }
}

contract RevertingErc1271Signer {
    function isValidSignature(bytes32, bytes calldata) external pure returns (bytes4) {
        revert("no");
    }
}
`;
