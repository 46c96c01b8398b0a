/**
 * Arbor library: configurations as Merkle trees, image hashes, wallet addresses, payload hashing
 * and signatures. Everything public is re-exported here:
 *
 * @example
 * import { Configuration, hashCalls, signPayload, walletAddress } from "./lib";
 */
export * from "./errors";
export {
  bytesToHex,
  checkUint,
  hexToBytes,
  MAX_UINT256,
  normalizeAddress,
  normalizeBytes32,
  parseDecimal,
  type Hex,
} from "./hex";
export { keccak256, keccak256Utf8 } from "./keccak";

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
export * from "./payload/hash-message";
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
