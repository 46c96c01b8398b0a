/**
 * The EIP-712 domain and type hashes of lib/payload/ENCODING.md. Each constant shows the string
 * it is hashed from; the tests recompute them with ethers' TypedDataEncoder.
 */
import { InvalidArgumentError } from "../errors";
import { bytesToHex, checkChainId, normalizeAddress, writeHex, writeUint256, type Hex } from "../hex";
import { keccak256, keccak256Utf8 } from "../keccak";
import type { PayloadContext } from "./types";

export const DOMAIN_NAME = "Arbor Wallet";
export const DOMAIN_VERSION = "1";

export const EIP712_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
export const CALL_TYPE = "Call(address target,uint256 value,bytes data,uint256 gasLimit,bool delegateCall,uint8 onFailure)";
// EIP-712: referenced struct types follow the primary type, sorted by name.
export const CALLS_TYPE = "Calls(Call[] calls,uint256 space,uint256 nonce)" + CALL_TYPE;
export const CONFIG_UPDATE_TYPE = "ConfigUpdate(bytes32 root,uint256 threshold,uint256 checkpoint)";
export const MESSAGE_TYPE = "Message(bytes32 hash)";
export const UPGRADE_TYPE = "Upgrade(address implementation,uint256 nonce)";

export const EIP712_DOMAIN_TYPEHASH: Hex = keccak256Utf8(EIP712_DOMAIN_TYPE);
export const CALL_TYPEHASH: Hex = keccak256Utf8(CALL_TYPE);
export const CALLS_TYPEHASH: Hex = keccak256Utf8(CALLS_TYPE);
export const CONFIG_UPDATE_TYPEHASH: Hex = keccak256Utf8(CONFIG_UPDATE_TYPE);
export const MESSAGE_TYPEHASH: Hex = keccak256Utf8(MESSAGE_TYPE);
export const UPGRADE_TYPEHASH: Hex = keccak256Utf8(UPGRADE_TYPE);

/**
 * Checks a payload context. `allowChainIdZero` is true only for `ConfigUpdate` and `Upgrade`: a chain id of 0
 * would let a batch of calls or a message be replayed on every chain.
 */
export function checkContext(context: PayloadContext, allowChainIdZero: boolean): { wallet: Hex; chainId: bigint } {
  if (typeof context !== "object" || context === null) {
    throw new InvalidArgumentError("INVALID_CONTEXT", "context", "expected {wallet, chainId}");
  }
  const wallet = normalizeAddress(context.wallet, "wallet");
  const chainId = checkChainId(context.chainId, "chainId");
  if (chainId === 0n && !allowChainIdZero) {
    throw new InvalidArgumentError("CHAIN_ID_ZERO_NOT_ALLOWED", "chainId", "only a configuration update may use chain id 0");
  }
  return { wallet, chainId };
}

/**
 * EIP-712 domain separator of a wallet on a chain.
 *
 * @example
 * domainSeparator({ wallet, chainId: 1n })
 */
export function domainSeparator(context: PayloadContext): Hex {
  const { wallet, chainId } = checkContext(context, true);
  const words = new Uint8Array(160);
  writeHex(words, 0, EIP712_DOMAIN_TYPEHASH);
  writeHex(words, 32, keccak256Utf8(DOMAIN_NAME));
  writeHex(words, 64, keccak256Utf8(DOMAIN_VERSION));
  writeUint256(words, 96, chainId);
  writeHex(words, 128 + 12, wallet);
  return bytesToHex(keccak256(words));
}

/**
 * `keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ structHash)`, the digest signers sign.
 *
 * @example
 * typedDataDigest(domainSeparator(context), structHash)
 */
export function typedDataDigest(separator: Hex, structHash: Hex): Hex {
  const bytes = new Uint8Array(66);
  bytes[0] = 0x19;
  bytes[1] = 0x01;
  writeHex(bytes, 2, separator);
  writeHex(bytes, 34, structHash);
  return bytesToHex(keccak256(bytes));
}
