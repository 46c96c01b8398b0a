import { getBytes, keccak256 } from "ethers";
import type { ImmutableRange } from "./compiled-contract";

/**
 * keccak256 of runtime code with its immutable ranges zeroed. The constructor writes immutables into
 * the runtime code (an EIP-712 contract caches its chain id there, for instance), so the raw code of
 * one singleton may differ between chains; with those bytes zeroed it must equal the hash of the
 * compiled `deployedBytecode`, where solc leaves them zero.
 *
 * @example
 * runtimeCodeHash(await provider.getCode(plan.address), plan.immutableRanges) === plan.expectedCodeHash;
 */
export function runtimeCodeHash(code: string, immutableRanges: readonly ImmutableRange[]): string {
  const bytes = getBytes(code);
  for (const { start, length } of immutableRanges) {
    // Code shorter than the compiled layout is already a mismatch; just do not write past its end.
    bytes.fill(0, Math.min(start, bytes.length), Math.min(start + length, bytes.length));
  }
  return keccak256(bytes);
}
