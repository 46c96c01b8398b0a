import { AbiCoder, concat } from "ethers";
import type { Hex } from "../hex";
import type { Erc1271Checker } from "./types";

/** `isValidSignature(bytes32,bytes)` selector, which is also the ERC-1271 magic value. */
export const ERC1271_MAGIC_VALUE = "0x1626ba7e";
const MAGIC_WORD = `${ERC1271_MAGIC_VALUE}${"00".repeat(28)}`;

/**
 * Anything with `call({to, data})`: an ethers Provider or Signer (resolves to the result hex) or a
 * viem PublicClient (resolves to `{ data }`, `data` undefined for empty return data).
 */
export interface CallProvider {
  call(tx: { to: `0x${string}`; data: `0x${string}` }): Promise<string | { data?: string | undefined }>;
}

/**
 * An {@link Erc1271Checker} that asks the chain, with the acceptance rule of OpenZeppelin
 * `SignatureChecker.isValidERC1271SignatureNow`: the call succeeds and its first 32 returned bytes
 * are the magic value `0x1626ba7e` left-aligned. A revert, short or other return data, or an
 * address without code all mean "not valid".
 *
 * @example
 * await recoverSignature(digest, signature, { isValidErc1271: erc1271Checker(provider) });
 */
export function erc1271Checker(provider: CallProvider, blockTag?: string | number): Erc1271Checker {
  return async (signer: Hex, digest: Hex, signature: Hex): Promise<boolean> => {
    const data = concat([ERC1271_MAGIC_VALUE, AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes"], [digest, signature])]);
    let answer: string | { data?: string | undefined };
    try {
      // blockTag in the request is ethers' form; viem users pin a block with viemErc1271Checker.
      const request = { to: signer, data: data as Hex, ...(blockTag === undefined ? {} : { blockTag }) };
      answer = await provider.call(request);
    } catch {
      return false;
    }
    // ethers answers with the hex itself, viem with `{ data }`: reading only the former made every
    // viem answer "not valid".
    const result = typeof answer === "string" ? answer : (answer?.data ?? "0x");
    return result.length >= 66 && result.slice(0, 66).toLowerCase() === MAGIC_WORD;
  };
}
