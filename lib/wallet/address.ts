/**
 * Counterfactual wallet addresses (lib/configuration/ENCODING.md, "Wallet address"): a
 * `WalletProxy` (contracts/proxy/WalletProxy.sol) baking in the first implementation, deployed by
 * the factory with CREATE2 and `salt = imageHash` of the first configuration. Chain-independent
 * by construction; an upgrade changes the implementation, never the address.
 */
import { getCreate2Address } from "ethers";
import { bytesToHex, hexToBytes, normalizeAddress, normalizeBytes32, type Hex } from "../hex";
import { keccak256 } from "../keccak";

/** `ArborWallet`'s ERC-7201 base slot + 2: where the proxy reads the implementation (top 160 bits). */
export const WALLET_IMPLEMENTATION_SLOT: Hex = "0x5fa3519ea79c9bd5b138300857d5ac2107d31272b56636012810965f880aaf02";

const INIT_PREFIX = "60558060095f395ff3";
const RUNTIME_HEAD = `365f5f375f5f365f7f${WALLET_IMPLEMENTATION_SLOT.slice(2)}5460601c801573`;
const RUNTIME_TAIL = "02175af43d5f5f3e5f3d91605357fd5bf3";

/**
 * Runtime code of a wallet proxy whose baked implementation is `implementation` (85 bytes).
 *
 * @example
 * proxyRuntimeCode(implementation) === await provider.getCode(walletAddress) // once deployed
 */
export function proxyRuntimeCode(implementation: Hex | string): Hex {
  const impl = normalizeAddress(implementation, "implementation").slice(2).toLowerCase();
  return `0x${RUNTIME_HEAD}${impl}${RUNTIME_TAIL}`;
}

/**
 * Creation code of a wallet proxy that bakes in `implementation` (94 bytes: 9 of init code, then
 * the runtime code).
 *
 * @example
 * proxyInitCode("0x5FbDB2315678afecb367f032d93F642f64180aa3") // "0x60558060095f395ff3365f5f37..."
 */
export function proxyInitCode(implementation: Hex | string): Hex {
  return `0x${INIT_PREFIX}${proxyRuntimeCode(implementation).slice(2)}`;
}

/**
 * Address of the wallet whose first configuration has `imageHash`:
 * `keccak256(0xff ‖ factory ‖ imageHash ‖ keccak256(proxyInitCode(implementation)))[12:]`, checksummed.
 *
 * @example
 * walletAddress({ factory, implementation, imageHash: Configuration.of(first).imageHash })
 */
export function walletAddress(params: { factory: Hex | string; implementation: Hex | string; imageHash: Hex | string }): Hex {
  const factory = normalizeAddress(params.factory, "factory");
  const salt = normalizeBytes32(params.imageHash, "imageHash");
  const initCodeHash = bytesToHex(keccak256(hexToBytes(proxyInitCode(params.implementation), "implementation")));
  return getCreate2Address(factory, salt, initCodeHash) as Hex;
}
