/**
 * Arbor library: configurations as Merkle trees, image hashes, wallet addresses, payload hashing
 * and signatures. Everything public is re-exported here:
 *
 * @example
 * import { Configuration, hashCalls, signPayload, walletAddress } from "@arbor-wallet/sdk";
 */
export * from "./errors";
// Names that viem also exports are exported here only where they mean the same thing:
// `bytesToHex` (lowercase 0x hex of bytes) does; viem's `keccak256` returns hex where ours returns
// bytes, so ours is not exported (use `keccak256Utf8`, or viem's/ethers'); viem's `hashMessage` is
// EIP-191, ours is the wallet's EIP-712 `Message(hash)` digest, exported as `hashWalletMessage`.
export {
  bytesToHex,
  checkChainId,
  checkUint,
  hexToBytes,
  MAX_UINT256,
  normalizeAddress,
  normalizeBytes32,
  parseDecimal,
  type ChainId,
  type Hex,
} from "./hex";
export { keccak256Utf8, keccakBackend, keccakReady, type KeccakBackend } from "./keccak";

export * from "./configuration/leaves";
export * from "./configuration/permissions";
export * from "./configuration/tree";
export * from "./configuration/tree-walk";
export * from "./configuration/image-hash";
export * from "./configuration/configuration";
export * from "./configuration/diff";

export * from "./wallet/address";

export * from "./payload/types";
export * from "./payload/domain";
export * from "./payload/calls";
export * from "./payload/contract-calls";
export * from "./payload/packed-calls";
export * from "./payload/hash-calls";
export * from "./payload/hash-config-update";
export { hashMessage as hashWalletMessage } from "./payload/hash-message";
export * from "./payload/hash-upgrade";
export * from "./payload/typed-data";

export * from "./signature/types";
export * from "./signature/encode-signature";
export * from "./signature/decode-signature";
export * from "./signature/ecdsa";
export * from "./signature/signers";
export * from "./signature/sign-payload";
export * from "./signature/recover-signature";
export * from "./signature/verify-signature";
export * from "./signature/erc1271";

export * from "./userop";
export * from "./erc6492";
