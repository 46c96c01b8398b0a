import { AbiCoder } from "ethers";
import { bytesToHex, hexToBytes, normalizeAddress, type Hex } from "../hex";

/** The ERC-6492 detection suffix: 0x6492 repeated 16 times (32 bytes). */
export const ERC6492_MAGIC = `0x${"6492".repeat(16)}` as Hex;

/** What an ERC-6492 wrapper carries: how to make the signer able to check `signature`. */
export interface Erc6492Wrapper {
  /** The address called to prepare the signer: a factory that deploys it, or the signer itself. */
  factory: Hex;
  /** The prepare calldata (a deployment, or a call that brings the signer up to date). */
  factoryCalldata: Hex;
  /** The signature the prepared signer's ERC-1271 `isValidSignature` accepts. */
  signature: Hex;
}

/**
 * `abi.encode(factory, factoryCalldata, signature) ‖ ERC6492_MAGIC`, the ERC-6492 wrapping.
 * Throws InvalidArgumentError naming the field if one is not an address or hex.
 *
 * @example
 * const wrapped = wrapSignature({ factory, factoryCalldata, signature });
 */
export function wrapSignature(wrapper: Erc6492Wrapper): Hex {
  const body = AbiCoder.defaultAbiCoder().encode(
    ["address", "bytes", "bytes"],
    [
      normalizeAddress(wrapper.factory, "factory"),
      bytesToHex(hexToBytes(wrapper.factoryCalldata, "factoryCalldata")),
      bytesToHex(hexToBytes(wrapper.signature, "signature")),
    ],
  );
  return `${body}${ERC6492_MAGIC.slice(2)}` as Hex;
}
