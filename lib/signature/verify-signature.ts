import { SignatureError } from "../errors";
import { normalizeBytes32, type Hex } from "../hex";
import { recoverSignature, type RecoverOptions } from "./recover-signature";
import type { RecoveredSignature } from "./types";

/**
 * Recovers a signature and requires it to prove the configuration with `expectedImageHash`, as
 * the wallet does with its current image hash. Throws {@link SignatureError} on any failure,
 * including `ImageHashMismatch(imageHash)` (the image hash the signature proves), then
 * `SignatureWalkUnsorted(offset, first, second)` for a non-canonical walk.
 *
 * @example
 * const recovered = await checkSignature(digest, signature, config.imageHash);
 */
export async function checkSignature(
  digest: Hex | string,
  signature: Hex | string | Uint8Array,
  expectedImageHash: Hex | string,
  options: RecoverOptions = {},
): Promise<RecoveredSignature> {
  const expected = normalizeBytes32(expectedImageHash, "expectedImageHash");
  const recovered = await recoverSignature(digest, signature, options);
  if (recovered.imageHash !== expected) {
    throw new SignatureError("ImageHashMismatch", [recovered.imageHash], "the signature proves another configuration", {
      details: { expectedImageHash: expected },
    });
  }
  if (recovered.unsorted !== undefined) {
    const { offset, first, second } = recovered.unsorted;
    throw new SignatureError("SignatureWalkUnsorted", [offset, first, second], "the child with the smaller hash comes first");
  }
  return recovered;
}

/**
 * Whether `signature` is a valid signature of `digest` by the configuration with
 * `expectedImageHash`. Returns false whenever the contract would revert with a signature error
 * (use {@link checkSignature} to learn which); still throws `InvalidArgumentError` for
 * malformed arguments, which are the caller's mistake.
 *
 * @example
 * if (!(await verifySignature(digest, signature, config.imageHash))) throw new Error("not signed");
 */
export async function verifySignature(
  digest: Hex | string,
  signature: Hex | string | Uint8Array,
  expectedImageHash: Hex | string,
  options: RecoverOptions = {},
): Promise<boolean> {
  try {
    await checkSignature(digest, signature, expectedImageHash, options);
    return true;
  } catch (err) {
    if (err instanceof SignatureError) return false;
    throw err;
  }
}
