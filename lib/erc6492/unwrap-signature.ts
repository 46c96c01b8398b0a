import { AbiCoder } from "ethers";
import { bytesToHex, hexToBytes, type Hex } from "../hex";
import { Erc6492Error } from "./erc6492-error";
import { ERC6492_MAGIC, type Erc6492Wrapper } from "./wrap-signature";

/**
 * The wrapper inside an ERC-6492 signature, or `undefined` when the signature does not end with
 * the magic suffix (a plain signature). Throws Erc6492Error MALFORMED_WRAPPER when it ends with
 * the suffix but the bytes before it are not a canonical `abi.encode(address, bytes, bytes)`
 * (re-encoding the decoded values must give them back exactly, so no trailing or dirty bytes pass).
 *
 * @example
 * const wrapper = unwrapSignature(signature); if (wrapper) console.log(wrapper.factory);
 */
export function unwrapSignature(signature: Hex | string): Erc6492Wrapper | undefined {
  const bytes = hexToBytes(signature, "signature");
  const hex = bytesToHex(bytes);
  if (bytes.length < 32 || !hex.endsWith(ERC6492_MAGIC.slice(2))) return undefined;
  const body = hex.slice(0, -64) as Hex;
  const coder = AbiCoder.defaultAbiCoder();
  let decoded: [string, string, string];
  try {
    decoded = coder.decode(["address", "bytes", "bytes"], body) as unknown as [string, string, string];
  } catch (cause) {
    throw new Erc6492Error("MALFORMED_WRAPPER", "the bytes before the ERC-6492 suffix are not abi.encode(address, bytes, bytes)", { cause, details: { length: bytes.length } });
  }
  if (coder.encode(["address", "bytes", "bytes"], decoded) !== body) {
    throw new Erc6492Error("MALFORMED_WRAPPER", "the ERC-6492 wrapper is not canonically encoded (extra, dirty or misplaced bytes)", { details: { length: bytes.length } });
  }
  return { factory: decoded[0] as Hex, factoryCalldata: decoded[1] as Hex, signature: decoded[2] as Hex };
}
