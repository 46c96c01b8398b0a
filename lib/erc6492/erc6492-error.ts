import { ArborError, type ArborErrorOptions } from "../errors";

/** Why an ERC-6492 signature could not be unwrapped or checked (a wrong signature is not an error: it verifies as false). */
export type Erc6492ErrorCode =
  /** It ends with the magic suffix but what precedes it is not `abi.encode(address, bytes, bytes)`. */
  | "MALFORMED_WRAPPER"
  /** The wrapper's prepare call reverted (`ERC6492PrepareFailed`); `details.returnData` has its revert data. */
  | "PREPARE_FAILED"
  /** The signer's ERC-1271 `isValidSignature` reverted (`ERC1271Reverted`). */
  | "ERC1271_REVERTED"
  /** The signer has no code and the signature is neither a wrapper nor 65 bytes (`ECDSASignatureLength`). */
  | "SIGNATURE_LENGTH";

/**
 * An ERC-6492 signature that cannot be unwrapped or verified. `code` says which way, and for
 * errors from the on-chain verifier `details` carries the custom error's arguments.
 *
 * @example
 * try { await verifyErc6492Signature(provider, input) } catch (e) { if (e instanceof Erc6492Error && e.code === "PREPARE_FAILED") ... }
 */
export class Erc6492Error extends ArborError {
  override readonly name = "Erc6492Error" as const;
  declare readonly code: Erc6492ErrorCode;

  constructor(code: Erc6492ErrorCode, message: string, options: ArborErrorOptions = {}) {
    super(code, message, options);
  }
}
