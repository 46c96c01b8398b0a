/**
 * Counterfactual wallet addresses (lib/configuration/ENCODING.md, "Wallet address"): an EIP-1167
 * minimal proxy of the implementation, deployed by the factory with CREATE2 and
 * `salt = imageHash` of the first configuration. Chain-independent by construction.
 */
import { getCreate2Address } from "ethers";
import { bytesToHex, hexToBytes, normalizeAddress, normalizeBytes32, type Hex } from "../hex";
import { keccak256 } from "../keccak";

const PROXY_PREFIX = "3d602d80600a3d3981f3363d3d373d3d3d363d73";
const PROXY_SUFFIX = "5af43d82803e903d91602b57fd5bf3";

/**
 * EIP-1167 creation code of a minimal proxy that delegates to `implementation` (55 bytes).
 *
 * @example
 * cloneInitCode("0x5FbDB2315678afecb367f032d93F642f64180aa3") // "0x3d602d80600a3d3981f3363d3d373d3d3d363d73<impl>5af43d..."
 */
export function cloneInitCode(implementation: Hex | string): Hex {
  const impl = normalizeAddress(implementation, "implementation").slice(2).toLowerCase();
  return `0x${PROXY_PREFIX}${impl}${PROXY_SUFFIX}`;
}

/**
 * Address of the wallet whose first configuration has `imageHash`:
 * `keccak256(0xff ‖ factory ‖ imageHash ‖ keccak256(initCode))[12:]`, checksummed.
 *
 * @example
 * walletAddress({ factory, implementation, imageHash: Configuration.of(first).imageHash })
 */
export function walletAddress(params: { factory: Hex | string; implementation: Hex | string; imageHash: Hex | string }): Hex {
  const factory = normalizeAddress(params.factory, "factory");
  const salt = normalizeBytes32(params.imageHash, "imageHash");
  const initCodeHash = bytesToHex(keccak256(hexToBytes(cloneInitCode(params.implementation), "implementation")));
  return getCreate2Address(factory, salt, initCodeHash) as Hex;
}
